// The only module that imports koffi. It loads glibc and declares the C functions syscage calls;
// everything else in lib/native wraps these in typed functions, and nothing outside lib/native
// calls into C at all.
//
// Conventions shared by every declaration here:
// - glibc reports failure as -1 with the reason in the thread-local errno. koffi reads that errno
//   with koffi.errno(); we read it immediately after the call, on the same thread, before any other
//   native call can overwrite it, and hand both back together as a CResult.
// - prctl(2), syscall(2) and (later) ptrace(2) are variadic in glibc. koffi passes a variadic
//   argument only as a [C type, value] pair; without the type it refuses or passes garbage. The
//   kernel reads all of a syscall's argument registers, so callers pass every argument the
//   syscall takes, explicitly, rather than leaving registers to chance.
// - 64-bit integers go in as bigint already wrapped to the C type's range: koffi turns an
//   out-of-range bigint into an unspecified value instead of throwing.
// - A Buffer passed as a `void *` argument (or struct field) is passed by address and stays
//   referenced by the call's arguments until the call returns, so the kernel can read it safely.
import koffi, { type TypeObject } from 'koffi';

const libc = koffi.load('libc.so.6');

/** A C type koffi understands: a type name or a type object (struct, pointer). */
export type CType = string | TypeObject;

/** One variadic argument: its C type and its JS value. */
export type Vararg = readonly [type: CType, value: unknown];

/** What a libc call returned, and errno when it reported failure (-1); errno is 0 otherwise. */
export interface CResult {
  readonly ret: bigint;
  readonly errno: number;
}

// long syscall(long number, ...): glibc's generic entry. It returns the kernel's result, except
// that a result in -4095..-1 (the kernel's -errno convention) becomes -1 with errno set.
const syscallFn = libc.func('long syscall(long number, ...)');

// int prctl(int option, ...): prctl(2) documents four unsigned long arguments after `option`.
const prctlFn = libc.func('int prctl(int option, ...)');

function result(ret: unknown): CResult {
  // Nothing native runs between the call and koffi.errno(), so errno is still the call's own.
  const r = BigInt(ret as number | bigint);
  return { ret: r, errno: r === -1n ? koffi.errno() : 0 };
}

/** syscall(nr, ...args) through glibc. */
export function syscall(nr: number, ...args: readonly Vararg[]): CResult {
  return result(syscallFn(nr, ...args.flat()));
}

/** prctl(option, ...args) through glibc. */
export function prctl(option: number, ...args: readonly Vararg[]): CResult {
  return result(prctlFn(option, ...args.flat()));
}

/**
 * struct sock_fprog (include/uapi/linux/filter.h), what seccomp(SECCOMP_SET_MODE_FILTER) reads:
 *
 *   offset  field
 *        0  unsigned short        len      number of struct sock_filter (8 bytes each)
 *        2  (6 bytes of padding)
 *        8  struct sock_filter *  filter
 *
 * koffi lays the struct out by the C rules; seccomp.ts asserts the offsets once.
 */
export const SockFprog = koffi.struct({ len: 'uint16_t', filter: 'void *' });
export const SockFprogPtr = koffi.pointer(SockFprog);

export const sizeOf = (type: CType): number => koffi.sizeof(type);
export const offsetOf = (type: CType, field: string): number => koffi.offsetof(type, field);
