// What stage-2 needs between "filter installed" and "program running", and the
// pipe it is fed through. Kept tiny: after seccomp() every syscall counts.
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';
import { rawSyscall, syscallNumber } from './syscall.js';

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
export const O_CLOEXEC = 0o2000000;

export function pipe(flags = O_CLOEXEC): [read: number, write: number] {
  const { fds, errno } = ffi.pipe2(flags);
  if (errno !== 0) throw new NativeError('pipe2', errno);
  return fds;
}

export function closeFd(fd: number): void {
  const r = ffi.close(fd);
  if (r.errno !== 0) throw new NativeError(`close(${fd})`, r.errno);
}

/** Let fd survive execve (Node sets FD_CLOEXEC on 0-2 at start-up). */
export function keepOnExec(fd: number): void {
  const r = ffi.fcntl(fd, F_GETFD, 0);
  if (r.errno !== 0) return; // not open: nothing to keep
  ffi.fcntl(fd, F_SETFD, Number(r.ret) & ~FD_CLOEXEC);
}

/**
 * Every catchable signal back to SIG_DFL with the raw rt_sigaction syscall
 * (glibc's sigaction refuses 32 and 33, which it reserves): ignored
 * dispositions survive execve, and Node ignores SIGPIPE. The mask is cleared too.
 */
export function resetSignals(): void {
  const act = Buffer.alloc(32); // struct kernel_sigaction: handler SIG_DFL (0), flags 0, restorer 0, mask 0
  const addr = BigInt(ffi.addressOf(act));
  const sigaction = syscallNumber('rt_sigaction');
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue; // SIGKILL, SIGSTOP cannot be changed
    rawSyscall(sigaction, sig, addr, 0, 8);
  }
  const empty = Buffer.alloc(8);
  rawSyscall(syscallNumber('rt_sigprocmask'), 2 /* SIG_SETMASK */, BigInt(ffi.addressOf(empty)), 0, 8);
}

/**
 * Block every signal on the calling thread (rt_sigprocmask(SIG_BLOCK, all)): a process-directed
 * signal goes to another thread, and a thread-directed one waits. For a thread whose waits in the
 * kernel must not be cut short (the notification supervisor's SECCOMP_IOCTL_NOTIF_ADDFD).
 */
export function blockSignals(): void {
  const all = Buffer.alloc(8, 0xff);
  rawSyscall(syscallNumber('rt_sigprocmask'), 0 /* SIG_BLOCK */, BigInt(ffi.addressOf(all)), 0, 8);
}

/** execve(2); returns only on failure, with the errno. */
export function exec(path: string, argv: readonly string[], env: readonly string[]): number {
  return ffi.execve(path, [...argv, null], [...env, null]).errno;
}

/**
 * exit_group(2): every thread of this process ends now, whatever it is blocked in. Unlike
 * process.exit(), which first joins every worker thread — and the tracer thread may sit in a
 * blocking waitpid for as long as its tracees do nothing. No exit handlers run; stdout and stderr
 * are written synchronously on Linux, so nothing written is lost.
 */
export function exitProcess(status: number): never {
  rawSyscall(syscallNumber('exit_group'), status);
  throw new Error('unreachable: exit_group returned');
}
