// The files check, as spec tables per syscall: path resolution (dirfd, cwd,
// "..", AT_EMPTY_PATH, /proc/self), symlinks (followed or not, per call and
// per flag), read/write classification (open flags of both arches,
// struct open_how), files.deny, and paths that cannot be read.
import t, { type Test as Tap } from 'tap';
import type { Arch } from '../../../lib/arch/index.js';
import { syscallTable } from '../../../lib/arch/index.js';
import { namesPath } from '../../../lib/compile/governed.js';
import { decide, openAccess } from '../../../lib/trace/decide/index.js';
import { FILE_SPEC_NAMES } from '../../../lib/trace/decide/files.js';
import { expectDecision, type Want } from './fixtures/expect.js';
import { fixture, lineOf, makeTrap, PROFILE, profileFrom, SUPERVISOR, TRACEE, TRACEE_TID, type Arg, type FakeTracee } from './fixtures/fake.js';

const profile = profileFrom(PROFILE);
const EACCES = 13;
const EFAULT = 14;
const EBADF = 9;
const ENOTDIR = 20;
const EINVAL = 22;
const ENAMETOOLONG = 36;
const ENOENT = 2;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;
const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000;
const O_PATH = 0o10000000;
const O_NOFOLLOW: Record<Arch, number> = { x86_64: 0o400000, aarch64: 0o100000 };
const O_TMPFILE: Record<Arch, number> = { x86_64: 0o20200000, aarch64: 0o20040000 };

const LINKS = {
  '/var/task/link-shadow': '/etc/shadow',
  '/var/task/ssl': '/etc/ssl',
  '/var/task/dirlink': '/etc',
  '/var/task/rel': 'lib/x.js',
  '/tmp/evil': '/etc/passwd',
  '/tmp/dangling': '/etc/newfile',
  '/tmp/loop': '/tmp/loop',
  '/tmp/a/link': '../secret/y',
  '/tmp/a/abs': '/etc/passwd',
};

function world(more: Parameters<typeof fixture>[2] = {}, p = profile) {
  const f = fixture(p, LINKS, more);
  const fds: [number, string][] = [
    [3, '/var/task/lib'], [4, '/tmp'], [5, '/etc'], [6, 'pipe:[77]'], [7, '/var/task/data.txt'],
    [8, '/memfd:x (deleted)'], [9, '/etc/shadow'], [10, '/tmp/gone (deleted)'], [11, `/proc/${TRACEE}/fd`],
  ];
  for (const [fd, path] of fds) f.view.fds.set(fd, path);
  return f;
}

interface Row {
  readonly name: string;
  readonly syscall: string;
  readonly arch?: Arch;
  readonly args: (v: FakeTracee) => readonly Arg[];
  readonly want: Want;
}

const allowR = (...paths: string[]): Want => ({ action: 'allow', paths, access: 'read' });
const allowW = (...paths: string[]): Want => ({ action: 'allow', paths, access: 'write' });
const notRead = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'files.read', text: 'not in files.read', line: lineOf(PROFILE, '- /var/task/**'), reason });
const notWrite = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'files.write', text: 'not in files.write', line: lineOf(PROFILE, '- /tmp/**'), reason });
const denied = (glob: string, reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'files.deny', text: glob, line: lineOf(PROFILE, `- ${glob}`), reason });
const broken = (errno: number, reason?: RegExp): Want => ({ action: 'deny', errno, what: 'files', reason });
/** A call that only looks at a path outside the profile's view: ENOENT, as if it were not there (not a violation). */
const hiddenBy = (w: Want): Want => ({ ...w, errno: ENOENT, reason: /: hidden \(ENOENT\)$/ });

function run(t: Tap, rows: readonly Row[]) {
  for (const r of rows) {
    t.test(`${r.syscall}: ${r.name}`, async (t) => {
      const { view, ctx } = world();
      const d = decide(makeTrap(r.syscall, r.args(view), { arch: r.arch }), ctx);
      expectDecision(t, d, r.want);
    });
  }
}

t.test('relative paths: cwd, dirfd, "..", "//", "."', async (t) => {
  run(t, [
    { name: 'relative to cwd', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('lib/a.js'), O_RDONLY], want: allowR('/var/task/lib/a.js') },
    { name: 'relative to a dirfd', syscall: 'openat', args: (v) => [3, v.str('b.js'), O_RDONLY], want: allowR('/var/task/lib/b.js') },
    { name: '".." escapes the dirfd', syscall: 'openat', args: (v) => [3, v.str('../../../etc/passwd'), O_RDONLY], want: notRead(/read \/etc\/passwd/) },
    { name: '".." above / stays at /', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('../../../../../../tmp/x'), O_RDONLY], want: allowR('/tmp/x') },
    { name: '"//" and "." collapse', syscall: 'open', args: (v) => [v.str('/var/task/./lib//c.js'), O_RDONLY], want: allowR('/var/task/lib/c.js') },
    { name: 'an absolute path ignores the dirfd, even a closed one', syscall: 'openat', args: (v) => [42, v.str('/tmp/x'), O_RDONLY], want: allowR('/tmp/x') },
    { name: 'AT_FDCWD is an int: the high half of the register is ignored', syscall: 'openat', args: (v) => [0x1_ffffff9cn, v.str('lib/a.js'), O_RDONLY], want: allowR('/var/task/lib/a.js') },
    { name: 'a closed dirfd', syscall: 'openat', args: (v) => [42, v.str('x'), O_RDONLY], want: broken(EBADF, /fd 42 is not open/) },
    { name: 'a dirfd that is a pipe', syscall: 'openat', args: (v) => [6, v.str('x'), O_RDONLY], want: broken(ENOTDIR, /not a directory/) },
    { name: 'stat relative to cwd', syscall: 'stat', args: (v) => [v.str('data.txt')], want: allowR('/var/task/data.txt') },
    { name: 'inotify_add_watch: arg 0 is the inotify fd, the path is relative to cwd', syscall: 'inotify_add_watch', args: (v) => [3, v.str('lib'), 0], want: allowR('/var/task/lib') },
  ]);
});

t.test('open flags: write by access mode, O_CREAT, O_TRUNC, O_APPEND, O_TMPFILE; O_PATH reads', async (t) => {
  const rows: Row[] = [];
  for (const arch of ['x86_64', 'aarch64'] as const) {
    const at = (name: string, flags: number, path: string, want: Want): Row =>
      ({ name: `${arch}: ${name}`, arch, syscall: 'openat', args: (v) => [AT_FDCWD, v.str(path), flags], want });
    rows.push(
      at('O_RDONLY of a readable file', O_RDONLY, '/var/task/a', allowR('/var/task/a')),
      at('O_WRONLY', O_WRONLY, '/var/task/a', notWrite(/openat: write \/var\/task\/a: not in files.write/)),
      at('O_RDWR', O_RDWR, '/var/task/a', notWrite()),
      at('O_ACCMODE 3 (read+write permission check)', 3, '/var/task/a', notWrite()),
      at('O_RDONLY|O_CREAT', O_CREAT, '/var/task/a', notWrite()),
      at('O_RDONLY|O_TRUNC', O_TRUNC, '/var/task/a', notWrite()),
      at('O_RDONLY|O_APPEND', O_APPEND, '/var/task/a', notWrite()),
      at('O_WRONLY|O_CREAT in files.write', O_WRONLY | O_CREAT, '/tmp/new', allowW('/tmp/new')),
      at('O_TMPFILE names a directory to write in', O_TMPFILE[arch] | O_RDWR, '/var/task', notWrite()),
      at('O_PATH|O_WRONLY is a handle, not a write', O_PATH | O_WRONLY, '/var/task/a', allowR('/var/task/a')),
      at('O_PATH|O_CREAT: the kernel drops O_CREAT', O_PATH | O_CREAT, '/var/task/a', allowR('/var/task/a')),
    );
  }
  run(t, rows);
  t.same(openAccess('x86_64', O_RDONLY), { access: 'read', follow: 'follow' });
  t.same(openAccess('aarch64', O_NOFOLLOW.aarch64), { access: 'read', follow: 'nofollow' });
  t.same(openAccess('x86_64', O_NOFOLLOW.aarch64), { access: 'read', follow: 'follow' }, 'arm64 O_NOFOLLOW is O_LARGEFILE on x86_64');
  t.same(openAccess('aarch64', O_NOFOLLOW.x86_64), { access: 'read', follow: 'follow' }, 'x86_64 O_NOFOLLOW is O_LARGEFILE on arm64');
  t.same(openAccess('x86_64', O_CREAT | O_EXCL | O_WRONLY), { access: 'write', follow: 'nofollow' }, 'O_CREAT|O_EXCL never follows');
});

t.test('symlinks: decided on both the path and its target', async (t) => {
  run(t, [
    { name: 'a link in an allowed dir to a denied file', syscall: 'open', args: (v) => [v.str('/var/task/link-shadow'), O_RDONLY],
      want: denied('/etc/shadow', /read \/var\/task\/link-shadow \(resolves to \/etc\/shadow\): matches files.deny "\/etc\/shadow"/) },
    { name: 'a directory link to an allowed dir', syscall: 'open', args: (v) => [v.str('/var/task/ssl/cert.pem'), O_RDONLY], want: allowR('/var/task/ssl/cert.pem', '/etc/ssl/cert.pem') },
    { name: 'a directory link to a denied file', syscall: 'open', args: (v) => [v.str('/var/task/dirlink/shadow'), O_RDONLY], want: denied('/etc/shadow') },
    { name: 'a directory link to a file not allowed', syscall: 'open', args: (v) => [v.str('/var/task/dirlink/passwd'), O_RDONLY], want: notRead(/resolves to \/etc\/passwd/) },
    { name: 'link then "..": the kernel resolves the link first', syscall: 'open', args: (v) => [v.str('/var/task/dirlink/../x'), O_RDONLY], want: notRead(/\/var\/task\/x \(resolves to \/x\)/) },
    { name: 'a relative link target', syscall: 'open', args: (v) => [v.str('/var/task/rel'), O_RDONLY], want: allowR('/var/task/rel', '/var/task/lib/x.js') },
    { name: 'O_CREAT follows a dangling link and creates its target', syscall: 'open', args: (v) => [v.str('/tmp/dangling'), O_WRONLY | O_CREAT], want: notWrite(/resolves to \/etc\/newfile/) },
    { name: 'O_CREAT|O_EXCL does not follow', syscall: 'open', args: (v) => [v.str('/tmp/dangling'), O_WRONLY | O_CREAT | O_EXCL], want: allowW('/tmp/dangling') },
    { name: 'x86_64 O_NOFOLLOW opens (fails on) the link itself', syscall: 'open', args: (v) => [v.str('/var/task/link-shadow'), O_NOFOLLOW.x86_64], want: allowR('/var/task/link-shadow') },
    { name: 'arm64 O_NOFOLLOW value on x86_64 is O_LARGEFILE: follows', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), O_NOFOLLOW.aarch64], want: denied('/etc/shadow') },
    { name: 'aarch64 O_NOFOLLOW', arch: 'aarch64', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), O_NOFOLLOW.aarch64], want: allowR('/var/task/link-shadow') },
    { name: 'x86_64 O_NOFOLLOW value on aarch64 is O_LARGEFILE: follows', arch: 'aarch64', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), O_NOFOLLOW.x86_64], want: denied('/etc/shadow') },
    { name: 'O_NOFOLLOW still resolves the parent', syscall: 'open', args: (v) => [v.str('/var/task/dirlink/shadow'), O_NOFOLLOW.x86_64], want: denied('/etc/shadow') },
    { name: 'a trailing slash makes even O_NOFOLLOW follow', syscall: 'open', args: (v) => [v.str('/var/task/link-shadow/'), O_NOFOLLOW.x86_64], want: denied('/etc/shadow') },
    { name: 'a symlink loop', syscall: 'open', args: (v) => [v.str('/tmp/loop'), O_RDONLY], want: broken(40, /cannot resolve symlinks in \/tmp\/loop: ELOOP/) },
    { name: 'stat follows', syscall: 'stat', args: (v) => [v.str('/var/task/link-shadow')], want: hiddenBy(denied('/etc/shadow')) },
    { name: 'lstat does not', syscall: 'lstat', args: (v) => [v.str('/var/task/link-shadow')], want: allowR('/var/task/link-shadow') },
    { name: 'newfstatat follows', syscall: 'newfstatat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), 0, 0], want: hiddenBy(denied('/etc/shadow')) },
    { name: 'newfstatat AT_SYMLINK_NOFOLLOW', syscall: 'newfstatat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), 0, AT_SYMLINK_NOFOLLOW], want: allowR('/var/task/link-shadow') },
    { name: 'statx AT_SYMLINK_NOFOLLOW (flags are arg 2)', syscall: 'statx', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), AT_SYMLINK_NOFOLLOW, 0, 0], want: allowR('/var/task/link-shadow') },
    { name: 'readlink reads the link', syscall: 'readlink', args: (v) => [v.str('/var/task/link-shadow'), 0, 0], want: allowR('/var/task/link-shadow') },
    { name: 'readlinkat reads the link', syscall: 'readlinkat', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), 0, 0], want: allowR('/var/task/link-shadow') },
    { name: 'lchown changes the link', syscall: 'lchown', args: (v) => [v.str('/tmp/evil'), 0, 0], want: allowW('/tmp/evil') },
    { name: 'chown follows', syscall: 'chown', args: (v) => [v.str('/tmp/evil'), 0, 0], want: notWrite(/resolves to \/etc\/passwd/) },
    { name: 'fchownat AT_SYMLINK_NOFOLLOW', syscall: 'fchownat', args: (v) => [AT_FDCWD, v.str('/tmp/evil'), 0, 0, AT_SYMLINK_NOFOLLOW], want: allowW('/tmp/evil') },
    { name: 'unlink removes the link', syscall: 'unlink', args: (v) => [v.str('/tmp/evil')], want: allowW('/tmp/evil') },
    { name: 'truncate follows', syscall: 'truncate', args: (v) => [v.str('/tmp/evil'), 0], want: notWrite(/resolves to \/etc\/passwd/) },
    { name: 'utimensat AT_SYMLINK_NOFOLLOW', syscall: 'utimensat', args: (v) => [AT_FDCWD, v.str('/tmp/evil'), 0, AT_SYMLINK_NOFOLLOW], want: allowW('/tmp/evil') },
    { name: 'utimensat follows', syscall: 'utimensat', args: (v) => [AT_FDCWD, v.str('/tmp/evil'), 0, 0], want: notWrite() },
    { name: 'lsetxattr sets on the link', syscall: 'lsetxattr', args: (v) => [v.str('/tmp/evil'), 0, 0, 0, 0], want: allowW('/tmp/evil') },
    { name: 'setxattr follows', syscall: 'setxattr', args: (v) => [v.str('/tmp/evil'), 0, 0, 0, 0], want: notWrite() },
    { name: 'umount2 UMOUNT_NOFOLLOW', syscall: 'umount2', args: (v) => [v.str('/tmp/evil'), 8], want: allowW('/tmp/evil') },
  ]);
});

t.test('AT_EMPTY_PATH and NULL paths: the dirfd itself', async (t) => {
  run(t, [
    { name: 'fstat of an open file', syscall: 'newfstatat', args: (v) => [7, v.str(''), 0, AT_EMPTY_PATH], want: allowR() },
    { name: 'fstat of a pipe: not in the filesystem', syscall: 'newfstatat', args: (v) => [6, v.str(''), 0, AT_EMPTY_PATH], want: allowR() },
    { name: 'fstat of a memfd', syscall: 'statx', args: (v) => [8, v.str(''), AT_EMPTY_PATH, 0, 0], want: allowR() },
    { name: 'statx(fd, NULL, AT_EMPTY_PATH) (6.11): a read through a held fd, as fstat', syscall: 'statx', args: () => [5, 0, AT_EMPTY_PATH, 0, 0], want: allowR() },
    { name: 'chown through an O_PATH fd of a denied file', syscall: 'fchownat', args: (v) => [9, v.str(''), 0, 0, AT_EMPTY_PATH], want: denied('/etc/shadow') },
    { name: 'an empty path names the cwd with AT_FDCWD', syscall: 'newfstatat', args: (v) => [AT_FDCWD, v.str(''), 0, AT_EMPTY_PATH], want: allowR() },
    { name: 'an empty path without AT_EMPTY_PATH (ENOENT anyway) checks the fd', syscall: 'fchownat', args: (v) => [9, v.str(''), 0, 0, 0], want: denied('/etc/shadow') },
    { name: 'readlinkat(fd, "") reads the link the fd refers to', syscall: 'readlinkat', args: (v) => [7, v.str(''), 0, 0], want: allowR() },
    { name: 'fstat of a deleted file still held open', syscall: 'newfstatat', args: (v) => [10, v.str(''), 0, AT_EMPTY_PATH], want: allowR() },
    { name: 'utimensat(fd, NULL) sets the fd\'s times', syscall: 'utimensat', args: () => [7, 0, 0, 0], want: notWrite(/write \/var\/task\/data.txt/) },
    { name: 'NULL path without AT_EMPTY_PATH', syscall: 'newfstatat', args: () => [7, 0, 0, 0], want: broken(EFAULT, /NULL pointer/) },
    { name: 'acct(NULL) switches accounting off: no path', syscall: 'acct', args: () => [0], want: { action: 'allow', paths: [] } },
    { name: 'acct(path)', syscall: 'acct', args: (v) => [v.str('/var/task/acct')], want: notWrite() },
    { name: 'fanotify_mark with a NULL path marks the held dirfd: a read through it', syscall: 'fanotify_mark', args: () => [3, 0, 0, 5, 0], want: allowR() },
    { name: 'but a path named from that dirfd is checked', syscall: 'newfstatat', args: (v) => [5, v.str('shadow'), 0, 0], want: hiddenBy(denied('/etc/shadow')) },
    { name: 'linkat AT_EMPTY_PATH: the old name is the fd', syscall: 'linkat', args: (v) => [10, v.str(''), AT_FDCWD, v.str('/tmp/kept'), AT_EMPTY_PATH], want: allowW('/tmp/gone (deleted)', '/tmp/kept') },
  ]);
});

t.test('two paths: rename and link check both', async (t) => {
  run(t, [
    { name: 'rename within /tmp', syscall: 'rename', args: (v) => [v.str('/tmp/a'), v.str('/tmp/b')], want: allowW('/tmp/a', '/tmp/b') },
    { name: 'rename out of /tmp', syscall: 'rename', args: (v) => [v.str('/tmp/a'), v.str('/var/task/b')], want: notWrite(/write \/var\/task\/b/) },
    { name: 'rename into /tmp from a read-only place', syscall: 'rename', args: (v) => [v.str('/var/task/a'), v.str('/tmp/b')], want: notWrite(/write \/var\/task\/a/) },
    { name: 'renameat with dirfds', syscall: 'renameat', args: (v) => [4, v.str('a'), 4, v.str('b')], want: allowW('/tmp/a', '/tmp/b') },
    { name: 'renameat2 second dirfd', syscall: 'renameat2', args: (v) => [4, v.str('a'), 3, v.str('b'), 2], want: notWrite(/\/var\/task\/lib\/b/) },
    { name: 'rename a symlink (not its target)', syscall: 'rename', args: (v) => [v.str('/tmp/evil'), v.str('/tmp/evil2')], want: allowW('/tmp/evil', '/tmp/evil2') },
    { name: 'link: a second name for a file is a write to it', syscall: 'link', args: (v) => [v.str('/etc/passwd'), v.str('/tmp/p')], want: notWrite(/write \/etc\/passwd/) },
    { name: 'link to a denied file', syscall: 'link', args: (v) => [v.str('/etc/shadow'), v.str('/tmp/s')], want: denied('/etc/shadow') },
    { name: 'linkat does not follow by default', syscall: 'linkat', args: (v) => [AT_FDCWD, v.str('/tmp/evil'), AT_FDCWD, v.str('/tmp/l'), 0], want: allowW('/tmp/evil', '/tmp/l') },
    { name: 'linkat AT_SYMLINK_FOLLOW links the target', syscall: 'linkat', args: (v) => [AT_FDCWD, v.str('/tmp/evil'), AT_FDCWD, v.str('/tmp/l'), AT_SYMLINK_FOLLOW], want: notWrite(/resolves to \/etc\/passwd/) },
    { name: 'symlink: the target text is not checked', syscall: 'symlink', args: (v) => [v.str('/etc/shadow'), v.str('/tmp/s')], want: allowW('/tmp/s') },
    { name: 'symlink: where the link is made is', syscall: 'symlink', args: (v) => [v.str('/tmp/x'), v.str('/var/task/s')], want: notWrite(/\/var\/task\/s/) },
    { name: 'symlinkat relative to its dirfd (arg 1)', syscall: 'symlinkat', args: (v) => [v.str('x'), 4, v.str('s')], want: allowW('/tmp/s') },
    { name: 'pivot_root: both', syscall: 'pivot_root', args: (v) => [v.str('/tmp/new'), v.str('/tmp/new/old')], want: allowW('/tmp/new', '/tmp/new/old') },
    { name: 'mount of tmpfs: the source is free text', syscall: 'mount', args: (v) => [v.str('tmpfs'), v.str('/tmp/m'), v.str('tmpfs'), 0, 0], want: allowW('/tmp/m') },
    { name: 'bind mount: the source is a path', syscall: 'mount', args: (v) => [v.str('/etc'), v.str('/tmp/m'), 0, 4096, 0], want: notWrite(/write \/etc:/) },
    { name: 'move_mount from an fd', syscall: 'move_mount', args: (v) => [4, v.str(''), AT_FDCWD, v.str('/tmp/m'), 0x4], want: allowW('/tmp', '/tmp/m') },
    { name: 'quotactl(Q_QUOTAON) names the quota file too', syscall: 'quotactl', args: (v) => [0x80000200, v.str('/tmp/dev'), 0, v.str('/var/task/quota')], want: notWrite(/\/var\/task\/quota/) },
  ]);
});

t.test('reads and writes of other calls', async (t) => {
  run(t, [
    { name: 'mkdir', syscall: 'mkdir', args: (v) => [v.str('/tmp/d'), 0o755], want: allowW('/tmp/d') },
    { name: 'mkdirat in a read-only dir', syscall: 'mkdirat', args: (v) => [3, v.str('d'), 0o755], want: notWrite() },
    { name: 'rmdir', syscall: 'rmdir', args: (v) => [v.str('/var/task/lib')], want: notWrite() },
    { name: 'unlinkat AT_REMOVEDIR', syscall: 'unlinkat', args: (v) => [4, v.str('d'), 0x200], want: allowW('/tmp/d') },
    { name: 'chmod', syscall: 'chmod', args: (v) => [v.str('/var/task/a'), 0o777], want: notWrite() },
    { name: 'fchmodat', syscall: 'fchmodat', args: (v) => [AT_FDCWD, v.str('/tmp/a'), 0o777], want: allowW('/tmp/a') },
    { name: 'creat', syscall: 'creat', args: (v) => [v.str('/var/task/x'), 0o644], want: notWrite() },
    { name: 'mknod', syscall: 'mknod', args: (v) => [v.str('/tmp/null'), 0o20666, 0x103], want: allowW('/tmp/null') },
    { name: 'chroot is a write (an escape primitive)', syscall: 'chroot', args: (v) => [v.str('/var/task')], want: notWrite() },
    { name: 'chdir reads', syscall: 'chdir', args: (v) => [v.str('/var/task/lib')], want: allowR('/var/task/lib') },
    { name: 'access(W_OK) only asks', syscall: 'access', args: (v) => [v.str('/var/task/a'), 2], want: allowR('/var/task/a') },
    { name: 'faccessat2', syscall: 'faccessat2', args: (v) => [AT_FDCWD, v.str('/etc/passwd'), 4, 0], want: hiddenBy(notRead()) },
    { name: 'getxattr', syscall: 'getxattr', args: (v) => [v.str('/var/task/a'), 0, 0, 0], want: allowR('/var/task/a') },
    { name: 'removexattr', syscall: 'removexattr', args: (v) => [v.str('/var/task/a'), 0], want: notWrite() },
    { name: 'statfs', syscall: 'statfs', args: (v) => [v.str('/var/task'), 0], want: allowR('/var/task') },
    { name: 'open_tree reads', syscall: 'open_tree', args: (v) => [AT_FDCWD, v.str('/var/task'), 0], want: allowR('/var/task') },
    { name: 'name_to_handle_at reads', syscall: 'name_to_handle_at', args: (v) => [AT_FDCWD, v.str('/var/task/a'), 0, 0, 0], want: allowR('/var/task/a') },
    { name: 'swapon', syscall: 'swapon', args: (v) => [v.str('/tmp/swap'), 0], want: allowW('/tmp/swap') },
  ]);
});

t.test('files.deny wins over read and write', async (t) => {
  run(t, [
    { name: 'a denied file inside files.write', syscall: 'openat', args: (v) => [AT_FDCWD, v.str('/tmp/secret/key'), O_RDONLY], want: denied('/tmp/secret/**', /read \/tmp\/secret\/key: matches files.deny/) },
    { name: 'the denied directory itself ("/**" matches it)', syscall: 'mkdir', args: (v) => [v.str('/tmp/secret'), 0o700], want: denied('/tmp/secret/**') },
    { name: 'a denied file', syscall: 'stat', args: (v) => [v.str('/etc/shadow')], want: hiddenBy(denied('/etc/shadow')) },
  ]);
});

t.test('unreadable and oversized paths fail closed with the kernel\'s errno', async (t) => {
  const long = (n: number) => '/tmp/' + 'a'.repeat(n - 5);
  run(t, [
    { name: 'a bad pointer', syscall: 'openat', args: () => [AT_FDCWD, 0xdead0000n, O_RDONLY], want: broken(EFAULT, /cannot read the path at 0xdead0000/) },
    { name: 'a NULL pointer', syscall: 'open', args: () => [0, O_RDONLY], want: broken(EFAULT) },
    { name: 'a string running into an unmapped page', syscall: 'open', args: (v) => [v.mapAtPageEnd(Buffer.from('/tmp/unterminated')), O_RDONLY], want: broken(EFAULT, /unterminated/) },
    { name: '4095 bytes: the longest path', syscall: 'open', args: (v) => [v.str(long(4095)), O_RDONLY], want: { action: 'allow' } },
    { name: '4096 bytes: ENAMETOOLONG', syscall: 'open', args: (v) => [v.str(long(4096)), O_RDONLY], want: broken(ENAMETOOLONG) },
    { name: 'the second path of a rename', syscall: 'rename', args: (v) => [v.str('/tmp/a'), 0xbad0000n], want: broken(EFAULT) },
  ]);

  t.test('a view that returns a long string is cut off too', async (t) => {
    const { view, ctx } = world();
    view.readString = () => '/tmp/' + 'é'.repeat(2100); // 4205 bytes in UTF-8
    expectDecision(t, decide(makeTrap('open', [1, 0]), ctx), broken(ENAMETOOLONG));
  });

  t.test('a path that is not valid UTF-8 is refused by the violation action', async (t) => {
    const { view, ctx } = world();
    const p = view.map(Buffer.from([...Buffer.from('/tmp/'), 0xff, 0]));
    expectDecision(t, decide(makeTrap('open', [p, O_RDONLY]), ctx), { action: 'deny', errno: EACCES, what: 'files', reason: /not valid UTF-8/ });
  });

  t.test('violation: kill does not kill for a bad pointer', async (t) => {
    const { ctx } = world({}, profileFrom(PROFILE.replace('errno: EACCES', 'violation: kill')));
    expectDecision(t, decide(makeTrap('open', [0xdead0000n, O_RDONLY]), ctx), broken(EFAULT));
  });

  t.test('a cwd that cannot be read', async (t) => {
    const { view, ctx } = world();
    view.cwdPath = { fault: 'ESRCH' };
    expectDecision(t, decide(makeTrap('open', [view.str('x'), O_RDONLY]), ctx), broken(EFAULT, /working directory/));
  });
});

t.test('openat2: flags and resolve come from struct open_how', async (t) => {
  const how = (v: FakeTracee, flags: number, resolve = 0) => {
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(BigInt(flags), 0);
    b.writeBigUInt64LE(BigInt(resolve), 16);
    return v.map(b);
  };
  run(t, [
    { name: 'read', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/var/task/a'), how(v, O_RDONLY), 24], want: allowR('/var/task/a') },
    { name: 'write by O_WRONLY|O_CREAT', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/var/task/a'), how(v, O_WRONLY | O_CREAT), 24], want: notWrite() },
    { name: 'O_NOFOLLOW in open_how', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), how(v, O_NOFOLLOW.x86_64), 24], want: allowR('/var/task/link-shadow') },
    { name: 'aarch64 flags', arch: 'aarch64', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/var/task/link-shadow'), how(v, O_NOFOLLOW.aarch64), 24], want: allowR('/var/task/link-shadow') },
    { name: 'a larger (newer) struct', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/tmp/a'), how(v, O_RDWR), 32], want: allowW('/tmp/a') },
    { name: 'size below OPEN_HOW_SIZE_VER0', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/tmp/a'), how(v, O_RDONLY), 16], want: broken(EINVAL) },
    { name: 'an unreadable struct', syscall: 'openat2', args: (v) => [AT_FDCWD, v.str('/tmp/a'), 0xdead0000n, 24], want: broken(EFAULT, /open_how/) },
    { name: 'RESOLVE_IN_ROOT: absolute paths and ".." stay under the dirfd', syscall: 'openat2', args: (v) => [3, v.str('/../../etc/passwd'), how(v, O_RDONLY, 0x10), 24], want: allowR('/var/task/lib/etc/passwd') },
    { name: 'RESOLVE_IN_ROOT: a link before ".." is resolved first', syscall: 'openat2', args: (v) => [4, v.str('a/link/../k'), how(v, O_RDONLY, 0x10), 24],
      want: denied('/tmp/secret/**', /\/tmp\/a\/k \(resolves to \/tmp\/secret\/k\)/) },
    { name: 'RESOLVE_IN_ROOT: a link out of the root is refused', syscall: 'openat2', args: (v) => [4, v.str('a/abs'), how(v, O_RDONLY, 0x10), 24],
      want: { action: 'deny', errno: EACCES, what: 'files', reason: /leads out of its root \/tmp/ } },
  ]);
});

t.test('/proc/self is the tracee\'s; the supervisor\'s /proc is out of reach', async (t) => {
  run(t, [
    { name: '/proc/self/maps', syscall: 'open', args: (v) => [v.str('/proc/self/maps'), O_RDONLY], want: allowR('/proc/self/maps') },
    { name: '/proc/PID of the caller is /proc/self', syscall: 'open', args: (v) => [v.str(`/proc/${TRACEE}/status`), O_RDONLY], want: allowR('/proc/self/status') },
    { name: '/proc/thread-self', syscall: 'open', args: (v) => [v.str('/proc/thread-self/comm'), O_RDONLY], want: allowR(`/proc/self/task/${TRACEE_TID}/comm`) },
    { name: 'another process\'s /proc', syscall: 'open', args: (v) => [v.str('/proc/1/environ'), O_RDONLY], want: notRead() },
    { name: 'relative to an fd in /proc/PID', syscall: 'openat', args: (v) => [11, v.str('0'), O_RDONLY], want: allowR('/proc/self/fd/0') },
    { name: 'reopening /proc/self/fd/N checks what fd N is', syscall: 'open', args: (v) => [v.str('/proc/self/fd/9'), O_RDONLY], want: denied('/etc/shadow', /\/proc\/self\/fd\/9 \(resolves to \/etc\/shadow\)/) },
    { name: 'reopening a deleted file by its fd', syscall: 'open', args: (v) => [v.str('/proc/self/fd/10'), O_RDONLY], want: allowR('/proc/self/fd/10') },
    { name: 'reopening a pipe by its fd', syscall: 'open', args: (v) => [v.str('/proc/thread-self/fd/6'), O_RDONLY], want: allowR(`/proc/self/task/${TRACEE_TID}/fd/6`) },
  ]);
  for (const p of [`/proc/${SUPERVISOR}/environ`, `/proc/503/mem`, `/proc/${SUPERVISOR}`]) {
    t.test(`${p} even when files.read has /proc/**`, async (t) => {
      const { view, ctx } = world({}, profileFrom(PROFILE.replace('/proc/self/**', '/proc/**')));
      expectDecision(t, decide(makeTrap('open', [view.str(p), O_RDONLY]), { ...ctx, pidOfPidfd: ctx.pidOfPidfd }), {
        action: 'deny', errno: EACCES, what: 'built-in', reason: /supervisor's \/proc entries/,
      });
    });
  }
  t.test('/proc/1 is fine under /proc/**', async (t) => {
    const { view, ctx } = world({}, profileFrom(PROFILE.replace('/proc/self/**', '/proc/**')));
    expectDecision(t, decide(makeTrap('open', [view.str('/proc/1/stat'), O_RDONLY]), ctx), allowR('/proc/1/stat'));
  });
});

t.test('a chrooted tracee: paths start at its root, and ".." stops there', async (t) => {
  const { view, ctx } = world();
  view.rootPath = '/tmp/jail';
  expectDecision(t, decide(makeTrap('open', [view.str('/../etc/passwd'), O_WRONLY]), ctx), allowW('/tmp/jail/etc/passwd'));
  view.cwdPath = '/tmp/jail/app';
  expectDecision(t, decide(makeTrap('open', [view.str('../../../x'), O_WRONLY]), ctx), allowW('/tmp/jail/x'));
  view.cwdPath = '/var/task';
  expectDecision(t, decide(makeTrap('open', [view.str('../../etc/passwd'), O_RDONLY]), ctx), notRead(/read \/etc\/passwd/), 'a cwd outside the root is not clamped (the classic chroot escape)');
});

t.test('a realpath that leaves ".." in a non-existent rest is normalised', async (t) => {
  const { view, ctx } = world({ realpath: () => '/tmp/nope/../../etc/shadow' });
  expectDecision(t, decide(makeTrap('open', [view.str('/tmp/x'), O_RDONLY]), ctx), denied('/etc/shadow', /\/tmp\/x \(resolves to \/etc\/shadow\)/));
});

t.test('a path whose symlinks cannot be resolved, for no errno the kernel would give, is a policy refusal (not EFAULT)', async (t) => {
  // e.g. /proc/1/root/... when the supervisor may not read that link (EACCES): the kernel would not say EFAULT.
  const unresolvable = { realpath: () => ({ fault: 'cannot resolve /proc/1/root/etc/x: EACCES' }) };
  const { view, ctx } = world(unresolvable);
  expectDecision(t, decide(makeTrap('open', [view.str('/var/task/a'), O_RDONLY]), ctx),
    { action: 'deny', errno: EACCES, what: 'files', reason: /cannot resolve symlinks in \/var\/task\/a: cannot resolve .*EACCES/ });
  const k = world(unresolvable, profileFrom(PROFILE.replace('errno: EACCES', 'violation: kill')));
  expectDecision(t, decide(makeTrap('open', [k.view.str('/var/task/a'), O_RDONLY]), k.ctx), { action: 'kill', what: 'files' }, 'violation: kill applies');
  // With the errno the kernel's own walk would meet, the call is broken the same way.
  const loop = world({ realpath: () => ({ fault: 'cannot resolve /var/task/a: ELOOP', errno: 40 }) });
  expectDecision(t, decide(makeTrap('open', [loop.view.str('/var/task/a'), O_RDONLY]), loop.ctx), broken(40));
});

t.test('a logged call names the glob that allowed it', async (t) => {
  const { view, ctx } = world();
  const d = decide(makeTrap('openat', [AT_FDCWD, view.str('/tmp/x'), O_RDWR], { entry: { then: 'log' } }), ctx);
  expectDecision(t, d, { action: 'allow', log: true, what: 'files.write', text: '/tmp/**', line: lineOf(PROFILE, '- /tmp/**') });
  const r = decide(makeTrap('openat', [AT_FDCWD, view.str('/var/task/a'), O_RDONLY], { entry: { then: 'log' } }), ctx);
  expectDecision(t, r, { action: 'allow', log: true, what: 'files.read', text: '/var/task/**' });
});

t.test('violation: kill', async (t) => {
  const { view, ctx } = world({}, profileFrom(PROFILE.replace('errno: EACCES', 'violation: kill')));
  const d = decide(makeTrap('open', [view.str('/etc/shadow'), O_RDONLY]), ctx);
  expectDecision(t, d, { action: 'kill', what: 'files.deny', text: '/etc/shadow' });
});

t.test('every syscall the files section governs has a hand-written decoder', async (t) => {
  const governed = syscallTable().all.filter(namesPath).map((s) => s.name);
  const missing = governed.filter((n) => !FILE_SPEC_NAMES.includes(n));
  t.same(missing, [], 'no governed syscall falls back to the derived (strict) decoder');
});

t.test('a syscall without a path decoder is refused (fail closed)', async (t) => {
  const { ctx } = world();
  const d = decide(makeTrap('getpid', [], { entry: { checks: ['files'] } }), ctx);
  expectDecision(t, d, { action: 'deny', errno: EACCES, what: 'files', reason: /no decoder/ });
});
