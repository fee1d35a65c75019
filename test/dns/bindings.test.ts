// Bindings (lib/dns/bindings.ts): which names an address was given for, with an injected clock —
// TTL against the floor, expiry, several names per address and their order, expired names still
// remembered, IPv4-mapped IPv6 keyed as IPv4, eviction of the least recently bound address. And
// BindingLog, the shared ring that carries bindings from the forwarder's thread to the tracer's:
// records cross a real worker_threads Worker, the ring wraps, a lapped reader says what it lost
// and hands out no torn record, names of up to 253 bytes.
//
// The Worker runs the compiled library (dist/lib/dns/bindings.js, as the tracer Worker does): build
// first (npx tsc -p tsconfig.json). A missing or stale build fails these tests rather than skipping them.
import t, { type Test } from 'tap';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BindingLog, Bindings, FLOOR_S, MAX_ADDRESSES, type BoundAddress } from '../../lib/dns/bindings.js';
import { packageRoot } from '../../lib/paths.js';

const T0 = 1_700_000_000_000; // an injected "now" (ms since the epoch)
const v4 = (a: number, b: number, c: number, d: number): BoundAddress => ({ family: 4, addr: BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d) });
const v6 = (addr: bigint): BoundAddress => ({ family: 6, addr });
const MAPPED = 0xffffn << 32n;
const mapped = (a: BoundAddress): BoundAddress => ({ family: 6, addr: MAPPED + a.addr });

// --- Bindings -----------------------------------------------------------------------------------

t.test('an answer binds for its TTL when that is longer than the floor, for the floor otherwise', async (t) => {
  const b = new Bindings(10_000, 16);
  const long = v4(192, 0, 2, 1);
  const short = v4(192, 0, 2, 2);
  const zero = v4(192, 0, 2, 3);
  b.add('long.test', long, 30, T0);
  b.add('short.test', short, 1, T0);
  b.add('zero.test', zero, 0, T0);
  t.same(b.live(long, T0 + 29_999), ['long.test'], 'TTL 30 s > floor 10 s: live until 30 s have passed');
  t.same(b.live(long, T0 + 30_000), [], 'expired at exactly TTL');
  t.same(b.live(short, T0 + 9_999), ['short.test'], 'TTL 1 s < floor 10 s: the floor holds');
  t.same(b.live(short, T0 + 10_000), [], 'expired at exactly the floor');
  t.same(b.live(zero, T0 + 9_999), ['zero.test'], 'TTL 0 (getaddrinfo has none) still binds for the floor');
  t.same(b.live(zero, T0 + 10_000), []);
  t.same(b.live(v4(192, 0, 2, 9), T0), [], 'an address never bound has no live name');
});

t.test('the default floor is FLOOR_S', async (t) => {
  t.equal(FLOOR_S, 300);
  const b = new Bindings();
  const a = v4(198, 51, 100, 7);
  b.add('api.example.test', a, 5, T0);
  t.same(b.live(a, T0 + FLOOR_S * 1000 - 1), ['api.example.test']);
  t.same(b.live(a, T0 + FLOOR_S * 1000), []);
  b.add('big.example.test', a, 3600, T0);
  t.same(b.live(a, T0 + 3_599_999), ['big.example.test'], 'a TTL above the floor is kept');
});

t.test('a later, shorter answer does not cut a binding short; a longer one extends it', async (t) => {
  const b = new Bindings(1_000, 16);
  const a = v4(203, 0, 113, 5);
  b.add('api.example.test', a, 600, T0);
  b.add('api.example.test', a, 2, T0 + 1_000); // would expire at T0 + 3 s on its own
  t.same(b.live(a, T0 + 599_999), ['api.example.test'], 'still bound by the first answer');
  t.same(b.live(a, T0 + 600_000), []);
  b.add('api.example.test', a, 600, T0 + 500_000);
  t.same(b.live(a, T0 + 1_099_999), ['api.example.test'], 'the new answer runs from its own time');
  t.same(b.live(a, T0 + 1_100_000), []);
});

t.test('several names for one address: live() most recent first, names() keeps the expired', async (t) => {
  const b = new Bindings(1_000, 16);
  const a = v4(192, 0, 2, 44);
  b.add('one.test', a, 100, T0);
  b.add('two.test', a, 10, T0 + 1);
  b.add('three.test', a, 50, T0 + 2);
  t.same(b.live(a, T0 + 5), ['three.test', 'two.test', 'one.test'], 'the most recent answer first');
  b.add('one.test', a, 100, T0 + 3);
  t.same(b.live(a, T0 + 5), ['one.test', 'three.test', 'two.test'], 'a name given again moves to the front');
  t.same(b.live(a, T0 + 20_000), ['one.test', 'three.test'], 'two.test expired (TTL 10 s from T0 + 1 ms)');
  t.same(b.live(a, T0 + 60_000), ['one.test']);
  t.same(b.live(a, T0 + 200_000), [], 'all expired');
  t.same([...b.names(a)].sort(), ['one.test', 'three.test', 'two.test'], 'names() still remembers every one of them');
  t.equal(b.size, 1, 'one address');
  t.same(b.names(v4(192, 0, 2, 45)), [], 'another address has no names');
});

t.test('an IPv4-mapped IPv6 address is the IPv4 address', async (t) => {
  const b = new Bindings(1_000, 16);
  const a = v4(192, 0, 2, 10);
  b.add('v6form.test', mapped(a), 60, T0);
  t.same(b.live(a, T0), ['v6form.test'], 'bound as ::ffff:192.0.2.10, asked as 192.0.2.10');
  b.add('v4form.test', a, 60, T0 + 1);
  t.same(b.live(mapped(a), T0 + 2), ['v4form.test', 'v6form.test'], 'bound as 192.0.2.10, asked as ::ffff:192.0.2.10');
  t.equal(b.size, 1, 'one entry for both forms');
  // ::192.0.2.10 (IPv4-compatible, not mapped) and 2001:db8::c000:20a are other addresses.
  t.same(b.live(v6(a.addr), T0), [], 'the IPv4-compatible form is not the IPv4 address');
  t.same(b.live(v6(0x20010db8_00000000_00000000_c000020an), T0), []);
  t.same(b.live({ family: 4, addr: a.addr + 1n }, T0), []);
});

t.test('at `max` addresses the least recently bound one goes first', async (t) => {
  const b = new Bindings(1_000, 3);
  const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map((n) => v4(10, 0, 0, n)) as [BoundAddress, BoundAddress, BoundAddress, BoundAddress, BoundAddress];
  b.add('a1.test', a1, 60, T0);
  b.add('a2.test', a2, 60, T0);
  b.add('a3.test', a3, 60, T0);
  t.equal(b.size, 3);
  b.add('a1-again.test', a1, 60, T0 + 1); // a1 is now the most recently bound
  b.add('a4.test', a4, 60, T0 + 2);
  t.equal(b.size, 3, 'never more than max');
  t.same(b.names(a2), [], 'a2, the least recently bound, was evicted');
  t.same(b.live(a1, T0 + 3), ['a1-again.test', 'a1.test'], 'a1 kept, with both its names');
  t.same(b.live(a3, T0 + 3), ['a3.test']);
  t.same(b.live(a4, T0 + 3), ['a4.test']);
  b.add('a5.test', a5, 60, T0 + 3);
  t.same(b.names(a3), [], 'then a3');
  t.same([a1, a4, a5].map((a) => b.names(a).length > 0), [true, true, true]);
});

t.test('the default bound is MAX_ADDRESSES', async (t) => {
  const b = new Bindings();
  for (let i = 0; i <= MAX_ADDRESSES; i++) b.add('many.test', { family: 4, addr: BigInt(0x0a000000 + i) }, 60, T0);
  t.equal(b.size, MAX_ADDRESSES);
  t.same(b.live({ family: 4, addr: 0x0a000000n }, T0), [], 'the first one went');
  t.same(b.live({ family: 4, addr: BigInt(0x0a000000 + MAX_ADDRESSES) }, T0), ['many.test'], 'the last one is there');
});

// --- BindingLog -----------------------------------------------------------------------------------

interface Rec { name: string; address: BoundAddress; ttl: number; time: number }

const sample = (i: number): Rec => ({
  name: `host-${i}.example.test`,
  address: i % 2 ? { family: 6, addr: 0x20010db8_00000000_00000000_00000000n + BigInt(i) * 0x1_0001n } : { family: 4, addr: BigInt(0xc0000200 + (i % 256)) },
  ttl: i * 7,
  time: T0 + i + 0.5,
});

const writeAll = (log: BindingLog, recs: readonly Rec[]): void => {
  for (const r of recs) log.write(r.name, r.address, r.ttl, r.time);
};

t.test('records read back as written, once', async (t) => {
  const log = new BindingLog(16);
  const recs: Rec[] = [
    { name: 'a.test', address: v4(192, 0, 2, 1), ttl: 60, time: T0 },
    { name: 'b.test', address: v6(0x20010db8_00000000_00000000_00000001n), ttl: 0, time: T0 + 0.25 },
    { name: 'max.test', address: v6((1n << 128n) - 1n), ttl: 0xffffffff, time: T0 + 1 },
    { name: 'mapped.test', address: mapped(v4(203, 0, 113, 9)), ttl: 1, time: T0 + 2 },
  ];
  writeAll(log, recs);
  const got = log.read();
  t.equal(got.lost, 0);
  t.same(got.records, recs, 'family, 128-bit address, TTL, time and name survive');
  t.same(log.read(), { records: [], lost: 0 }, 'a second read has nothing new');
  log.write('clamped.test', v4(192, 0, 2, 2), 2 ** 40, T0);
  log.write('negative.test', v4(192, 0, 2, 3), -5, T0);
  t.same(log.read().records.map((r) => [r.name, r.ttl]), [['clamped.test', 0xffffffff], ['negative.test', 0]], 'a TTL out of u32 range is clamped');
});

t.test('names of up to 253 bytes', async (t) => {
  const log = new BindingLog(8);
  const label = (c: string, n: number): string => c.repeat(n);
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253: the longest name DNS carries, as text.
  const longest = [label('a', 63), label('b', 63), label('c', 63), label('d', 61)].join('.');
  t.equal(longest.length, 253);
  const names = ['', 'x', longest, longest.slice(0, 252), 'under_score-and-digits-0123.test'];
  for (const n of names) log.write(n, v4(192, 0, 2, 1), 60, T0);
  t.same(log.read().records.map((r) => r.name), names);
});

/** The compiled bindings module, as a Worker imports it; stale or missing is a failure. */
function compiledBindings(t: Test): string | undefined {
  const root = packageRoot();
  const js = join(root, 'dist', 'lib', 'dns', 'bindings.js');
  const ts = join(root, 'lib', 'dns', 'bindings.ts');
  if (!existsSync(js)) {
    t.fail(`${js} is missing: build first (npx tsc -p tsconfig.json)`);
    return undefined;
  }
  if (statSync(js).mtimeMs < statSync(ts).mtimeMs) {
    t.fail(`${js} is older than ${ts}: build first (npx tsc -p tsconfig.json)`);
    return undefined;
  }
  return pathToFileURL(js).href;
}

// The worker's side: imports the compiled BindingLog and builds one over the buffer it is given.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.module).then(({ BindingLog }) => {
  const log = new BindingLog(workerData.buffer);
  if (workerData.role === 'write') {
    for (const r of workerData.records) log.write(r.name, r.address, r.ttl, r.time);
    parentPort.postMessage({ written: workerData.records.length });
  } else if (workerData.role === 'read') {
    parentPort.on('message', () => parentPort.postMessage(log.read()));
    parentPort.postMessage({ ready: true });
  } else if (workerData.role === 'flood') {
    // As fast as it can, records that say their own number everywhere (see floodRecord).
    for (let i = 0; i < workerData.count; i++) {
      const seq = String(i);
      const name = seq + '.' + 'x'.repeat(i % 200) + '.flood';
      const addr = BigInt(i) * 0x0001000100010001000100010001n;
      log.write(name, { family: i % 2 ? 6 : 4, addr: i % 2 ? addr : BigInt(i) }, i, i + 0.5);
    }
    parentPort.postMessage({ written: workerData.count });
  }
}, (e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

const message = <T>(w: Worker): Promise<T> => new Promise((resolve, reject) => {
  w.once('message', (m: T & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
  w.once('error', reject);
});

t.test('records written in a Worker are read in the main thread', async (t) => {
  const module = compiledBindings(t);
  if (!module) return;
  const log = new BindingLog(64); // the reader: its cursor is where the log is now
  const recs = Array.from({ length: 40 }, (_, i) => sample(i));
  const w = new Worker(WORKER, { eval: true, workerData: { module, buffer: log.buffer, role: 'write', records: recs } });
  t.teardown(() => w.terminate());
  const done = await message<{ written: number }>(w);
  t.equal(done.written, 40);
  const got = log.read();
  t.equal(got.lost, 0);
  t.same(got.records, recs, 'every record, in order, as written on the other thread');
});

t.test('records written in the main thread are read in a Worker', async (t) => {
  const module = compiledBindings(t);
  if (!module) return;
  const log = new BindingLog(32);
  const w = new Worker(WORKER, { eval: true, workerData: { module, buffer: log.buffer, role: 'read' } });
  t.teardown(() => w.terminate());
  t.same(await message(w), { ready: true }, 'the worker built its reader over the shared buffer');
  const first = Array.from({ length: 20 }, (_, i) => sample(i));
  writeAll(log, first);
  w.postMessage('read');
  const a = await message<{ records: Rec[]; lost: number }>(w);
  t.same(a, { records: first, lost: 0 }, 'the worker sees the first batch');
  const second = Array.from({ length: 20 }, (_, i) => sample(100 + i)); // 40 written in all: the ring (32) wrapped
  writeAll(log, second);
  w.postMessage('read');
  t.same(await message(w), { records: second, lost: 0 }, 'and only the new ones next time, across the wrap');
});

t.test('the ring wraps around: a reader that keeps up loses nothing', async (t) => {
  const log = new BindingLog(4);
  let seq = 0;
  for (let round = 0; round < 25; round++) {
    const batch = Array.from({ length: 1 + (round % 4) }, () => sample(seq++)); // 1..4 records: up to a full ring
    writeAll(log, batch);
    const got = log.read();
    if (got.lost !== 0 || JSON.stringify(got.records, big) !== JSON.stringify(batch, big)) {
      t.fail(`round ${round}: read ${JSON.stringify(got, big)}, wrote ${JSON.stringify(batch, big)}`);
      return;
    }
  }
  t.pass(`${seq} records through a ring of 4, each read once and intact`);
});

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

t.test('a reader lapped by the writer reports what it lost and gets the newest records', async (t) => {
  const log = new BindingLog(4);
  writeAll(log, Array.from({ length: 10 }, (_, i) => sample(i)));
  const got = log.read();
  t.equal(got.lost, 6, '10 written into 4 slots: 6 overwritten before they were read');
  t.same(got.records, [6, 7, 8, 9].map(sample), 'the last 4, in order');
  t.same(log.read(), { records: [], lost: 0 }, 'then caught up');
  writeAll(log, [sample(10)]);
  t.same(log.read(), { records: [sample(10)], lost: 0 });
});

// read() must not trust the slot of record `count - capacity`, which write() of record `count` is
// overwriting until it publishes count + 1 (an off-by-one found by these tests, fixed).

/** Is a record from the flood exactly what the writer wrote for its number? */
function floodRecord(r: Rec): boolean {
  const i = r.ttl;
  const addr = BigInt(i) * 0x0001000100010001000100010001n;
  return r.name === `${i}.${'x'.repeat(i % 200)}.flood` && r.time === i + 0.5 &&
    r.address.family === (i % 2 ? 6 : 4) && r.address.addr === (i % 2 ? addr : BigInt(i));
}

// A torn record is one whose slot the writer was writing while the reader copied it. Whatever
// read() returns must be a record the writer wrote, whole; what it drops it must count as lost.
t.test('a reader racing a writer on another thread gets no torn record, and counts what it lost', async (t) => {
  const module = compiledBindings(t);
  if (!module) return;
  const log = new BindingLog(8);
  const count = new Int32Array(log.buffer, 0, 1);
  const total = 200_000;
  const w = new Worker(WORKER, { eval: true, workerData: { module, buffer: log.buffer, role: 'flood', count: total } });
  t.teardown(() => w.terminate());
  const finished = message<{ written: number }>(w);
  // read() hands out records in the order they were written, skipping (and counting) those it
  // could not read whole: each returned record must be whole and come after the last one returned
  // (the flood's records carry their number).
  let position = 0;
  let last = -1;
  let read = 0;
  let lost = 0;
  const wrong: Rec[] = [];
  const take = (got: { records: Rec[]; lost: number }): void => {
    lost += got.lost;
    position += got.lost + got.records.length;
    for (const r of got.records) {
      if (r.ttl <= last || r.ttl >= position || !floodRecord(r)) wrong.push(r);
      else read++;
      last = r.ttl;
    }
  };
  const deadline = Date.now() + 60_000;
  // Busy-read on this thread while the worker writes on its own.
  for (;;) {
    const done = Atomics.load(count, 0) >= total;
    take(log.read());
    if (done || Date.now() > deadline) break;
  }
  t.equal((await finished).written, total);
  take(log.read());
  t.ok(lost > 0 || read === total, `the race happened (${read} read, ${lost} lost)`);
  t.equal(position, total, 'every record written is either returned or counted as lost');
  t.same(wrong.slice(0, 3).map((r) => JSON.stringify(r, big)), [],
    `every record returned is whole and the one written at its place (${wrong.length} of ${read + wrong.length} were not)`);
});

// The same race, stopped at its worst moment: write() has begun overwriting the oldest slot
// (it marks the slot as being written, zero-fills it, then writes the fields) but not yet
// published the new count. A reader that reads the whole ring now must not hand out that
// half-written slot. The layout is the one documented in bindings.ts: an 8-byte header (Int32
// count), then records of 40 + 256 bytes, each starting with its Int32 sequence number.
t.test('a record whose slot the writer is overwriting right now is not handed out', async (t) => {
  const log = new BindingLog(4);
  const recs = [0, 1, 2, 3].map(sample);
  writeAll(log, recs); // count = 4; record 4 goes into slot 0, over record 0
  const slot0 = Buffer.from(log.buffer, 8, 40 + 256);
  new Int32Array(log.buffer, 8, 1)[0] = -1; // the writer's first step: the slot is being written
  slot0.fill(0, 4); // its second
  slot0.writeUInt8(4, 4); // and its third: family 4; the name length, TTL, time, address are still 0
  const got = log.read();
  const whole = got.records.filter((r) => JSON.stringify(r, big) === JSON.stringify(recs[r.ttl / 7], big));
  t.same(got.records.filter((r) => !whole.includes(r)), [], 'every record returned is one that was written');
  t.equal(got.records.length + got.lost, 4, 'what is not returned is counted as lost');
});
