// syscage run --profile P [--audit] [--log FILE] -- CMD ARGS...
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import { auditEvent, eventLine, EventSink, humanLine, type Reported } from '../audit/index.js';
import { selectTier, TierError, type TierDecision } from '../tier/index.js';
import { chooseSeatbelt } from '../seatbelt/index.js';
import { LaunchError, supervise } from '../trace/index.js';
import { loadForCommand, withTracer, type Command } from './common.js';
import { EXIT, UsageError } from './io.js';
import { namesSaid } from '../dns/index.js';

/** How long the run's end waits for its events to be written to a slow reader. */
const SINK_DRAIN_MS = 2000;

const isRegularFile = (fd: number): boolean => {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
};

interface Args { profile: string; audit: boolean; verbose: boolean; log?: string; '--'?: (string | number)[] }

export const run: Command<Args> = {
  command: 'run',
  describe: 'Run a command under a profile: syscage run --profile P -- CMD ARGS...',
  builder: (y: Argv) =>
    y.option('profile', { alias: 'p', type: 'string', demandOption: true, describe: 'profile file' })
      .option('audit', { type: 'boolean', default: false, describe: 'block nothing; report every call the profile would refuse' })
      .option('log', { type: 'string', describe: 'append audit events (JSON lines) to FILE instead of stderr' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also report the calls answered ENOENT because their path is hidden (a look at, or a read of a missing, path outside the profile: no violation)' })
      .parserConfiguration({ 'populate--': true })
      .example('$0 run --profile syscage.yaml -- node index.mjs', '')
      .epilogue('Exit status: the command\'s own; 128+N when a signal N ended it; 100 when syscage killed it for a violation; ' +
        '126/127 when it cannot be executed / is not found; 2 for an invalid profile or command line; 71 when this platform refuses every tier the profile accepts (weakest_tier; see syscage doctor --profile).'),
  run: (args, io, ctx) => withTracer(ctx, async (prepared) => {
    const command = (args['--'] ?? []).map(String);
    if (command.length === 0) throw new UsageError('give the command after --: syscage run --profile P -- CMD ARGS...');
    // The tracer thread and stage-2 are starting (since bin/syscage) while the profile loads.
    const profile = loadForCommand(args.profile, io);
    let decision: TierDecision;
    try {
      decision = await selectTier(profile, { prepared });
    } catch (e) {
      if (!(e instanceof TierError)) throw e;
      io.err(`syscage: ${e.message}\n`);
      return e.status;
    }
    const { tier } = decision;
    if (tier !== 'kernel') {
      io.err(`syscage: tier ${tier}: ${decision.why}\n`);
      for (const r of decision.refusals) io.err(`syscage:   refused: ${r.probe}: ${r.detail}\n`);
    }
    let logFd: number | undefined;
    try {
      logFd = args.log ? openSync(args.log, 'a') : undefined;
    } catch (e) {
      throw new UsageError(`cannot open the log ${args.log}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const events = { fd: logFd ?? 2, human: logFd === undefined && !!io.errIsTty };
    // A regular file: the tracer thread (or the monitor) writes each event itself, synchronously, before
    // the call it reports is refused. A pipe or a terminal may block or be gone: its events go through a
    // sink on this thread, off the decision path (lib/audit/sink.ts), and what it could not write is counted.
    const sink = isRegularFile(events.fd) ? undefined : new EventSink(events.fd);
    const emit = (v: Reported, time: number): void => {
      const line = eventLine(auditEvent(v, time, { profile: profile.name, tier }), events.human);
      if (sink) sink.write(line);
      else writeSync(events.fd, line);
    };
    // A Node.js or Python command gets its seatbelt where the profile wants one (the runtime tier).
    const seatbelt = chooseSeatbelt(profile, tier, command, process.env);
    if (seatbelt) io.err(`syscage: seatbelt: ${seatbelt.said}\n`);
    for (const n of seatbelt?.notes ?? []) io.err(`syscage: seatbelt: ${n}\n`);
    const belt = seatbelt?.belt;
    // In the kernel tier the supervisor says it once its resolver runs.
    const names = tier === 'kernel' ? undefined : namesSaid(profile, tier, belt?.runtime);
    if (names) io.err(`syscage: dns: ${names}\n`);
    try {
      const result = tier === 'runtime'
        // The monitor is loaded only for the runtime tier.
        ? await (await import('../monitor/index.js')).watchCommand({
          profile,
          command,
          ...(belt ? { command: belt.command, env: belt.env, seatbelt: belt.runtime, own: belt.own } : {}),
          audit: args.audit,
          onNote: (text) => io.err(`syscage: ${text}\n`),
          onReport: emit,
        })
        : await supervise({
          profile,
          command,
          audit: args.audit,
          verbose: args.verbose,
          onStart: (s) => { if (s.note) io.err(`syscage: ${s.note}\n`); },
          onNote: (text) => io.err(`syscage: ${text}\n`),
          ...(sink ? { onVerdict: emit } : { events }),
        }, decision.prepared);
      await sink?.drain(SINK_DRAIN_MS);
      const unwritten = sink?.lost ? `, ${sink.lost} events not written (${sink.stopReason ?? 'queue full'})` : '';
      const c = result.counts;
      if (tier === 'bpf') {
        // Nothing traces the command: it cannot be told apart from stage-2, nor a call reported.
        io.err(`syscage: the seccomp filter decided every call in the kernel (the bpf tier reports none), tier bpf${unwritten}\n`);
      } else if (!result.launched) {
        // The command never started (stage-2 said why, in one line): nothing to sum up.
        return result.code ?? EXIT.notExecutable;
      } else {
        io.err(tier === 'runtime'
          ? `syscage: ${c.polls ?? 0} polls of the process monitor: ${c.findings ?? 0} found, ${c.killed ?? 0} killed${belt ? `, ${c.refusals ?? 0} refused by the seatbelt` : ''}, tier runtime${unwritten}\n`
          : `syscage: ${c.traps ?? 0} checked calls: ${c.denied ?? 0} denied, ${c.killed ?? 0} killed, ${c.logged ?? 0} logged, ${c.hidden ?? 0} hidden${c.performed !== undefined ? `, ${c.performed} performed by syscage` : ''}, tier ${tier}${unwritten}\n`);
      }
      if (result.policyKill) {
        // One clear line, whatever the log format: what was refused, to whom, by which rule.
        io.err(humanLine(auditEvent(result.policyKill, Date.now(), { profile: profile.name, tier })) + '\n');
        return EXIT.policyKill;
      }
      if (result.code !== undefined) return result.code;
      return 128 + (result.signal ?? 9);
    } catch (e) {
      if (e instanceof LaunchError) {
        io.err(`syscage: ${e.message}\n`);
        return e.status;
      }
      throw e;
    } finally {
      // Also when the run failed: what was queued is written (or counted) before the end.
      await sink?.drain(SINK_DRAIN_MS);
      // A write still in flight (a --log FIFO nobody reads) keeps its descriptor: closed, the number could be reused under it.
      if (logFd !== undefined && !sink?.busy) closeSync(logFd);
    }
  }),
};
