// The seatbelts section of a profile (defaults, merge, diagnostics) and the policy compiled from
// it for the Node preload and the Python audit hook: the same entries, with their rules' places,
// as regular expressions both JavaScript and Python's `re` read the same way.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadProfile, ProfileError } from '../../lib/profile/index.js';
import { seatbeltPolicy } from '../../lib/seatbelt/policy.js';
import { ipv4ToBigInt } from '../../lib/profile/address.js';

const fake = (files: Record<string, string>) => ({
  readFile: (p: string) => {
    const hit = Object.entries(files).find(([name]) => p.endsWith('/' + name) || p === name);
    if (!hit) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return hit[1];
  },
});
const load = (files: Record<string, string>, name = 'p.yaml') => loadProfile(name, fake(files)).profile;

t.test('seatbelts: runtime tier only and no native code unless the profile says', async (t) => {
  const p = load({ 'p.yaml': 'version: 1\n' });
  t.same(p.seatbelts.tiers.value, ['runtime']);
  t.same(p.seatbelts.native, []);
  const policy = seatbeltPolicy(p);
  t.same(policy.native.entries, [], 'no native code');
  t.same(policy.native.missing, { what: 'seatbelts.native', text: 'not in seatbelts.native' }, 'refused by the absent list (no place to name)');
  t.equal(policy.files, undefined, 'no files section: paths not checked');
  t.equal(policy.exec, undefined);
  t.equal(policy.network, undefined);
  t.same(policy.fork, { allowed: true, rule: { what: 'process.fork' } });
  t.equal(policy.enforce, true);
  t.equal(policy.violation, 'deny');
});

t.test('seatbelts merge: native is a union, tiers the nearest profile that says them', async (t) => {
  const p = load({
    'base.yaml': 'version: 1\nseatbelts:\n  tiers: [kernel, runtime]\n  native: [/opt/a/**]\n',
    'p.yaml': 'version: 1\nextends: [./base.yaml]\nseatbelts:\n  native: [/var/task/b.node]\n',
  });
  t.same(p.seatbelts.tiers.value, ['kernel', 'runtime'], 'from the base');
  t.same(p.seatbelts.native.map((g) => g.value), ['/opt/a/**', '/var/task/b.node']);
  const off = load({ 'base.yaml': 'version: 1\nseatbelts: { tiers: [kernel] }\n', 'p.yaml': 'version: 1\nextends: [./base.yaml]\nseatbelts: { tiers: [] }\n' });
  t.same(off.seatbelts.tiers.value, [], 'the child turns them off');
});

t.test('seatbelts: bad input is an error at its line:col', async (t) => {
  const bad = (text: string) => {
    try {
      load({ 'p.yaml': text });
    } catch (e) {
      if (e instanceof ProfileError) return e.diagnostics[0]!;
      throw e;
    }
    return undefined;
  };
  const tier = bad('version: 1\nseatbelts:\n  tiers: [runtime, kernal]\n');
  t.equal(tier?.loc?.line, 3);
  t.equal(tier?.loc?.col, 20, 'under the unknown tier');
  const glob = bad('version: 1\nseatbelts:\n  native: [lib/x.node]\n');
  t.equal(glob?.code, 'E_BAD_GLOB');
  t.equal(glob?.loc?.line, 3);
  const key = bad('version: 1\nseatbelts:\n  nativ: []\n');
  t.match(key?.message, /nativ/);
  t.equal(key?.loc?.line, 3);
});

const profileText = [
  'version: 1',
  'name: belt',
  'mode: audit',
  'violation: kill',
  'files:',
  '  read: [/var/task/**, /usr/lib/python3*/**]',
  '  write: [/tmp/**]',
  '  deny: [/var/task/.env]',
  'exec: { allow: [/usr/bin/convert] }',
  'network:',
  '  connect: ["10.0.0.0/8:443", "[::1]:*", "*:53", "unix:/tmp/*.sock", "unix:@app"]',
  '  bind: []',
  'process: { fork: false }',
  'seatbelts: { native: [/var/task/node_modules/**/*.node] }',
].join('\n') + '\n';

t.test('the policy: every entry with its text and place', async (t) => {
  const policy = seatbeltPolicy(load({ 'p.yaml': profileText }), { always: ['127.0.0.1:9001'] });
  t.equal(policy.profile, 'belt');
  t.equal(policy.enforce, false, 'mode: audit reports only');
  t.equal(policy.violation, 'kill');
  t.same(policy.always, ['127.0.0.1:9001']);
  t.match(policy.files!.deny.entries[0], { what: 'files.deny', text: '/var/task/.env', loc: 'p.yaml:8:10' });
  t.match(policy.files!.read.missing, { what: 'files.read', text: 'not in files.read', loc: 'p.yaml:6:10' }, '"not in" points at the list');
  t.match(policy.exec!.allow.entries[0], { text: '/usr/bin/convert', loc: 'p.yaml:9:17' });
  t.match(policy.fork, { allowed: false, rule: { what: 'process.fork', text: 'false', loc: 'p.yaml:13:18' } });
  const [ten, v6, any53, sock, abstract] = policy.network!.connect.entries;
  t.match(ten, { kind: 'ip', family: 4, lo: ipv4ToBigInt('10.0.0.0').toString(), hi: ipv4ToBigInt('10.255.255.255').toString(), portLo: 443, portHi: 443 });
  t.match(v6, { kind: 'ip', family: 6, lo: '1', hi: '1', portLo: 0, portHi: 65535 });
  t.match(any53, { kind: 'ip', family: 0, portLo: 53, portHi: 53 });
  t.match(sock, { kind: 'unix', abstract: false, text: 'unix:/tmp/*.sock' });
  t.match(abstract, { kind: 'unix', abstract: true, text: 'unix:@app' });
  t.same(policy.network!.bind.entries, []);
  t.same(JSON.parse(JSON.stringify(policy)), policy, 'plain JSON');
});

/** What each list says of each path, by JavaScript. */
const paths = ['/var/task/.env', '/var/task/a/b.js', '/var/task', '/usr/lib/python3.11/os.py', '/usr/lib/python2/x', '/tmp/x\ny', '/var/task/node_modules/a/b/c.node', '/var/task/x.node'];

t.test('JavaScript and Python read the regular expressions alike', { skip: existsSync('/usr/bin/python3') ? false : 'python3 is not installed' }, async (t) => {
  const policy = seatbeltPolicy(load({ 'p.yaml': profileText }));
  const lists = { read: policy.files!.read, write: policy.files!.write, deny: policy.files!.deny, exec: policy.exec!.allow, native: policy.native };
  const sources = Object.fromEntries(Object.entries(lists).map(([k, l]) => [k, l.entries.map((e) => e.re)]));
  const js = Object.fromEntries(Object.entries(sources).map(([k, res]) => [k, paths.map((p) => res.some((re) => new RegExp(re, 's').test(p)))]));
  const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', [
    'import json, re, sys',
    'src, paths = json.loads(sys.stdin.read())',
    'print(json.dumps({k: [any(re.match(r, p, re.DOTALL) for r in rs) for p in paths] for k, rs in src.items()}))',
  ].join('\n')], { input: JSON.stringify([sources, paths]), encoding: 'utf8' })) as typeof js;
  t.same(py, js, 'the same answers');
  t.same(js.deny, paths.map((p) => p === '/var/task/.env'), 'and they are the right ones (deny)');
  t.same(js.native, paths.map((p) => p === '/var/task/node_modules/a/b/c.node'), '(native: ** then *.node)');
  t.same(js.read, [true, true, true, true, false, false, false, true].map((x, i) => x || paths[i]!.startsWith('/var/task/node_modules')), '(read: /var/task itself and below, python3* only)');
});
