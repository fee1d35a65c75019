// What the tracer Worker and the main thread say to each other.
import type { Arch } from '../arch/index.js';
import type { SerialisedError } from '../errors.js';
import type { TrapEntry } from '../compile/plan.js';
import type { Profile, Tier } from '../profile/types.js';
import type { Observation } from './observation.js';
import type { Verdict } from './tracer.js';
import type { NotifyProbe } from './notify/backend.js';

/** workerData of the tracer Worker: enough to spawn and seize stage-2 at once. */
export interface TracerBoot {
  /** Node binary and stage-2 script that install the filter and exec the command. */
  readonly node: string;
  readonly stage2: string;
  /** Where this process keeps V8's code cache (Node 22+, bin/syscage): stage-2 uses it too. */
  readonly compileCache?: string;
  /** An Int32 cell the main thread sets to 1, and notifies, once it has posted the run (or its cancellation). */
  readonly wake: SharedArrayBuffer;
}

/** The run itself, posted once the profile is loaded. Structured-cloned: plain data and RegExps only. */
export interface TracerStart {
  readonly profile: Profile;
  readonly arch: Arch;
  /** The filter: compiled for a supervised run, or for BPF-only mode when stage-2 could not be seized. */
  readonly filter: Uint8Array;
  readonly traps: readonly TrapEntry[];
  readonly command: { readonly path: string; readonly argv: readonly string[]; readonly env: readonly string[] };
  /** Report would-be violations, enforce nothing. */
  readonly audit: boolean;
  /** Report hidden calls too (ENOENT for a path outside the profile's view). */
  readonly verbose?: boolean;
  /**
   * Where the tracer itself writes audit events, synchronously, before it
   * applies the decision they report (so a kill is on record before it
   * happens, and an event is never lost with the main thread's queue): a
   * regular file only. A pipe or a terminal could block this thread or fail
   * it; `run` writes those events through its sink (lib/audit/sink.ts).
   */
  readonly events?: { readonly fd: number; readonly human: boolean; readonly profile: string; readonly tier: Tier };
  /** Record instead of report: every trapped call adds to an Observation (lib/record). */
  readonly record?: boolean;
  /**
   * Destinations the command may always connect to, whatever the profile says:
   * "127.0.0.1:PORT" of the bootstrap's Runtime API proxy.
   */
  readonly alwaysConnect?: readonly string[];
  /**
   * syscage's resolver, when the profile names hosts (lib/dns/guard.ts): the resolv.conf stage-2
   * gives the command, and the log of the bindings it learns (a BindingLog's buffer).
   */
  readonly dns?: { readonly resolvConf: string; readonly server: string; readonly upstreams: readonly string[]; readonly log: SharedArrayBuffer };
  /** A SharedText (lib/trace/shared-text.ts) holding the request id being served, for events. */
  readonly requestId?: SharedArrayBuffer;
  /**
   * The notification backend (lib/trace/notify): `filter` returns SECCOMP_RET_USER_NOTIF for the
   * calls the supervisor performs itself; `ids` is the program that names their trap ids.
   * `launched` is an Int32Array's buffer: the tracer sets cell 0 to 1 once the command runs, and
   * adds 1 to cell 1 at every exec of the sandbox, before the new image runs (an exec may change who
   * the task is). `identityFixed`: the profile refuses every other way a task changes its ids,
   * groups, capabilities or mount namespace (lib/compile/fixed-identity.ts).
   */
  readonly notify?: { readonly ids: Uint8Array; readonly launched: SharedArrayBuffer; readonly identityFixed: boolean };
  /**
   * No task of the sandbox can change its root directory (fixed-identity.ts `rootFixed`, and the run
   * enforces: an audit or a recording lets refused calls run): a root read once stays true, and both
   * backends remember it. Otherwise it is read for every decision.
   */
  readonly rootFixed: boolean;
}

/** How a supervised run ended (what `supervise` resolves to). */
export interface RunOutcome {
  readonly code?: number;
  readonly signal?: number;
  /** Set when syscage killed the command for a violation. */
  readonly policyKill?: Verdict;
  readonly counts: Readonly<Record<string, number>>;
  /** What a recording saw. */
  readonly observation?: Observation;
  /** False when stage-2 ended before its exec succeeded: the command never ran (stage-2 said why, exit 126/127). */
  readonly launched: boolean;
}

export type FromTracer =
  /** Stage-2 is spawned (and seized, unless ptrace is refused): waiting for the start message. */
  | { readonly type: 'ready'; readonly pid: number; readonly mode: 'supervised' | 'bpf-only'; readonly note?: string; readonly notify?: NotifyProbe }
  /** The command is launched. */
  | { readonly type: 'started' }
  /** The notification backend's listener, taken from stage-2 at its exec: an fd of this process. */
  | { readonly type: 'listener'; readonly fd: number }
  | { readonly type: 'verdict'; readonly verdict: Verdict; readonly time: number; readonly requestId?: string }
  | ({ readonly type: 'exit' } & RunOutcome)
  /** While recording: what has been seen so far (sent now and then, so a crash loses little). */
  | { readonly type: 'observation'; readonly observation: Observation }
  /** The thread failed (it has killed every tracee, and ends): the error, its code and status kept. */
  | { readonly type: 'error'; readonly error: SerialisedError };
