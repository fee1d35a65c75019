// seccomp user notification (seccomp_unotify(2)), from the supervisor's side: the listener fd a
// filter installed with SECCOMP_FILTER_FLAG_NEW_LISTENER returns, and the ioctls that receive a
// notification, answer it, check it is still pending and install an fd in the caller. Also the
// pidfd calls that reach a caller's fd (pidfd_open 5.3, pidfd_getfd 5.6), tgkill (a performed
// send's SIGPIPE) and ppoll.
//
// The structs (include/uapi/linux/seccomp.h), the same on x86_64 and arm64:
//   seccomp_notif        80 B   u64 id @0, u32 pid @8, u32 flags @12, seccomp_data @16
//                               (int nr @16, u32 arch @20, u64 ip @24, u64 args[6] @32)
//   seccomp_notif_resp   24 B   u64 id @0, s64 val @8, s32 error @16, u32 flags @20
//   seccomp_notif_addfd  24 B   u64 id @0, u32 flags @8, u32 srcfd @12, u32 newfd @16, u32 newfd_flags @20
// The ioctl numbers are the generic _IOC encoding (arch-independent on both).
import * as ffi from './ffi.js';
import { syscallNumber } from './syscall.js';

/** Reply flag: let the call run as the caller made it (never after looking at its memory: the kernel reads it again). */
export const SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
/** ADDFD flags: install at a given number; install and answer the call with the new fd's number, at once (5.14). */
export const SECCOMP_ADDFD_FLAG_SEND = 2;

const NOTIF_RECV = 0xc050_2100;
const NOTIF_SEND = 0xc018_2101;
const NOTIF_ID_VALID = 0x4008_2102;
const NOTIF_ADDFD = 0x4018_2103;
const NOTIF_SET_FLAGS = 0x4008_2104;
const USER_NOTIF_FD_SYNC_WAKE_UP = 1;

const NOTIF_SIZE = 80;
const ARGS_AT = 32;

/** One notification: the calling thread and the call as its registers were when it trapped. */
export interface Notification {
  readonly id: bigint;
  /** The calling thread's tid (in the supervisor's pid namespace). */
  readonly tid: number;
  readonly nr: number;
  readonly arch: number;
  readonly ip: bigint;
  readonly args: readonly bigint[];
}

const SYS = {
  ioctl: syscallNumber('ioctl'),
  pidfdOpen: syscallNumber('pidfd_open'),
  pidfdGetfd: syscallNumber('pidfd_getfd'),
  pidfdSendSignal: syscallNumber('pidfd_send_signal'),
  tgkill: syscallNumber('tgkill'),
  ppoll: syscallNumber('ppoll'),
};

const notif = Buffer.alloc(NOTIF_SIZE);
const notifAddr = ffi.addressOf(notif);
const resp = Buffer.alloc(24);
const respAddr = ffi.addressOf(resp);
const addfd = Buffer.alloc(24);
const addfdAddr = ffi.addressOf(addfd);
const idBuf = Buffer.alloc(8);
const idAddr = ffi.addressOf(idBuf);

const ioctl = (fd: number, req: number, addr: number): number => ffi.syscall6(SYS.ioctl, fd, req, addr);

/**
 * Take the next notification (blocks if none is pending: poll first). undefined when there is
 * nothing to take after all: the caller was interrupted between the wake-up and this call
 * (ENOENT), or this thread was (EINTR).
 */
export function receive(listener: number): Notification | undefined | number {
  notif.fill(0); // the kernel refuses a buffer that is not zeroed (5.5+)
  const r = ioctl(listener, NOTIF_RECV, notifAddr);
  if (r === -2 || r === -4) return undefined;
  if (r < 0) return -r;
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(notif.readBigUInt64LE(ARGS_AT + 8 * i));
  return {
    id: notif.readBigUInt64LE(0),
    tid: notif.readUInt32LE(8),
    nr: notif.readInt32LE(16),
    arch: notif.readUInt32LE(20),
    ip: notif.readBigUInt64LE(24),
    args,
  };
}

/**
 * Answer a notification: `error` (a positive errno) fails the call with it, otherwise it returns
 * `val`; with CONTINUE the kernel runs the call itself. Returns 0, or the errno of the answer
 * (ENOENT: the call is no longer waiting — its thread was interrupted or is gone).
 */
export function respond(listener: number, id: bigint, val: bigint, error: number, flags = 0): number {
  resp.writeBigUInt64LE(id, 0);
  resp.writeBigInt64LE(val, 8);
  resp.writeInt32LE(error === 0 ? 0 : -error, 16);
  resp.writeUInt32LE(flags, 20);
  const r = ioctl(listener, NOTIF_SEND, respAddr);
  return r < 0 ? -r : 0;
}

/** Is the notification still pending (its caller alive and waiting)? Call it between reading the caller's memory and acting on it. */
export function stillPending(listener: number, id: bigint): boolean {
  idBuf.writeBigUInt64LE(id, 0);
  return ioctl(listener, NOTIF_ID_VALID, idAddr) === 0;
}

/**
 * Install `fd` (of this process) in the caller as its lowest free fd, with `newFdFlags`
 * (O_CLOEXEC or 0). With `send`, the call is answered with the new number in the same step
 * (5.14): no fd is left behind in a caller interrupted meanwhile. Returns the caller's fd number,
 * or -errno (EINVAL: `send` unknown to this kernel; ENOENT: the call no longer waits; EMFILE).
 */
export function installFd(listener: number, id: bigint, fd: number, newFdFlags: number, send: boolean): number {
  addfd.writeBigUInt64LE(id, 0);
  addfd.writeUInt32LE(send ? SECCOMP_ADDFD_FLAG_SEND : 0, 8);
  addfd.writeUInt32LE(fd, 12);
  addfd.writeUInt32LE(0, 16);
  addfd.writeUInt32LE(newFdFlags >>> 0, 20);
  return ioctl(listener, NOTIF_ADDFD, addfdAddr);
}

/**
 * Ask the kernel to wake the supervisor and the caller on each other's CPU (6.6+): a notified call
 * is a synchronous round trip, and a wake-up on another, idle CPU costs tens of µs in a VM.
 * False when the kernel does not know it (EINVAL before 6.6).
 */
export function syncWakeUp(listener: number): boolean {
  return ioctl(listener, NOTIF_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP) === 0;
}

/**
 * pidfd_open(pid, flags): an fd naming a thread group leader (flags 0), or with PIDFD_THREAD (6.9)
 * any one thread; -errno on failure (ESRCH: gone; EINVAL: not a leader, or a flag this kernel lacks).
 */
export function pidfdOpen(pid: number, flags = 0): number {
  return ffi.syscall6(SYS.pidfdOpen, pid, flags);
}

/** pidfd_send_signal(pidfd, sig, NULL, 0) (5.1): 0, or -errno (ESRCH: gone). */
export function pidfdSignal(pidfd: number, sig: number): number {
  return ffi.syscall6(SYS.pidfdSendSignal, pidfd, sig, 0, 0);
}

/**
 * tgkill(pid, tid, sig): a signal to one thread, only while it belongs to thread group `pid`; 0, or
 * -errno (ESRCH: gone). (A performed send's SIGPIPE goes to the calling thread, as the kernel's.)
 */
export function threadSignal(pid: number, tid: number, sig: number): number {
  return ffi.syscall6(SYS.tgkill, pid, tid, sig);
}

/** pidfd_getfd(pidfd, fd, 0): a duplicate of the process's fd `fd` in this process (close-on-exec); -errno on failure. */
export function pidfdGetfd(pidfd: number, fd: number): number {
  return ffi.syscall6(SYS.pidfdGetfd, pidfd, fd, 0);
}

/** poll(2) events (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

/** A reusable pollfd array for ppoll. */
export class PollSet {
  private buf = Buffer.alloc(0);
  private addr = 0;
  private readonly ts = Buffer.alloc(16);
  private readonly tsAddr = ffi.addressOf(this.ts);

  /**
   * Wait until one of `fds` has one of its events, or `timeoutMs` passes (-1: no timeout).
   * Returns the events that happened, one number per fd (0: none), or -errno (EINTR).
   */
  wait(fds: readonly (readonly [fd: number, events: number])[], timeoutMs: number): number[] | number {
    const need = fds.length * 8;
    if (this.buf.length < need) {
      this.buf = Buffer.alloc(Math.max(need, 64));
      this.addr = ffi.addressOf(this.buf);
    }
    fds.forEach(([fd, events], i) => {
      this.buf.writeInt32LE(fd, 8 * i);
      this.buf.writeInt16LE(events, 8 * i + 4);
      this.buf.writeInt16LE(0, 8 * i + 6);
    });
    let tsAddr = 0;
    if (timeoutMs >= 0) {
      this.ts.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
      this.ts.writeBigInt64LE(BigInt(Math.round((timeoutMs % 1000) * 1e6)), 8);
      tsAddr = this.tsAddr;
    }
    const r = ffi.syscall6(SYS.ppoll, this.addr, fds.length, tsAddr, 0, 8);
    if (r < 0) return r;
    return fds.map((_, i) => this.buf.readInt16LE(8 * i + 6) & 0xffff);
  }
}
