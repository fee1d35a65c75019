// The tracer thread, from its start to its end: the one owner of the Worker.
//
// It starts early: the thread spawns and seizes stage-2 as soon as it boots, so
// the two Node start-ups (the Worker's and stage-2's) overlap whatever the main
// thread does meanwhile — loading the CLI, the profile. It listens to the
// thread for its whole life, so nothing the thread says or does is missed
// between the start and the launch: a failure while it waits (stage-2 died, an
// exception) fails the launch at once, and the thread's end is known whenever
// it happens. Deliberately light on imports: the CLI's entry loads it first.
import module from 'node:module';
import { Worker } from 'node:worker_threads';
import { reviveError, serialiseError, SyscageError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { compiledFile } from '../paths.js';
import type { FromTracer, RunOutcome, TracerBoot, TracerStart } from './messages.js';
import { NotifierThread } from './notify/thread.js';
import type { NotifyProbe } from './notify/backend.js';

export interface Ready {
  readonly pid: number;
  readonly mode: 'supervised' | 'bpf-only';
  readonly note?: string;
  /** Whether the notification backend is usable here (the tracer thread probed it: notify/probe.ts). */
  readonly notify?: NotifyProbe;
}

/** What the main thread hears of a launched run, as it happens. */
export interface RunListener {
  readonly onMessage: (m: Extract<FromTracer, { type: 'verdict' | 'observation' | 'started' }>) => void;
}

/** How long a tracer told to stop may take before its thread is terminated. */
const CANCEL_GRACE_MS = 2000;

export class PreparedTracer {
  /** Stage-2 is spawned (and seized, unless ptrace is refused). Rejects if the thread fails or ends first. */
  readonly ready: Promise<Ready>;
  /** The thread has ended, for whatever reason. Never rejects. */
  readonly ended: Promise<void>;
  private readonly worker: Worker;
  private state: 'prepared' | 'launched' | 'cancelled' = 'prepared';
  /** The first failure the thread reported (an error message, an exception, its end before the outcome). */
  private failure: Error | undefined;
  private hasEnded = false;
  private listener: ((m: FromTracer) => void) | undefined;
  private notifier: NotifierThread | undefined;
  private readonly fail: (e: Error) => void;
  /** Set once the run (or its cancellation) is posted: the thread sleeps on it until then (worker.ts, waitForStart). */
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    faultPoint('tracer.prepare');
    const cache = (module as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
    const boot: TracerBoot = { node: process.execPath, stage2: compiledFile('launch', 'stage2.js'), wake: this.wake.buffer as SharedArrayBuffer, ...(cache ? { compileCache: cache } : {}) };
    this.worker = new Worker(compiledFile('trace', 'worker.js'), { workerData: boot, stdout: false, stderr: false });
    let settle!: { resolve: (r: Ready) => void; reject: (e: Error) => void };
    this.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    // A prepared tracer that is never used must not keep the process alive or fail it.
    this.ready.catch(() => undefined);
    const fail = (this.fail = (e: Error) => {
      this.failure ??= e;
      settle.reject(this.failure);
      this.listener?.({ type: 'error', error: serialiseError(this.failure) });
    });
    this.worker.on('message', (m: FromTracer) => {
      if (m.type === 'ready') settle.resolve(m);
      else if (m.type === 'error') fail(reviveError(m.error, 'tracer failed: '));
      else this.listener?.(m);
    });
    // An exception the thread did not catch (it has ended, or is ending, with it).
    this.worker.on('error', (e) => fail(reviveError(serialiseError(e), 'tracer thread failed: ')));
    this.ended = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.hasEnded = true;
        fail(new SyscageError(`tracer thread ended unexpectedly (exit code ${code})`, 'E_TRACER_ENDED'));
        resolve();
      });
    });
  }

  /**
   * Launch the command (once): hand the run to the thread and resolve with its
   * outcome. Rejects with the thread's failure, whenever it comes — before the
   * launch too.
   */
  launch(start: TracerStart, on: RunListener, root?: number): Promise<RunOutcome> {
    if (this.state !== 'prepared') throw new Error('internal: a prepared tracer runs one command');
    this.state = 'launched';
    return new Promise<RunOutcome>((resolve, reject) => {
      // The notification backend's thread serves the notified calls beside this one (lib/trace/notify).
      const notifier = start.notify && root !== undefined ? this.prepareNotifier() : undefined;
      notifier?.begin(start, root!, (m) => on.onMessage(m));
      this.listener = (m) => {
        if (m.type === 'exit') {
          const { type: _exit, ...outcome } = m;
          this.listener = undefined;
          if (notifier) notifier.finish(outcome, root!).then(resolve, reject);
          else resolve(outcome);
        } else if (m.type === 'listener') {
          notifier?.give(m.fd);
        } else if (m.type === 'error') {
          this.listener = undefined;
          reject(this.failure ?? reviveError(m.error));
        } else if (m.type !== 'ready') {
          on.onMessage(m);
        }
      };
      if (this.failure) return reject(this.failure);
      this.post(start);
    });
  }

  /** Hand the thread the run (undefined: cancelled) and wake it. */
  private post(start: TracerStart | undefined): void {
    this.worker.postMessage(start);
    Atomics.store(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  /**
   * Start the notification backend's thread (once): it loads while the run is compiled and launched,
   * and is handed the run (launch) and then the listener (when the tracer has taken it).
   */
  prepareNotifier(): NotifierThread {
    this.notifier ??= new NotifierThread((e) => this.fail(e));
    return this.notifier;
  }

  /**
   * End the thread, however far it got; resolves once it has ended. Prepared:
   * it kills the stage-2 waiting for a command and returns (terminating the
   * thread at once would leave an unseized stage-2 — BPF-only mode — to find
   * its pipe closed only when this process exits). Launched: the thread is
   * terminated, and PTRACE_O_EXITKILL kills every tracee with it; a thread
   * blocked in waitpid ends only when a tracee stops or this process exits,
   * so this waits CANCEL_GRACE_MS at most.
   */
  async cancel(): Promise<void> {
    void this.notifier?.terminate();
    if (this.hasEnded) return;
    if (this.state === 'prepared') {
      this.state = 'cancelled';
      this.post(undefined);
    } else {
      void this.worker.terminate();
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        void this.worker.terminate();
        resolve();
      }, CANCEL_GRACE_MS);
      timer.unref();
    });
    await Promise.race([this.ended, late]);
    clearTimeout(timer);
  }
}
