// syscage run --profile P [--audit] [--log FILE] -- CMD ARGS...
import { closeSync, openSync } from 'node:fs';
import type { Argv } from 'yargs';
import { auditEvent, humanLine } from '../audit/index.js';
import { SECCOMP_RET_ALLOW } from '../bpf/index.js';
import { LaunchError, supervise } from '../trace/index.js';
import { loadForCommand, withTracer, type Command } from './common.js';
import { EXIT, UsageError } from './io.js';

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
        '126/127 when it cannot be executed / is not found; 2 for an invalid profile or command line; 71 when this system has no seccomp.'),
  run: (args, io, ctx) => withTracer(ctx, async (prepared) => {
    const command = (args['--'] ?? []).map(String);
    if (command.length === 0) throw new UsageError('give the command after --: syscage run --profile P -- CMD ARGS...');
    const noSeccomp = await seccompUnavailable();
    if (noSeccomp) {
      io.err(`syscage: seccomp filters are not available here (${noSeccomp}); refusing to run the command unprotected\n`);
      return EXIT.unavailable;
    }
    // The tracer thread and stage-2 are starting (since bin/syscage) while the profile loads.
    const profile = loadForCommand(args.profile, io);
    let logFd: number | undefined;
    try {
      logFd = args.log ? openSync(args.log, 'a') : undefined;
    } catch (e) {
      throw new UsageError(`cannot open the log ${args.log}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // The tracer thread writes each event itself, synchronously, before the call it reports is refused.
    const events = { fd: logFd ?? 2, human: logFd === undefined && !!io.errIsTty };
    try {
      const result = await supervise({
        profile,
        command,
        audit: args.audit,
        verbose: args.verbose,
        onStart: (s) => { if (s.note) io.err(`syscage: ${s.note}\n`); },
        events,
      }, prepared);
      // The command never started (stage-2 said why, in one line): nothing to sum up.
      if (!result.launched) return result.code ?? EXIT.notExecutable;
      const c = result.counts;
      io.err(`syscage: ${c.traps ?? 0} checked calls: ${c.denied ?? 0} denied, ${c.killed ?? 0} killed, ${c.logged ?? 0} logged, ${c.hidden ?? 0} hidden\n`);
      if (result.policyKill) {
        // One clear line, whatever the log format: what was refused, to whom, by which rule.
        io.err(humanLine(auditEvent(result.policyKill, Date.now(), profile.name)) + '\n');
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
      if (logFd !== undefined) closeSync(logFd);
    }
  }),
};

/** Why seccomp cannot be used here, or undefined when it can. */
async function seccompUnavailable(): Promise<string | undefined> {
  try {
    // Loaded here, not at the top: the rest of the CLI (doctor!) must start where koffi cannot load.
    const { seccompActionAvailable } = await import('../native/index.js');
    return seccompActionAvailable(SECCOMP_RET_ALLOW) ? undefined : 'the kernel does not know SECCOMP_RET_ALLOW';
  } catch (e) {
    return (e as Error).message;
  }
}
