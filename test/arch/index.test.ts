import t from 'tap';
import {
  ARCHES,
  AUDIT_ARCH,
  X32_SYSCALL_BIT,
  hostArch,
  parseArch,
  parseSyscallCsv,
  syscallTable,
  type Arch,
  type ArgKind,
} from '../../lib/arch/index.js';
import { evalMacros, uapiMissing } from './fixtures/headers.js';

t.test('the table loads and names its kernel', async (t) => {
  const table = syscallTable();
  t.match(table.kernel, /^\d+\.\d+\.\d+$/);
  t.equal(syscallTable(), table, 'loaded once');
  t.ok(table.all.length > 300);
  const names = table.all.map((s) => s.name);
  t.same(names, [...names].sort(), 'sorted by name');
  t.equal(new Set(names).size, names.length, 'no duplicate names');
});

t.test('known numbers on both arches', async (t) => {
  const table = syscallTable();
  const known: [string, number | undefined, number | undefined][] = [
    ['read', 0, 63],
    ['write', 1, 64],
    ['openat', 257, 56],
    ['close', 3, 57],
    ['exit_group', 231, 94],
    ['clone', 56, 220],
    ['clone3', 435, 435],
    ['execve', 59, 221],
    ['execveat', 322, 281],
    ['connect', 42, 203],
    ['sendto', 44, 206],
    ['sendmsg', 46, 211],
    ['ptrace', 101, 117],
    ['prctl', 157, 167],
    ['seccomp', 317, 277],
    ['newfstatat', 262, 79],
    ['renameat', 264, 38],
    ['renameat2', 316, 276],
    ['io_uring_setup', 425, 425],
    ['faccessat2', 439, 439],
    ['rseq', 334, 293],
  ];
  for (const [name, x86, arm] of known) {
    t.equal(table.number('x86_64', name), x86, `${name} on x86_64`);
    t.equal(table.number('aarch64', name), arm, `${name} on aarch64`);
    t.same(table.byName(name)?.nr, { x86_64: x86, aarch64: arm });
  }
});

t.test('syscalls that exist on x86_64 only', async (t) => {
  const table = syscallTable();
  // The generic table (aarch64) dropped every call that has an *at() or newer replacement.
  for (const name of ['open', 'creat', 'stat', 'lstat', 'access', 'rename', 'unlink', 'rmdir', 'mkdir', 'link', 'symlink', 'readlink', 'chmod', 'chown', 'fork', 'vfork', 'uselib', 'arch_prctl']) {
    t.type(table.number('x86_64', name), 'number', `${name} on x86_64`);
    t.equal(table.number('aarch64', name), undefined, `no ${name} on aarch64`);
    t.notOk(table.names('aarch64').includes(name));
  }
  t.equal(table.byName('open')?.nr.aarch64, undefined);
  t.equal(table.byName('socketcall'), undefined, 'no socket multiplexer on 64-bit arches');
  t.equal(table.byName('opne'), undefined);
  t.equal(table.number('x86_64', 'opne'), undefined);
  t.equal(table.name('x86_64', 2), 'open');
  t.equal(table.name('aarch64', 56), 'openat');
  t.equal(table.name('x86_64', 100000), undefined);
});

t.test('names and numbers round trip', async (t) => {
  const table = syscallTable();
  for (const arch of ARCHES) {
    const names = table.names(arch);
    const numbers = table.numbers(arch);
    t.equal(names.length, numbers.length, `${arch}: as many numbers as names`);
    t.same(names, [...names].sort(), `${arch}: names sorted`);
    t.same(numbers, [...numbers].sort((a, b) => a - b), `${arch}: numbers sorted`);
    t.equal(new Set(numbers).size, numbers.length, `${arch}: numbers unique`);
    t.ok(numbers.every((n) => n >= 0 && n < X32_SYSCALL_BIT), `${arch}: numbers below the x32 bit`);
    let bad = 0;
    for (const name of names) {
      const nr = table.number(arch, name);
      if (nr === undefined || table.name(arch, nr) !== name) bad++;
    }
    for (const nr of numbers) {
      const name = table.name(arch, nr);
      if (name === undefined || table.number(arch, name) !== nr) bad++;
    }
    t.equal(bad, 0, `${arch}: every name ↔ number round trips`);
  }
  // Every row exists somewhere.
  t.ok(syscallTable().all.every((s) => ARCHES.some((a) => s.nr[a] !== undefined)));
});

t.test('argument kinds of the syscalls the supervisor decodes', async (t) => {
  const table = syscallTable();
  const want: Record<string, ArgKind[]> = {
    open: ['path', 'flags', 'mode'],
    openat: ['dirfd', 'path', 'flags', 'mode'],
    openat2: ['dirfd', 'path'],
    creat: ['path', 'mode'],
    execve: ['exec', 'argv', 'argv'],
    execveat: ['dirfd', 'exec', 'argv', 'argv', 'flags'],
    connect: ['fd', 'sockaddr', 'socklen'],
    bind: ['fd', 'sockaddr', 'socklen'],
    sendto: ['fd', '-', '-', 'flags', 'sockaddr', 'socklen'],
    sendmsg: ['fd', 'msghdr', 'flags'],
    sendmmsg: ['fd', 'mmsghdr', '-', 'flags'],
    rename: ['path', 'path'],
    renameat: ['dirfd', 'path', 'dirfd', 'path'],
    renameat2: ['dirfd', 'path', 'dirfd', 'path', 'flags'],
    unlink: ['path'],
    unlinkat: ['dirfd', 'path', 'flags'],
    linkat: ['dirfd', 'path', 'dirfd', 'path', 'flags'],
    symlinkat: ['-', 'dirfd', 'path'],
    newfstatat: ['dirfd', 'path', '-', 'flags'],
    statx: ['dirfd', 'path', 'flags'],
    mknodat: ['dirfd', 'path', 'mode'],
    name_to_handle_at: ['dirfd', 'path', '-', '-', 'flags'],
    fanotify_mark: ['fd', 'flags', '-', 'dirfd', 'path'],
    move_mount: ['dirfd', 'path', 'dirfd', 'path', 'flags'],
    mount: ['path', 'path', '-', 'flags'],
    uselib: ['exec'],
    chdir: ['path'],
    chroot: ['path'],
  };
  for (const [name, kinds] of Object.entries(want)) t.same(table.byName(name)?.args, kinds, name);
  t.same(table.byName('read')?.args, [], 'read needs no decoding');
});

t.test('argument kinds are consistent', async (t) => {
  for (const s of syscallTable().all) {
    const a = s.args;
    a.forEach((k, i) => {
      // A dirfd is only meaningful before the path it anchors; a sockaddr needs its length next.
      if (k === 'dirfd') t.ok(['path', 'exec'].includes(a[i + 1] ?? ''), `${s.name}: dirfd at ${i} precedes a path`);
      if (k === 'sockaddr') t.equal(a[i + 1], 'socklen', `${s.name}: sockaddr at ${i} is followed by socklen`);
      if (k === 'socklen') t.equal(a[i - 1], 'sockaddr', `${s.name}: socklen at ${i} follows a sockaddr`);
    });
    t.not(a.at(-1), '-', `${s.name}: no trailing -`);
  }
});

t.test('every syscall of an equivalence group is annotated', async (t) => {
  // Syscalls with the same effect must be covered together (DESIGN.md): a rule written for one
  // is enforced on all, so each needs its arguments decoded.
  const groups = [
    ['open', 'openat', 'openat2', 'creat', 'name_to_handle_at'],
    ['execve', 'execveat', 'uselib'],
    ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind'],
    ['rename', 'renameat', 'renameat2'],
    ['unlink', 'unlinkat', 'rmdir'],
    ['link', 'linkat', 'symlink', 'symlinkat'],
    ['mkdir', 'mkdirat', 'mknod', 'mknodat'],
    ['chmod', 'fchmodat'],
    ['chown', 'lchown', 'fchownat'],
    ['stat', 'lstat', 'newfstatat', 'statx', 'statfs'],
    ['access', 'faccessat', 'faccessat2'],
    ['readlink', 'readlinkat'],
    ['truncate'],
    ['utime', 'utimes', 'futimesat', 'utimensat'],
    ['setxattr', 'lsetxattr', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr', 'removexattr', 'lremovexattr'],
    ['chdir', 'chroot', 'pivot_root'],
    ['mount', 'umount2', 'open_tree', 'move_mount', 'fspick', 'mount_setattr'],
    ['swapon', 'swapoff', 'acct', 'quotactl'],
    ['inotify_add_watch', 'fanotify_mark'],
  ];
  const table = syscallTable();
  for (const group of groups) {
    for (const name of group) {
      const s = table.byName(name);
      t.ok(s, `${name} is a syscall`);
      t.ok(s && s.args.some((k) => k === 'path' || k === 'exec' || k === 'sockaddr' || k === 'msghdr' || k === 'mmsghdr'), `${name} has a decoded argument`);
    }
  }
});

t.test('arch names', async (t) => {
  t.same(ARCHES, ['x86_64', 'aarch64']);
  for (const [s, want] of [['x86_64', 'x86_64'], ['x64', 'x86_64'], ['amd64', 'x86_64'], ['AMD64', 'x86_64'], ['aarch64', 'aarch64'], ['arm64', 'aarch64']] as const) {
    t.equal(parseArch(s), want, s);
  }
  for (const s of ['i386', 'x32', 'arm', 'riscv64', '', 'toString', '__proto__']) t.equal(parseArch(s), undefined, s);
  const host = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;
  if (host) t.equal(hostArch(), host);
  else t.throws(() => hostArch(), { code: 'ERR_UNSUPPORTED_ARCH' });
});

t.test('seccomp_data.arch values and the x32 bit', async (t) => {
  t.equal(AUDIT_ARCH.x86_64, 0xc000003e);
  t.equal(AUDIT_ARCH.aarch64, 0xc00000b7);
  t.equal(X32_SYSCALL_BIT, 0x40000000);
});

const uapiWhy = uapiMissing();
t.test('seccomp_data.arch values match linux/audit.h', { skip: uapiWhy && `checking against the kernel headers: ${uapiWhy}` }, async (t) => {
  for (const arch of ARCHES) {
    const v = evalMacros(arch, ['linux/audit.h', 'asm/unistd.h'], ['AUDIT_ARCH_X86_64', 'AUDIT_ARCH_AARCH64', '__X32_SYSCALL_BIT']);
    const names: Record<Arch, string> = { x86_64: 'AUDIT_ARCH_X86_64', aarch64: 'AUDIT_ARCH_AARCH64' };
    for (const a of ARCHES) t.equal(v.get(names[a]), BigInt(AUDIT_ARCH[a]), `${names[a]} in ${arch} headers`);
    if (arch === 'x86_64') t.equal(v.get('__X32_SYSCALL_BIT'), BigInt(X32_SYSCALL_BIT));
    else t.equal(v.get('__X32_SYSCALL_BIT'), undefined, 'no x32 bit on aarch64');
  }
});

t.test('a corrupt CSV is refused, saying where', async (t) => {
  const head = '# syscall numbers from Linux 6.1.4 uapi headers (test)\nname,x86_64,aarch64,args\n';
  const ok = parseSyscallCsv(head + 'a,1,,path\nb,,2,\n');
  t.equal(ok.kernel, '6.1.4');
  t.same(ok.byName('a')?.args, ['path']);
  t.same(ok.names('aarch64'), ['b']);
  t.same(ok.numbers('x86_64'), [1]);
  const bad: [string, RegExp][] = [
    ['name,x86_64,aarch64,args\n', /:1: first line/],
    ['# syscall numbers from Linux 6.1.4 uapi\nname,aarch64,x86_64,args\n', /:2: header/],
    [head + 'b,1,,\na,2,,\n', /:4: a is not in sorted order/],
    [head + 'a,1,,\nb,1,,\n', /:4: b and a share x86_64 number 1/],
    [head + 'a,1,,pathname\n', /:3: unknown argument kind "pathname"/],
    [head + 'a,,,\n', /:3: a has no number/],
    [head + 'a,x,,\n', /:3: bad x86_64 number/],
    [head + 'a,1,\n', /:3: expected 4 columns/],
  ];
  for (const [text, message] of bad) t.throws(() => parseSyscallCsv(text, 'f.csv'), { code: 'ERR_SYSCALL_TABLE', message }, String(message));
});
