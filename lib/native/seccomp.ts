// seccomp(2). glibc has no wrapper for it, so it goes through syscall() with the number of the
// host arch (x86_64 317, arm64 277; lib/arch/syscalls.csv). glibc's syscall() reads each variadic
// argument as a long, so every argument goes in as a full 64-bit `long`.
//
//   seccomp(SECCOMP_SET_MODE_FILTER, flags, struct sock_fprog *)   install a filter on this thread
//   seccomp(SECCOMP_GET_ACTION_AVAIL, 0, __u32 *action)            does the kernel know an action?
import { errnoNumber } from '../arch/errno.js';
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';
import { syscallNumber } from './syscall.js';

/** seccomp() operations (linux/seccomp.h). */
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;
/** seccomp(SECCOMP_SET_MODE_FILTER) flags (linux/seccomp.h). */
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;
/** Also return a listener fd for SECCOMP_RET_USER_NOTIF (5.0); after RECV only a fatal signal interrupts the caller (5.19). */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 32;

/** sizeof(struct sock_filter): u16 code, u8 jt, u8 jf, u32 k. */
const SOCK_FILTER_SIZE = 8;
/** include/uapi/linux/bpf_common.h BPF_MAXINSNS; seccomp_prepare_filter refuses longer programs. */
const BPF_MAXINSNS = 4096;

const EOPNOTSUPP = errnoNumber('EOPNOTSUPP')!;
const ESRCH = errnoNumber('ESRCH')!;

// The kernel reads 16 bytes with the pointer at offset 8 on every 64-bit arch; say so once, loudly,
// rather than pass a malformed struct.
if (ffi.sizeOf(ffi.SockFprog) !== 16 || ffi.offsetOf(ffi.SockFprog, 'filter') !== 8) {
  throw new Error('internal: struct sock_fprog is not {u16 len; pad; u64 filter @8}');
}

/** What an errno from seccomp() usually means, for the error message. */
const HINTS: ReadonlyMap<number, string> = new Map([
  [errnoNumber('EACCES')!, 'no_new_privs is not set and the process lacks CAP_SYS_ADMIN: call setNoNewPrivs() first'],
  [errnoNumber('EINVAL')!, 'the kernel refused the program or a flag'],
  [errnoNumber('ENOSYS')!, 'this kernel has no seccomp'],
  [errnoNumber('ENOMEM')!, "this thread's filters would exceed 32768 instructions in total"],
]);

/**
 * Installs a seccomp filter (struct sock_filter[] as compileProfile's `bytes`) on the calling
 * thread; with SECCOMP_FILTER_FLAG_TSYNC, on every thread of the process. Filters stack and are
 * inherited across fork, clone and execve; they can never be removed. Needs no_new_privs (see
 * setNoNewPrivs) unless the process has CAP_SYS_ADMIN. Returns the listener fd when `flags` has
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (lib/native/notify.ts), 0 otherwise.
 */
export function installFilter(bytes: Buffer, flags = 0): number {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0 || bytes.length % SOCK_FILTER_SIZE !== 0) {
    throw new RangeError(`a seccomp filter is a non-empty array of ${SOCK_FILTER_SIZE}-byte instructions, got ${Buffer.isBuffer(bytes) ? `${bytes.length} bytes` : typeof bytes}`);
  }
  const len = bytes.length / SOCK_FILTER_SIZE;
  if (len > BPF_MAXINSNS) throw new RangeError(`a seccomp filter has at most ${BPF_MAXINSNS} instructions, got ${len}`);
  if (!Number.isInteger(flags) || flags < 0) throw new RangeError(`bad seccomp flags ${flags}`);

  // koffi marshals the struct for the duration of the call; the Buffer it points to is part of the
  // call's arguments, so it stays alive until seccomp_prepare_filter has copied the program.
  const fprog = { len, filter: bytes };
  const { ret, errno } = ffi.syscall(
    syscallNumber('seccomp'),
    ['long', SECCOMP_SET_MODE_FILTER],
    ['long', flags],
    [ffi.SockFprogPtr, fprog],
  );
  const what = 'seccomp(SECCOMP_SET_MODE_FILTER)';
  if (errno !== 0) throw new NativeError(what, errno, HINTS.get(errno));
  // With TSYNC (and without TSYNC_ESRCH) a thread that cannot take the filter is reported by its
  // id as a positive return value, and nothing was installed.
  if (ret > 0n && (flags & SECCOMP_FILTER_FLAG_TSYNC) !== 0 && (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) === 0) {
    throw new NativeError(what, ESRCH, `thread ${ret} cannot be synchronised`);
  }
  // With SECCOMP_FILTER_FLAG_NEW_LISTENER: the listener's fd (close-on-exec).
  return Number(ret);
}

/**
 * Whether the running kernel knows a filter return action (SECCOMP_RET_KILL_PROCESS, _LOG,
 * _USER_NOTIF... appeared in different kernel versions). Throws NativeError when the question
 * itself cannot be asked: ENOSYS (no seccomp), EINVAL (before Linux 4.14).
 */
export function seccompActionAvailable(action: number): boolean {
  if (!Number.isInteger(action) || action < 0 || action > 0xffff_ffff) throw new RangeError(`seccomp action ${action} is not a u32`);
  // A u32 in host byte order, passed by address.
  const word = new Uint32Array([action]);
  const { errno } = ffi.syscall(
    syscallNumber('seccomp'),
    ['long', SECCOMP_GET_ACTION_AVAIL],
    ['long', 0],
    ['void *', word],
  );
  if (errno === 0) return true;
  if (errno === EOPNOTSUPP) return false;
  throw new NativeError('seccomp(SECCOMP_GET_ACTION_AVAIL)', errno, HINTS.get(errno));
}
