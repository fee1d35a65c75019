// Running a command under a profile, from the main thread: resolve the
// command, compile the filters, start the tracer Worker, forward signals, and
// hand every verdict to the caller as it happens. The main thread never
// blocks: the Lambda bootstrap serves HTTP on it.
import { hostArch } from '../arch/index.js';
import { compileProfile, identityFixed, rootFixed } from '../compile/index.js';
import { resolveCommand } from '../launch/resolve.js';
import { hostRules, startNameGuard, type NameGuard } from '../dns/guard.js';
import { namesSaid } from '../dns/said.js';
import type { Observation } from './observation.js';
import type { Profile } from '../profile/types.js';
import { EXIT, SyscageError } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { RunOutcome, TracerStart } from './messages.js';
import { PreparedTracer } from './prepare.js';
import { chooseBackend } from './notify/backend.js';
import type { SharedText } from './shared-text.js';

export { PreparedTracer };
import type { Verdict } from './tracer.js';

export interface SuperviseOptions {
  readonly profile: Profile;
  /** Program and arguments. */
  readonly command: readonly string[];
  /** The command's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Report, never block (also when the profile says mode: audit). */
  readonly audit?: boolean;
  /** Report hidden calls too (ENOENT for a path outside the profile's view: normally only counted). */
  readonly verbose?: boolean;
  /** Called for every reported call (after the tracer wrote it to `events`, if given). */
  readonly onVerdict?: (v: Verdict, time: number, requestId?: string) => void;
  /** Destinations always reachable, whatever the profile says ("127.0.0.1:PORT": the Runtime API proxy). */
  readonly alwaysConnect?: readonly string[];
  /** The Lambda request id being served (set by the bootstrap): every event names it. */
  readonly requestId?: SharedText;
  /** Have the tracer thread write audit events to this fd itself, before each decision is applied: a regular file (a pipe could block or fail the thread). */
  readonly events?: { readonly fd: number; readonly human: boolean };
  /** Something the user should know about this run (one line, without the "syscage: " prefix). */
  readonly onNote?: (text: string) => void;
  /** Stage-2 is running (and seized); the command is about to be launched. */
  readonly onStart?: (info: { pid: number; mode: 'supervised' | 'bpf-only'; note?: string }) => void;
  /** Record what the command does instead of reporting (the profile should allow everything: lib/record). */
  readonly record?: boolean;
  /** While recording: the observation so far, now and then. */
  readonly onObservation?: (o: Observation) => void;
  /** Signals to pass on to the command (default SIGINT, SIGTERM, SIGHUP). */
  readonly forward?: readonly NodeJS.Signals[];
  /**
   * The tier chosen for this command (the bootstrap chooses once, then restarts the handler): a
   * tracer that now starts otherwise (kernel chosen, ptrace refused now) refuses the run, never
   * downgrades it.
   */
  readonly tier?: 'kernel' | 'bpf';
}

export type SuperviseResult = RunOutcome;

/** The command could not be started: shell-like status (126 not executable, 127 not found). */
export class LaunchError extends SyscageError {
  override name = 'LaunchError';
  constructor(message: string, status: number) {
    super(message, 'E_LAUNCH', status);
  }
}


/** What a run needs before its tracer: the command found. Throws LaunchError. */
function prepareRun(o: SuperviseOptions) {
  const [cmd, ...rest] = o.command;
  if (cmd === undefined) throw new LaunchError('no command given', 127);
  const env = o.env ?? process.env;
  const resolved = resolveCommand(cmd, env);
  if ('status' in resolved) throw new LaunchError(resolved.message, resolved.status);
  return { cmd, rest, env, path: resolved.path };
}

/** `prepared`, when given, is supervise's from then on: ended with the run, or at once when the run cannot start. */
export async function supervise(o: SuperviseOptions, prepared?: PreparedTracer): Promise<SuperviseResult> {
  let run: ReturnType<typeof prepareRun>;
  try {
    run = prepareRun(o);
  } catch (e) {
    await prepared?.cancel();
    throw e;
  }
  const { cmd, rest, env } = run;
  const arch = hostArch();
  const audit = o.audit || o.profile.mode.value === 'audit';

  // However this ends — the outcome, a failure on either thread, an exception here — the tracer
  // thread ends with it, and its tracees with it (PTRACE_O_EXITKILL).
  const tracer = prepared ?? new PreparedTracer();
  const signals = o.forward ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let forward: ((sig: NodeJS.Signals) => void) | undefined;
  let guard: NameGuard | undefined;
  try {
    const ready = await tracer.ready;
    const now = ready.mode === 'supervised' ? 'kernel' : 'bpf';
    if (o.tier !== undefined && o.tier !== now) {
      throw new LaunchError(`the ${o.tier} tier was chosen for this command, and the tracer now starts in the ${now} tier (${ready.note ?? 'the platform changed'}): refusing to run it in a weaker one`, EXIT.unavailable);
    }
    if (ready.mode === 'bpf-only' && o.profile.exec) {
      // Without a tracer nothing can tell the launch's own execve from a later one:
      // the exec rules would refuse the command itself.
      throw new LaunchError('ptrace is not permitted here, and without it a profile with an exec section cannot start the command (its own exec would be refused); remove the exec section or allow ptrace (see syscage doctor)', EXIT.unavailable);
    }
    // The notification backend where the tracer thread found it usable and the run enforces (docs/engine.md,
    // "Two backends"); ptrace otherwise. Its thread starts now, so that its start overlaps the compile and the launch.
    const backend = ready.mode === 'supervised'
      ? chooseBackend(!audit && !o.record, process.env, ready.notify ?? { usable: false, why: 'the tracer thread did not probe' }).backend
      : 'ptrace';
    if (backend === 'notify') tracer.prepareNotifier();
    faultPoint('supervise.compile');
    const filter = compileProfile(o.profile, arch, ready.mode === 'supervised' ? { supervised: true, traceExec: true, notify: backend === 'notify' } : { supervised: false });
    // Host rules need syscage's resolver in the path, and a tracer to check connects against its answers.
    // A recording puts it there too, answering every name: what the command connects to is then
    // written by name.
    if (ready.mode === 'supervised' && (hostRules(o.profile).length || o.record)) {
      try {
        guard = await startNameGuard(o.profile, { allowAll: o.record });
        const said = namesSaid(o.profile, 'kernel');
        if (said) o.onNote?.(`dns: ${said}`);
      } catch (e) {
        // Closed, not open: without the resolver no answer binds a name, so host rules allow nothing.
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        const what = o.record ? 'destinations are recorded as addresses, not names' : "host rules allow nothing, and lookups go where the system's resolv.conf says, if an address rule lets them";
        o.onNote?.(`dns: syscage's resolver cannot start here (${why}: it listens on port 53 of a loopback address, which needs root): ${what}`);
      }
    }
    const start: TracerStart = {
      profile: o.profile,
      arch,
      filter: filter.bytes,
      traps: filter.traps,
      command: {
        path: run.path,
        argv: [cmd, ...rest],
        env: Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
      },
      audit,
      verbose: o.verbose,
      events: o.events && { ...o.events, profile: o.profile.name, tier: ready.mode === 'supervised' ? 'kernel' : 'bpf' },
      record: o.record,
      requestId: o.requestId?.buffer,
      alwaysConnect: o.alwaysConnect,
      ...(filter.ids ? { notify: { ids: filter.ids, launched: new SharedArrayBuffer(8), identityFixed: identityFixed(filter.plan) } } : {}),
      rootFixed: !audit && !o.record && rootFixed(filter.plan),
      ...(guard ? { dns: { resolvConf: guard.resolvConf, server: guard.server, upstreams: guard.upstreams, log: guard.log } } : {}),
    };

    const root = ready.pid;
    o.onStart?.(ready);
    forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(root, sig);
      } catch {
        // already gone
      }
    };
    for (const s of signals) process.on(s, forward);
    const outcome = await tracer.launch(start, {
      onMessage: (m) => {
        if (m.type === 'verdict') {
          faultPoint('supervise.verdict');
          o.onVerdict?.(m.verdict, m.time, m.requestId);
        } else if (m.type === 'observation') {
          o.onObservation?.(m.observation);
        }
      },
    }, root);
    faultPoint('supervise.outcome');
    return outcome;
  } finally {
    if (forward) for (const s of signals) process.off(s, forward);
    await tracer.cancel();
    await guard?.close();
  }
}
