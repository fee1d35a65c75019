// The calls the notification backend makes on a caller's behalf (lib/trace/notify): opening a
// path relative to an fd, connecting and sending on a socket, and the per-thread state a create
// depends on. Each returns the kernel's answer as a number: the result (>= 0), or -errno. Nothing
// here throws for what the kernel refuses: the refusal is the caller's answer.
import { hostArch } from '../arch/index.js';
import { constantValue } from '../arch/constants.js';
import * as ffi from './ffi.js';
import { syscallNumber } from './syscall.js';

const flag = (name: string): number => Number(constantValue(hostArch(), name)!);

/** open(2) flags of this machine's arch (lib/arch/constants.ts: O_DIRECTORY and O_NOFOLLOW differ on arm64). */
export const O = {
  ACCMODE: flag('O_ACCMODE'),
  CREAT: flag('O_CREAT'),
  EXCL: flag('O_EXCL'),
  NOCTTY: flag('O_NOCTTY'),
  TRUNC: flag('O_TRUNC'),
  NONBLOCK: flag('O_NONBLOCK'),
  DIRECTORY: flag('O_DIRECTORY'),
  NOFOLLOW: flag('O_NOFOLLOW'),
  CLOEXEC: flag('O_CLOEXEC'),
  PATH: flag('O_PATH'),
} as const;

export const AT_FDCWD = -100;

const SYS = {
  openat: syscallNumber('openat'),
  openat2: syscallNumber('openat2'),
  readlinkat: syscallNumber('readlinkat'),
  close: syscallNumber('close'),
  umask: syscallNumber('umask'),
  unshare: syscallNumber('unshare'),
  fcntl: syscallNumber('fcntl'),
  connect: syscallNumber('connect'),
  sendto: syscallNumber('sendto'),
  getsockopt: syscallNumber('getsockopt'),
};

const sys = ffi.syscall6;

/** A NUL-terminated copy of a path, kept alive by the caller for the call. */
const cString = (path: string | Buffer): Buffer => Buffer.concat([typeof path === 'string' ? Buffer.from(path) : path, Buffer.alloc(1)]);

// The path of a call, copied into one buffer kept for the purpose: every call here takes one path
// and is over before the next begins (each thread has its own copy of this module), so nothing is
// allocated per call — a copy of its own cost ~2 µs a call, several times per performed call.
const PATH_MAX = 4096;
const pathBuf = Buffer.alloc(PATH_MAX + 1);
const pathAddr = ffi.addressOf(pathBuf);
/** A path longer than pathBuf, kept referenced until the next call (the kernel answers ENAMETOOLONG). */
let longPath: Buffer | undefined;

/** The address of a NUL-terminated copy of `path`, valid until the next call of this module. */
function cPath(path: string | Buffer): number {
  longPath = undefined;
  const size = typeof path === 'string' ? (path.length * 3 <= PATH_MAX ? -1 : Buffer.byteLength(path)) : path.length;
  if (size > PATH_MAX) {
    longPath = cString(path);
    return ffi.addressOf(longPath);
  }
  const n = typeof path === 'string' ? pathBuf.write(path, 0, 'utf8') : path.copy(pathBuf, 0);
  pathBuf[n] = 0;
  return pathAddr;
}

const how = Buffer.alloc(24);
const howAddr = ffi.addressOf(how);

/** openat2(dirfd, path, {flags, mode, resolve}): the fd, or -errno. */
export function openAt2(dirfd: number, path: string | Buffer, flags: number, mode: number, resolve: bigint): number {
  how.writeBigUInt64LE(BigInt(flags >>> 0), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(resolve, 16);
  return sys(SYS.openat2, dirfd, cPath(path), howAddr, 24);
}

/** openat(dirfd, path, flags, mode): the fd, or -errno. */
export function openAt(dirfd: number, path: string | Buffer, flags: number, mode = 0): number {
  return sys(SYS.openat, dirfd, cPath(path), flags >>> 0, mode);
}

const linkBuf = Buffer.alloc(4096);
const linkAddr = ffi.addressOf(linkBuf);
/** readlinkat(dirfd, path): the link's text, or -errno. */
export function readLinkAt(dirfd: number, path: string | Buffer): Buffer | number {
  const n = sys(SYS.readlinkat, dirfd, cPath(path), linkAddr, linkBuf.length);
  return n < 0 ? n : Buffer.from(linkBuf.subarray(0, n));
}

/** close(2), ignoring the answer (an fd of this process that is ours to close). */
export const closeQuietly = (fd: number): void => {
  if (fd >= 0) sys(SYS.close, fd);
};

/**
 * umask(2) of the calling thread's fs_struct; returns the previous mask. Only meaningful after
 * ownThreadFs(): otherwise it changes every thread's mask, the main thread's too.
 */
export const setUmask = (mask: number): number => sys(SYS.umask, mask & 0o777);

const CLONE_FS = 0x200;
/** unshare(CLONE_FS): give the calling thread its own cwd, root and umask. 0, or -errno. */
export const ownThreadFs = (): number => sys(SYS.unshare, CLONE_FS);

const F_GETFL = 3;
const F_SETFL = 4;
/** The file status flags of an fd (O_NONBLOCK, O_APPEND...), or -errno. */
export const statusFlags = (fd: number): number => sys(SYS.fcntl, fd, F_GETFL);
export const setStatusFlags = (fd: number, flags: number): number => sys(SYS.fcntl, fd, F_SETFL, flags);

/** connect(fd, addr): 0, or -errno (-EINPROGRESS for a non-blocking socket still connecting). */
export function connectTo(fd: number, addr: Buffer): number {
  return sys(SYS.connect, fd, ffi.addressOf(addr), addr.length);
}

const NOTHING = Buffer.alloc(1);
/**
 * sendto(fd, data, flags, addr): the count of bytes sent, or -errno. No `addr` (or an empty one):
 * a NULL destination.
 */
export function sendTo(fd: number, data: Buffer, flags: number, addr?: Buffer): number {
  const at = addr && addr.length > 0 ? addr : undefined;
  return sys(SYS.sendto, fd, ffi.addressOf(data.length > 0 ? data : NOTHING), data.length, flags, at ? ffi.addressOf(at) : 0, at ? at.length : 0);
}

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SO_ERROR = 4;
const intBuf = Buffer.alloc(4);
const lenBuf = Buffer.alloc(4);
const intAddr = ffi.addressOf(intBuf);
const lenAddr = ffi.addressOf(lenBuf);
/** getsockopt(fd, SOL_SOCKET, SO_ERROR): the pending error of a socket (0: none), or -errno. */
export function socketError(fd: number): number {
  lenBuf.writeUInt32LE(4);
  const r = sys(SYS.getsockopt, fd, SOL_SOCKET, SO_ERROR, intAddr, lenAddr);
  return r < 0 ? r : intBuf.readInt32LE(0);
}

/** SOCK_STREAM, SOCK_DGRAM... */
export const SOCK_STREAM = 1;
/** getsockopt(fd, SOL_SOCKET, SO_TYPE): the socket's type (SOCK_STREAM, SOCK_DGRAM...), or -errno (ENOTSOCK). */
export function socketType(fd: number): number {
  lenBuf.writeUInt32LE(4);
  const r = sys(SYS.getsockopt, fd, SOL_SOCKET, SO_TYPE, intAddr, lenAddr);
  return r < 0 ? r : intBuf.readInt32LE(0);
}

const readNr = syscallNumber('read');
/**
 * Read a small file (a /proc entry) into `buf` with three plain syscalls: the byte count, or
 * -errno. For the hot path, where Node's readFileSync costs ~40 µs.
 */
export function readFileInto(path: string, buf: Buffer): number {
  const fd = openAt(AT_FDCWD, path, O.CLOEXEC);
  if (fd < 0) return fd;
  const n = sys(readNr, fd, ffi.addressOf(buf), buf.length);
  sys(SYS.close, fd);
  return n;
}

const faccessatNr = syscallNumber('faccessat');
/** faccessat(AT_FDCWD, path, mode): 0, or -errno. */
export const accessAt = (path: string, mode: number): number => sys(faccessatNr, AT_FDCWD, cPath(path), mode);

const newfstatatNr = syscallNumber('newfstatat');
const statxNr = syscallNumber('statx');
const EMPTY = cString('');
/** struct stat is 144 bytes on x86_64, 128 on arm64 (asm-generic); struct statx 256 on both. */
export const STAT_SIZE = process.arch === 'arm64' ? 128 : 144;
export const STATX_SIZE = 256;
export const AT_EMPTY_PATH = 0x1000;
/** newfstatat(fd, "", buf, AT_EMPTY_PATH | flags): the object's struct stat into `buf`; 0 or -errno. */
export const statFd = (fd: number, buf: Buffer, flags: number): number =>
  sys(newfstatatNr, fd, ffi.addressOf(EMPTY), ffi.addressOf(buf), AT_EMPTY_PATH | flags);
/** statx(fd, "", AT_EMPTY_PATH | flags, mask, buf): 0 or -errno. */
export const statxFd = (fd: number, flags: number, mask: number, buf: Buffer): number =>
  sys(statxNr, fd, ffi.addressOf(EMPTY), AT_EMPTY_PATH | flags, mask, ffi.addressOf(buf));

const setnsNr = syscallNumber('setns');
const CLONE_NEWNS = 0x0002_0000;
/**
 * setns(fd, CLONE_NEWNS): move the calling thread into the mount namespace `fd` names (an open
 * /proc/TID/ns/mnt). Only for a thread with its own fs_struct (ownThreadFs): it also takes that
 * namespace's root and cwd. Needs CAP_SYS_ADMIN over the namespace and CAP_SYS_CHROOT. 0, or -errno.
 */
export const enterMountNamespace = (fd: number): number => sys(setnsNr, fd, CLONE_NEWNS);

/** struct stat's st_mode: offset 24 on x86_64, 16 on arm64 (asm-generic). */
const MODE_AT = process.arch === 'arm64' ? 16 : 24;
const modeBuf = Buffer.alloc(STAT_SIZE);
/** The file type and mode of an fd (st_mode), or -errno. */
export function modeOf(fd: number): number {
  const r = statFd(fd, modeBuf, 0);
  return r < 0 ? r : modeBuf.readUInt32LE(MODE_AT);
}
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFLNK = 0o120000;

const setresuidNr = syscallNumber('setresuid');
const setresgidNr = syscallNumber('setresgid');
const setgroupsNr = syscallNumber('setgroups');
const capgetNr = syscallNumber('capget');
const capsetNr = syscallNumber('capset');
/**
 * The calling thread's identity — the raw syscalls change this thread alone (glibc's wrappers would
 * change every thread). Effective ids only (-1 keeps real and saved, so the thread can come back):
 * the fsuid follows the euid, and an euid going from 0 to another clears the effective
 * capabilities (restored when it comes back to 0). 0 or -errno.
 */
export const setEffectiveUid = (uid: number): number => sys(setresuidNr, -1, uid, -1);
export const setEffectiveGid = (gid: number): number => sys(setresgidNr, -1, gid, -1);
export function setGroups(groups: readonly number[]): number {
  const buf = Buffer.alloc(Math.max(4, groups.length * 4));
  groups.forEach((g, i) => buf.writeUInt32LE(g >>> 0, 4 * i));
  return sys(setgroupsNr, groups.length, ffi.addressOf(buf));
}

/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAP_V3 = 0x2008_0522;
const capHeader = Buffer.alloc(8);
const capData = Buffer.alloc(24);
/** This thread's capability sets (effective, permitted, inheritable: 64-bit masks), or -errno. */
export function capabilities(): { effective: bigint; permitted: bigint; inheritable: bigint } | number {
  capHeader.writeUInt32LE(CAP_V3, 0);
  capHeader.writeInt32LE(0, 4);
  const r = sys(capgetNr, ffi.addressOf(capHeader), ffi.addressOf(capData));
  if (r < 0) return r;
  const set = (i: number) => BigInt(capData.readUInt32LE(i)) | (BigInt(capData.readUInt32LE(12 + i)) << 32n);
  return { effective: set(0), permitted: set(4), inheritable: set(8) };
}
/** Set this thread's effective capabilities (within its permitted set). 0 or -errno. */
export function setEffectiveCapabilities(effective: bigint, permitted: bigint, inheritable: bigint): number {
  capHeader.writeUInt32LE(CAP_V3, 0);
  capHeader.writeInt32LE(0, 4);
  const put = (i: number, v: bigint) => {
    capData.writeUInt32LE(Number(v & 0xffff_ffffn), i);
    capData.writeUInt32LE(Number((v >> 32n) & 0xffff_ffffn), 12 + i);
  };
  put(0, effective);
  put(4, permitted);
  put(8, inheritable);
  return sys(capsetNr, ffi.addressOf(capHeader), ffi.addressOf(capData));
}

const faccessat2Nr = syscallNumber('faccessat2');
const AT_EACCESS = 0x200;
/** May this thread's effective ids open fd's object with `mode` (R_OK 4, W_OK 2)? faccessat2(fd, "", mode, AT_EMPTY_PATH | AT_EACCESS): 0 or -errno. */
export const accessFd = (fd: number, mode: number): number => sys(faccessat2Nr, fd, ffi.addressOf(EMPTY), mode, AT_EMPTY_PATH | AT_EACCESS);

const setfsuidNr = syscallNumber('setfsuid');
const setfsgidNr = syscallNumber('setfsgid');
/** setfsuid/setfsgid of this thread: they return the previous id and never fail loudly. */
export const setFsUid = (uid: number): number => sys(setfsuidNr, uid);
export const setFsGid = (gid: number): number => sys(setfsgidNr, gid);
