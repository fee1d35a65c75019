// `syscage bootstrap`: what a Lambda layer's /opt/bootstrap runs. It binds a
// Runtime API proxy on 127.0.0.1, then runs the function's real handler
// sandboxed with AWS_LAMBDA_RUNTIME_API pointing at the proxy (reachable
// whatever the profile says), and keeps it serving:
//
//   policy kill during an invocation  → that invocation gets Runtime.SyscallViolation, handler restarted
//   policy kill during the first init → /runtime/init/error, exit
//   any other exit or crash           → the in-flight invocation gets an error, handler restarted;
//                                       repeated failures without a success back off, then exit
//   profile missing or invalid        → /runtime/init/error; the handler never starts unsandboxed
//   no tier the profile accepts       → /runtime/init/error (Runtime.InitError) naming the refusal
//
// Each invocation that broke the profile, and each restart, leaves one CloudWatch EMF record of
// violation metrics in the log (metrics.ts), written when the invocation ends.
//
// The tier is chosen once (lib/tier): kernel or bpf run the handler under the
// tracer (supervise), runtime under the process monitor (lib/monitor) and, for
// a Node.js or Python handler, its seatbelt (lib/seatbelt). Every
// audit event names the invocation being served (its request id) and the tier.
import { loadProfile } from '../profile/load.js';
import { ProfileError, formatDiagnostic } from '../profile/diagnostic.js';
import type { Profile } from '../profile/types.js';
import { auditEvent, humanLine, type Reported } from '../audit/event.js';
import { watchCommand, type WatchOptions, type WatchOutcome } from '../monitor/index.js';
import { SharedText } from '../trace/shared-text.js';
import { LaunchError, supervise, type PreparedTracer, type SuperviseOptions, type SuperviseResult } from '../trace/supervisor.js';
import { selectTier, TierError, type TierDecision } from '../tier/index.js';
import { chooseSeatbelt, type Seatbelted } from '../seatbelt/index.js';
import { EXIT } from '../errors.js';
import { faultPoint } from '../fault.js';
import { lambdaLogger, type Logger } from './log.js';
import { InvocationMetrics, metricDimensions } from './metrics.js';
import { createRuntimeProxy, type RuntimeProxy, type RuntimeProxyOptions } from './proxy.js';
import { namesSaid } from '../dns/said.js';

export interface BootstrapDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly createProxy: (o: RuntimeProxyOptions) => Promise<RuntimeProxy>;
  readonly supervise: (o: SuperviseOptions, prepared?: PreparedTracer) => Promise<SuperviseResult>;
  /** The runtime tier's run: the handler under the process monitor. */
  readonly watch: (o: WatchOptions) => Promise<WatchOutcome>;
  readonly selectTier: (profile: Profile) => Promise<TierDecision>;
  readonly log: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  /** Stop after the current handler run (tests and `syscage invoke`; Lambda just ends the sandbox). */
  readonly stop?: AbortSignal;
}

/** `prepared`: a tracer bin/syscage started at once, so that its start overlaps the bootstrap's own. */
export const defaultDeps = (env: NodeJS.ProcessEnv = process.env, prepared?: PreparedTracer): BootstrapDeps => ({
  env,
  createProxy: createRuntimeProxy,
  supervise,
  watch: watchCommand,
  selectTier: (profile) => selectTier(profile, prepared ? { prepared } : {}),
  log: lambdaLogger(env, (l) => process.stderr.write(l)),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  stop: shutdown(),
});

/**
 * Lambda's shutdown: SIGTERM (or SIGINT, at a terminal). The handler gets it too (the run
 * forwards it), and when it has ended the bootstrap exits instead of restarting it. A second
 * signal ends the bootstrap at once (the listener is gone).
 */
function shutdown(): AbortSignal {
  const c = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => c.abort());
  return c.signal;
}

/** What the bootstrap needs of a handler run, in either tier. */
type HandlerRun = Pick<SuperviseResult, 'code' | 'signal'> & { readonly policyKill?: Reported };

/** Failures in a row (no invocation answered between them) before the bootstrap gives up. */
export const MAX_CRASHES = 5;
const backoff = (n: number): number => Math.min(2000, 100 * 2 ** (n - 1));

/** The handler command: the profile's `command:`, else SYSCAGE_COMMAND (a JSON array, or words). */
export function handlerCommand(profile: Profile | undefined, env: NodeJS.ProcessEnv): string[] | undefined {
  if (profile?.command) return [...profile.command.value];
  const raw = env.SYSCAGE_COMMAND?.trim();
  if (!raw) return undefined;
  if (raw.startsWith('[')) {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  }
  return raw.split(/\s+/);
}

/** Runs until the bootstrap must exit; resolves to the exit status. */
export async function bootstrap(deps: BootstrapDeps = defaultDeps()): Promise<number> {
  const { env, log } = deps;
  const upstream = env.AWS_LAMBDA_RUNTIME_API;
  if (!upstream) {
    log.log('FATAL', 'AWS_LAMBDA_RUNTIME_API is not set: syscage bootstrap runs as a Lambda custom runtime');
    return 1;
  }
  const requestId = new SharedText();
  faultPoint('bootstrap.proxy');
  let served = 0; // invocations answered (by the handler or for it)
  /** The runtime tier's monitor, to be woken when an invocation starts (it polls slowly while idle). */
  let wakeMonitor: (() => void) | undefined;
  /** Per-invocation violation metrics, once the tier is known. */
  let metrics: InvocationMetrics | undefined;
  const proxy = await deps.createProxy({
    upstream,
    onInvocation: (ev) => {
      requestId.set(ev.requestId);
      metrics?.end(); // what happened between invocations
      wakeMonitor?.();
    },
    onResponseDone: (id) => {
      served++;
      requestId.set(undefined);
      metrics?.end(id);
    },
  });

  // Whatever way the bootstrap ends, the proxy is closed: nothing keeps the process alive.
  try {
    const fatalInit = async (errorType: string, errorMessage: string): Promise<number> => {
      log.log('FATAL', errorMessage, { errorType });
      await proxy.postInitError({ errorType, errorMessage }).catch((e: Error) => log.log('ERROR', `cannot report the init error: ${e.message}`));
      return 1;
    };

    const profilePath = env.SYSCAGE_PROFILE ?? `${env.LAMBDA_TASK_ROOT ?? '/var/task'}/syscage.yaml`;
    let profile: Profile;
    try {
      profile = loadProfile(profilePath).profile;
    } catch (e) {
      const why = e instanceof ProfileError ? e.diagnostics.map(formatDiagnostic).join('\n') : (e as Error).message;
      return await fatalInit('Runtime.InvalidProfile', `syscage: the profile ${profilePath} cannot be used, so the handler is not started: ${why}`);
    }
    let command: string[] | undefined;
    try {
      command = handlerCommand(profile, env);
    } catch (e) {
      return await fatalInit('Runtime.InvalidEntrypoint', `syscage: SYSCAGE_COMMAND is not a JSON array of strings: ${(e as Error).message}`);
    }
    if (!command?.length) {
      return await fatalInit('Runtime.InvalidEntrypoint', `syscage: no handler command: set command: in ${profilePath} or SYSCAGE_COMMAND`);
    }

    let decision: TierDecision;
    try {
      decision = await deps.selectTier(profile);
    } catch (e) {
      if (e instanceof TierError) return await fatalInit('Runtime.InitError', `syscage: ${e.message}`);
      throw e;
    }
    const { tier } = decision;
    // Its fields are not under "syscage": that key holds audit events.
    log.log(tier === 'kernel' ? 'INFO' : 'WARN', `syscage: tier ${tier}: ${decision.why}`, {
      tier, refusals: decision.refusals.map((r) => `${r.probe}: ${r.detail}`),
    });
    let prepared = decision.prepared;
    metrics = new InvocationMetrics(metricDimensions(env, tier, profile.name), (r, rid) => log.emit('WARN', 'syscage: metrics', { ...r }, rid));

    const handlerEnv = { ...env, AWS_LAMBDA_RUNTIME_API: proxy.address };
    // The seatbelt (a Node.js or Python handler's in-runtime guard): by default in the runtime tier only.
    let belt: Seatbelted | undefined;
    try {
      const choice = chooseSeatbelt(profile, tier, command, handlerEnv, [proxy.address]);
      belt = choice?.belt;
      if (choice) log.log(belt ? 'INFO' : 'WARN', `syscage: seatbelt: ${choice.said}`, { seatbelt: belt?.runtime ?? 'none' });
      for (const n of choice?.notes ?? []) log.log('WARN', `syscage: seatbelt: ${n}`);
      // In the kernel tier the supervisor says it once its resolver runs.
      const names = tier === 'kernel' ? undefined : namesSaid(profile, tier, belt?.runtime);
      if (names) log.log(tier === 'bpf' ? 'WARN' : 'INFO', `syscage: dns: ${names}`);
    } catch (e) {
      return await fatalInit('Runtime.InitError', `syscage: the handler's seatbelt cannot be set up, so the handler is not started: ${(e as Error).message.split('\n', 1)[0]}`);
    }
    const report = (v: Reported, time: number, rid?: string): void => {
      const e = auditEvent(v, time, { profile: profile.name, requestId: rid, tier });
      metrics?.event(e, rid);
      log.log(v.decision.action === 'allow' ? 'INFO' : 'WARN', humanLine(e), { syscage: e }, rid);
    };
    let crashes = 0;
    for (;;) {
      if (deps.stop?.aborted) {
        await prepared?.cancel();
        return 0;
      }
      const before = served;
      let result: HandlerRun;
      try {
        const run = { profile, command, env: handlerEnv, alwaysConnect: [proxy.address], requestId };
        if (tier === 'runtime') {
          result = await deps.watch({
            ...run,
            ...(belt ? { command: belt.command, env: belt.env, seatbelt: belt.runtime, own: belt.own } : {}),
            onReport: report,
            // Idle: the handler waits in /next (where Lambda freezes it), not merely between events.
            idle: () => proxy.awaitingNext(),
            onWake: (wake) => { wakeMonitor = wake; },
            onNote: (text) => log.log('WARN', `syscage: ${text}`),
          });
        } else {
          // The tracer the tier was chosen with serves the first run; later runs start their own.
          const first = prepared;
          prepared = undefined;
          result = await deps.supervise({ ...run, tier, onVerdict: report, onNote: (text) => log.log('WARN', `syscage: ${text}`) }, first);
        }
      } catch (e) {
        if (e instanceof LaunchError) return await fatalInit('Runtime.InvalidEntrypoint', `syscage: ${e.message}`);
        // syscage itself failed (the tracer, an exception): the handler is gone with its tracer. Say so
        // where Lambda shows it, and exit: Lambda starts a new environment, as after any runtime crash.
        const why = `syscage: internal error: ${(e as Error).message.split('\n', 1)[0]}`;
        const inFlight = proxy.inFlight();
        if (served === 0 && inFlight === undefined) return await fatalInit('Runtime.SyscageError', why);
        log.log('FATAL', why, { errorType: 'Runtime.SyscageError' });
        if (inFlight) {
          await proxy.postInvocationError(inFlight.requestId, { errorType: 'Runtime.SyscageError', errorMessage: why })
            .catch((err: Error) => log.log('ERROR', `cannot report the invocation error: ${err.message}`));
        }
        return EXIT.internal;
      }
      if (deps.stop?.aborted) return 0;
      const inFlight = proxy.inFlight();
      const initDone = served > 0 || inFlight !== undefined;
      const what = result.policyKill
        ? humanLine(auditEvent(result.policyKill, Date.now(), { profile: profile.name, requestId: inFlight?.requestId, tier })).replace(/^syscage: /, '')
        : result.code !== undefined ? `the handler exited with status ${result.code}` : `the handler was killed by signal ${result.signal}`;
      const errorType = result.policyKill ? 'Runtime.SyscallViolation' : 'Runtime.ExitError';

      if (!initDone) return await fatalInit(errorType, `syscage: during init, ${what}`);
      if (inFlight) {
        try {
          await proxy.postInvocationError(inFlight.requestId, { errorType, errorMessage: `syscage: ${what}` });
        } catch (e) {
          // A 500 from the Runtime API means the environment is broken: exit, as every runtime does.
          log.log('FATAL', `syscage: cannot report the invocation error: ${(e as Error).message}`);
          return 1;
        }
        requestId.set(undefined);
        served++;
      }
      log.log('WARN', `syscage: restarting the handler: ${what}`, {}, inFlight?.requestId);
      crashes = served > before + (inFlight ? 1 : 0) ? 1 : crashes + 1;
      if (crashes >= MAX_CRASHES) {
        log.log('FATAL', `syscage: the handler failed ${crashes} times in a row; giving up`);
        return 1;
      }
      metrics?.restart(inFlight?.requestId);
      metrics?.end(inFlight?.requestId);
      await deps.sleep(backoff(crashes));
    }
  } finally {
    metrics?.endAll();
    await proxy.close();
  }
}
