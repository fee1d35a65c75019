// writeProfile: the YAML loads, compiles for both arches, allows everything
// that was observed, and is byte-stable; families, per-arch lists, the
// header, base-profile subtraction and warnings.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, syscallTable } from '../../lib/arch/index.js';
import { compileProfile } from '../../lib/compile/index.js';
import { loadProfile, type Profile } from '../../lib/profile/index.js';
import { listsFor } from '../../lib/profile/types.js';
import type { Observation } from '../../lib/trace/observation.js';
import { profileName, writeProfile } from '../../lib/record/profile-text.js';
import { Rng } from '../helpers/random.js';
import { FIXTURES, fixtureObservation, loadText, observation, refusals } from './helpers.js';

const names = (l: readonly { value: string }[]) => l.map((x) => x.value);
const COMMAND = ['/var/lang/bin/node', '/var/task/index.mjs'];

/** Loads and compiles for both arches; no family warnings. */
function compilesEverywhere(t: Tap.Test, yaml: string, files: Record<string, string> = {}): Profile {
  const { profile, warnings } = loadText(yaml, files);
  t.same(warnings, [], 'loads without warnings');
  for (const arch of ARCHES) {
    const c = compileProfile(profile, arch);
    t.same(c.warnings.map((w) => w.message), [], `compiles for ${arch} without warnings`);
  }
  return profile;
}

t.test('the fixture recording: loads, compiles for both arches, allows everything observed', async (t) => {
  const obs = fixtureObservation();
  const { yaml } = writeProfile(obs, { command: COMMAND, extendsName: 'nodejs' });
  const profile = compilesEverywhere(t, yaml);
  t.same(refusals(loadText(yaml), obs), [], 'every path, program and destination is allowed');
  t.equal(profile.name, 'node');
  t.same(profile.sources.map((s) => s.split('/').pop()), ['recorded.yaml', 'nodejs.yaml'], 'extends nodejs');
  t.equal(profile.default.value, 'deny');
  t.ok(profile.files && profile.exec && profile.network && profile.process, 'every section present');
  t.equal(profile.process!.fork.value, true);
});

t.test('the text: header, sections, comments', async (t) => {
  const { yaml, warnings } = writeProfile(fixtureObservation(), { command: [...COMMAND, 'it is'], extendsName: 'nodejs' });
  const lines = yaml.split('\n');
  t.equal(lines[0], "# Recorded by syscage record from: /var/lang/bin/node /var/task/index.mjs 'it is'");
  const obs = fixtureObservation();
  const calls = Object.values(obs.syscalls).reduce((a, b) => a + b, 0);
  t.equal(lines[1], `# Seen on x86_64: ${calls} calls, ${Object.keys(obs.syscalls).length} distinct syscalls, ${Object.keys(obs.files).length} paths, ` +
    '2 programs, 11 destinations; 1 process and 6 threads created.');
  t.notMatch(yaml, /INCOMPLETE|Date:/, 'complete, and no date unless asked for');
  for (const key of ['version: 1', 'name: node', 'extends: nodejs', 'default: deny', 'syscalls:', '  allow:', '  x86_64:', 'files:', '  read:', '  write:', 'exec:', 'network:', '  connect:', '  bind:', 'process:']) {
    t.ok(lines.includes(key), `has "${key}"`);
  }
  t.match(yaml, /\n {4}- \/tmp\/upload-\*\.json +# 4 files, e\.g\. \/tmp\/upload-3f2a\.json\n/, 'a generalised entry: count and one example');
  t.match(yaml, /\n {4}- \/usr\/lib\/x86_64-linux-gnu\/\*\* +# shared libraries: 10 files, e\.g\. /);
  t.match(yaml, /\n {4}- \/var\/task\/\*\* +# many entries: \d+ files, e\.g\. \/var\/task\/index\.mjs\n/);
  t.match(yaml, /\n {4}- \/etc\/hosts +# 2 reads\n/, 'an exact entry: its calls');
  t.match(yaml, /\n {4}- openat +# 141 calls\n/);
  t.match(yaml, /\n {4}- openat2 +# not seen; family of openat\n/);
  t.match(yaml, /\n {4}- "127\.0\.0\.1:32768-60999" +# ephemeral ports: 1 address, e\.g\. 127\.0\.0\.1:43817\n/);
  t.match(yaml, /\n {4}- "unix:@\*" +# autobind/);
  t.match(yaml, /\n {2}fork: true {2}# 1 process created\n/);
  t.match(yaml, /# used but not allowed \(see the warning above\): io_uring_setup \(1 call\)/);
  // Warnings: returned, in the header and above the entry.
  t.ok(warnings.some((w) => /reads \/home\/sbx_user1051\/\.aws\/credentials: AWS credentials/.test(w)));
  t.ok(warnings.some((w) => /169\.254\.169\.254:80: the cloud metadata service/.test(w)));
  for (const w of warnings) t.ok(yaml.includes(`# WARNING: ${w}`), `in the header: ${w.slice(0, 50)}...`);
  t.match(yaml, /# WARNING: AWS credentials\n {4}- \/home\/sbx_user1051\/\.aws\/credentials/, 'and above the entry');
});

t.test('no programs, no network, no forks are recorded as such', async (t) => {
  const { yaml } = writeProfile(observation({ paths: { '/var/task/a': 'r' } }), { command: ['./run'] });
  t.match(yaml, /\nexec:\n {2}allow: \[\]\n/);
  t.match(yaml, /\nnetwork:\n {2}connect: \[\]\n {2}bind: \[\]\n/);
  t.match(yaml, /\nprocess:\n {2}fork: false/);
  t.match(yaml, /\nfiles:\n {2}read:\n {4}- \/var\/task\/a +# 1 read\n {2}write: \[\]\n/);
  const p = compilesEverywhere(t, yaml);
  t.same(names(p.exec!.allow), []);
  t.equal(p.process!.fork.value, false);
  t.equal(p.name, 'run');
  t.notOk(yaml.includes('extends'), 'no extends unless asked for');
  t.match(writeProfile(observation(), { command: [] }).yaml, /\nname: recorded\n/);
  t.equal(profileName(['/usr/bin/python3.11', 'x.py']), 'python3.11');
  t.equal(profileName(['my app!']), 'my-app');
});

t.test('incomplete runs say so at the top; a date only when given', async (t) => {
  const { yaml } = writeProfile(observation(), { command: ['node'], incomplete: 'interrupted by SIGINT', date: '2024-05-01' });
  const lines = yaml.split('\n');
  t.equal(lines[1], '# INCOMPLETE: interrupted by SIGINT — the run did not finish; review before use');
  t.equal(lines[2], '# Date: 2024-05-01');
  compilesEverywhere(t, yaml);
});

t.test('stable: the same observation gives the same bytes, whatever its key order', async (t) => {
  const obs = fixtureObservation();
  const a = writeProfile(obs, { command: COMMAND }).yaml;
  t.equal(writeProfile(obs, { command: COMMAND }).yaml, a, 'twice');
  const reversed = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).reverse());
  const shuffled = {
    ...obs,
    syscalls: reversed(obs.syscalls), files: reversed(obs.files), exec: reversed(obs.exec), connect: reversed(obs.connect), bind: reversed(obs.bind),
  } as Observation;
  t.equal(writeProfile(shuffled, { command: COMMAND }).yaml, a, 'keys in another order');
});

t.test('families: the whole family, arch-only members under their arch', async (t) => {
  const obs = observation({ syscalls: { open: 3, stat: 2, dup2: 1, poll: 1, select: 1, epoll_wait: 4, pipe: 1, access: 1, clone3: 2, readlink: 1, eventfd2: 1 }, threads: 2 });
  const { yaml } = writeProfile(obs, { command: ['x'] });
  const p = compilesEverywhere(t, yaml);
  const common = names(p.syscalls.allow);
  const x86 = names(p.syscalls.arch.x86_64?.allow ?? []);
  for (const n of ['openat', 'openat2', 'newfstatat', 'statx', 'fstat', 'dup3', 'ppoll', 'pselect6', 'epoll_pwait', 'epoll_pwait2', 'pipe2', 'faccessat', 'faccessat2', 'clone', 'clone3', 'readlinkat', 'eventfd2']) {
    t.ok(common.includes(n), `${n} for both arches`);
  }
  for (const n of ['open', 'creat', 'stat', 'lstat', 'dup2', 'poll', 'select', 'epoll_wait', 'pipe', 'access', 'readlink', 'eventfd']) {
    t.ok(x86.includes(n), `${n} under syscalls.x86_64`);
    t.notOk(common.includes(n), `${n} not for both`);
  }
  t.notOk([...common, ...x86].includes('fork'), 'no fork without a process created');
  t.notOk([...common, ...x86].includes('vfork'));
  t.same(p.syscalls.arch.aarch64, undefined, 'nothing exists on aarch64 only');
  for (const n of ['exit', 'exit_group', 'restart_syscall', 'rt_sigreturn']) t.ok(common.includes(n), `${n}: always`);
  // Every name lands where it exists.
  const table = syscallTable();
  for (const n of common) t.ok(ARCHES.every((a) => table.number(a, n) !== undefined), `${n} exists on both`);

  const forked = writeProfile({ ...obs, forks: 1 }, { command: ['x'] }).yaml;
  const pf = compilesEverywhere(t, forked);
  t.ok(['fork', 'vfork'].every((n) => names(pf.syscalls.arch.x86_64!.allow).includes(n)), 'fork and vfork once a process was created');
});

t.test('exact: only what was seen, still split by arch so it compiles on both', async (t) => {
  const obs = observation({ syscalls: { open: 3, openat: 1, read: 2, arch_prctl: 1 } });
  const { yaml } = writeProfile(obs, { command: ['x'], exact: true });
  const { profile } = loadText(yaml);
  t.same(names(profile.syscalls.allow), ['openat', 'read']);
  t.same(names(profile.syscalls.arch.x86_64!.allow), ['arch_prctl', 'open']);
  for (const arch of ARCHES) t.ok(compileProfile(profile, arch), `compiles for ${arch}`);
  t.match(yaml, /exactly those seen/);
});

t.test('recorded on aarch64: compiles on x86_64 too', async (t) => {
  const obs = observation({ arch: 'aarch64', syscalls: { openat: 4, newfstatat: 2, dup3: 1, ppoll: 1, pipe2: 1, clone: 1 }, forks: 1 });
  const { yaml } = writeProfile(obs, { command: ['x'] });
  t.match(yaml, /Seen on aarch64/);
  const p = compilesEverywhere(t, yaml);
  t.ok(['open', 'creat', 'dup2', 'poll', 'pipe', 'fork', 'vfork'].every((n) => names(p.syscalls.arch.x86_64!.allow).includes(n)), "x86_64's old forms come along");
});

t.test('seccomp and io_uring are never allowed by a recording; unknown names are left out', async (t) => {
  const { yaml, warnings } = writeProfile(observation({ syscalls: { read: 1, io_uring_setup: 2, seccomp: 1, no_such_call: 1 } }), { command: ['x'] });
  const { profile } = loadText(yaml);
  const all = [...names(profile.syscalls.allow), ...names(profile.syscalls.arch.x86_64?.allow ?? [])];
  t.notOk(all.includes('io_uring_setup') || all.includes('seccomp'));
  t.match(warnings.join('\n'), /used but not allowed: io_uring_setup, seccomp/);
  t.match(warnings.join('\n'), /left out syscalls this syscage does not know: no_such_call/);
  t.match(yaml, /# used but not allowed \(see the warning above\): io_uring_setup \(2 calls\), seccomp \(1 call\)/);
});

t.test('a base profile: only what it does not allow is recorded, and the output extends it', async (t) => {
  const baseFile = join(FIXTURES, 'base.yaml');
  const { profile: base } = loadProfile(baseFile);
  const obs = fixtureObservation();
  const out = join(FIXTURES, 'out', 'recorded.yaml');
  const { yaml, warnings } = writeProfile(obs, { command: COMMAND, base, extendsName: baseFile, output: out });
  t.match(yaml, /\nextends: \.\.\/base\.yaml\n/, 'extends the base, relative to the output');
  t.match(yaml, /Extends .*base\.yaml: only what it does not already allow is listed\./);
  const { profile } = loadText(yaml, {}, out);
  t.same(profile.sources.map((s) => s.split('/').pop()), ['recorded.yaml', 'base.yaml', 'nodejs.yaml']);
  const own = loadText(yaml.replace(/\nextends: .*\n/, '\n'), {}, out).profile;
  const ownSys = names(own.syscalls.allow);
  for (const n of ['read', 'openat', 'close', 'futex']) t.notOk(ownSys.includes(n), `${n}: nodejs allows it already`);
  t.ok(names(own.syscalls.arch.x86_64!.allow).includes('arch_prctl') === false, 'nodejs allows arch_prctl on x86_64');
  const ownRead = names(own.files!.read);
  t.notOk(ownRead.some((g) => g.startsWith('/usr/lib/') || g.startsWith('/lib64/')), 'base files.read covers the libraries');
  t.notOk(ownRead.includes('/etc/hosts'));
  t.ok(ownRead.includes('/etc/passwd'), 'what the base does not allow stays');
  t.notOk(names(own.files!.write).includes('/dev/null'), 'base files.write covers /dev/null');
  t.same(names(own.exec!.allow), ['/usr/bin/convert'], 'base exec.allow covers /bin/sh');
  t.notOk(own.network!.connect.some((a) => a.value.text === '127.0.0.1:9001'));
  t.match(warnings.join('\n'), /the base profile denies \/home\/sbx_user1051\/\.aws\/credentials \(files\.deny\)/);
  for (const arch of ARCHES) compileProfile(profile, arch);
  const left = refusals(loadText(yaml, {}, out), obs);
  t.same(left, ['denied /home/sbx_user1051/.aws/credentials'], 'everything else is allowed by the two together');
});

t.test('a base that allows a syscall on one arch: recorded for the other only', async (t) => {
  const baseText = 'version: 1\nsyscalls:\n  allow: [read]\n  x86_64:\n    allow: [openat, newfstatat, write]\n  deny: [flock]\n';
  const { profile: base } = loadText(baseText, {}, '/virtual/base.yaml');
  const obs = observation({ syscalls: { read: 1, openat: 1, write: 1, flock: 1 } });
  const { yaml, warnings } = writeProfile(obs, { command: ['x'], base, extendsName: './base.yaml', exact: true });
  const { profile } = loadText(yaml, { '/virtual/base.yaml': baseText });
  const own = loadText(yaml.replace(/\nextends: .*\n/, '\n')).profile;
  t.same(names(own.syscalls.allow), ['flock']);
  t.same(names(own.syscalls.arch.aarch64!.allow), ['openat', 'write'], 'the base allows them on x86_64 only');
  t.same(own.syscalls.arch.x86_64, undefined);
  t.match(warnings.join('\n'), /the base profile refuses flock \(syscalls\.deny\)/);
  for (const arch of ARCHES) {
    const allow = names(listsFor(profile.syscalls, arch).allow);
    for (const n of ['read', 'openat', 'write']) t.ok(allow.includes(n), `${n} allowed on ${arch} by the two together`);
  }
});

t.test('a base network section: destinations it allows are not repeated', async (t) => {
  const baseText = 'version: 1\nnetwork:\n  connect: ["10.0.0.0/8:443", "unix:@app?x", "unix:/run/*.sock"]\n  bind: ["unix:@*"]\n';
  const { profile: base } = loadText(baseText, {}, '/virtual/base.yaml');
  const obs = observation({
    connect: { '10.1.2.3:443': 1, '10.1.2.3:80': 1, 'unix:@app\\0x': 1, 'unix:/run/a.sock': 1, 'unix:/tmp/b.sock': 1 },
    bind: { 'unix:': 1, '0.0.0.0:8080': 1 },
  });
  const { yaml } = writeProfile(obs, { command: ['x'], base, extendsName: './base.yaml' });
  const own = loadText(yaml.replace(/\nextends: .*\n/, '\n')).profile;
  t.same(own.network!.connect.map((a) => a.value.text), ['10.1.2.3:80', 'unix:/tmp/b.sock']);
  t.same(own.network!.bind.map((a) => a.value.text), ['0.0.0.0:8080']);
  t.same(refusals(loadText(yaml, { '/virtual/base.yaml': baseText }), obs), []);
});

t.test('names a YAML reader could misread are quoted and read back', async (t) => {
  const weird = ['/var/task/a b/c #d.txt', '/var/task/x: y', "/var/task/it's \"q\"", '/var/task/tab\there', '/var/task/nl\nhere', '/var/task/ünï/ç.js', '/var/task/true', '/var/task/-', '/var/task/*literal'];
  const obs = observation({ paths: Object.fromEntries(weird.map((p) => [p, 'r' as const])), exec: { '/opt/bin/run me': 1 }, connect: { 'unix:/tmp/a b.sock': 1, 'unix:@weird name\\0x': 1 } });
  const { yaml } = writeProfile(obs, { command: ['a\nb'], generalise: { dirThreshold: 100 } });
  compilesEverywhere(t, yaml);
  t.same(refusals(loadText(yaml), obs), []);
  t.match(yaml.split('\n')[0], /^# Recorded by syscage record from: 'a\\nb'$/, 'the command shown on one line');
});

t.test('round trip over random recordings: every observed access is allowed', async (t) => {
  const seeds = process.env.SEED ? [Number(process.env.SEED)] : Array.from({ length: Number(process.env.SEEDS ?? 40) }, (_, i) => i + 1);
  for (const seed of seeds) {
    const rng = new Rng(seed);
    const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rng.int(16)]).join('');
    const alnum = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[rng.int(62)]).join('');
    const name = () => rng.pick([
      () => `f${rng.int(30)}.js`, () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}.json`, () => `upload-${alnum(6)}`,
      () => `lib${rng.pick(['a', 'b', 'c'])}.so.${rng.int(4)}`, () => `tmp.${alnum(10)}`, () => `${rng.int(99999)}`, () => hex(20),
      () => `data ${rng.int(5)}.csv`, () => 'stat', () => 'environ', () => 'mem', () => `[${rng.int(3)}].js`,
    ])();
    const dir = () => rng.pick(['/var/task', '/var/task/node_modules/p' + rng.int(5), '/tmp', '/tmp/work', `/tmp/tmp.${alnum(8)}`, '/usr/lib/x86_64-linux-gnu',
      '/proc/self', '/proc/self/fd', `/proc/${2 + rng.int(5000)}`, '/home/u/.cache/app', '/home/u/.aws', '/etc', '/opt/x/bin', '/dev/shm', '/sys/fs/cgroup', '/']);
    const files: Observation['files'] = {};
    for (let i = 0, n = rng.int(80); i < n; i++) {
      const p = `${dir()}/${name()}`.replace(/^\/\//, '/');
      files[p] = { read: rng.int(3), write: rng.chance(0.3) ? 1 + rng.int(2) : 0 };
      if (files[p]!.read + files[p]!.write === 0) files[p]!.read = 1;
    }
    const exec: Record<string, number> = {};
    for (let i = 0, n = rng.int(4); i < n; i++) exec[`${dir()}/${name()}`.replace(/^\/\//, '/')] = 1;
    const ip = () => rng.pick(['127.0.0.1', '10.0.0.' + rng.int(255), '[::1]', '[fd00::' + hex(2) + ']', '0.0.0.0']);
    const addr = () => rng.pick([() => `${ip()}:${rng.pick([80, 443, 5432, 9001, 32768 + rng.int(28232), 61000 + rng.int(4000), 1 + rng.int(65534)])}`,
      () => `unix:/tmp/tmp.${alnum(6)}/s${rng.int(9)}.sock`, () => `unix:@app-${rng.int(99999)}`])();
    const connect: Record<string, number> = {};
    const bind: Record<string, number> = {};
    for (let i = 0, n = rng.int(6); i < n; i++) connect[addr()] = 1 + rng.int(3);
    for (let i = 0, n = rng.int(3); i < n; i++) bind[rng.chance(0.2) ? 'unix:' : addr()] = 1;
    const obs = observation({ files, exec, connect, bind, syscalls: { read: 1, openat: 2 }, forks: rng.int(2) });
    const { yaml } = writeProfile(obs, { command: ['x'], generalise: { dirThreshold: 2 + rng.int(10) } });
    let loaded;
    try {
      loaded = loadText(yaml);
    } catch (e) {
      t.fail(`seed ${seed}: does not load: ${(e as Error).message}`, { yaml });
      continue;
    }
    const left = refusals(loaded, obs);
    t.same(left, [], `seed ${seed}: everything observed is allowed`, { yaml: left.length ? yaml : undefined });
    t.notOk(/\n {4}- (\/|\/\*\*)( |\n)/.test(yaml), `seed ${seed}: never / or /**`);
  }
});

t.test('what the CLI will find: the fixture file is valid JSON of an Observation', async (t) => {
  const raw = JSON.parse(readFileSync(join(FIXTURES, 'node-run.json'), 'utf8')) as Observation;
  t.equal(raw.arch, 'x86_64');
});
