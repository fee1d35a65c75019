// A custom runtime served locally as in Lambda: the Runtime API emulator
// upstream, `syscage bootstrap` (proxy + sandbox) in this process, until every
// event is answered or the bootstrap gives up. `syscage invoke`, the Lambda
// benchmark and the tests all go through here.
import { faultPoint } from '../fault.js';
import { supervise, type SuperviseOptions } from '../trace/supervisor.js';
import { bootstrap, defaultDeps, type BootstrapDeps } from './bootstrap.js';
import { startEmulator, type EmulatorOptions, type InvocationResult } from './emulator.js';

export interface ServeLocallyOptions {
  readonly emulator: EmulatorOptions;
  /** Added to the environment the emulator gives a function (SYSCAGE_PROFILE, SYSCAGE_COMMAND...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Replacements for the bootstrap's world (its logger, its sleep). */
  readonly deps?: Partial<Pick<BootstrapDeps, 'log' | 'sleep'>>;
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
  const serving = bootstrap({
    ...defaultDeps(env),
    ...o.deps,
    supervise: (s: SuperviseOptions) => supervise({
      ...s,
      ...(o.audit ? { audit: true } : {}),
      onStart: (started) => {
        root = started.pid;
        // A handler (re)started after the last event was answered has nothing to serve.
        if (stop.signal.aborted) stopHandler(started.pid);
      },
    }),
    stop: stop.signal,
  });
  try {
    // Every event answered, or the bootstrap gave up (then what was answered stands).
    const results = await Promise.race([emulator.results, serving.then(() => emulator.close()).then(() => emulator.results)]);
    stop.abort();
    stopHandler(root);
    const status = await serving;
    return { results, status };
  } finally {
    // Also when the bootstrap failed: the emulator's server must not keep the process alive.
    await emulator.close();
  }
}
