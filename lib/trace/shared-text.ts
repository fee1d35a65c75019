// A short string shared between threads without messages: the main thread
// sets the Lambda request id being served; the tracer thread — blocked in
// waitpid, deaf to messages — reads it when it writes an audit event, so each
// event names the invocation that caused it.
//
// A seqlock over a SharedArrayBuffer: the writer makes the sequence odd,
// writes, makes it even and wakes any reader; a reader retries while it
// changed, and while it is odd sleeps on it (Atomics.wait) rather than spin —
// for READ_WAIT_MS at most, after which it does without the text: a writer
// stopped half-way must not stall the thread that writes the events.
const SEQ = 0;
const LEN = 1;
const HEADER = 8; // two Int32 slots
/** How long a reader waits, in all, for a write in progress to end. */
export const READ_WAIT_MS = 100;

export class SharedText {
  readonly buffer: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER + 120)) {
    this.buffer = buffer;
    this.ints = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER);
  }

  set(text: string | undefined): void {
    const b = Buffer.from(text ?? '', 'utf8').subarray(0, this.bytes.length);
    Atomics.add(this.ints, SEQ, 1);
    this.bytes.set(b);
    Atomics.store(this.ints, LEN, text === undefined ? -1 : b.length);
    Atomics.add(this.ints, SEQ, 1);
    Atomics.notify(this.ints, SEQ);
  }

  /** The text; undefined when none is set, or when a write did not end within READ_WAIT_MS. */
  get(): string | undefined {
    for (let waited = 0; ; ) {
      const before = Atomics.load(this.ints, SEQ);
      if (before % 2 !== 0) {
        if (waited >= READ_WAIT_MS) return undefined;
        Atomics.wait(this.ints, SEQ, before, 1);
        waited += 1;
        continue;
      }
      const len = Atomics.load(this.ints, LEN);
      const text = len < 0 ? undefined : Buffer.from(this.bytes.slice(0, len)).toString('utf8');
      if (Atomics.load(this.ints, SEQ) === before) return text;
    }
  }
}
