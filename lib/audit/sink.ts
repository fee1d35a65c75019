// Where audit events go when writing them may block or fail: a pipe, a terminal, a socket. A
// slow reader blocks its writer, and a reader that has gone (`syscage run … 2>&1 | head`) makes
// every write fail with EPIPE. Neither may stall the sandbox or end it: the decision path never
// writes these lines. The sink queues each one and writes it from the event loop (fs.write runs in
// libuv's thread pool), one write at a time. A line that cannot be written — the reader is gone,
// or the queue outgrew its bound while the reader was slow — is lost, and counted: the run's
// summary says how many, never nothing.
//
// A regular file is not written through here: the tracer thread writes it itself, before the
// decision is applied (lib/trace/loop.ts). A disk does not block for long, and what is on it
// survives syscage's own end.
import { write as fsWrite } from 'node:fs';

type Write = (fd: number, buf: Buffer, cb: (err: NodeJS.ErrnoException | null, written: number) => void) => void;

export interface SinkOptions {
  /** The most lines held while the reader is slow (default 10 000); past it, new lines are lost. */
  readonly maxQueued?: number;
  /** fs.write, injected by the tests. */
  readonly write?: Write;
  /** How long to wait before writing again after EAGAIN (a non-blocking descriptor that is full); default 10 ms. */
  readonly retryMs?: number;
}

export class EventSink {
  private readonly queue: Buffer[] = [];
  private readonly max: number;
  private readonly writeFn: Write;
  private readonly retryMs: number;
  /** A write is in flight: the first queued buffer is being written. */
  private writing = false;
  private lostLines = 0;
  private failure: string | undefined;
  private idle: (() => void)[] = [];

  constructor(private readonly fd: number, o: SinkOptions = {}) {
    this.max = o.maxQueued ?? 10_000;
    this.writeFn = o.write ?? ((fd, buf, cb) => fsWrite(fd, buf, 0, buf.length, null, cb));
    this.retryMs = o.retryMs ?? 10;
  }

  /** Queue a line (with its newline). Never throws, never blocks. */
  write(line: string): void {
    if (this.failure !== undefined || this.queue.length >= this.max) {
      this.lostLines++;
      return;
    }
    this.queue.push(Buffer.from(line));
    this.pump();
  }

  /** Lines that were not written: the reader went away, the queue was full, or drain() gave up on them. */
  get lost(): number {
    return this.lostLines;
  }

  /** Why writing stopped (the error's code, or 'timeout'), if it did. */
  get stopReason(): string | undefined {
    return this.failure;
  }

  /** A write is still in flight (its descriptor must stay open until it ends). */
  get busy(): boolean {
    return this.writing;
  }

  /**
   * Resolves once every queued line is written or lost; after `timeoutMs` the lines still queued are
   * counted as lost (a reader that never reads does not hold the run's end).
   */
  drain(timeoutMs: number): Promise<void> {
    // Given up (the reader is gone, or an earlier drain() timed out): nothing more will be written.
    if (this.failure !== undefined || (!this.writing && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = this.idle.filter((f) => f !== done);
        this.giveUp('timeout');
        resolve();
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.idle.push(done);
    });
  }

  /** Stop writing: what is queued is lost, except a write in flight, which is counted when it ends (written or not). */
  private giveUp(why: string): void {
    this.failure ??= why;
    const inFlight = this.writing ? 1 : 0;
    this.lostLines += this.queue.length - inFlight;
    this.queue.splice(inFlight);
  }

  private settle(): void {
    if (this.writing || this.queue.length > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const f of waiting) f();
  }

  private pump(): void {
    if (this.writing || this.failure !== undefined) return;
    const buf = this.queue[0];
    if (!buf) return this.settle();
    this.writing = true;
    this.writeFn(this.fd, buf, (err, written) => {
      this.writing = false;
      if (this.failure !== undefined) {
        // drain() gave up meanwhile: this line, the one in flight, is lost unless it was written whole.
        if (err || written < buf.length) this.lostLines++;
        this.queue.length = 0;
        return this.settle();
      }
      if (err?.code === 'EAGAIN') {
        this.writing = true; // the line is still ours until it is written again
        setTimeout(() => {
          this.writing = false;
          if (this.failure === undefined) return this.pump();
          this.lostLines++; // drain() gave up during the wait
          this.queue.length = 0;
          this.settle();
        }, this.retryMs).unref();
        return;
      }
      if (err) {
        this.failure = err.code ?? err.message;
        this.lostLines += this.queue.length;
        this.queue.length = 0;
        return this.settle();
      }
      if (written < buf.length) this.queue[0] = buf.subarray(written);
      else this.queue.shift();
      this.pump();
    });
  }
}
