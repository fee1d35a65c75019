// prctl(2), and the no_new_privs bit that seccomp needs.
import { readFileSync } from 'node:fs';
import { NativeError, isNativeError } from './errors.js';
import * as ffi from './ffi.js';
import { asLong } from './syscall.js';

/** linux/prctl.h */
export const PR_SET_PDEATHSIG = 1;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;

/**
 * prctl(option, arg2, arg3, arg4, arg5). Missing arguments are 0: several options (NO_NEW_PRIVS
 * among them) fail with EINVAL unless the unused ones are 0. Returns the result (>= 0) or throws
 * NativeError.
 */
export function prctl(option: number, ...args: (number | bigint)[]): number {
  if (args.length > 4) throw new RangeError(`prctl takes at most 4 arguments after the option, got ${args.length}`);
  const rest: ffi.Vararg[] = [];
  for (let i = 0; i < 4; i++) rest.push(['unsigned long', BigInt.asUintN(64, asLong(args[i] ?? 0, `prctl argument ${i + 2}`))]);
  const { ret, errno } = ffi.prctl(option, ...rest);
  if (errno !== 0) throw new NativeError(`prctl(${option})`, errno);
  return Number(ret);
}

/**
 * Whether the calling thread has no_new_privs, from its status file (the `NoNewPrivs:` line, Linux
 * 4.10+): unlike PR_GET_NO_NEW_PRIVS, reading it works where prctl itself is filtered. The bit is
 * per thread, hence thread-self; on Node's main thread that is the same as /proc/self.
 */
export function noNewPrivs(status = readFileSync('/proc/thread-self/status', 'utf8')): boolean {
  return /^NoNewPrivs:\s*1\s*$/m.test(status);
}

/**
 * Sets no_new_privs: execve can no longer grant privileges (setuid bits, file capabilities), which
 * is what lets an unprivileged process install a seccomp filter (kernel/seccomp.c
 * seccomp_prepare_filter: without it, CAP_SYS_ADMIN is required). The bit is inherited by children
 * and can never be cleared.
 *
 * Some sandboxes (Lambda reportedly) set the bit themselves and then filter prctl: a refused call
 * is fine when the bit is already set.
 */
export function setNoNewPrivs(): void {
  try {
    prctl(PR_SET_NO_NEW_PRIVS, 1);
  } catch (err) {
    if (!isNativeError(err)) throw err;
    if (noNewPrivs()) return;
    throw new NativeError('prctl(PR_SET_NO_NEW_PRIVS)', err.errno);
  }
}

/**
 * Makes the calling process non-dumpable: its /proc/PID entries (mem, environ, fd...) become
 * root's, and ptrace, process_vm_readv/writev and pidfd_getfd on it need CAP_SYS_PTRACE
 * (ptrace_may_access). The supervisor does this so that a sandboxed program running as the same
 * user cannot reach it whatever its profile lets through. The flag is per process and execve
 * resets it for the new image, so the command is unaffected.
 */
export function setNotDumpable(): void {
  prctl(PR_SET_DUMPABLE, 0);
}
