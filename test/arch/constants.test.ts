import t from 'tap';
import { constantNames, constantValue } from '../../lib/arch/constants.js';
import { ARCHES, hostArch, type Arch } from '../../lib/arch/index.js';
import { evalMacros, glibcMissing, uapiMissing } from './fixtures/headers.js';

/** Where each constant lives in the uapi headers (both arches include the same files). */
const UAPI_HEADERS = [
  'linux/fcntl.h', // AT_*, asm/fcntl.h O_*
  'linux/mman.h', // MAP_SHARED..., asm/mman.h PROT_*/MAP_*
  'linux/sched.h', // CLONE_*, CSIGNAL
  'linux/prctl.h', // PR_*
  'linux/seccomp.h', // SECCOMP_*
  'linux/fs.h', // RENAME_*
  'linux/in.h', // IPPROTO_*
  'linux/in6.h', // IPPROTO_ICMPV6
  'asm/ioctls.h', // TC*/TIOC*/FIO*
];

/** The kernel does not export these: glibc's sys/socket.h is their source. */
const fromLibc = (name: string): boolean => name.startsWith('AF_') || name.startsWith('SOCK_');

t.test('values that differ per arch', async (t) => {
  const want: [string, bigint | undefined, bigint | undefined][] = [
    ['O_DIRECTORY', 0o200000n, 0o40000n],
    ['O_NOFOLLOW', 0o400000n, 0o100000n],
    ['O_DIRECT', 0o40000n, 0o200000n],
    ['O_LARGEFILE', 0o100000n, 0o400000n],
    ['O_TMPFILE', 0o20200000n, 0o20040000n],
    ['MAP_32BIT', 0x40n, undefined],
    ['PROT_BTI', undefined, 0x10n],
    ['PROT_MTE', undefined, 0x20n],
  ];
  for (const [name, x86, arm] of want) {
    t.equal(constantValue('x86_64', name), x86, `${name} on x86_64`);
    t.equal(constantValue('aarch64', name), arm, `${name} on aarch64`);
  }
});

t.test('common values', async (t) => {
  for (const arch of ARCHES) {
    t.equal(constantValue(arch, 'AF_UNIX'), 1n);
    t.equal(constantValue(arch, 'AF_LOCAL'), 1n);
    t.equal(constantValue(arch, 'AF_INET'), 2n);
    t.equal(constantValue(arch, 'AF_INET6'), 10n);
    t.equal(constantValue(arch, 'AF_NETLINK'), 16n);
    t.equal(constantValue(arch, 'AF_PACKET'), 17n);
    t.equal(constantValue(arch, 'AF_VSOCK'), 40n);
    t.equal(constantValue(arch, 'SOCK_STREAM'), 1n);
    t.equal(constantValue(arch, 'SOCK_CLOEXEC'), constantValue(arch, 'O_CLOEXEC'));
    t.equal(constantValue(arch, 'SOCK_NONBLOCK'), constantValue(arch, 'O_NONBLOCK'));
    t.equal(constantValue(arch, 'CLONE_NEWUSER'), 0x10000000n);
    t.equal(constantValue(arch, 'CLONE_THREAD'), 0x10000n);
    t.equal(constantValue(arch, 'CLONE_INTO_CGROUP'), 0x200000000n, 'a 64-bit flag');
    t.equal(constantValue(arch, 'PR_SET_NO_NEW_PRIVS'), 38n);
    t.equal(constantValue(arch, 'PR_SET_SECCOMP'), 22n);
    t.equal(constantValue(arch, 'PR_SET_PTRACER_ANY'), -1n);
    t.equal(constantValue(arch, 'SECCOMP_SET_MODE_FILTER'), 1n);
    t.equal(constantValue(arch, 'SECCOMP_MODE_FILTER'), 2n);
    t.equal(constantValue(arch, 'AT_FDCWD'), -100n, 'the C value; the compiler makes it 64-bit');
    t.equal(constantValue(arch, 'AT_EMPTY_PATH'), 0x1000n);
    t.equal(constantValue(arch, 'TIOCSTI'), 0x5412n);
    t.equal(constantValue(arch, 'TIOCGPTN'), 0x80045430n);
    t.equal(constantValue(arch, 'IPPROTO_UDP'), 17n);
    t.equal(constantValue(arch, 'O_RDONLY'), 0n);
    t.equal(constantValue(arch, 'NOPE'), undefined);
    t.equal(constantValue(arch, 'toString'), undefined);
    const names = constantNames(arch);
    t.same(names, [...names].sort(), `${arch}: sorted`);
    t.ok(names.length > 250, `${arch}: ${names.length} names`);
  }
});

const uapiWhy = uapiMissing();
const glibcWhy = glibcMissing();

t.test('every value matches the uapi headers of its arch', { skip: uapiWhy && `checking against the kernel headers: ${uapiWhy}` }, async (t) => {
  const all = [...new Set(ARCHES.flatMap((a) => constantNames(a)))].filter((n) => !fromLibc(n));
  for (const arch of ARCHES) {
    const header = evalMacros(arch, UAPI_HEADERS, all);
    let checked = 0;
    for (const name of all) {
      const ours = constantValue(arch, name);
      const theirs = header.get(name);
      // A name we leave out on this arch must be absent from its headers too (MAP_32BIT, PROT_BTI).
      if (ours !== theirs) t.equal(ours, theirs, `${arch} ${name}`);
      else checked++;
    }
    t.equal(checked, all.length, `${arch}: ${checked} constants agree with ${UAPI_HEADERS.length} headers`);
  }
});

t.test('AF_* and SOCK_* match glibc', { skip: glibcWhy && `checking against sys/socket.h: ${glibcWhy}` }, async (t) => {
  const host: Arch = hostArch();
  const names = constantNames(host).filter(fromLibc);
  const libc = evalMacros(undefined, ['sys/socket.h'], names);
  for (const name of names) t.equal(constantValue(host, name), libc.get(name), `${host} ${name}`);
  // glibc's bits/socket.h is shared by all Linux arches; only SOCK_NONBLOCK/SOCK_CLOEXEC follow
  // the arch's O_NONBLOCK/O_CLOEXEC, which the uapi check above verifies per arch.
  for (const arch of ARCHES.filter((a) => a !== host)) {
    for (const name of names) {
      const expect = name === 'SOCK_NONBLOCK' ? constantValue(arch, 'O_NONBLOCK') : name === 'SOCK_CLOEXEC' ? constantValue(arch, 'O_CLOEXEC') : libc.get(name);
      t.equal(constantValue(arch, name), expect, `${arch} ${name}`);
    }
  }
});
