// The event sink (lib/audit/sink.ts) on an injected write: order, partial writes, a reader that
// goes away, a full queue, a drain that gives up, EAGAIN. Every line is written or counted.
import t from 'tap';
import { EventSink } from '../../lib/audit/sink.js';

type Cb = (err: NodeJS.ErrnoException | null, written: number) => void;
const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** A write that the test answers by hand: each call waits in `pending` until answered. */
function manual() {
  const pending: { buf: Buffer; cb: Cb }[] = [];
  const written: string[] = [];
  return {
    pending,
    written,
    write: (_fd: number, buf: Buffer, cb: Cb) => void pending.push({ buf, cb }),
    /** Answer the oldest write: all of it, `n` bytes of it, or an error. */
    answer(how: number | 'all' | NodeJS.ErrnoException = 'all') {
      const p = pending.shift()!;
      if (how instanceof Error) return p.cb(how, 0);
      const n = how === 'all' ? p.buf.length : how;
      written.push(p.buf.subarray(0, n).toString());
      p.cb(null, n);
    },
  };
}

t.test('lines are written in order, one write at a time, a partial write resumed where it stopped', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write });
  sink.write('one\n');
  sink.write('two\n');
  t.equal(w.pending.length, 1, 'one write in flight');
  w.answer(2);
  t.equal(w.pending[0]!.buf.toString(), 'e\n', 'the rest of a partial write comes next');
  w.answer();
  w.answer();
  t.same(w.written.join(''), 'one\ntwo\n');
  await sink.drain(1000);
  t.equal(sink.lost, 0);
  t.equal(sink.stopReason, undefined);
});

t.test('a reader that has gone: writing stops, and every line not written is counted', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write });
  sink.write('a\n');
  sink.write('b\n');
  sink.write('c\n');
  w.answer(err('EPIPE'));
  t.equal(sink.stopReason, 'EPIPE');
  t.equal(sink.lost, 3, 'the failed line and the two queued after it');
  sink.write('d\n');
  t.equal(sink.lost, 4, 'a line after the failure is counted too');
  t.equal(w.pending.length, 0, 'and never written');
  await sink.drain(1000);
});

t.test('a reader that does not read: the queue keeps its bound, and drain() gives up in time', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write, maxQueued: 3 });
  for (const l of ['1\n', '2\n', '3\n', '4\n', '5\n']) sink.write(l);
  t.equal(sink.lost, 2, 'past the bound, new lines are lost (counted)');
  const t0 = Date.now();
  await sink.drain(50);
  t.ok(Date.now() - t0 < 1000, 'drain() returned after its timeout');
  t.equal(sink.lost, 4, 'what was still queued is counted; the line in flight is not, yet');
  t.equal(sink.stopReason, 'timeout');
  t.ok(sink.busy, 'a write is still in flight: its descriptor must stay open');
  const t1 = Date.now();
  await sink.drain(5000);
  t.ok(Date.now() - t1 < 1000, 'a second drain() does not wait again: nothing more will be written');
  w.answer(); // the write in flight completes late, whole: written, not lost
  t.equal(sink.lost, 4, 'a line is written or counted, never both');
  t.notOk(sink.busy);
  t.equal(w.pending.length, 0, 'nothing more is written after drain() gave up');
});

t.test('a write in flight when drain() gives up, and then fails, is counted then', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write });
  sink.write('a\n');
  sink.write('b\n');
  await sink.drain(20);
  t.equal(sink.lost, 1, 'b');
  w.answer(err('EPIPE'));
  t.equal(sink.lost, 2, 'and a, once its write failed');
});

t.test('a line waiting to be written again after EAGAIN when drain() gives up is counted once', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write, retryMs: 30 });
  sink.write('x\n');
  w.answer(err('EAGAIN'));
  await sink.drain(5);
  t.equal(sink.lost, 0, 'not yet: it is still ours');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(sink.lost, 1, 'counted when its retry finds the sink given up');
  t.equal(w.pending.length, 0, 'and not written');
});

t.test('EAGAIN (a non-blocking descriptor that is full) is tried again', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write, retryMs: 1 });
  sink.write('x\n');
  w.answer(err('EAGAIN'));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(w.pending.length, 1, 'written again');
  w.answer();
  await sink.drain(1000);
  t.same(w.written, ['x\n']);
  t.equal(sink.lost, 0);
});

t.test('drain() with nothing queued resolves at once; with lines in flight, once they are written', async (t) => {
  const w = manual();
  const sink = new EventSink(9, { write: w.write });
  await sink.drain(1000);
  sink.write('late\n');
  let drained = false;
  const d = sink.drain(5000).then(() => { drained = true; });
  await new Promise((r) => setTimeout(r, 10));
  t.notOk(drained, 'not before the line is written');
  w.answer();
  await d;
  t.ok(drained);
  t.equal(sink.lost, 0);
});
