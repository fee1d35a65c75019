// Generalisation: each rule of lib/record/generalise.ts, its limits, and
// that what it writes is a valid v1 glob or address that still matches what
// was observed.
import t from 'tap';
import { compileGlobs, parseAddress } from '../../lib/profile/index.js';
import {
  collapsible, covers, generaliseAddresses, localPortRange, generaliseFiles, generalisePrograms, nameGlob, validGlob, type Entry,
} from '../../lib/record/generalise.js';
import type { Observation } from '../../lib/trace/observation.js';
import { Rng } from '../helpers/random.js';

const files = (paths: Record<string, 'r' | 'w' | 'rw'>): Observation['files'] =>
  Object.fromEntries(Object.entries(paths).map(([p, a]) => [p, { read: a.includes('r') ? 1 : 0, write: a.includes('w') ? 1 : 0 }]));
const reads = (...ps: string[]) => files(Object.fromEntries(ps.map((p) => [p, 'r' as const])));
const writes = (...ps: string[]) => files(Object.fromEntries(ps.map((p) => [p, 'w' as const])));
const values = (es: readonly Entry[]) => es.map((e) => e.value);
const glob = (p: string) => nameGlob(p).glob;

t.test('per-run names become * within their segment, the rest stays literal', async (t) => {
  const cases: [string, string][] = [
    ['/tmp/upload-3f2a.json', '/tmp/upload-*.json'],
    ['/tmp/tmp.XkR2pL9aQz', '/tmp/tmp.??????????'],
    ['/var/task/tmp.AbCdEf', '/var/task/tmp.??????'],
    ['/tmp/upload-Ab3xYz', '/tmp/upload-??????'],
    ['/tmp/upload-abc123', '/tmp/upload-??????'],
    ['/tmp/tmpk3jd_l2a', '/tmp/tmp????????'],
    ['/tmp/c6af9ac6-7b61-11e6-9a41-93e8deadbeef.log', '/tmp/*.log'],
    ['/var/task/cache/req-C6AF9AC6-7B61-11E6-9A41-93E8DEADBEEF/body', '/var/task/cache/req-*/body'],
    ['/tmp/trace-1-5759e988-bd862e3fe1be46a994272793.json', '/tmp/trace-*.json'],
    ['/home/u/.cache/v8/0123456789abcdef0123/x.bin', '/home/u/.cache/v8/*/x.bin'],
    ['/var/task/data/1700000000123.json', '/var/task/data/*.json'],
    ['/var/cache/app/ZXhhbXBsZTEyM3Rva2Vu9x.bin', '/var/cache/app/*.bin'],
    ['/tmp/jest_12345/map.json', '/tmp/jest_*/map.json'],
    ['/tmp/node-compile-cache-4411/x', '/tmp/node-compile-cache-*/x'],
    ['/proc/self/fd/17', '/proc/self/fd/*'],
    ['/proc/self/task/4242/comm', '/proc/self/task/*/comm'],
    ['/dev/pts/3', '/dev/pts/*'],
  ];
  for (const [path, want] of cases) {
    const n = nameGlob(path);
    t.equal(n.glob, want, path);
    t.equal(n.rule, 'per-run name', `${path}: says which rule`);
    t.ok(validGlob(n.glob), `${n.glob} is a valid v1 glob`);
    t.ok(compileGlobs([n.glob]).test(path), `${n.glob} matches ${path}`);
  }
});

t.test('temp-name schemes: every name a scheme draws gives one glob, no wider than the scheme, matching it', async (t) => {
  const rng = new Rng(Number(process.env.SEED ?? 20261206));
  const draw = (chars: string, n: number) => Array.from({ length: n }, () => rng.pick([...chars])).join('');
  const PY = 'abcdefghijklmnopqrstuvwxyz0123456789_';
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // A random part of digits only goes to the digit rule ("*"): 1 draw in 30,000 for CPython's 8, 1 in 55,000 for 6.
  const notDigits = (f: () => string) => () => { for (;;) { const s = f(); if (!/^\d+$/.test(s)) return s; } };
  const py8 = notDigits(() => draw(PY, 8));
  const six = notDigits(() => draw(ALNUM, 6));
  const schemes: [string, () => string, string][] = [
    ["CPython's mkdtemp()", () => `/tmp/tmp${py8()}`, '/tmp/tmp????????'],
    ["CPython's mkdtemp() and a file in it", () => `/tmp/tmp${py8()}/x`, '/tmp/tmp????????/x'],
    ["CPython's gettempdir() probe", () => `/tmp/${py8()}`, '/tmp/????????'],
    ["CPython's mkstemp(suffix='.tar.gz')", () => `/tmp/tmp${py8()}.tar.gz`, '/tmp/tmp????????.tar.gz'],
    ["CPython's mkstemp(prefix='job-', suffix='')", () => `/var/tmp/job-${py8()}`, '/var/tmp/job-????????'],
    ["Node's mkdtempSync(join(tmpdir(), 'app-'))", () => `/tmp/app-${six()}/out.json`, '/tmp/app-??????/out.json'],
    ["glibc's mkstemp('/tmp/data.XXXXXX')", () => `/tmp/data.${six()}`, '/tmp/data.??????'],
    ["glibc's mkdtemp('/dev/shm/sem_XXXXXX')", () => `/dev/shm/sem_${six()}`, '/dev/shm/sem_??????'],
    ['mktemp(1), mktemp -d', () => `/tmp/tmp.${draw(ALNUM, 10)}`, '/tmp/tmp.??????????'],
    ['mktemp -t report.XXXXXXXX', () => `/tmp/report.${draw(ALNUM, 8)}`, '/tmp/report.????????'],
    ["Go's os.MkdirTemp(\"\", \"app-\")", () => `/tmp/app-${rng.int(2 ** 32)}`, '/tmp/app-*'],
    // With no separator before the number, eight digits at least (Go draws fewer 1 time in 430).
    ["Go's os.CreateTemp(\"\", \"app\")", () => `/tmp/app${1e7 + rng.int(2 ** 32 - 1e7)}`, '/tmp/app*'],
    ["Java's File.createTempFile(\"upload\", null)", () => `/tmp/upload${rng.u64()}.tmp`, '/tmp/upload*.tmp'],
  ];
  for (const [what, name, want] of schemes) {
    const names = Array.from({ length: 2000 }, name);
    const globs = new Set(names.map((n) => nameGlob(n).glob));
    t.same([...globs], [want], `${what}: 2000 draws, one glob (seed ${rng.seed})`);
    t.ok(names.every((n) => compileGlobs([want]).test(n)), `${what}: it matches every draw`);
  }
  // The probe's shape is the one bare name recognised: only directly in a temporary directory.
  t.equal(glob('/tmp/work/settings'), '/tmp/work/settings', 'eight letters below a temporary directory stay');
  t.equal(glob('/var/task/tmpk3jd_l2a'), '/var/task/tmpk3jd_l2a', 'and no scheme outside temporary directories but mktemp(1)\'s');
  t.equal(glob('/tmp/secret2024.key'), '/tmp/secret2024.key', 'a short number after letters is a name, not a draw');
});

t.test('stable names stay exact', async (t) => {
  for (const path of [
    '/usr/lib/x86_64-linux-gnu/libcrypto.so.3', '/var/task/node_modules/x86_64-linux-gnu/a', '/tmp/node-v20.11.0/bin/node',
    '/tmp/python3.11/site.py', '/tmp/CamelCaseName', '/tmp/upload-abcd.json', '/etc/ssl/certs/ca-certificates.crt',
    '/var/task/ProtocolBuffers2/x', '/tmp/v8-compile-cache-0', '/tmp/a-1', '/usr/lib/libstdc++.so.6.0.30',
  ]) {
    const n = nameGlob(path);
    t.equal(n.glob, path, path);
    t.equal(n.rule, undefined, `${path}: no rule`);
  }
});

t.test('the first segment is never generalised', async (t) => {
  t.equal(glob('/c6af9ac6-7b61-11e6-9a41-93e8deadbeef/x'), '/c6af9ac6-7b61-11e6-9a41-93e8deadbeef/x');
  t.equal(glob('/0123456789abcdef0123'), '/0123456789abcdef0123');
});

t.test('characters a v1 glob cannot hold become ? and still match', async (t) => {
  const path = '/var/task/app/[id]/{x}\\y.js';
  const g = glob(path);
  t.equal(g, '/var/task/app/?id?/?x??y.js');
  t.ok(validGlob(g));
  t.ok(compileGlobs([g]).test(path));
});

t.test("other processes' /proc: /proc/* only where harmless; mem and environ stay exact and warn", async (t) => {
  t.same(nameGlob('/proc/3111/stat'), { glob: '/proc/*/stat', rule: 'other process' });
  t.same(nameGlob('/proc/3111'), { glob: '/proc/*', rule: 'other process' });
  t.equal(glob('/proc/3111/task/3115/status'), '/proc/*/task/*/status');
  t.equal(glob('/proc/3111/ns/net'), '/proc/*/ns/net');
  for (const p of ['/proc/3111/mem', '/proc/3111/environ', '/proc/3111/task/3115/mem', '/proc/3111/fd/3', '/proc/3111/root/etc/passwd', '/proc/3111/maps']) {
    t.equal(glob(p), p, `${p} stays exact`);
  }
  t.equal(glob('/proc/1/cgroup'), '/proc/1/cgroup', 'init is the same every run');

  const r = generaliseFiles(reads('/proc/3111/mem', '/proc/3111/environ', '/proc/3119/fd/4', '/proc/3111/stat', '/proc/3119/stat'));
  t.same(values(r.read), ['/proc/*/stat', '/proc/3111/environ', '/proc/3111/mem', '/proc/3119/fd/4']);
  t.match(r.warnings.join('\n'), /reads \/proc\/3111\/mem: another process's memory/);
  t.match(r.warnings.join('\n'), /reads \/proc\/3111\/environ: another process's environment/);
  t.match(r.warnings.join('\n'), /\/proc\/3119\/fd\/4: another process's \/proc entry stays exact/);
  t.same(r.read.find((e) => e.value === '/proc/3111/mem')?.warnings, ["another process's memory"], 'the entry carries its warning');
});

t.test('shared libraries: their directory/**', async (t) => {
  const r = generaliseFiles(reads(
    '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libssl.so.3', '/usr/lib/x86_64-linux-gnu/tls/haswell/libc.so.6',
    '/lib64/ld-linux-x86-64.so.2', '/opt/lib/libfoo.so', '/etc/ld.so.cache', '/libroot.so', '/tmp/evil.so', '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules',
    '/etc/libetc.so.1', '/opt/libopt.so', '/home/u/libhome.so', '/home/u/.ssh/x.so',
  ));
  t.same(values(r.read), [
    '/etc/ld.so.cache', '/etc/libetc.so.1', '/home/u/.ssh/x.so', '/home/u/libhome.so', '/lib64/**', '/libroot.so', '/opt/lib/**', '/opt/libopt.so', '/tmp/evil.so',
    '/usr/lib/x86_64-linux-gnu/**',
  ], 'not at /, in /tmp, at another top-level directory, in a home or a secret place');
  const libs = r.read.find((e) => e.value === '/usr/lib/x86_64-linux-gnu/**')!;
  t.equal(libs.rule, 'shared libraries');
  t.equal(libs.count, 4, 'the libraries, the probe under tls/ and the file it covers');
  t.equal(libs.example, '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules', 'the first concrete path, for the comment');
  const w = generaliseFiles(writes('/opt/lib/libfoo.so'));
  t.same(values(w.write), ['/opt/lib/libfoo.so'], 'a library written stays exact');
});

t.test('directories: DIR/** from the threshold on, not below it', async (t) => {
  const under = (dir: string, n: number) => Array.from({ length: n }, (_, i) => `${dir}/f${i}.js`);
  t.same(values(generaliseFiles(reads(...under('/var/task/lib', 7))).read), under('/var/task/lib', 7).sort(), '7 entries: exact');
  const eight = generaliseFiles(reads(...under('/var/task/lib', 8))).read;
  t.same(values(eight), ['/var/task/lib/**'], '8 entries: DIR/**');
  t.same({ rule: eight[0]!.rule, count: eight[0]!.count, example: eight[0]!.example }, { rule: 'directory', count: 8, example: '/var/task/lib/f0.js' });
  const nested = generaliseFiles(reads(...under('/var/task/a', 3), ...under('/var/task/b/c', 3), '/var/task/index.mjs', '/var/task/package.json')).read;
  t.same(values(nested), ['/var/task/**'], 'entries below count too; the shallowest directory wins');
  t.same(values(generaliseFiles(reads(...under('/var/task/lib', 20)), { dirThreshold: 30 }).read).length, 20, 'the threshold is a parameter');
  const ids = generaliseFiles(reads(...Array.from({ length: 12 }, (_, i) => `/var/task/out/c6af9ac6-7b61-11e6-9a41-93e8deadbe${String(i).padStart(2, '0')}.json`)));
  t.same(values(ids.read), ['/var/task/out/*.json'], 'a per-run name counts once, whatever the number of files');
});

t.test('never / or /**, nor a top-level directory, nor broad or sensitive places', async (t) => {
  const many = (dir: string) => Array.from({ length: 20 }, (_, i) => `${dir}/x${i}/y`);
  for (const dir of ['', '/etc', '/usr', '/home', '/root', '/proc', '/sys', '/dev', '/opt', '/var']) {
    const out = values(generaliseFiles(reads(...many(dir))).read);
    t.notOk(out.includes('/') || out.includes('/**'), `${dir || '/'}: never / or /**`);
    t.notOk(out.some((g) => g === `${dir}/**`), `${dir || '/'}: not ${dir}/**`);
  }
  t.notOk(collapsible('/', 'read'), '/');
  t.notOk(collapsible('/etc', 'read'), 'top level');
  t.notOk(collapsible('/home/alice', 'read'), 'a home holds ~/.ssh');
  t.ok(collapsible('/home/alice/project', 'read'), 'a project in it is fine');
  t.notOk(collapsible('/home/alice/.ssh', 'read'), 'nothing inside a secret place');
  t.notOk(collapsible('/home/alice/.config', 'read'), 'not over ~/.config/gcloud');
  t.notOk(collapsible('/etc/ssl', 'read'), 'not over /etc/ssl/private');
  t.ok(collapsible('/etc/ssl/certs', 'read'));
  t.ok(collapsible('/root/app', 'read'), "inside root's home: fine, it warns");
  t.notOk(collapsible('/var/lib', 'read'));
  t.notOk(collapsible('/proc/3111', 'read'), "another process's /proc");
  t.notOk(collapsible('/proc/*', 'read'));
  t.ok(collapsible('/proc/self', 'read'));
  t.notOk(collapsible('/proc/self', 'write'), 'writes: not under /proc');
  t.notOk(collapsible('/usr/share', 'write'), 'writes: not system directories');
  t.ok(collapsible('/usr/share', 'read'));
  t.notOk(collapsible('/dev/input', 'read'), 'devices stay exact');
  t.notOk(collapsible('/tmp', 'read'), 'temporary directories have their own rule');
  t.ok(collapsible('/tmp/work', 'write'));

  const home = generaliseFiles(reads(...many('/home/alice/src').slice(0, 4), ...many('/home/alice/.cache').slice(0, 4), '/home/alice/.bashrc'));
  t.notOk(values(home.read).includes('/home/alice/**'), 'not /home/alice/**');
});

t.test('temporary directories: /tmp/x/** by the threshold, /tmp/** only for many names directly in /tmp', async (t) => {
  const inOne = Array.from({ length: 12 }, (_, i) => `/tmp/work/part${i}.dat`);
  t.same(values(generaliseFiles(writes(...inOne)).write), ['/tmp/work/**']);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => `/tmp/${x}.txt`);
  const six = generaliseFiles(writes(...names.slice(0, 6), '/tmp/work/1', '/tmp/work/2', '/tmp/work/3')).write;
  t.equal(six.length, 9, '6 names and a directory are 7 names directly in /tmp: all exact');
  const seven = generaliseFiles(writes(...names, '/tmp/work/1', '/tmp/work/2')).write;
  t.same(values(seven), ['/tmp/**'], '7 names and a directory are 8: /tmp/**');
  t.same(values(generaliseFiles(writes(...names)).write).length, 7, '7 distinct names in /tmp: not /tmp/**');
  const eight = generaliseFiles(writes(...names, '/tmp/h.txt')).write;
  t.same(values(eight), ['/tmp/**'], '8 distinct names in /tmp: /tmp/**');
  t.equal(eight[0]!.rule, 'directory');
  t.equal(eight[0]!.count, 8);
  const deep = generaliseFiles(writes(...Array.from({ length: 40 }, (_, i) => `/tmp/work/d${i % 4}/f${i}`))).write;
  t.same(values(deep), ['/tmp/work/**'], 'many files in one scratch directory: that directory, not /tmp/**');
  const perRun = generaliseFiles(writes(...Array.from({ length: 30 }, (_, i) => `/tmp/upload-${(0x3f2a + i * 7).toString(16)}.json`))).write;
  t.same(values(perRun), ['/tmp/upload-*.json'], 'one per-run name is one name, however many files');
  t.equal(perRun[0]!.count, 30);
  t.equal(perRun[0]!.example, '/tmp/upload-3f2a.json');
});

t.test('write implies read: a path written is listed under write only', async (t) => {
  const r = generaliseFiles({ '/tmp/out.json': { read: 3, write: 1 }, '/tmp/in.json': { read: 2, write: 0 }, '/var/task/x': { read: 1, write: 0 } });
  t.same(values(r.write), ['/tmp/out.json']);
  t.same(values(r.read), ['/tmp/in.json', '/var/task/x']);
  t.equal(r.write[0]!.calls, 4, 'its reads and writes');
  const covered = generaliseFiles({ ...writes(...Array.from({ length: 8 }, (_, i) => `/tmp/w/${i}`)), '/tmp/w/extra-read': { read: 1, write: 0 } });
  t.same(values(covered.write), ['/tmp/w/**']);
  t.same(values(covered.read), [], 'a read the write glob covers is dropped');
});

t.test('covers', async (t) => {
  t.ok(covers('/var/task/**', '/var/task/a/b'));
  t.ok(covers('/var/task/**', '/var/task'));
  t.ok(covers('/var/task/**', '/var/task/x/**'));
  t.ok(covers('/tmp/*.json', '/tmp/upload-*.json'));
  t.notOk(covers('/tmp/*', '/tmp/a/**'), 'one segment does not cover a subtree');
  t.notOk(covers('/tmp/a?c', '/tmp/a*c'), 'conservative with ?');
  t.notOk(covers('/var/task/a', '/var/task/**'));
});

t.test('programs: per-run names only, each program its own entry', async (t) => {
  const r = generalisePrograms({
    '/usr/bin/convert': 2, '/usr/bin/identify': 1, '/bin/sh': 1, '/tmp/tmp.XkR2pL9aQz/tool': 1, '/usr/bin/sudo': 1,
    ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`/usr/bin/p${i}`, 1])),
  });
  t.ok(values(r.entries).includes('/tmp/tmp.??????????/tool'));
  t.notOk(values(r.entries).includes('/usr/bin/**'), 'never a directory of programs');
  t.equal(r.entries.length, 15);
  t.match(r.warnings, [/starts \/usr\/bin\/sudo: a privilege-changing program/]);
});

t.test('addresses: ephemeral local ports become the range, fixed ports stay', async (t) => {
  const c = generaliseAddresses({
    '127.0.0.1:9001': 5, '127.0.0.1:43817': 1, '127.0.0.1:50123': 1, '[::1]:52001': 1, '10.0.3.7:5432': 2, '10.0.3.7:50051': 1,
    '127.0.0.1:61000': 1, '127.0.0.1:32767': 1,
  }, 'connect');
  t.same(values(c.entries), ['10.0.3.7:50051', '10.0.3.7:5432', '127.0.0.1:32767', '127.0.0.1:32768-60999', '127.0.0.1:61000', '127.0.0.1:9001', '[::1]:32768-60999']);
  const eph = c.entries.find((e) => e.value === '127.0.0.1:32768-60999')!;
  t.same({ rule: eph.rule, count: eph.count, calls: eph.calls, example: eph.example }, { rule: 'ephemeral port', count: 2, calls: 2, example: '127.0.0.1:43817' });

  const b = generaliseAddresses({ '0.0.0.0:40411': 1, '0.0.0.0:8080': 1, '0.0.0.0:0': 1, '[::]:45000': 1, 'unix:': 2 }, 'bind', { portRange: [40000, 50000] });
  t.same(values(b.entries), ['0.0.0.0:0', '0.0.0.0:40000-50000', '0.0.0.0:8080', '[::]:40000-50000', 'unix:@*'], 'bind: any host; the range is a parameter; autobind is unix:@*');
  t.same(values(generaliseAddresses({ 'unix:': 1 }, 'connect').entries), [], 'the unnamed address connects nowhere');

  const u = generaliseAddresses({
    'unix:/tmp/tmp.XkR2pL9aQz/sock': 1, 'unix:@/tmp/dbus-4411': 1, 'unix:@app\\0x': 1, 'unix:/var/run/docker.sock': 1,
    '10.0.0.1:53, 10.0.0.2:53': 1, 'netlink:0': 1,
  }, 'connect');
  t.same(values(u.entries), ['10.0.0.1:53', '10.0.0.2:53', 'unix:/tmp/tmp.??????????/sock', 'unix:/var/run/docker.sock', 'unix:@/tmp/dbus-*', 'unix:@app?x']);
  for (const e of u.entries) t.notOk('message' in parseAddress(e.value), `${e.value} parses`);
  t.match(u.warnings.join('\n'), /connects to unix:\/var\/run\/docker\.sock: the container runtime/);
  t.match(u.warnings.join('\n'), /left out 1 address\(es\) no rule can express, e.g. "netlink:0"/);
  t.match(generaliseAddresses({ '169.254.169.254:80': 1 }, 'connect').warnings, [/cloud metadata service/]);
});

t.test("the kernel's port range", async (t) => {
  t.same(localPortRange('32768\t60999\n'), [32768, 60999]);
  t.same(localPortRange('1024 65535'), [1024, 65535]);
  t.equal(localPortRange('60999 32768'), undefined);
  t.equal(localPortRange('garbage'), undefined);
  const live = localPortRange();
  t.ok(live === undefined || (live[0] <= live[1] && live[1] <= 65535), 'this machine\'s, when readable');
});

t.test('sensitive grants are reported, once per reason', async (t) => {
  const r = generaliseFiles({
    ...reads('/home/sbx/.aws/credentials', '/home/sbx/.aws/config', '/root/.ssh/id_ed25519', '/etc/shadow', '/etc/sudoers.d/90-cloud', '/var/run/secrets/kubernetes.io/serviceaccount/token'),
    ...writes('/etc/hosts', '/root/notes.txt'),
  });
  t.same(r.warnings, [
    'writes /etc/hosts: a system file',
    "writes /root/notes.txt: root's home directory",
    'reads 2 paths such as /home/sbx/.aws/config: AWS credentials',
    'reads /root/.ssh/id_ed25519: SSH keys',
    'reads /var/run/secrets/kubernetes.io/serviceaccount/token: mounted secrets (service account tokens)',
    'reads /etc/shadow: password hashes',
    'reads /etc/sudoers.d/90-cloud: sudo configuration',
  ]);
  const aws = Array.from({ length: 10 }, (_, i) => `/home/sbx/.aws/f${i}`);
  t.notOk(values(generaliseFiles(reads(...aws)).read).includes('/home/sbx/.aws/**'), 'a secret place is never widened');
});
