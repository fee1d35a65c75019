// Named scalar constants that profiles may use as syscall argument values (`value: AF_INET`,
// `flags: [CLONE_NEWUSER]`), per arch.
//
// Most are the same on x86_64 and aarch64; the exceptions are real kernel differences (four
// O_* bits, and a few arch-only flags), kept in PER_ARCH below. test/arch/constants.test.ts
// checks every value against the uapi headers of both arches (and glibc's sys/socket.h for
// AF_*/SOCK_*, which the kernel does not export).
//
// Negative values are the C value (AT_FDCWD = -100): in a 64-bit register they are the two's
// complement, which the compiler derives; they are not pre-converted here.
import type { Arch } from './index.js';

type Table = Readonly<Record<string, number>>;

/** socket(domain, ...): address families (glibc bits/socket.h; identical on every Linux arch). */
const ADDRESS_FAMILIES: Table = {
  AF_UNSPEC: 0, AF_UNIX: 1, AF_LOCAL: 1, AF_INET: 2, AF_AX25: 3, AF_IPX: 4, AF_APPLETALK: 5,
  AF_NETROM: 6, AF_BRIDGE: 7, AF_ATMPVC: 8, AF_X25: 9, AF_INET6: 10, AF_ROSE: 11, AF_DECnet: 12,
  AF_NETBEUI: 13, AF_SECURITY: 14, AF_KEY: 15, AF_NETLINK: 16, AF_ROUTE: 16, AF_PACKET: 17,
  AF_ASH: 18, AF_ECONET: 19, AF_ATMSVC: 20, AF_RDS: 21, AF_SNA: 22, AF_IRDA: 23, AF_PPPOX: 24,
  AF_WANPIPE: 25, AF_LLC: 26, AF_IB: 27, AF_MPLS: 28, AF_CAN: 29, AF_TIPC: 30, AF_BLUETOOTH: 31,
  AF_IUCV: 32, AF_RXRPC: 33, AF_ISDN: 34, AF_PHONET: 35, AF_IEEE802154: 36, AF_CAIF: 37,
  AF_ALG: 38, AF_NFC: 39, AF_VSOCK: 40, AF_KCM: 41, AF_QIPCRTR: 42, AF_SMC: 43, AF_XDP: 44,
  AF_MCTP: 45,
};

/**
 * socket(..., type, ...): the low 4 bits are the type, SOCK_NONBLOCK and SOCK_CLOEXEC are
 * or-ed in (they equal O_NONBLOCK and O_CLOEXEC, so they follow O_* on arches that renumber).
 */
const SOCKET_TYPES: Table = {
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3, SOCK_RDM: 4, SOCK_SEQPACKET: 5, SOCK_DCCP: 6,
  SOCK_PACKET: 10, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000,
};

/** socket(..., protocol) for AF_INET/AF_INET6 (linux/in.h, linux/in6.h). */
const IP_PROTOCOLS: Table = {
  IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_UDP: 17, IPPROTO_IPV6: 41,
  IPPROTO_ICMPV6: 58, IPPROTO_SCTP: 132, IPPROTO_UDPLITE: 136, IPPROTO_RAW: 255, IPPROTO_MPTCP: 262,
};

/**
 * clone(flags, ...), unshare(flags), clone3's clone_args.flags (linux/sched.h). The low byte
 * of clone()'s flags is the exit signal (CSIGNAL); CLONE_NEWTIME reuses a bit of it and so
 * works only with unshare and clone3, as do the flags above 32 bits.
 */
const CLONE_FLAGS: Table = {
  CSIGNAL: 0xff,
  CLONE_NEWTIME: 0x80, CLONE_VM: 0x100, CLONE_FS: 0x200, CLONE_FILES: 0x400, CLONE_SIGHAND: 0x800,
  CLONE_PIDFD: 0x1000, CLONE_PTRACE: 0x2000, CLONE_VFORK: 0x4000, CLONE_PARENT: 0x8000,
  CLONE_THREAD: 0x10000, CLONE_NEWNS: 0x20000, CLONE_SYSVSEM: 0x40000, CLONE_SETTLS: 0x80000,
  CLONE_PARENT_SETTID: 0x100000, CLONE_CHILD_CLEARTID: 0x200000, CLONE_DETACHED: 0x400000,
  CLONE_UNTRACED: 0x800000, CLONE_CHILD_SETTID: 0x1000000, CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000, CLONE_NEWIPC: 0x8000000, CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000, CLONE_NEWNET: 0x40000000, CLONE_IO: 0x80000000,
  CLONE_CLEAR_SIGHAND: 0x100000000, CLONE_INTO_CGROUP: 0x200000000,
};

/**
 * prctl(option, ...) (linux/prctl.h). The options are the same numbers on every arch, even
 * those only one arch implements (PR_SVE_*, PR_PAC_* are arm64's; PR_MPX_* are gone).
 */
const PRCTL_OPTIONS: Table = {
  PR_SET_PDEATHSIG: 1, PR_GET_PDEATHSIG: 2, PR_GET_DUMPABLE: 3, PR_SET_DUMPABLE: 4,
  PR_GET_UNALIGN: 5, PR_SET_UNALIGN: 6, PR_GET_KEEPCAPS: 7, PR_SET_KEEPCAPS: 8, PR_GET_FPEMU: 9,
  PR_SET_FPEMU: 10, PR_GET_FPEXC: 11, PR_SET_FPEXC: 12, PR_GET_TIMING: 13, PR_SET_TIMING: 14,
  PR_SET_NAME: 15, PR_GET_NAME: 16, PR_GET_ENDIAN: 19, PR_SET_ENDIAN: 20, PR_GET_SECCOMP: 21,
  PR_SET_SECCOMP: 22, PR_CAPBSET_READ: 23, PR_CAPBSET_DROP: 24, PR_GET_TSC: 25, PR_SET_TSC: 26,
  PR_GET_SECUREBITS: 27, PR_SET_SECUREBITS: 28, PR_SET_TIMERSLACK: 29, PR_GET_TIMERSLACK: 30,
  PR_TASK_PERF_EVENTS_DISABLE: 31, PR_TASK_PERF_EVENTS_ENABLE: 32, PR_MCE_KILL: 33,
  PR_MCE_KILL_GET: 34, PR_SET_MM: 35, PR_SET_CHILD_SUBREAPER: 36, PR_GET_CHILD_SUBREAPER: 37,
  PR_SET_NO_NEW_PRIVS: 38, PR_GET_NO_NEW_PRIVS: 39, PR_GET_TID_ADDRESS: 40,
  PR_SET_THP_DISABLE: 41, PR_GET_THP_DISABLE: 42, PR_MPX_ENABLE_MANAGEMENT: 43,
  PR_MPX_DISABLE_MANAGEMENT: 44, PR_SET_FP_MODE: 45, PR_GET_FP_MODE: 46, PR_CAP_AMBIENT: 47,
  PR_SVE_SET_VL: 50, PR_SVE_GET_VL: 51, PR_GET_SPECULATION_CTRL: 52, PR_SET_SPECULATION_CTRL: 53,
  PR_PAC_RESET_KEYS: 54, PR_SET_TAGGED_ADDR_CTRL: 55, PR_GET_TAGGED_ADDR_CTRL: 56,
  PR_SET_IO_FLUSHER: 57, PR_GET_IO_FLUSHER: 58, PR_SET_SYSCALL_USER_DISPATCH: 59,
  PR_PAC_SET_ENABLED_KEYS: 60, PR_PAC_GET_ENABLED_KEYS: 61, PR_SCHED_CORE: 62,
  PR_SME_SET_VL: 63, PR_SME_GET_VL: 64,
  // Yama's ptrace allow-list and the anon-VMA naming call use magic numbers ('Yama', 'SVMA').
  PR_SET_PTRACER: 0x59616d61, PR_SET_VMA: 0x53564d41,
  // prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY) lets any process ptrace the caller: (unsigned long)-1.
  PR_SET_PTRACER_ANY: -1,
  // prctl(PR_CAP_AMBIENT, op, cap)
  PR_CAP_AMBIENT_IS_SET: 1, PR_CAP_AMBIENT_RAISE: 2, PR_CAP_AMBIENT_LOWER: 3,
  PR_CAP_AMBIENT_CLEAR_ALL: 4,
};

/**
 * seccomp(op, flags, args) and prctl(PR_SET_SECCOMP, mode) (linux/seccomp.h). Mind the two
 * numberings: seccomp()'s ops start at 0 (SET_MODE_STRICT), prctl's modes at 1 (MODE_STRICT).
 */
const SECCOMP: Table = {
  SECCOMP_SET_MODE_STRICT: 0, SECCOMP_SET_MODE_FILTER: 1, SECCOMP_GET_ACTION_AVAIL: 2,
  SECCOMP_GET_NOTIF_SIZES: 3,
  SECCOMP_MODE_DISABLED: 0, SECCOMP_MODE_STRICT: 1, SECCOMP_MODE_FILTER: 2,
  SECCOMP_FILTER_FLAG_TSYNC: 1, SECCOMP_FILTER_FLAG_LOG: 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 8, SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 16,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

/** open/openat flags common to both arches (asm-generic/fcntl.h). */
const OPEN_FLAGS: Table = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_ACCMODE: 3,
  O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000, O_NDELAY: 0o4000, O_DSYNC: 0o10000, O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000, O_SYNC: 0o4010000, O_PATH: 0o10000000,
};

/** *at() flags (linux/fcntl.h). AT_FDCWD is the dirfd meaning "relative to cwd". */
const AT_FLAGS: Table = {
  AT_FDCWD: -100,
  AT_SYMLINK_NOFOLLOW: 0x100, AT_EACCESS: 0x200, AT_REMOVEDIR: 0x200, AT_SYMLINK_FOLLOW: 0x400,
  AT_NO_AUTOMOUNT: 0x800, AT_EMPTY_PATH: 0x1000, AT_STATX_SYNC_AS_STAT: 0,
  AT_STATX_FORCE_SYNC: 0x2000, AT_STATX_DONT_SYNC: 0x4000, AT_RECURSIVE: 0x8000,
};

/** renameat2 flags (linux/fs.h). */
const RENAME_FLAGS: Table = { RENAME_NOREPLACE: 1, RENAME_EXCHANGE: 2, RENAME_WHITEOUT: 4 };

/** mmap/mprotect protections (asm-generic/mman-common.h). */
const PROT_FLAGS: Table = {
  PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4, PROT_SEM: 8,
  PROT_GROWSDOWN: 0x1000000, PROT_GROWSUP: 0x2000000,
};

/** mmap flags (linux/mman.h, asm-generic/mman-common.h, asm-generic/mman.h). */
const MAP_FLAGS: Table = {
  MAP_FILE: 0, MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_SHARED_VALIDATE: 3, MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20, MAP_GROWSDOWN: 0x100, MAP_DENYWRITE: 0x800, MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000, MAP_NORESERVE: 0x4000, MAP_POPULATE: 0x8000, MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000, MAP_HUGETLB: 0x40000, MAP_SYNC: 0x80000, MAP_FIXED_NOREPLACE: 0x100000,
  MAP_UNINITIALIZED: 0x4000000,
};

/**
 * ioctl(fd, request) requests on terminals and files (asm-generic/ioctls.h; x86 and arm64 use
 * the generic numbers). TIOCSTI pushes bytes into the terminal's input queue and TIOCLINUX
 * can paste the console selection: both let a sandboxed process type commands into the
 * shell that started it.
 */
const IOCTLS: Table = {
  TCGETS: 0x5401, TCSETS: 0x5402, TCSETSW: 0x5403, TCSETSF: 0x5404, TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f, TIOCSPGRP: 0x5410, TIOCOUTQ: 0x5411, TIOCSTI: 0x5412, TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414, FIONREAD: 0x541b, TIOCLINUX: 0x541c, TIOCCONS: 0x541d, FIONBIO: 0x5421,
  TIOCNOTTY: 0x5422, TIOCSETD: 0x5423, FIONCLEX: 0x5450, FIOCLEX: 0x5451, FIOASYNC: 0x5452,
  // _IOR('T', 0x30, unsigned int), _IOW('T', 0x31, int), _IO('T', 0x41): pty allocation.
  TIOCGPTN: 0x80045430, TIOCSPTLCK: 0x40045431, TIOCGPTPEER: 0x5441,
};

const GENERIC: Table = Object.assign(
  {},
  ADDRESS_FAMILIES, SOCKET_TYPES, IP_PROTOCOLS, CLONE_FLAGS, PRCTL_OPTIONS, SECCOMP,
  OPEN_FLAGS, AT_FLAGS, RENAME_FLAGS, PROT_FLAGS, MAP_FLAGS, IOCTLS,
);

/**
 * What differs. arm64 (like 32-bit arm) swaps four open flags around (arch/arm64/include/uapi/
 * asm/fcntl.h), so O_TMPFILE (__O_TMPFILE 0o20000000 | O_DIRECTORY) differs too. On 64-bit
 * arches the kernel forces O_LARGEFILE itself; glibc passes 0 for it on x86_64.
 */
const PER_ARCH: Readonly<Record<Arch, Table>> = {
  x86_64: {
    O_DIRECT: 0o40000, O_LARGEFILE: 0o100000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000,
    O_TMPFILE: 0o20200000,
    // Map below 2 GiB (arch/x86/include/uapi/asm/mman.h).
    MAP_32BIT: 0x40,
  },
  aarch64: {
    O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000, O_DIRECT: 0o200000, O_LARGEFILE: 0o400000,
    O_TMPFILE: 0o20040000,
    // Branch target identification and memory tagging (arch/arm64/include/uapi/asm/mman.h).
    PROT_BTI: 0x10, PROT_MTE: 0x20,
  },
};

const tables = new Map<Arch, { values: ReadonlyMap<string, bigint>; names: readonly string[] }>();

function table(arch: Arch): { values: ReadonlyMap<string, bigint>; names: readonly string[] } {
  let t = tables.get(arch);
  if (!t) {
    const own = PER_ARCH[arch];
    for (const name of Object.keys(own)) {
      if (name in GENERIC) throw new Error(`constants: ${name} is both generic and ${arch}-specific`);
    }
    const merged: Table = { ...GENERIC, ...own };
    const names = Object.freeze(Object.keys(merged).sort());
    t = { values: new Map(names.map((name) => [name, BigInt(merged[name]!)])), names };
    tables.set(arch, t);
  }
  return t;
}

/** The value of a named constant on `arch`, or undefined if the arch has no such name. */
export function constantValue(arch: Arch, name: string): bigint | undefined {
  return table(arch).values.get(name);
}

/** Every constant name `arch` knows, sorted. */
export function constantNames(arch: Arch): readonly string[] {
  return table(arch).names;
}
