// Reading syscall arguments the way the kernel reads them. PTRACE_GET_SYSCALL_INFO
// gives six unsigned 64-bit registers; an `int` argument (fd, pid, flags, a
// length) is only the low 32 bits, read as signed, whatever the caller left in
// the high half.
import type { Fault, Trap } from '../types.js';
import { isFault } from '../types.js';

/** The errno values decide returns itself, for arguments the kernel would reject. */
export const ENOENT = 2;
export const EBADF = 9;
export const ESRCH = 3;
export const EFAULT = 14;
export const ENOTDIR = 20;
export const EINVAL = 22;
export const ENAMETOOLONG = 36;
export const E2BIG = 7;

/** PATH_MAX, including the terminating NUL: the kernel's getname() refuses 4096 bytes without one. */
export const PATH_MAX = 4096;

/** AT_FDCWD (-100): the dirfd meaning "relative to the working directory". */
export const AT_FDCWD = -100;

export const argU64 = (trap: Trap, i: number): bigint => trap.args[i] ?? 0n;

/** An `int` argument: the low 32 bits, signed. */
export const argInt = (trap: Trap, i: number): number => Number(BigInt.asIntN(32, trap.args[i] ?? 0n));

/** An `unsigned int` argument: the low 32 bits. */
export const argU32 = (trap: Trap, i: number): number => Number(BigInt.asUintN(32, trap.args[i] ?? 0n));

/** The errno a failed read stands for: the view may say (ENAMETOOLONG for an unterminated path), else EFAULT. */
export function faultErrno(f: Fault): number {
  const e = (f as { errno?: unknown }).errno;
  return typeof e === 'number' ? e : EFAULT;
}

/** A pointer rendered for reasons and audit events. */
export const hex = (p: bigint): string => '0x' + p.toString(16);

export { isFault };
