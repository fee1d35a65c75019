// A recording (syscage record): run a command with everything allowed under the recording
// profile, then write the profile of what it did. Ctrl-C or SIGTERM stops the command; what was
// recorded is still written, marked incomplete. The CLI (lib/cli/record.ts) only parses flags.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UsageError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { profilesDir } from '../paths.js';
import { formatDiagnostic } from '../profile/diagnostic.js';
import { builtinProfiles, loadProfile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { fromCallerEnv, startEmulator } from '../runtime/emulator.js';
import { readEvents } from '../runtime/events.js';
import type { Observation } from '../trace/observation.js';
import type { PreparedTracer } from '../trace/prepare.js';
import { LaunchError, supervise } from '../trace/supervisor.js';
import { localPortRange } from './ports.js';
import { checkWritable, writeAtomically } from './profile-file.js';
import { writeProfile } from './profile-text.js';
import { RECORDING_PROFILE } from './recording.js';
import { signalName } from '../arch/signal.js';

export interface RecordOptions {
  /** Program and arguments. */
  readonly command: readonly string[];
  /** The profile to write. */
  readonly output: string;
  readonly force: boolean;
  /** Record only what this profile (a built-in name or a path) does not allow; the output extends it. */
  readonly base?: string;
  /** The written profile extends this profile (a built-in name or a path). */
  readonly extends?: string;
  /** Exactly the syscalls used, not their families. */
  readonly exact: boolean;
  /** The command is a Lambda custom runtime: run it against a local Runtime API emulator with these events (JSON files, - for stdin). */
  readonly lambda: boolean;
  readonly events?: string | string[];
  /** The tracer thread to record with (started early by bin/syscage). */
  readonly tracer: PreparedTracer;
  /** One line for the user (without its newline). */
  readonly say: (line: string) => void;
  /** What the recording has seen so far, now and then (a terminal's status line); undefined: it is over. */
  readonly progress?: (text: string | undefined) => void;
}



/** Record; resolves to the exit status (the command's own, non-zero when the recording is incomplete). */
export async function record(o: RecordOptions): Promise<number> {
  const prepared = o.tracer;
  const { command } = o;
  let base: Profile | undefined;
  if (command.length === 0) throw new UsageError('give the command after --: syscage record -o OUT.yaml -- CMD ARGS...');
  // Everything that can be wrong with the output is said before the command runs.
  const unwritable = checkWritable(o.output, o.force);
  if (unwritable) throw new UsageError(unwritable);
  if (o.base) {
    const loaded = loadProfile(profilePath(o.base));
    for (const w of loaded.warnings) o.say(formatDiagnostic(w));
    base = loaded.profile;
  }
  if (o.extends && !knownProfile(o.extends)) throw new UsageError(`--extends ${o.extends}: no such profile (a built-in name: ${builtinProfiles().join(', ')}; or a path)`);
  const { profile } = loadProfile('recording.yaml', { readFile: () => RECORDING_PROFILE });

  // --lambda: the runtime talks to a local Runtime API, which the recorded profile need not name
  // (in Lambda the bootstrap's proxy is always reachable).
  const lambda = o.lambda ? await lambdaWorld(o.events) : undefined;
  let latest: Observation | undefined;
  let interrupted: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => { interrupted ??= `interrupted by ${sig}`; };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  const began = Date.now();
  const progress = o.progress ? setInterval(() => {
    const seconds = ((Date.now() - began) / 1000).toFixed(0);
    const n = latest ? Object.values(latest.syscalls).reduce((a, b) => a + b, 0) : 0;
    o.progress!(`syscage: recording ${seconds}s: ${n} calls, ${latest ? Object.keys(latest.syscalls).length : 0} syscalls, ${latest ? Object.keys(latest.files).length : 0} paths`);
  }, 500) : undefined;

  let result;
  try {
    result = await supervise({
      profile,
      command,
      record: true,
      onObservation: (seen) => { latest = seen; },
      onNote: (text) => o.say(`syscage: ${text}`),
      ...(lambda ? { env: lambda.env, alwaysConnect: [lambda.address], onStart: (s: { pid: number }) => lambda.watch(s.pid) } : {}),
    }, prepared);
  } catch (e) {
    if (e instanceof LaunchError) {
      o.say(`syscage: ${e.message}`);
      return e.status;
    }
    // The tracer failed: write what it had sent, marked incomplete, and say so.
    if (!latest) throw e;
    interrupted = `syscage failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    if (progress) {
      clearInterval(progress);
      o.progress!(undefined);
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
  if (answered && answered.some((r) => !r.ok)) o.say(`syscage: warning: ${answered.filter((r) => !r.ok).length} invocation(s) did not succeed while recording`);
  // With --lambda the runtime is stopped (SIGTERM) once every event is answered: that is the end, not a crash.
  const crashed = result?.signal !== undefined && !(lambda && answered && answered.length === lambda.events)
    ? `the command was killed by ${signalName(result.signal) ?? `signal ${result.signal}`}` : undefined;
  const incomplete = interrupted ?? crashed;
  const { yaml, warnings } = writeProfile(observation, {
    command,
    extendsName: o.base ?? o.extends,
    base,
    exact: o.exact,
    incomplete,
    output: o.output,
    generalise: { portRange: localPortRange() },
  });
  faultPoint('record.write');
  // A file that appeared while the command ran is not overwritten either.
  writeAtomically(o.output, yaml, { noClobber: !o.force });
  for (const w of warnings) o.say(`syscage: warning: ${w}`);
  const calls = Object.values(observation.syscalls).reduce((a, b) => a + b, 0);
  o.say(`syscage: wrote ${o.output}: ${calls} calls, ${Object.keys(observation.syscalls).length} syscalls, ` +
    `${Object.keys(observation.files).length} paths, ${Object.keys(observation.exec).length} programs, ` +
    `${Object.keys(observation.connect).length + Object.keys(observation.bind).length} addresses${incomplete ? ` — INCOMPLETE (${incomplete})` : ''}`);
  if (incomplete) return result?.code || (result?.signal !== undefined ? 128 + result.signal : EXIT.interrupted);
  if (lambda) return answered?.every((r) => r.ok) && answered.length === lambda.events ? EXIT.ok : 1;
  return result?.code ?? EXIT.ok;
}

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
