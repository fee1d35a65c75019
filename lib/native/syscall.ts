// Raw system calls by number, for tests and `syscage doctor`, and the host's syscall numbers.
import { hostArch, syscallTable } from '../arch/index.js';
import * as ffi from './ffi.js';

/**
 * What the kernel returned: `ret` is the value of the return register, which for a failure is
 * -errno (-4095..-1); `errno` is that errno as a positive number, or 0 on success.
 */
export interface SyscallResult {
  readonly ret: bigint;
  readonly errno: number;
}

/** A syscall takes at most six arguments (one register each on x86_64 and arm64). */
export const SYSCALL_MAX_ARGS = 6;

const numbers = new Map<string, number>();

/** The number of a syscall on this machine's arch, from lib/arch/syscalls.csv. */
export function syscallNumber(name: string): number {
  let nr = numbers.get(name);
  if (nr === undefined) {
    nr = syscallTable().number(hostArch(), name);
    if (nr === undefined) throw new RangeError(`syscall "${name}" does not exist on ${hostArch()}`);
    numbers.set(name, nr);
  }
  return nr;
}

const S64_MIN = -(1n << 63n);
const U64_END = 1n << 64n;

/** A 64-bit register value: any integer in [-2^63, 2^64), passed as C long (two's complement). */
export function asLong(v: number | bigint, what = 'argument'): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`${what} ${v} is not a safe integer; pass a bigint`);
  const b = BigInt(v);
  if (b < S64_MIN || b >= U64_END) throw new RangeError(`${what} ${b} does not fit in 64 bits`);
  return BigInt.asIntN(64, b);
}

/**
 * syscall(nr, args...) with every argument a 64-bit integer. Missing arguments are passed as 0, so
 * all six argument registers hold defined values: a seccomp filter sees all six whatever the
 * syscall takes (struct seccomp_data.args), and tests compare against that.
 */
export function rawSyscall(nr: number, ...args: (number | bigint)[]): SyscallResult {
  if (!Number.isInteger(nr) || nr < -0x8000_0000 || nr > 0xffff_ffff) throw new RangeError(`syscall number ${nr} is not a 32-bit integer`);
  if (args.length > SYSCALL_MAX_ARGS) throw new RangeError(`a syscall takes at most ${SYSCALL_MAX_ARGS} arguments, got ${args.length}`);
  const regs: ffi.Vararg[] = [];
  for (let i = 0; i < SYSCALL_MAX_ARGS; i++) regs.push(['long', asLong(args[i] ?? 0, `argument ${i}`)]);
  // Numbers at or above 2^31 (x32's 0x40000000 | nr, or an intentionally bad number) go in as the
  // same 32 bits: the kernel reads the number register as an int.
  const { ret, errno } = ffi.syscall(nr | 0, ...regs);
  return errno === 0 ? { ret, errno } : { ret: -BigInt(errno), errno };
}
