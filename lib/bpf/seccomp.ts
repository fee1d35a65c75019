// What a seccomp filter sees and what it may answer (include/uapi/linux/seccomp.h).
//
// A filter reads `struct seccomp_data`, 64 bytes, with 32-bit absolute loads
// only (kernel/seccomp.c seccomp_check_filter: `k >= sizeof(struct
// seccomp_data) || k & 3` is -EINVAL):
//
//   offset  field                        loads
//        0  int   nr                     [0]         signed: -1 is a real value
//        4  __u32 arch                   [4]         AUDIT_ARCH_*
//        8  __u64 instruction_pointer    [8] lo, [12] hi
//       16  __u64 args[6]                [16 + 8i] lo, [20 + 8i] hi
//
// The struct is filled in host byte order. On both arches syscage supports
// (x86_64, aarch64: little-endian) the low half of a u64 comes first. A filter
// compares 64-bit arguments one 32-bit half at a time.

export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP_LO = 8;
export const SECCOMP_DATA_IP_HI = 12;
export const SECCOMP_DATA_ARGS = 16;
/** sizeof(struct seccomp_data); also what `ld #len` yields in a seccomp filter. */
export const SECCOMP_DATA_SIZE = 64;
/** Syscalls pass at most six arguments. */
export const SECCOMP_ARG_COUNT = 6;

function checkArg(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= SECCOMP_ARG_COUNT) {
    throw new RangeError(`seccomp_data has args[0..5], not args[${i}]`);
  }
  return i;
}

/** Offset of the low 32 bits of args[i] (little-endian). */
export const argLow = (i: number): number => SECCOMP_DATA_ARGS + 8 * checkArg(i);
/** Offset of the high 32 bits of args[i] (little-endian). */
export const argHigh = (i: number): number => SECCOMP_DATA_ARGS + 8 * checkArg(i) + 4;

/** 'nr', 'arch', 'ip.lo', 'ip.hi', 'args[2].hi'... for a load offset; undefined if none. */
export function seccompFieldName(offset: number): string | undefined {
  if (!Number.isInteger(offset) || offset < 0 || offset >= SECCOMP_DATA_SIZE || offset % 4 !== 0) return undefined;
  if (offset === SECCOMP_DATA_NR) return 'nr';
  if (offset === SECCOMP_DATA_ARCH) return 'arch';
  if (offset === SECCOMP_DATA_IP_LO) return 'ip.lo';
  if (offset === SECCOMP_DATA_IP_HI) return 'ip.hi';
  const rel = offset - SECCOMP_DATA_ARGS;
  return `args[${Math.floor(rel / 8)}].${rel % 8 === 0 ? 'lo' : 'hi'}`;
}

// Return values. The top 16 bits are the action, the low 16 bits its data.
// With several filters the kernel keeps the lowest action compared as *signed*
// 32-bit (kernel/seccomp.c ACTION_ONLY), which is why KILL_PROCESS is
// 0x80000000: it wins over everything.

/** Kill the whole process (Linux 4.14+). */
export const SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
/** Kill the calling thread (the original SECCOMP_RET_KILL). */
export const SECCOMP_RET_KILL_THREAD = 0x0000_0000;
/** Deliver SIGSYS; the data is in siginfo's si_errno. */
export const SECCOMP_RET_TRAP = 0x0003_0000;
/** Fail the syscall with errno = data; the kernel caps data at MAX_ERRNO (4095). */
export const SECCOMP_RET_ERRNO = 0x0005_0000;
/** Ask the supervisor holding the listener fd (Linux 5.0+). */
export const SECCOMP_RET_USER_NOTIF = 0x7fc0_0000;
/** Stop for a ptrace tracer (PTRACE_EVENT_SECCOMP, data = event message); fails with ENOSYS if no tracer. */
export const SECCOMP_RET_TRACE = 0x7ff0_0000;
/** Allow, after logging (Linux 4.14+). */
export const SECCOMP_RET_LOG = 0x7ffc_0000;
export const SECCOMP_RET_ALLOW = 0x7fff_0000;

export const SECCOMP_RET_ACTION_FULL = 0xffff_0000;
/** The pre-4.14 action mask, which cannot see KILL_PROCESS's top bit. */
export const SECCOMP_RET_ACTION = 0x7fff_0000;
export const SECCOMP_RET_DATA = 0x0000_ffff;

/** The action half of a return value, unsigned. */
export const retAction = (ret: number): number => (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
/** The data half of a return value. */
export const retData = (ret: number): number => ret & SECCOMP_RET_DATA;

/** action | data, unsigned: seccompRet(SECCOMP_RET_ERRNO, 1). */
export function seccompRet(action: number, data = 0): number {
  if (!Number.isInteger(data) || data < 0 || data > SECCOMP_RET_DATA) {
    throw new RangeError(`seccomp return data ${data} is outside 0..0xffff`);
  }
  if (retData(action) !== 0) throw new RangeError(`0x${(action >>> 0).toString(16)} is not a bare seccomp action`);
  return (action | data) >>> 0;
}

const NAMES = new Map<number, string>([
  [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
  [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
  [SECCOMP_RET_TRAP, 'TRAP'],
  [SECCOMP_RET_ERRNO, 'ERRNO'],
  [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
  [SECCOMP_RET_TRACE, 'TRACE'],
  [SECCOMP_RET_LOG, 'LOG'],
  [SECCOMP_RET_ALLOW, 'ALLOW'],
]);
/** Actions whose data means something to the kernel: always shown. */
const WITH_DATA = new Set([SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE]);

/**
 * 'ALLOW', 'KILL_PROCESS', 'ERRNO(1)', 'TRACE(7)'. Data the kernel ignores is
 * shown only when non-zero ('ALLOW(5)'); an action the kernel does not know
 * (it kills for those) prints as 'UNKNOWN(0x00010005)'.
 */
export function actionName(ret: number): string {
  const name = NAMES.get(retAction(ret));
  const data = retData(ret);
  if (name === undefined) return `UNKNOWN(0x${(ret >>> 0).toString(16).padStart(8, '0')})`;
  return WITH_DATA.has(retAction(ret)) || data !== 0 ? `${name}(${data})` : name;
}
