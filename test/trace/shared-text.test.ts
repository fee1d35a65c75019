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
