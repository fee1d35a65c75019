// Egress by hostname in the kernel tier, against a real resolver: each case runs `syscage run`
// inside a DNS world (test/helpers/dns-world: its own network and mount namespaces, a loopback
// name server that logs every question, listeners that log every connection) and checks what the
// command saw, what syscage reported, and what reached the name server and the listeners.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { jsonLines, runWorld, worldAvailable, type WorldResult } from '../helpers/dns-world.js';

const skip = worldAvailable();
const root = packageRoot();
const syscage = join(root, 'bin', 'syscage');
const client = join(root, 'test', 'dns', 'fixtures', 'client.mjs');

const dir = mkdtempSync(join(tmpdir(), 'syscage-egress-'));
const profile = join(dir, 'egress.yaml');
const connected = join(dir, 'flip-connected');
writeFileSync(profile, `version: 1
name: egress
default: allow
network:
  connect:
    - "allowed.test:8443"
    - "other.test:9000"
    - "flip.test:8443"
    - "cname.test:8443"
    - "big.test:8443"
  # A UDP socket's first send binds it to an ephemeral port.
  bind: ["0.0.0.0:0"]
`);

const zone = {
  'allowed.test': { ttl: 5, A: ['192.0.2.10'] },
  'other.test': { ttl: 5, A: ['192.0.2.11'] },
  'flip.test': { ttl: 1, A: ['192.0.2.10'] },
  'evil.test': { ttl: 5, A: ['192.0.2.11'] },
  'cname.test': { ttl: 5, CNAME: 'cdn.other.test' },
  'cdn.other.test': { ttl: 5, A: ['192.0.2.10'] },
  // Truncated over UDP: the resolver in the sandbox asks again over TCP, and so does syscage's.
  'big.test': { ttl: 5, A: ['192.0.2.10'], tc: true },
};
const listeners = ['192.0.2.10:8443', '192.0.2.11:8443'];

const run = (...args: string[]) => ({ run: [syscage, 'run', '--profile', profile, '--', process.execPath, client, ...args] });
const lines = jsonLines;

t.test('host rules in the kernel tier', { skip }, async (t) => {
  let world: WorldResult;
  t.before(async () => {
    world = await runWorld({
      zone,
      listeners,
      steps: [
        run('connect', 'allowed.test', '8443'),
        run('lookup', 'other.test', 'connect', '192.0.2.11', '8443'),
        { run: [syscage, 'run', '--profile', profile, '--', 'getent', 'ahosts', 'evil.test'] },
        { run: [syscage, 'run', '--profile', profile, '--', 'getent', 'ahosts', '6c656176696e67.evil.test'] },
        { ...run('connect', 'flip.test', '8443', 'touch', connected, 'until-changes', 'flip.test', 'connect', 'flip.test', '8443'), background: true },
        { waitFile: connected, timeoutMs: 20_000 },
        { flip: { name: 'flip.test', ttl: 1, A: ['192.0.2.11'] } },
        run('connect', 'cname.test', '8443', 'connect', 'big.test', '8443'),
        run('ask', '127.0.0.53', 'allowed.test', 'ask', '127.0.0.53', '7365637265740a.evil.test'),
      ],
    });
  });

  t.test('a connection to an allowed name works', async (t) => {
    const s = world.steps[0]!;
    t.equal(s.code, 0, s.stderr);
    t.match(lines(s.stdout), [{ op: 'connect', ok: true, address: '192.0.2.10', data: 'hello' }]);
    t.match(s.stderr, /^syscage: dns: 5 host rules: syscage's resolver answers the names they allow and NXDOMAIN for the rest/m, 'said once, at the start');
    t.ok(world.queries.some((q) => q.name === 'allowed.test'), 'the question reached the name server');
    t.ok(world.accepted.some((a) => a.listener === '192.0.2.10:8443'), 'the listener saw the connection');
  });

  t.test("a connection to another name's address is refused, and reported with that name", async (t) => {
    const s = world.steps[1]!;
    const [lookup, connect] = lines(s.stdout);
    t.match(lookup, { op: 'lookup', ok: true, addresses: ['192.0.2.11'] }, 'other.test may be looked up (a rule names it, for port 9000)');
    t.match(connect, { op: 'connect', ok: false }, 'its address on port 8443 is refused');
    const event = lines(s.stderr).find((e) => e.syscall === 'connect' && e.address === '192.0.2.11:8443');
    t.match(event, { decision: 'deny', address: '192.0.2.11:8443', name: 'other.test', reason: /resolved from other\.test/, rule: { what: 'network.connect' } });
    t.equal(world.accepted.filter((a) => a.listener === '192.0.2.11:8443').length, 1, "192.0.2.11:8443 saw one connection only: flip.test's, after its answer changed");
  });

  t.test('a lookup of a name no rule allows never reaches the name server', async (t) => {
    for (const i of [2, 3]) {
      const s = world.steps[i]!;
      t.equal(s.code, 2, `getent: not found (${s.argv.at(-1)})`);
    }
    t.same(world.queries.filter((q) => q.name.endsWith('evil.test')), [], 'no question about evil.test arrived');
  });

  t.test('a name behind a CNAME chain, and one whose answer only fits over TCP', async (t) => {
    const s = world.steps[7]!;
    t.equal(s.code, 0, s.stderr);
    t.match(lines(s.stdout), [{ op: 'connect', host: 'cname.test', ok: true, data: 'hello' }, { op: 'connect', host: 'big.test', ok: true, data: 'hello' }]);
    t.ok(world.queries.some((q) => q.name === 'big.test' && q.proto === 'tcp'), 'big.test was asked over TCP');
  });

  t.test("a question sent around syscage's resolver, to the real name server, is refused", async (t) => {
    const s = world.steps[8]!;
    t.match(lines(s.stdout), [{ op: 'ask', name: 'allowed.test', ok: false }, { op: 'ask', name: '7365637265740a.evil.test', ok: false }]);
    t.match(lines(s.stderr).filter((e) => e.address === '127.0.0.53:53'), [{ decision: 'deny', rule: { text: "DNS goes through syscage's resolver" } }]);
    t.same(world.queries.filter((q) => q.name.endsWith('evil.test')), [], 'the name server never heard of evil.test');
  });

  t.test('an allowed name whose answer changes keeps working at its new address', async (t) => {
    const s = world.steps[4]!;
    t.equal(s.code, 0, s.stderr);
    const [first, , changed, second] = lines(s.stdout);
    t.match(first, { op: 'connect', ok: true, address: '192.0.2.10' });
    t.match(changed, { op: 'until-changes', ok: true, addresses: ['192.0.2.11'] });
    t.match(second, { op: 'connect', ok: true, address: '192.0.2.11', data: 'hello' });
  });
});

t.test('record writes the names a command connected to, generalised', { skip }, async (t) => {
  const recorded = join(dir, 'recorded.yaml');
  const hosts = ['a.multi.test', 'b.multi.test', 'c.multi.test'];
  const connects = ['allowed.test', ...hosts].flatMap((h) => ['connect', h, '8443']);
  const world = await runWorld({
    zone: { ...zone, ...Object.fromEntries(hosts.map((h) => [h, { ttl: 5, A: ['192.0.2.10'] }])) },
    listeners,
    steps: [
      { run: [syscage, 'record', '--force', '-o', recorded, '--', process.execPath, client, ...connects] },
      { run: [syscage, 'run', '--profile', recorded, '--', process.execPath, client, ...connects, 'lookup', 'evil.test'] },
    ],
  });
  const [rec, replay] = world.steps;
  t.equal(rec!.code, 0, rec!.stderr);
  const text = readFileSync(recorded, 'utf8');
  t.match(text, /- "?allowed\.test:8443"?/, 'the name, not its address');
  t.match(text, /- "?\*\.multi\.test:8443"?/, 'three names under one parent: one pattern');
  t.notMatch(text, /192\.0\.2\.10/, 'no address the names gave');
  t.equal(replay!.code, 0, replay!.stderr);
  const out = lines(replay!.stdout);
  t.equal(out.filter((r) => r.op === 'connect' && r.ok).length, 4, 'the recorded profile replays the run');
  t.match(out.at(-1), { op: 'lookup', name: 'evil.test', ok: false, code: 'ENOTFOUND' }, 'and refuses a name it did not see');
});
