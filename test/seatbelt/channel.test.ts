// The bootstrap's end of the report channel: whole lines only, a report checked for shape before
// it counts (the handler can write on the channel too), a bad line named and skipped, an endless
// line dropped, and what was written before the end read before the run's outcome.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { readChannel } from '../../lib/seatbelt/channel.js';
import { parseReport } from '../../lib/seatbelt/report.js';
import type { SeatbeltReport } from '../../lib/seatbelt/types.js';
import { reportFinding } from '../../lib/monitor/seatbelt.js';

const good = { act: 'open', path: '/var/task/.env', access: 'read', pid: 42, runtime: 'node', api: 'fs.readFileSync', rule: { what: 'files.deny', text: '/var/task/.env', loc: '/var/task/syscage.yaml:12:5' } };

t.test('parseReport takes a report and names what is wrong with anything else', async (t) => {
  t.same(parseReport(JSON.stringify(good)), good);
  const bad = (v: unknown): string | undefined => {
    const r = parseReport(typeof v === 'string' ? v : JSON.stringify(v));
    return 'bad' in r ? r.bad : undefined;
  };
  t.equal(bad('{nope'), 'not JSON');
  t.equal(bad('7'), 'not an object');
  t.equal(bad('null'), 'not an object');
  t.equal(bad('{}'), 'unknown act undefined');
  t.equal(bad({ ...good, act: 'launch' }), 'unknown act "launch"');
  t.equal(bad({ ...good, pid: 0 }), 'no pid');
  t.equal(bad({ ...good, pid: '42' }), 'no pid');
  t.equal(bad({ ...good, runtime: 'ruby' }), 'unknown runtime');
  t.equal(bad({ ...good, rule: { what: 'syscalls.allow' } }), 'unknown rule', 'only the rules a seatbelt applies');
  t.equal(bad({ ...good, path: undefined }), 'no target for open');
  t.equal(bad({ ...good, path: 'x'.repeat(5000) }), 'no target for open', 'a target is bounded');
  t.equal(bad({ ...good, access: 'exec' }), 'bad access');
  t.equal(bad({ act: 'connect', address: '10.0.0.1:443', pid: 1, runtime: 'python', api: 'socket.connect', rule: { what: 'network.connect', text: 'not in network.connect' } }), undefined);
});

t.test('reportFinding: the event names the rule at its place, the act, the API and the seatbelt', async (t) => {
  const f = reportFinding(good as SeatbeltReport);
  t.equal(f.act, 'open');
  t.same(f.rule, { what: 'files.deny', text: '/var/task/.env', loc: { file: '/var/task/syscage.yaml', line: 12, col: 5 } });
  t.equal(f.reason, 'read of /var/task/.env (fs.readFileSync), refused by the Node.js seatbelt before it happened');
  t.same(f.detail, { paths: ['/var/task/.env'], access: 'read' });
  t.equal(f.seatbelt, 'node');
  const fork = reportFinding({ act: 'fork', pid: 3, runtime: 'python', api: 'os.fork', rule: { what: 'process.fork' } } as SeatbeltReport);
  t.same(fork.rule, { what: 'process.fork' }, 'no place: none invented');
  t.equal(fork.reason, 'a new process (os.fork), refused by the Python seatbelt before it happened');
});

t.test('readChannel: lines across chunks, bad lines named, an endless line dropped', async (t) => {
  const stream = new PassThrough();
  const reports: SeatbeltReport[] = [];
  const bad: string[] = [];
  const ch = readChannel(stream, { onReport: (r) => reports.push(r), onBad: (w) => bad.push(w) });
  const line = JSON.stringify(good) + '\n';
  stream.write(line.slice(0, 10));
  stream.write(line.slice(10) + 'garbage\n\n' + line.slice(0, 5));
  stream.write(line.slice(5));
  stream.write('y'.repeat(70 * 1024));
  stream.write('y'.repeat(10) + '\n' + line);
  stream.end();
  await ch.drained();
  t.equal(reports.length, 3, 'the three reports, whole');
  t.same(reports[0], good);
  t.same(bad, ['not JSON', 'a line longer than 65536 bytes'], 'the bad line and the endless one, once each');
});

t.test('drained() does not wait for ever on a channel a grandchild holds open', async (t) => {
  const stream = new PassThrough();
  const ch = readChannel(stream, { onReport: () => undefined, onBad: () => undefined });
  const started = Date.now();
  await ch.drained();
  t.ok(Date.now() - started < 2000, 'it gives up after a short wait');
  t.ok(stream.destroyed, 'and closes its end');
});
