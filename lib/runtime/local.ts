// A custom runtime served locally as in Lambda: the Runtime API emulator
// upstream, `syscage bootstrap` (proxy + sandbox) in this process, until every
// event is answered or the bootstrap gives up. `syscage invoke`, the Lambda
// benchmark and the tests all go through here.
import { faultPoint } from '../fault.js';
import { watchCommand, type WatchOptions } from '../monitor/index.js';
import { supervise, type PreparedTracer, type SuperviseOptions } from '../trace/supervisor.js';
import { bootstrap, defaultDeps, type BootstrapDeps } from './bootstrap.js';
import { startEmulator, type EmulatorOptions, type InvocationResult } from './emulator.js';

export interface ServeLocallyOptions {
  readonly emulator: EmulatorOptions;
  /** Added to the environment the emulator gives a function (SYSCAGE_PROFILE, SYSCAGE_COMMAND...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Replacements for the bootstrap's world (its logger, its sleep). */
  readonly deps?: Partial<Pick<BootstrapDeps, 'log' | 'sleep' | 'selectTier'>>;
  readonly audit?: boolean;
}

export async function serveLocally(o: ServeLocallyOptions): Promise<{ results: InvocationResult[]; status: number }> {
  faultPoint('invoke.emulator');
  const emulator = await startEmulator(o.emulator);
  const env = { ...emulator.env(), ...o.env };
  const stop = new AbortController();
  let root: number | undefined;
  const stopHandler = (pid: number | undefined) => {
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const started = (pid: number): void => {
    root = pid;
    // A handler (re)started after the last event was answered has nothing to serve.
    if (stop.signal.aborted) stopHandler(pid);
  };
  const serving = bootstrap({
    ...defaultDeps(env),
    ...o.deps,
    supervise: (s: SuperviseOptions, prepared?: PreparedTracer) => supervise({
      ...s,
      ...(o.audit ? { audit: true } : {}),
      onStart: (info) => started(info.pid),
    }, prepared),
    watch: (w: WatchOptions) => watchCommand({ ...w, ...(o.audit ? { audit: true } : {}), onStart: started }),
    stop: stop.signal,
  });
  try {
    // Every event answered, or the bootstrap gave up (then what was answered stands).
    const results = await emulator.resultsBy(serving);
    stop.abort();
    stopHandler(root);
    const status = await serving;
    return { results, status };
  } finally {
    // Also when the bootstrap failed: the emulator's server must not keep the process alive.
    await emulator.close();
  }
}
