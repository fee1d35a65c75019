// ptrace(2) for the supervisor. Every call here must be made by the thread that
// seized the tracee (ptrace is per thread): the tracer Worker.
//
// The supervisor uses PTRACE_SEIZE (not ATTACH): no SIGSTOP is injected, group
// stops are reported as PTRACE_EVENT_STOP and can be LISTENed through, and
// PTRACE_O_EXITKILL ties every tracee's life to the tracer thread's.
import { errnoNumber } from '../arch/errno.js';
import type { Arch } from '../arch/index.js';
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';

// Requests (include/uapi/linux/ptrace.h).
export const PTRACE_PEEKUSER = 3;
export const PTRACE_POKEUSER = 6;
export const PTRACE_CONT = 7;
export const PTRACE_SYSCALL = 24;
export const PTRACE_GETREGS = 12;
export const PTRACE_SETREGS = 13;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SETREGSET = 0x4205;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GET_SYSCALL_INFO = 0x420e;

// PTRACE_SEIZE options.
export const PTRACE_O_TRACESYSGOOD = 1 << 0;
export const PTRACE_O_TRACEFORK = 1 << 1;
export const PTRACE_O_TRACEVFORK = 1 << 2;
export const PTRACE_O_TRACECLONE = 1 << 3;
export const PTRACE_O_TRACEEXEC = 1 << 4;
export const PTRACE_O_TRACESECCOMP = 1 << 7;
export const PTRACE_O_EXITKILL = 1 << 20;

// The events, in bits 16..23 of a stop status, and what a status means: lib/arch/stop.ts.

/**
 * What the supervisor asks for on every tracee (children inherit it through the fork events).
 * TRACESYSGOOD marks the syscall-exit stops it asks for while it holds the sandbox still
 * (lib/trace/hold.ts) with SIGTRAP|0x80, so they cannot be mistaken for a real SIGTRAP.
 */
export const SEIZE_OPTIONS =
  PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

const ESRCH = errnoNumber('ESRCH')!;

function check(what: string, r: ffi.CResult): bigint {
  if (r.errno !== 0) throw new NativeError(what, r.errno);
  return r.ret;
}

export function seize(pid: number, options = SEIZE_OPTIONS): void {
  check(`ptrace(PTRACE_SEIZE, ${pid})`, ffi.ptrace(PTRACE_SEIZE, pid, 0, options));
}

/** Replace a tracee's options; it must be in a ptrace-stop. */
export function setOptions(tid: number, options: number): void {
  check(`ptrace(PTRACE_SETOPTIONS, ${tid})`, ffi.ptrace(PTRACE_SETOPTIONS, tid, 0, options));
}

/**
 * Resume a stopped tracee, delivering `sig` (0 for none). Returns false when the
 * tracee is gone (ESRCH: killed meanwhile, e.g. by SIGKILL or a sibling's exit_group).
 */
export function cont(tid: number, sig = 0): boolean {
  const r = ffi.ptrace(PTRACE_CONT, tid, 0, sig);
  if (r.errno === ESRCH) return false;
  check(`ptrace(PTRACE_CONT, ${tid})`, r);
  return true;
}

/** Resume a stopped tracee until its current syscall's exit (PTRACE_SYSCALL). False when it is gone. */
export function resumeToExit(tid: number): boolean {
  const r = ffi.ptrace(PTRACE_SYSCALL, tid, 0, 0);
  if (r.errno === ESRCH) return false;
  check(`ptrace(PTRACE_SYSCALL, ${tid})`, r);
  return true;
}

/**
 * Make a running tracee stop (PTRACE_INTERRUPT): it stops before it runs another user-space
 * instruction, and a blocking call it is in is interrupted and restarted after. False when gone.
 */
export function interrupt(tid: number): boolean {
  const r = ffi.ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  if (r.errno === ESRCH) return false;
  check(`ptrace(PTRACE_INTERRUPT, ${tid})`, r);
  return true;
}

/** Leave a group-stopped tracee stopped, but let the tracer see its SIGCONT (ptrace(2), "Group-stop"). */
export function listen(tid: number): boolean {
  const r = ffi.ptrace(PTRACE_LISTEN, tid, 0, 0);
  if (r.errno === ESRCH) return false;
  check(`ptrace(PTRACE_LISTEN, ${tid})`, r);
  return true;
}

const scratch = Buffer.alloc(8);
const scratchAddr = ffi.addressOf(scratch);

/**
 * The message of the last ptrace event: a new child's pid after fork/vfork/clone, the former tid
 * after exec. Undefined when the tracee is gone or dying (ESRCH: a SIGKILL is pending — syscage
 * killed what the command left behind while this event waited to be handled).
 */
export function eventMsg(tid: number): number | undefined {
  const r = ffi.ptrace(PTRACE_GETEVENTMSG, tid, 0, scratchAddr);
  if (r.errno === ESRCH) return undefined;
  check(`ptrace(PTRACE_GETEVENTMSG, ${tid})`, r);
  return Number(scratch.readBigUInt64LE(0));
}

/**
 * struct ptrace_syscall_info (include/uapi/linux/ptrace.h) at a seccomp stop:
 *   u8 op @0 (3 = PTRACE_SYSCALL_INFO_SECCOMP), u32 arch @4, u64 instruction_pointer @8,
 *   u64 stack_pointer @16, u64 nr @24, u64 args[6] @32, u32 ret_data @80 (SECCOMP_RET_DATA).
 */
export interface SyscallInfo {
  readonly op: number;
  readonly arch: number;
  readonly nr: number;
  readonly args: bigint[];
  readonly retData: number;
}

export const PTRACE_SYSCALL_INFO_SECCOMP = 3;
const info = Buffer.alloc(88);
const infoAddr = ffi.addressOf(info);

/** PTRACE_GET_SYSCALL_INFO, or undefined when the tracee is gone. */
export function syscallInfo(tid: number): SyscallInfo | undefined {
  const r = ffi.ptrace(PTRACE_GET_SYSCALL_INFO, tid, info.length, infoAddr);
  if (r.errno === ESRCH) return undefined;
  check(`ptrace(PTRACE_GET_SYSCALL_INFO, ${tid})`, r);
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(info.readBigUInt64LE(32 + 8 * i));
  return {
    op: info.readUInt8(0),
    arch: info.readUInt32LE(4),
    nr: Number(BigInt.asIntN(32, info.readBigUInt64LE(24))),
    args,
    retData: info.readUInt32LE(80),
  };
}

// ---- refusing a syscall at its seccomp stop ----
//
// The call is skipped by setting its number to -1, and its result is what the
// return register then holds (kernel/seccomp.c: after the tracer, a negative
// nr skips the syscall; the return value is left as the tracer set it).

/** x86_64 struct user_regs_struct offsets (arch/x86/include/asm/user_64.h): rax @80, orig_rax @120. */
export const X86_64_RAX = 80;
export const X86_64_ORIG_RAX = 120;

/** aarch64: NT_PRSTATUS is struct user_pt_regs (x0..x30, sp, pc, pstate); NT_ARM_SYSTEM_CALL an int. */
export const NT_PRSTATUS = 1;
export const NT_ARM_SYSTEM_CALL = 0x404;
export const AARCH64_USER_PT_REGS_SIZE = 34 * 8;

/** The register writes that refuse a syscall with -errno, per arch, as data (tested on both arches). */
export type DenyStep =
  | { readonly op: 'pokeuser'; readonly offset: number; readonly value: bigint }
  | { readonly op: 'setregset'; readonly note: number; readonly bytes: Buffer }
  | { readonly op: 'x0'; readonly value: bigint }
  | { readonly op: 'x'; readonly index: number; readonly value: bigint };

export function denySteps(arch: Arch, errno: number): DenyStep[] {
  const ret = BigInt.asUintN(64, BigInt(-errno));
  if (arch === 'x86_64') {
    return [
      { op: 'pokeuser', offset: X86_64_ORIG_RAX, value: BigInt.asUintN(64, -1n) },
      { op: 'pokeuser', offset: X86_64_RAX, value: ret },
    ];
  }
  const nr = Buffer.alloc(4);
  nr.writeInt32LE(-1);
  return [
    { op: 'setregset', note: NT_ARM_SYSTEM_CALL, bytes: nr },
    // x0 is both the first argument and the return value: write it after the skip.
    { op: 'x0', value: ret },
  ];
}

/** x86_64 user_regs_struct offsets of the six syscall argument registers: rdi, rsi, rdx, r10, r8, r9. */
export const X86_64_ARG_OFFSETS: readonly number[] = [112, 104, 96, 56, 72, 64];

/** The register write that sets syscall argument `index` at a seccomp stop, per arch (x0..x5 on aarch64). */
export function argStep(arch: Arch, index: number, value: bigint): DenyStep {
  if (index < 0 || index > 5) throw new RangeError(`syscall argument index ${index}`);
  const v = BigInt.asUintN(64, value);
  return arch === 'x86_64' ? { op: 'pokeuser', offset: X86_64_ARG_OFFSETS[index]!, value: v } : { op: 'x', index, value: v };
}

const iov = Buffer.alloc(16);
const iovAddr = ffi.addressOf(iov);
const regs = Buffer.alloc(AARCH64_USER_PT_REGS_SIZE);
const regsAddr = ffi.addressOf(regs);

function regset(request: number, tid: number, note: number, addr: number, len: number): ffi.CResult {
  iov.writeBigUInt64LE(BigInt(addr), 0);
  iov.writeBigUInt64LE(BigInt(len), 8);
  return ffi.ptrace(request, tid, note, iovAddr);
}

/** Make the stopped syscall fail with -errno. Returns false when the tracee is gone. */
export function denySyscall(tid: number, arch: Arch, errno: number): boolean {
  return apply(tid, denySteps(arch, errno), 'deny');
}

/** Set argument `index` of the stopped syscall (the kernel reads it after the seccomp stop). False when gone. */
export function setSyscallArg(tid: number, arch: Arch, index: number, value: bigint): boolean {
  return apply(tid, [argStep(arch, index, value)], `set argument ${index}`);
}

function apply(tid: number, steps: readonly DenyStep[], what: string): boolean {
  for (const step of steps) {
    let r: ffi.CResult;
    if (step.op === 'pokeuser') {
      r = ffi.ptrace(PTRACE_POKEUSER, tid, step.offset, step.value);
    } else if (step.op === 'setregset') {
      const b = step.bytes;
      r = regset(PTRACE_SETREGSET, tid, step.note, ffi.addressOf(b), b.length);
    } else {
      r = regset(PTRACE_GETREGSET, tid, NT_PRSTATUS, regsAddr, regs.length);
      if (r.errno === 0) {
        regs.writeBigUInt64LE(step.value, 8 * (step.op === 'x' ? step.index : 0));
        r = regset(PTRACE_SETREGSET, tid, NT_PRSTATUS, regsAddr, regs.length);
      }
    }
    if (r.errno === ESRCH) return false;
    check(`ptrace(${what}: ${step.op}, ${tid})`, r);
  }
  return true;
}

/** kill(2). Returns false when there is no such process. */
export function sendSignal(pid: number, sig: number): boolean {
  const r = ffi.kill(pid, sig);
  if (r.errno === ESRCH) return false;
  check(`kill(${pid}, ${sig})`, r);
  return true;
}
