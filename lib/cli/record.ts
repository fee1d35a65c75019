// syscage record [-o profile.yaml] [--extends BASE] [--base PROFILE] [--exact] [--force] -- CMD ARGS...
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { profilesDir } from '../paths.js';
import type { Argv } from 'yargs';
import { builtinProfiles, loadProfile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import type { Observation } from '../trace/observation.js';
import { RECORDING_PROFILE } from '../record/recording.js';
import { checkWritable, writeAtomically } from '../record/profile-file.js';
import { writeProfile } from '../record/profile-text.js';
import { localPortRange } from '../record/generalise.js';
import { LaunchError, supervise } from '../trace/supervisor.js';
import { fromCallerEnv, startEmulator } from '../runtime/emulator.js';
import { readEvents } from './invoke.js';
import { faultPoint } from '../fault.js';
import { loadForCommand, withTracer, type Command } from './common.js';
import { EXIT, UsageError } from './io.js';

interface Args {
  output: string;
  lambda: boolean;
  event?: string | string[];
  extends?: string;
  base?: string;
  exact: boolean;
  force: boolean;
  '--'?: (string | number)[];
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

export const record: Command<Args> = {
  command: 'record',
  describe: 'Run a command with everything allowed and write a profile of what it did',
  builder: (y: Argv) =>
    y.option('output', { alias: 'o', type: 'string', default: 'syscage.yaml', describe: 'the profile to write' })
      .option('extends', { type: 'string', describe: 'the written profile extends this profile (a built-in name or a path)' })
      .option('base', { type: 'string', describe: 'record only what this profile does not already allow; the output extends it' })
      .option('exact', { type: 'boolean', default: false, describe: 'record exactly the syscalls used, not their whole families (open → open, openat, openat2, creat)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite the output if it exists' })
      .option('lambda', { type: 'boolean', default: false, describe: 'CMD is a Lambda custom runtime: run it against a local Runtime API emulator and send it the --event files' })
      .option('event', { alias: 'e', type: 'string', describe: 'with --lambda: an event (a JSON file, or -); repeat for several; default one {}' })
      .parserConfiguration({ 'populate--': true })
      .example('$0 record -o syscage.yaml -- node index.mjs', '')
      .epilogue('Ctrl-C or SIGTERM stops the command; what was recorded is still written, marked incomplete, and the exit status is non-zero.'),
  run: (args, io, ctx) => withTracer(ctx, async (prepared) => {
    const command = (args['--'] ?? []).map(String);
    let base: Profile | undefined;
    if (command.length === 0) throw new UsageError('give the command after --: syscage record -o OUT.yaml -- CMD ARGS...');
    // Everything that can be wrong with the output is said before the command runs.
    const unwritable = checkWritable(args.output, args.force);
    if (unwritable) throw new UsageError(unwritable);
    if (args.base) base = loadForCommand(profilePath(args.base), io);
    if (args.extends && !knownProfile(args.extends)) throw new UsageError(`--extends ${args.extends}: no such profile (a built-in name: ${builtinProfiles().join(', ')}; or a path)`);
    const { profile } = loadProfile('recording.yaml', { readFile: () => RECORDING_PROFILE });

    // --lambda: the runtime talks to a local Runtime API, which the recorded profile need not name
    // (in Lambda the bootstrap's proxy is always reachable).
    const lambda = args.lambda ? await lambdaWorld(args.event) : undefined;
    let latest: Observation | undefined;
    let interrupted: string | undefined;
    const onSignal = (sig: NodeJS.Signals) => { interrupted ??= `interrupted by ${sig}`; };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
    const began = Date.now();
    const progress = io.errIsTty ? setInterval(() => {
      const seconds = ((Date.now() - began) / 1000).toFixed(0);
      const n = latest ? Object.values(latest.syscalls).reduce((a, b) => a + b, 0) : 0;
      io.err(`\rsyscage: recording ${seconds}s: ${n} calls, ${latest ? Object.keys(latest.syscalls).length : 0} syscalls, ${latest ? Object.keys(latest.files).length : 0} paths`);
    }, 500) : undefined;

    let result;
    try {
      result = await supervise({
        profile,
        command,
        record: true,
        onObservation: (o) => { latest = o; },
        ...(lambda ? { env: lambda.env, alwaysConnect: [lambda.address], onStart: (s: { pid: number }) => lambda.watch(s.pid) } : {}),
      }, prepared);
    } catch (e) {
      if (e instanceof LaunchError) {
        io.err(`syscage: ${e.message}\n`);
        return e.status;
      }
      // The tracer failed: write what it had sent, marked incomplete, and say so.
      if (!latest) throw e;
      interrupted = `syscage failed: ${(e as Error).message.split('\n')[0]}`;
    } finally {
      if (progress) {
        clearInterval(progress);
        io.err('\n');
      }
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
      // The emulator of --lambda is closed by finish() below, once what was answered is known;
      // when the command never ran or the recording failed, here.
      if (!result?.launched) await lambda?.close();
    }

    // The command never ran (stage-2 said why): there is nothing to write.
    if (result && !result.launched) return result.code ?? EXIT.notExecutable;
    const answered = lambda ? await lambda.finish() : undefined;
    const observation = result?.observation ?? latest;
    if (!observation) throw new Error('internal: the recording produced no observation');
    // The local Runtime API is not a destination of the function's own.
    if (lambda) delete observation.connect[lambda.address];
    if (answered && answered.some((r) => !r.ok)) io.err(`syscage: warning: ${answered.filter((r) => !r.ok).length} invocation(s) did not succeed while recording\n`);
    // With --lambda the runtime is stopped (SIGTERM) once every event is answered: that is the end, not a crash.
    const crashed = result?.signal !== undefined && !(lambda && answered && answered.length === lambda.events)
      ? `the command was killed by ${SIGNAL_NAMES[result.signal] ?? `signal ${result.signal}`}` : undefined;
    const incomplete = interrupted ?? crashed;
    const { yaml, warnings } = writeProfile(observation, {
      command,
      extendsName: args.base ?? args.extends,
      base,
      exact: args.exact,
      incomplete,
      output: args.output,
      generalise: { portRange: localPortRange() },
    });
    faultPoint('record.write');
    // A file that appeared while the command ran is not overwritten either.
    writeAtomically(args.output, yaml, { noClobber: !args.force });
    for (const w of warnings) io.err(`syscage: warning: ${w}\n`);
    const calls = Object.values(observation.syscalls).reduce((a, b) => a + b, 0);
    io.err(`syscage: wrote ${args.output}: ${calls} calls, ${Object.keys(observation.syscalls).length} syscalls, ` +
      `${Object.keys(observation.files).length} paths, ${Object.keys(observation.exec).length} programs, ` +
      `${Object.keys(observation.connect).length + Object.keys(observation.bind).length} addresses${incomplete ? ` — INCOMPLETE (${incomplete})` : ''}\n`);
    if (incomplete) return result?.code || (result?.signal !== undefined ? 128 + result.signal : EXIT.interrupted);
    if (lambda) return answered?.every((r) => r.ok) && answered.length === lambda.events ? EXIT.ok : 1;
    return result?.code ?? EXIT.ok;
  }),
};

/** A profile reference as `extends` takes it: a built-in name, or a path. */
function profilePath(ref: string): string {
  return ref.includes('/') || /\.ya?ml$/.test(ref) ? ref : join(profilesDir(), `${ref}.yaml`);
}

/** A built-in profile name, or a profile file that exists. */
function knownProfile(ref: string): boolean {
  return ref.includes('/') || /\.ya?ml$/.test(ref) ? existsSync(ref) : builtinProfiles().includes(ref);
}

/** The local Lambda world of `record --lambda`: an emulator with the events; the runtime is stopped when all are answered. */
async function lambdaWorld(eventFiles: string | string[] | undefined) {
  const events = readEvents([eventFiles ?? []].flat());
  const emulator = await startEmulator({ events: events.length ? events : [{}], ...fromCallerEnv() });
  let root: number | undefined;
  const done = emulator.results.then((r) => {
    if (root !== undefined) {
      try {
        process.kill(root, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return r;
  });
  return {
    address: emulator.address,
    env: emulator.env(),
    events: events.length || 1,
    watch: (pid: number) => { root = pid; },
    close: () => emulator.close(),
    finish: async () => {
      const r = await Promise.race([done, emulator.close().then(() => emulator.results)]);
      await emulator.close();
      return r;
    },
  };
}
