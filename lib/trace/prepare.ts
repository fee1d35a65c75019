// Starting the tracer thread early. It spawns and seizes stage-2 as soon as it
// boots, so the two Node start-ups (the Worker's and stage-2's) overlap
// whatever the main thread does meanwhile — loading the CLI, the profile.
// Deliberately light on imports: bin/syscage loads it before anything else.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../paths.js';
import type { FromTracer, TracerBoot } from './messages.js';

export function compiledFile(...parts: string[]): string {
  // Workers and stage-2 run compiled JavaScript, from dist/ when running from a checkout.
  const root = packageRoot();
  for (const base of [join(root, 'dist', 'lib'), join(root, 'lib')]) {
    const p = join(base, ...parts);
    if (existsSync(p)) return p;
  }
  throw new Error(`internal: ${parts.join('/')} is not built (run npm run build)`);
}

/**
 * A tracer thread with stage-2 already spawned and waiting. Starting it before
 * the profile is loaded lets the two Node start-ups (the Worker's and
 * stage-2's) overlap the main thread's work; `syscage run` does so.
 */
export class PreparedTracer {
  readonly worker: Worker;
  readonly ready: Promise<{ pid: number; mode: 'supervised' | 'bpf-only'; note?: string }>;
  private used = false;

  constructor() {
    const boot: TracerBoot = { node: process.execPath, stage2: compiledFile('launch', 'stage2.js') };
    this.worker = new Worker(compiledFile('trace', 'worker.js'), { workerData: boot, stdout: false, stderr: false });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: FromTracer) => {
        if (m.type === 'ready') {
          this.worker.off('message', onMessage);
          resolve(m);
        } else if (m.type === 'error') {
          reject(new Error(`tracer failed: ${m.message}`));
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
    // A prepared tracer that is never used must not keep the process alive or fail it.
    this.ready.catch(() => undefined);
  }

  /**
   * Give up: the tracer thread kills the stage-2 waiting for a command and
   * ends. (Terminating the thread at once would leave an unseized stage-2 —
   * BPF-only mode — to find its pipe closed when this process exits.)
   */
  async cancel(): Promise<void> {
    if (this.used) return;
    this.used = true;
    const ended = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage(undefined);
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await ended;
    clearTimeout(timer);
  }

  /** Hand over (once). */
  take(): Worker {
    if (this.used) throw new Error('internal: a prepared tracer runs one command');
    this.used = true;
    return this.worker;
  }
}

