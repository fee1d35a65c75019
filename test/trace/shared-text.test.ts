import t from 'tap';
import { Worker } from 'node:worker_threads';
import { SharedText } from '../../lib/trace/shared-text.js';

t.test('set and get, unset, truncation to the buffer', async (t) => {
  const s = new SharedText();
  t.equal(s.get(), '', 'starts empty');
  s.set('8f0e2c1a-0000-4000-8000-000000000001');
  t.equal(s.get(), '8f0e2c1a-0000-4000-8000-000000000001');
  s.set(undefined);
  t.equal(s.get(), undefined);
  s.set('x'.repeat(500));
  t.equal(s.get()?.length, 120, 'cut to the buffer');
});

t.test('another thread sees what this one sets', async (t) => {
  const s = new SharedText();
  s.set('req-1');
  const w = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    const ints = new Int32Array(workerData, 0, 2);
    const bytes = new Uint8Array(workerData, 8);
    parentPort.postMessage(Buffer.from(bytes.slice(0, Atomics.load(ints, 1))).toString());
  `, { eval: true, workerData: s.buffer });
  const got = await new Promise((resolve) => w.once('message', resolve));
  t.equal(got, 'req-1');
  await w.terminate();
});

t.test('a reader sleeps while a write is in progress, and is woken when it ends', async (t) => {
  const s = new SharedText();
  s.set('req-1');
  // The writer, in another thread: makes the sequence odd (a write begun), says so, and ends the
  // write 20 ms later as set() does — while this thread is inside get().
  const w = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    const ints = new Int32Array(workerData, 0, 2);
    const bytes = new Uint8Array(workerData, 8);
    Atomics.add(ints, 0, 1);
    parentPort.postMessage('begun');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    bytes.set(Buffer.from('req-2'));
    Atomics.store(ints, 1, 5);
    Atomics.add(ints, 0, 1);
    Atomics.notify(ints, 0);
  `, { eval: true, workerData: s.buffer });
  await new Promise((resolve) => w.once('message', resolve));
  t.equal(s.get(), 'req-2', 'the text of the write that was in progress');
  await w.terminate();
});

t.test('a write that never ends: the reader gives up and goes on without the text', async (t) => {
  const s = new SharedText();
  s.set('req-1');
  Atomics.add(new Int32Array(s.buffer, 0, 2), 0, 1); // a write begun, never ended
  t.equal(s.get(), undefined, 'no text rather than a thread stalled for good');
});
