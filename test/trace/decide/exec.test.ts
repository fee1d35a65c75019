// The exec check: the program and its real target against exec.allow,
// fileless exec (memfd, deleted files, /proc/self/fd), and argv decoding.
import t from 'tap';
import { decide, decodeArgv } from '../../../lib/trace/decide/index.js';
import { expectDecision, type Want } from './fixtures/expect.js';
import { FakeTracee, fixture, lineOf, makeTrap, PROFILE, profileFrom, TRACEE, type Arg } from './fixtures/fake.js';

const profile = profileFrom(PROFILE);
const EACCES = 13;
const EFAULT = 14;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;

const LINKS = {
  '/var/task/bin/sh': '/bin/sh',
  '/var/task/bin/node': '/usr/bin/node',
  [`/proc/${TRACEE}/fd/8`]: '/memfd:payload (deleted)',
};

function world() {
  const f = fixture(profile, LINKS);
  f.view.fds.set(3, '/var/task/bin');
  f.view.fds.set(7, '/var/task/bin/handler');
  f.view.fds.set(8, '/memfd:payload (deleted)');
  f.view.fds.set(9, '/var/task/bin/old (deleted)');
  f.view.fds.set(10, 'anon_inode:[eventfd]');
  return f;
}

const argvOf = (v: FakeTracee, args: readonly string[]) => v.ptrs(args.map((a) => v.str(a)));

const notAllowed = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'exec.allow', text: 'not in exec.allow', line: lineOf(PROFILE, '- /var/task/bin/*'), reason });
const fileless = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'exec.allow', text: 'fileless exec is never allowed', reason });

const rows: { name: string; syscall: string; args: (v: FakeTracee) => readonly Arg[]; want: Want }[] = [
  { name: 'an allowed program', syscall: 'execve', args: (v) => [v.str('/var/task/bin/handler'), argvOf(v, ['handler', '--x']), 0],
    want: { action: 'allow', paths: ['/var/task/bin/handler'], access: 'exec' } },
  { name: 'a program not in exec.allow', syscall: 'execve', args: (v) => [v.str('/bin/sh'), argvOf(v, ['sh', '-c', 'id']), 0],
    want: notAllowed(/execve: exec \/bin\/sh: not in exec.allow/) },
  { name: 'relative to the cwd', syscall: 'execve', args: (v) => [v.str('bin/handler'), 0, 0], want: { action: 'allow', paths: ['/var/task/bin/handler'] } },
  { name: 'a symlinked binary to a shell', syscall: 'execve', args: (v) => [v.str('/var/task/bin/sh'), 0, 0],
    want: notAllowed(/\/var\/task\/bin\/sh \(resolves to \/bin\/sh\)/) },
  { name: 'a symlinked binary to an allowed program', syscall: 'execve', args: (v) => [v.str('/var/task/bin/node'), 0, 0], want: { action: 'allow' } },
  { name: 'execveat relative to a dirfd', syscall: 'execveat', args: (v) => [3, v.str('handler'), 0, 0, 0], want: { action: 'allow', paths: ['/var/task/bin/handler'] } },
  { name: 'execveat of an fd (fexecve)', syscall: 'execveat', args: (v) => [7, v.str(''), 0, 0, AT_EMPTY_PATH], want: { action: 'allow', paths: ['/var/task/bin/handler'] } },
  { name: 'execveat of a memfd', syscall: 'execveat', args: (v) => [8, v.str(''), argvOf(v, ['x']), 0, AT_EMPTY_PATH],
    want: fileless(/fileless exec: the program is fd 8, \/memfd:payload \(deleted\)/) },
  { name: 'execveat of a memfd with a NULL path', syscall: 'execveat', args: () => [8, 0, 0, 0, AT_EMPTY_PATH], want: fileless() },
  { name: 'execveat of a deleted file', syscall: 'execveat', args: (v) => [9, v.str(''), 0, 0, AT_EMPTY_PATH], want: fileless(/\(deleted\)/) },
  { name: 'execveat of an anonymous inode', syscall: 'execveat', args: (v) => [10, v.str(''), 0, 0, AT_EMPTY_PATH], want: fileless() },
  { name: 'execve of /proc/self/fd/N of a memfd', syscall: 'execve', args: (v) => [v.str('/proc/self/fd/8'), 0, 0],
    want: fileless(/\/proc\/self\/fd\/8 resolves to \/memfd:payload \(deleted\)/) },
  { name: 'execveat AT_SYMLINK_NOFOLLOW checks the link itself (the kernel says ELOOP)', syscall: 'execveat',
    args: (v) => [AT_FDCWD, v.str('/var/task/bin/sh'), 0, 0, AT_SYMLINK_NOFOLLOW], want: { action: 'allow', paths: ['/var/task/bin/sh'] } },
  { name: 'uselib', syscall: 'uselib', args: (v) => [v.str('/lib/evil.so')], want: notAllowed(/uselib: exec \/lib\/evil.so/) },
  { name: 'an unreadable program path', syscall: 'execve', args: () => [0xdead0000n, 0, 0], want: { action: 'deny', errno: EFAULT, what: 'exec' } },
];

for (const r of rows) {
  t.test(`${r.syscall}: ${r.name}`, async (t) => {
    const { view, ctx } = world();
    expectDecision(t, decide(makeTrap(r.syscall, r.args(view)), ctx), r.want);
  });
}

t.test('execve("/proc/self/fd/N") of a memfd, with a realpath that does not follow magic links', async (t) => {
  const f = fixture(profile, {}, { realpath: (p) => p });
  f.view.fds.set(8, '/memfd:payload (deleted)');
  const p = profileFrom(PROFILE.replace('- /usr/bin/node', '- /proc/self/fd/*'));
  const g = fixture(p, {}, { realpath: (x) => x });
  g.view.fds.set(8, '/memfd:payload (deleted)');
  for (const { view, ctx } of [f, g]) {
    expectDecision(t, decide(makeTrap('execve', [view.str('/proc/self/fd/8'), 0, 0]), ctx), fileless(/resolves to \/memfd:payload/));
  }
});

t.test('execve("/proc/self/fd/N") of a real file checks that file', async (t) => {
  const p = profileFrom(PROFILE.replace('- /usr/bin/node', '- /proc/self/fd/*'));
  const { view, ctx } = fixture(p, {}, { realpath: (x) => x });
  view.fds.set(7, '/bin/sh');
  expectDecision(t, decide(makeTrap('execve', [view.str('/proc/self/fd/7'), 0, 0]), ctx), notAllowed(/\/proc\/self\/fd\/7 \(resolves to \/bin\/sh\)/));
  view.fds.set(7, '/var/task/bin/handler');
  expectDecision(t, decide(makeTrap('execve', [view.str('/proc/self/fd/7'), 0, 0]), ctx), { action: 'allow' });
});

t.test('argv is decoded for the audit event', async (t) => {
  const { view, ctx } = world();
  const d = decide(makeTrap('execve', [view.str('/bin/sh'), argvOf(view, ['sh', '-c', 'curl x | sh']), 0]), ctx);
  t.same(d.detail?.exec, { path: '/bin/sh', argv: ['sh', '-c', 'curl x | sh'] });
  const e = decide(makeTrap('execveat', [3, view.str('handler'), argvOf(view, ['handler']), 0, 0]), ctx);
  t.same(e.detail?.exec, { path: '/var/task/bin/handler', argv: ['handler'] });
});

t.test('decodeArgv', async (t) => {
  const v = new FakeTracee();
  t.same(decodeArgv(v, 0n), [], 'NULL argv (argc 0)');
  t.same(decodeArgv(v, v.ptrs([])), [], 'empty argv');

  const many = Array.from({ length: 300 }, (_, i) => `a${i}`);
  const out = decodeArgv(v, argvOf(v, many));
  t.equal(out.length, 257, '256 entries and a marker');
  t.equal(out[255], 'a255');
  t.equal(out[256], '…');

  const big = 'x'.repeat(40 * 1024);
  const capped = decodeArgv(v, argvOf(v, [big, big, 'after']));
  t.equal(capped[0], big);
  t.match(capped[1], /^<unreadable, or longer than \d+ bytes/, 'the 64 KiB budget cuts the second string');
  t.equal(capped.length, 2);

  // An array that ends right before an unmapped page: reading it in one
  // larger block would fault; page by page it decodes.
  const strs = ['p', 'q', 'r'].map((s) => v.str(s));
  const b = Buffer.alloc(4 * 8);
  strs.forEach((p, i) => b.writeBigUInt64LE(p, i * 8));
  t.same(decodeArgv(v, v.mapAtPageEnd(b)), ['p', 'q', 'r']);

  // An array spanning a page boundary.
  const long = Array.from({ length: 600 }, () => v.str('z'));
  const arr = Buffer.alloc((long.length + 1) * 8);
  long.forEach((p, i) => arr.writeBigUInt64LE(p, i * 8));
  t.equal(decodeArgv(v, v.map(arr)).length, 257);

  t.same(decodeArgv(v, v.ptrs([v.str('ok'), 0xdead0000n])), ['ok', '<unreadable, or longer than 65533 bytes, at 0xdead0000>']);
  const unterminated = Buffer.alloc(8);
  unterminated.writeBigUInt64LE(v.str('ok'));
  const at = v.mapAtPageEnd(unterminated);
  t.same(decodeArgv(v, at), ['ok', `<unreadable argv at 0x${(at + 8n).toString(16)}>`], 'no NULL before an unmapped page');
  t.match(decodeArgv(v, 0xbad000n), ['<unreadable argv at 0xbad000>']);
});

t.test('a logged exec names the glob', async (t) => {
  const { view, ctx } = world();
  const d = decide(makeTrap('execve', [view.str('/usr/bin/node'), 0, 0], { entry: { then: 'log' } }), ctx);
  expectDecision(t, d, { action: 'allow', log: true, what: 'exec.allow', text: '/usr/bin/node', line: lineOf(PROFILE, '- /usr/bin/node') });
});
