// The DNS test world itself, without syscage: its responder (in-process and as a script, on a
// loopback port), then the world (root only: unshare --net --mount) through glibc and Node.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildQuery, isBad, parseResponse, RCODE, TYPE, type Response } from '../../lib/dns/message.js';
import { runWorld, WORLD_SCRIPT, worldAvailable, type QueryLine, type Zone } from '../helpers/dns-world.js';
import { cleanEnv } from '../helpers/spawn.js';

const RESPONDER = new URL('../helpers/dns-world/responder.mjs', import.meta.url);
interface Responder { readonly port: number; close(): Promise<void>; setZone(zone: Zone): void }
const { startResponder } = (await import(RESPONDER.href)) as { startResponder: (o: { address: string; port: number; zone: Zone; log?: string }) => Promise<Responder> };

// --- asking the responder directly ------------------------------------------------------------

function askUdp(port: number, query: Buffer, waitMs = 2000): Promise<Buffer | undefined> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => { s.close(); resolve(undefined); }, waitMs);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m); });
    s.send(query, port, '127.0.0.1');
  });
}

function askTcp(port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const c = connect(port, '127.0.0.1', () => c.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
    c.on('error', reject);
    c.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        c.destroy();
        resolve(got.subarray(2, 2 + got.readUInt16BE(0)));
      }
    });
  });
}

function parsed(m: Buffer | undefined): Response {
  const r = m === undefined ? { bad: 'no reply' } : parseResponse(m);
  if (isBad(r)) throw new Error(r.bad);
  return r;
}

const logLines = (file: string): QueryLine[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as QueryLine);

const ZONE: Zone = {
  'allowed.test': { ttl: 5, A: ['192.0.2.10'] },
  'cname.test': { ttl: 3, CNAME: 'cdn.other.test' },
  'cdn.other.test': { ttl: 9, A: ['198.51.100.20'] },
  'dual.test': { A: ['192.0.2.11'], AAAA: ['2001:db8::10'] },
  'big.test': { A: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], tc: true },
  'fail.test': { rcode: 'SERVFAIL' },
  'silent.test': { drop: true },
};

t.test('the responder answers from its zone over UDP and TCP, and logs each query', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'responder-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'queries.jsonl');
  const r = await startResponder({ address: '127.0.0.1', port: 0, zone: ZONE, log });
  t.teardown(() => r.close());

  const a = parsed(await askUdp(r.port, buildQuery(1, 'AlLoWeD.TeSt', TYPE.A)));
  t.same([a.id, a.rcode, a.answers], [1, RCODE.NOERROR, [{ name: 'allowed.test', type: TYPE.A, ttl: 5, data: '192.0.2.10' }]]);
  t.same(parsed(await askUdp(r.port, buildQuery(2, 'cname.test', TYPE.A))).answers.map((x) => [x.name, x.data, x.ttl]),
    [['cname.test', 'cdn.other.test', 3], ['cdn.other.test', '198.51.100.20', 9]], 'a CNAME is chased inside the zone');
  t.same(parsed(await askUdp(r.port, buildQuery(3, 'dual.test', TYPE.AAAA))).answers.map((x) => x.data), ['2001:db8::10']);
  t.equal(parsed(await askUdp(r.port, buildQuery(4, 'nope.test', TYPE.A))).rcode, RCODE.NXDOMAIN);
  t.same(parsed(await askUdp(r.port, buildQuery(5, 'allowed.test', TYPE.HTTPS))).answers, [], 'NODATA for a type it lacks');
  const udpBig = parsed(await askUdp(r.port, buildQuery(6, 'big.test', TYPE.A)));
  t.same([udpBig.truncated, udpBig.answers.length], [true, 0], 'tc: UDP says truncated');
  const tcpBig = parsed(await askTcp(r.port, buildQuery(7, 'big.test', TYPE.A)));
  t.same([tcpBig.truncated, tcpBig.answers.length], [false, 3], 'tc: TCP gives all');
  t.equal(parsed(await askUdp(r.port, buildQuery(8, 'fail.test', TYPE.A))).rcode, RCODE.SERVFAIL);
  t.equal(await askUdp(r.port, buildQuery(9, 'silent.test', TYPE.A), 300), undefined, 'drop: no reply');

  r.setZone({ ...ZONE, 'allowed.test': { ttl: 1, A: ['192.0.2.11'] } });
  t.same(parsed(await askUdp(r.port, buildQuery(10, 'allowed.test', TYPE.A))).answers.map((x) => x.data), ['192.0.2.11'], 'setZone flips the answer');

  const lines = logLines(log);
  t.equal(lines.length, 10);
  t.match(lines[0], { proto: 'udp', name: 'allowed.test', asked: 'AlLoWeD.TeSt', type: 'A', rcode: 'NOERROR', answers: 1, from: /^127\.0\.0\.1:\d+$/ });
  t.match(lines[6], { proto: 'tcp', name: 'big.test', tc: false, answers: 3 });
  t.match(lines[8], { name: 'silent.test', dropped: true });
});

t.test('the responder as a script: ready line, SIGUSR1 re-reads the zone file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'responder-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const zoneFile = join(dir, 'zone.json');
  writeFileSync(zoneFile, JSON.stringify({ 'flip.test': { A: ['192.0.2.10'] } }));
  const child = spawn(process.execPath, [fileURLToPath(RESPONDER), '127.0.0.1', '0', zoneFile, join(dir, 'q.jsonl')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const ready = await new Promise<{ port: number }>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { port: number })));
  const ask = async (): Promise<string[]> => parsed(await askUdp(ready.port, buildQuery(1, 'flip.test', TYPE.A))).answers.map((x) => x.data);
  t.same(await ask(), ['192.0.2.10']);
  writeFileSync(zoneFile, JSON.stringify({ 'flip.test': { A: ['192.0.2.11'] } }));
  child.kill('SIGUSR1');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(await ask(), ['192.0.2.11'], 'the new answer after SIGUSR1');
  child.kill('SIGTERM');
  t.equal(await new Promise((resolve) => child.on('exit', resolve)), 0, 'SIGTERM stops it cleanly');
});

// --- the world (root) -------------------------------------------------------------------------

const skip = worldAvailable() ?? false;
const NODE = process.execPath;
const connectTo = (host: string, family = 0): string[] => [NODE, '-e',
  `require('net').connect({ host: '${host}', port: 8443, family: ${family} }).on('data', (d) => process.stdout.write(d)).on('error', (e) => { console.error(e.code); process.exit(3); })`];
const WORLD = { zone: ZONE, listeners: ['192.0.2.10:8443', '[2001:db8::10]:8443'], addresses: ['192.0.2.11/32', '198.51.100.20/32'] };

t.test('in the world: glibc resolves through the responder; an unknown name is NXDOMAIN', { skip }, async (t) => {
  const w = await runWorld({ ...WORLD, steps: [{ run: ['getent', 'ahosts', 'allowed.test'] }, { run: ['getent', 'ahosts', 'nope.test'] }, { run: ['getent', 'ahosts', 'cname.test'] }] });
  t.comment(`world: ${w.ms} ms`);
  const [allowed, nope, cname] = w.steps;
  t.match(allowed, { code: 0, stdout: /^192\.0\.2\.10\s+STREAM allowed\.test$/m });
  t.equal(nope?.code, 2, 'getent: not found');
  t.match(cname?.stdout, /^198\.51\.100\.20\s+STREAM cdn\.other\.test$/m, 'a CNAME: the canonical name');
  t.match(w.queries, [{ proto: 'udp', name: 'allowed.test', type: 'A', rcode: 'NOERROR', from: /^127\.0\.0\.1:/ }]);
  t.ok(w.queries.some((q) => q.name === 'nope.test' && q.rcode === 'NXDOMAIN'), 'the unknown name reached the responder');
});

t.test('in the world: Node connects to allowed.test:8443 by name and reads hello', { skip }, async (t) => {
  const w = await runWorld({ ...WORLD, steps: [{ run: connectTo('allowed.test') }, { run: connectTo('dual.test', 6) }] });
  t.match(w.steps[0], { code: 0, stdout: 'hello\n' });
  t.match(w.steps[1], { code: 0, stdout: 'hello\n' }, 'and over IPv6');
  t.match(w.accepted, [{ listener: '192.0.2.10:8443', peer: /^192\.0\.2\.10:\d+$/ }, { listener: '[2001:db8::10]:8443', peer: /^\[2001:db8::10\]:\d+$/ }]);
});

t.test('in the world: a flip step changes the answer', { skip }, async (t) => {
  const zone = { ...ZONE, 'flip.test': { ttl: 1, A: ['192.0.2.10'] } };
  const w = await runWorld({ ...WORLD, zone, steps: [
    { run: ['getent', 'ahostsv4', 'flip.test'] }, { flip: { name: 'flip.test', A: ['192.0.2.11'], ttl: 1 } }, { run: ['getent', 'ahostsv4', 'flip.test'] },
  ] });
  t.match(w.steps[0]?.stdout, /^192\.0\.2\.10\s/);
  t.match(w.steps[1], { kind: 'flip', code: 0 });
  t.match(w.steps[2]?.stdout, /^192\.0\.2\.11\s/);
});

t.test('in the world: a TC name resolves through glibc\'s fallback to TCP', { skip }, async (t) => {
  const w = await runWorld({ ...WORLD, steps: [{ run: ['getent', 'ahostsv4', 'big.test'] }] });
  t.same(w.steps[0]?.stdout.match(/^\S+(?=\s+STREAM)/gm), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  const big = w.queries.filter((q) => q.name === 'big.test' && q.type === 'A');
  t.match(big, [{ proto: 'udp', tc: true, answers: 0 }, { proto: 'tcp', tc: false, answers: 3 }]);
});

t.test('the world refuses to run outside its namespaces', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dns-world-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ zone: {}, steps: [] }));
  const child = spawn(NODE, [WORLD_SCRIPT, join(dir, 'c.json')], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  t.equal(await new Promise((resolve) => child.on('exit', resolve)), 1);
  t.match(stderr, /^dns-world: not in a net namespace of its own/);
  t.equal(stderr.trim().split('\n').length, 1, 'one line');
});
