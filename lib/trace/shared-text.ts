// A short string shared between threads without messages: the main thread
// sets the Lambda request id being served; the tracer thread — blocked in
// waitpid, deaf to messages — reads it when it writes an audit event, so each
// event names the invocation that caused it.
//
// A seqlock over a SharedArrayBuffer: the writer makes the sequence odd,
// writes, makes it even; a reader retries while it is odd or changed.
const SEQ = 0;
const LEN = 1;
const HEADER = 8; // two Int32 slots

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
  }

  get(): string | undefined {
    for (;;) {
      const before = Atomics.load(this.ints, SEQ);
      if (before % 2 === 1) continue;
      const len = Atomics.load(this.ints, LEN);
      const text = len < 0 ? undefined : Buffer.from(this.bytes.slice(0, len)).toString('utf8');
      if (Atomics.load(this.ints, SEQ) === before) return text;
    }
  }
}
