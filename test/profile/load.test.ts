// Loading semantics: defaults, extends (built-in names and relative paths),
// how lists and scalars merge, per-arch lists, and injected file reading.
import t from 'tap';
import { join } from 'node:path';
import { loadProfile, ProfileError } from '../../lib/profile/index.js';
import { packageRoot } from '../../lib/paths.js';

const fixtures = join(packageRoot(), 'test', 'fixtures');
const fake = (files: Record<string, string>) => ({
  readFile: (p: string) => {
    const hit = Object.entries(files).find(([name]) => p.endsWith('/' + name) || p === name);
    if (!hit) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return hit[1];
  },
});

t.test('defaults', async (t) => {
  const { profile } = loadProfile('min.yaml', fake({ 'min.yaml': 'version: 1\n' }));
  t.equal(profile.name, 'min');
  t.equal(profile.mode.value, 'enforce');
  t.equal(profile.default.value, 'deny');
  t.equal(profile.errno.value, 1, 'EPERM');
  t.equal(profile.defaultErrno.value, 38, 'ENOSYS for unnamed syscalls');
  t.equal(profile.violation.value, 'deny');
  t.equal(profile.files, undefined, 'absent sections stay absent');
  t.equal(profile.process, undefined);
});

t.test('extends: built-in name and relative path, lists merge, scalars of the child win', async (t) => {
  const { profile } = loadProfile(join(fixtures, 'compile-extends', 'child.yaml'));
  t.same(profile.sources.map((s) => s.split('/').pop()), ['child.yaml', 'base.yaml', 'nodejs.yaml'], 'the named file first, then its bases');
  t.equal(profile.errno.value, 13, 'child errno EACCES overrides base EPERM');
  t.equal(profile.name, 'base', 'the nearest name: the child has none, base has one');
  const names = (l: readonly { value: string }[]) => l.map((x) => x.value);
  t.ok(names(profile.syscalls.allow).includes('openat'), 'allow from nodejs');
  t.ok(names(profile.syscalls.allow).includes('ptrace'), 'allow from base');
  t.same(names(profile.syscalls.deny), ['socket'], 'deny from child');
  t.same(names(profile.syscalls.kill), ['ptrace'], 'kill from base');
  t.same(names(profile.files!.read), ['/opt/**', '/var/task/**'], 'files.read is the union, bases first');
  t.same(names(profile.files!.deny), ['/opt/secret/**']);
  t.ok(profile.syscalls.arch.x86_64?.allow.some((n) => n.value === 'open'), 'per-arch lists come along');
  const socket = profile.syscalls.deny[0]!;
  t.match(socket.loc, { line: 6, col: 10 }, 'entries keep their position');
  t.match(socket.loc?.file, /child\.yaml$/);
});

t.test('a diamond extends is loaded once', async (t) => {
  const { profile } = loadProfile('top.yaml', fake({
    'top.yaml': 'version: 1\nextends: [./a.yaml, ./b.yaml]\n',
    'a.yaml': 'version: 1\nextends: [./base.yaml]\nsyscalls: {allow: [read]}\n',
    'b.yaml': 'version: 1\nextends: [./base.yaml]\nsyscalls: {allow: [write]}\n',
    'base.yaml': 'version: 1\nsyscalls: {allow: [close]}\n',
  }));
  t.same(profile.syscalls.allow.map((n) => n.value), ['close', 'read', 'write']);
  t.equal(profile.sources.length, 4);
});

t.test('every error of a file is reported, not only the first', async (t) => {
  const text = 'version: 1\nfles: {}\nsyscalls:\n  allow: [opne, reed]\n';
  const e = t.throws(() => loadProfile('many.yaml', fake({ 'many.yaml': text }))) as ProfileError;
  t.ok(e instanceof ProfileError);
  t.same(e.diagnostics.map((d) => `${d.code}@${d.loc?.line}:${d.loc?.col}`), ['E_UNKNOWN_KEY@2:1', 'E_UNKNOWN_SYSCALL@4:11', 'E_UNKNOWN_SYSCALL@4:17']);
  t.match(e.diagnostics[1]!.message, /did you mean "open"/);
  t.match(e.diagnostics[2]!.message, /did you mean "read"/);
});

t.test('rule shapes', async (t) => {
  const { profile } = loadProfile('r.yaml', fake({
    'r.yaml': [
      'version: 1',
      'syscalls:',
      '  rules:',
      '    - syscalls: [socket, socketpair]',
      '      args: [{index: 0, op: eq, value: AF_INET}, {index: 1, op: masked_eq, mask: 0xff, value: -1}]',
      '      action: deny',
      '      errno: EACCES',
      '',
    ].join('\n'),
  }));
  const r = profile.syscalls.rules[0]!;
  t.same(r.syscalls.map((s) => s.value), ['socket', 'socketpair']);
  t.equal(r.errno, 13);
  t.same(r.args[0]!.value.value, { name: 'AF_INET' }, 'constants stay names until compiled for an arch');
  t.same(r.args[1]!.value.value, { int: 0xffffffffffffffffn }, 'negative numbers become 64-bit two\'s complement');
});

t.test('extends of a device, a FIFO or a directory: E_EXTENDS_MISSING at once, never a hang', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'syscage-extends-'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  for (const target of ['/dev/zero', join(dir, 'fifo'), dir]) {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, `version: 1\nextends: [${target}]\n`);
    try {
      loadProfile(file);
      t.fail(`${target}: should not load`);
    } catch (e) {
      t.ok(e instanceof ProfileError, `${target}: a ProfileError`);
      t.match((e as ProfileError).diagnostics[0], { code: 'E_EXTENDS_MISSING', message: /not a regular file/, loc: { line: 2, col: 11 } }, `${target}: says why, where`);
    }
  }
});
