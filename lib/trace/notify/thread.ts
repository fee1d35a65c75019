// The notification supervisor's thread, from the main thread: started as soon as the backend is
// chosen (its start overlaps the compile and the launch), handed the run, then the listener when
// the tracer has taken it, stopped when the tracer has seen the command end, and its counts and
// kills merged into the run's outcome.
import { closeSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { reviveError, serialiseError } from '../../errors.js';
import { compiledFile } from '../../paths.js';
import type { RunOutcome, TracerStart } from '../messages.js';
import type { Verdict } from '../tracer.js';
import type { FromNotifier, ToNotifier } from './worker.js';

/** How long the thread may take to finish once told to stop. */
const STOP_GRACE_MS = 2000;

export class NotifierThread {
  private readonly worker: Worker;
  private readonly stopFd: Promise<number>;
  private readonly served: Promise<Extract<FromNotifier, { type: 'served' }>>;

  private onVerdict: ((m: Extract<FromNotifier, { type: 'verdict' }>) => void) | undefined;
  /** Has it the listener and not said it is done (then it may be in ppoll)? Has it ended? */
  private serving = false;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(onError: (e: Error) => void) {
    this.worker = new Worker(compiledFile('trace', 'notify', 'worker.js'), { stdout: false, stderr: false });
    let ready!: (fd: number) => void;
    let served!: (m: Extract<FromNotifier, { type: 'served' }>) => void;
    this.stopFd = new Promise((resolve) => { ready = resolve; });
    this.served = new Promise((resolve) => { served = resolve; });
    this.worker.on('message', (m: FromNotifier) => {
      if (m.type === 'ready') ready(m.stop);
      else if (m.type === 'verdict') this.onVerdict?.(m);
      else if (m.type === 'served') {
        this.serving = false;
        served(m);
      } else {
        this.serving = false;
        onError(reviveError(m.error, 'notification supervisor failed: '));
      }
    });
    this.worker.on('error', (e) => onError(reviveError(serialiseError(e), 'notification supervisor failed: ')));
    this.exit = new Promise((resolve) => this.worker.once('exit', () => {
      this.exited = true;
      resolve();
    }));
  }

  /** The run to serve: its profile and trap table (`start`), and stage-2's pid. */
  begin(start: TracerStart, root: number, onVerdict: (m: Extract<FromNotifier, { type: 'verdict' }>) => void): void {
    this.onVerdict = onVerdict;
    this.worker.postMessage({ type: 'run', start, root } satisfies ToNotifier);
  }

  /** The listener the tracer took from stage-2 (an fd of this process, now the thread's). */
  give(listener: number): void {
    this.serving = true;
    this.worker.postMessage({ type: 'listener', listener } satisfies ToNotifier);
  }

  /** The sandbox is gone: stop the thread and merge what it decided into the tracer's outcome. */
  async finish(outcome: RunOutcome, root: number): Promise<RunOutcome> {
    const stop = await this.stopFd;
    try {
      writeSync(stop, '.');
    } catch {
      // EPIPE: it has stopped by itself (the listener hung up once every task was gone).
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), STOP_GRACE_MS); });
    const served = await Promise.race([this.served, late]);
    clearTimeout(timer);
    // Bounded: a thread stuck in the kernel cannot be terminated, and the run must still end.
    await Promise.race([this.terminate(), new Promise((r) => setTimeout(r, 2 * STOP_GRACE_MS).unref())]);
    if (!served) return outcome;
    const counts: Record<string, number> = { ...outcome.counts };
    for (const [k, v] of Object.entries(served.counts)) counts[k] = (counts[k] ?? 0) + v;
    const kills = new Map<number, Verdict>(served.kills);
    const policyKill = outcome.policyKill ?? (outcome.signal === 9 ? kills.get(root) : undefined);
    return { ...outcome, counts, ...(policyKill ? { policyKill } : {}) };
  }

  /**
   * End the thread. Once it has the listener it may sit in ppoll, where terminate() cannot reach it
   * (V8 cannot stop native code, and the thread blocks every signal): wake it through its stop pipe
   * and let it end by itself first (bounded), then terminate. Before that it only waits for messages.
   */
  async terminate(): Promise<void> {
    if (this.serving && !this.exited) {
      const stop = await Promise.race([this.stopFd, Promise.resolve(-1)]);
      if (stop >= 0) {
        try {
          writeSync(stop, '.');
        } catch { /* EPIPE: it has stopped */ }
      }
      await Promise.race([this.exit, new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
    }
    await this.worker.terminate();
    const stop = await Promise.race([this.stopFd, Promise.resolve(-1)]);
    if (stop >= 0) {
      try {
        closeSync(stop);
      } catch { /* closed already */ }
    }
  }
}
