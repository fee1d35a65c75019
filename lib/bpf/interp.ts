// An in-process seccomp filter interpreter, faithful to the kernel.
//
// validate() refuses what the kernel refuses when a filter is installed; a
// Program then runs exactly as the kernel runs the filter:
//
//   kernel/seccomp.c  seccomp_prepare_filter  1 <= length <= BPF_MAXINSNS (4096)
//   net/core/filter.c bpf_check_classic       known opcodes; DIV/MOD by k=0, shifts
//                                             by k >= 32, M[k >= 16] refused; jumps
//                                             stay inside; last insn is RET K or A
//                     check_load_and_stores   no M[i] read before a write to it
//   kernel/seccomp.c  seccomp_check_filter    an allowlist: loads are 32-bit
//                                             absolute (aligned, inside the 64-byte
//                                             seccomp_data), #len, #k, M[]; no MOD,
//                                             no IND/MSH, no RET X
//
// The accepted program is translated to eBPF (bpf_convert_filter), which fixes
// the run-time semantics: A and X start at 0; ALU is 32-bit and wraps; A / X
// and A % X with X = 0 make the filter return 0 (SECCOMP_RET_KILL_THREAD);
// shifts by X use X & 31 (kernel/bpf/core.c); comparisons are unsigned.

import { bpfError } from './errors.js';
import { formatInsn } from './disasm.js';
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET,
  BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MAXINSNS, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG,
  BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, bpfClass, bpfOp,
  isConditionalJump, type Insn,
} from './insn.js';
import { SECCOMP_ARG_COUNT, SECCOMP_DATA_SIZE } from './seccomp.js';

/** The input of a filter: struct seccomp_data. */
export interface SeccompData {
  /** Syscall number, a signed 32-bit int: -1 is what a tracer sets to skip a call. */
  nr: number;
  /** AUDIT_ARCH_* value (u32). */
  arch: number;
  /** Instruction pointer (u64), default 0n. */
  ip?: bigint;
  /** Up to six u64 arguments, default 0n. Negative values wrap (-1n is all ones). */
  args?: readonly bigint[];
}

/** A run with the instructions it executed, in order (its length is the depth). */
export interface Trace {
  ret: number;
  path: number[];
}

// Opcodes seccomp_check_filter lets through, each a distinct case below.
const LD_W_ABS = BPF_LD | BPF_W | BPF_ABS;
const LD_W_LEN = BPF_LD | BPF_W | BPF_LEN;
const LDX_W_LEN = BPF_LDX | BPF_W | BPF_LEN;
const LD_IMM = BPF_LD | BPF_IMM;
const LDX_IMM = BPF_LDX | BPF_IMM;
const LD_MEM = BPF_LD | BPF_MEM;
const LDX_MEM = BPF_LDX | BPF_MEM;
const RET_K = BPF_RET | BPF_K;
const RET_A = BPF_RET | BPF_A;
const TAX = BPF_MISC | BPF_TAX;
const TXA = BPF_MISC | BPF_TXA;
const JA = BPF_JMP | BPF_JA;
const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
const JMP_OPS = [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET];

const SECCOMP_CODES = new Set<number>([
  LD_W_ABS, LD_W_LEN, LDX_W_LEN, LD_IMM, LDX_IMM, LD_MEM, LDX_MEM, BPF_ST, BPF_STX, RET_K, RET_A, TAX, TXA, JA,
  BPF_ALU | BPF_NEG,
  ...ALU_OPS.flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  ...JMP_OPS.flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

function invalid(pc: number | undefined, insn: Insn | undefined, why: string): Error {
  const where = pc === undefined ? '' : `instruction ${pc}${insn ? ` (${formatInsn(insn, pc)})` : ''}: `;
  return bpfError('ERR_BPF_INVALID', `invalid seccomp filter: ${where}${why}`, pc === undefined ? {} : { pc });
}

const isU = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Throws ERR_BPF_INVALID, naming the instruction, where the kernel would fail with EINVAL. */
export function validate(insns: readonly Insn[]): void {
  const len = insns.length;
  if (len === 0 || len > BPF_MAXINSNS) {
    throw invalid(undefined, undefined, `${len} instructions; the kernel accepts 1 to ${BPF_MAXINSNS}`);
  }
  insns.forEach((insn, pc) => {
    const { code, jt, jf, k } = insn;
    if (!isU(code, 0xffff) || !isU(jt, 0xff) || !isU(jf, 0xff) || !isU(k, 0xffff_ffff)) {
      throw invalid(pc, undefined, `fields out of range: code=${code} jt=${jt} jf=${jf} k=${k}`);
    }
    if (!SECCOMP_CODES.has(code)) {
      const why = bpfClass(code) === BPF_ALU && bpfOp(code) === BPF_MOD
        ? 'seccomp does not allow BPF_MOD'
        : `opcode 0x${code.toString(16).padStart(2, '0')} is not allowed in a seccomp filter`;
      throw invalid(pc, insn, why);
    }
    switch (code) {
      case LD_W_ABS:
        if (k >= SECCOMP_DATA_SIZE || k % 4 !== 0) {
          throw invalid(pc, insn, `loads must be 32-bit aligned inside the ${SECCOMP_DATA_SIZE}-byte seccomp_data`);
        }
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (k === 0) throw invalid(pc, insn, 'division by constant 0');
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) throw invalid(pc, insn, 'shift by 32 or more');
        break;
      case LD_MEM:
      case LDX_MEM:
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) throw invalid(pc, insn, `scratch memory is M[0..${BPF_MEMWORDS - 1}]`);
        break;
      case JA:
        if (k >= len - pc - 1) throw invalid(pc, insn, 'jumps past the last instruction');
        break;
      default:
        if (isConditionalJump(code) && (pc + jt + 1 >= len || pc + jf + 1 >= len)) {
          throw invalid(pc, insn, 'jumps past the last instruction');
        }
    }
  });
  const last = insns[len - 1] as Insn;
  if (last.code !== RET_K && last.code !== RET_A) {
    throw invalid(len - 1, last, 'the last instruction must be a return');
  }
  checkLoadsAndStores(insns);
}

/**
 * net/core/filter.c check_load_and_stores: M[i] may be read only where every
 * path has written it. One forward pass: `valid` holds the cells written on the
 * way here; a jump narrows its targets' masks and resets `valid` to all-ones,
 * since its fall-through successor is reached only by jumping.
 *
 * NOTE: the kernel does not reset `valid` after a RET. The instruction after a
 * RET, though reachable only by jumps, inherits the cells written before the
 * RET, intersected with what the jumps bring: a program whose only path to a
 * load wrote the cell is still refused if the code just before that RET did not.
 * We refuse it too; the builder's users should write scratch cells early.
 */
function checkLoadsAndStores(insns: readonly Insn[]): void {
  const masks = new Uint16Array(insns.length).fill(0xffff);
  let valid = 0;
  insns.forEach((insn, pc) => {
    valid &= masks[pc] as number;
    const { code, k } = insn;
    if (code === BPF_ST || code === BPF_STX) {
      valid |= 1 << k;
    } else if (code === LD_MEM || code === LDX_MEM) {
      if (!(valid & (1 << k))) throw invalid(pc, insn, `M[${k}] may be read before it is written`);
    } else if (code === JA) {
      masks[pc + 1 + k] = (masks[pc + 1 + k] as number) & valid;
      valid = 0xffff;
    } else if (isConditionalJump(code)) {
      masks[pc + 1 + insn.jt] = (masks[pc + 1 + insn.jt] as number) & valid;
      masks[pc + 1 + insn.jf] = (masks[pc + 1 + insn.jf] as number) & valid;
      valid = 0xffff;
    }
  });
}

/**
 * A validated filter, ready to run many times. Not reentrant (it reuses its
 * buffers), which is fine: run() is synchronous.
 */
export class Program {
  readonly length: number;
  private readonly code: Uint16Array;
  private readonly jt: Uint8Array;
  private readonly jf: Uint8Array;
  private readonly k: Uint32Array;
  /** seccomp_data as 16 words, as the filter's loads see it. */
  private readonly words = new Uint32Array(SECCOMP_DATA_SIZE / 4);
  private readonly mem = new Uint32Array(BPF_MEMWORDS);

  constructor(insns: readonly Insn[]) {
    validate(insns);
    this.length = insns.length;
    this.code = Uint16Array.from(insns, (i) => i.code);
    this.jt = Uint8Array.from(insns, (i) => i.jt);
    this.jf = Uint8Array.from(insns, (i) => i.jf);
    this.k = Uint32Array.from(insns, (i) => i.k);
  }

  /** The filter's unsigned 32-bit return value. */
  run(data: SeccompData): number {
    return this.exec(data, undefined);
  }

  /** The return value and the instructions executed. */
  trace(data: SeccompData): Trace {
    const path: number[] = [];
    return { ret: this.exec(data, path), path };
  }

  private exec(data: SeccompData, path: number[] | undefined): number {
    const { code, jt, jf, k, mem } = this;
    const w = this.words;
    fillWords(w, data);
    mem.fill(0);
    let A = 0;
    let X = 0;
    for (let pc = 0; ; pc++) {
      path?.push(pc);
      const K = k[pc] as number;
      switch (code[pc]) {
        case LD_W_ABS: A = w[K >>> 2] as number; break;
        case LD_W_LEN: A = SECCOMP_DATA_SIZE; break;
        case LDX_W_LEN: X = SECCOMP_DATA_SIZE; break;
        case LD_IMM: A = K; break;
        case LDX_IMM: X = K; break;
        case LD_MEM: A = mem[K] as number; break;
        case LDX_MEM: X = mem[K] as number; break;
        case BPF_ST: mem[K] = A; break;
        case BPF_STX: mem[K] = X; break;
        case TAX: X = A; break;
        case TXA: A = X; break;

        case BPF_ALU | BPF_ADD | BPF_K: A = (A + K) >>> 0; break;
        case BPF_ALU | BPF_ADD | BPF_X: A = (A + X) >>> 0; break;
        case BPF_ALU | BPF_SUB | BPF_K: A = (A - K) >>> 0; break;
        case BPF_ALU | BPF_SUB | BPF_X: A = (A - X) >>> 0; break;
        case BPF_ALU | BPF_MUL | BPF_K: A = Math.imul(A, K) >>> 0; break;
        case BPF_ALU | BPF_MUL | BPF_X: A = Math.imul(A, X) >>> 0; break;
        case BPF_ALU | BPF_DIV | BPF_K: A = Math.floor(A / K); break;
        case BPF_ALU | BPF_DIV | BPF_X:
          if (X === 0) return 0; // bpf_convert_filter: "For cBPF programs, this was always return 0."
          A = Math.floor(A / X);
          break;
        case BPF_ALU | BPF_AND | BPF_K: A = (A & K) >>> 0; break;
        case BPF_ALU | BPF_AND | BPF_X: A = (A & X) >>> 0; break;
        case BPF_ALU | BPF_OR | BPF_K: A = (A | K) >>> 0; break;
        case BPF_ALU | BPF_OR | BPF_X: A = (A | X) >>> 0; break;
        case BPF_ALU | BPF_XOR | BPF_K: A = (A ^ K) >>> 0; break;
        case BPF_ALU | BPF_XOR | BPF_X: A = (A ^ X) >>> 0; break;
        // JS shifts also take the count mod 32, as the kernel does for X (K < 32 is checked).
        case BPF_ALU | BPF_LSH | BPF_K: A = (A << K) >>> 0; break;
        case BPF_ALU | BPF_LSH | BPF_X: A = (A << X) >>> 0; break;
        case BPF_ALU | BPF_RSH | BPF_K: A = A >>> K; break;
        case BPF_ALU | BPF_RSH | BPF_X: A = A >>> X; break;
        case BPF_ALU | BPF_NEG: A = -A >>> 0; break;

        case JA: pc += K; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += A === K ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JEQ | BPF_X: pc += A === X ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += A > K ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JGT | BPF_X: pc += A > X ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += A >= K ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JGE | BPF_X: pc += A >= X ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (A & K) !== 0 ? jt[pc] as number : jf[pc] as number; break;
        case BPF_JMP | BPF_JSET | BPF_X: pc += (A & X) !== 0 ? jt[pc] as number : jf[pc] as number; break;

        case RET_K: return K;
        case RET_A: return A;
        default:
          throw new Error(`internal: validated program has opcode 0x${(code[pc] ?? 0).toString(16)} at ${pc}`);
      }
    }
  }
}

const U64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

function u64(v: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || v < U64_MIN || v > U64_MAX) throw new RangeError(`seccomp_data ${what} ${String(v)} is not a 64-bit bigint`);
  return BigInt.asUintN(64, v);
}

function setU64(w: Uint32Array, index: number, v: bigint | undefined, what: string): void {
  if (v === undefined || v === 0n) {
    w[index] = 0;
    w[index + 1] = 0;
    return;
  }
  const u = u64(v, what);
  w[index] = Number(u & 0xffff_ffffn); // little-endian: low half first
  w[index + 1] = Number(u >> 32n);
}

/** struct seccomp_data as 32-bit words (little-endian layout, see seccomp.ts). */
function fillWords(w: Uint32Array, data: SeccompData): void {
  const { nr, arch, ip, args = [] } = data;
  if (!Number.isInteger(nr) || nr < -0x8000_0000 || nr > 0xffff_ffff) throw new RangeError(`seccomp_data nr ${nr} is not a 32-bit integer`);
  if (!Number.isInteger(arch) || arch < 0 || arch > 0xffff_ffff) throw new RangeError(`seccomp_data arch ${arch} is not a u32`);
  if (args.length > SECCOMP_ARG_COUNT) throw new RangeError(`seccomp_data has ${SECCOMP_ARG_COUNT} args, got ${args.length}`);
  w[0] = nr >>> 0;
  w[1] = arch;
  setU64(w, 2, ip, 'ip');
  for (let i = 0; i < SECCOMP_ARG_COUNT; i++) setU64(w, 4 + 2 * i, args[i], `args[${i}]`);
}

/** Validates once; run the result many times. */
export function compile(insns: readonly Insn[]): Program {
  return new Program(insns);
}

/** Validates and runs once. In a loop, compile() first. */
export function run(insns: readonly Insn[], data: SeccompData): number {
  return new Program(insns).run(data);
}

/** Validates and runs once, recording the executed instruction indexes. */
export function runTrace(insns: readonly Insn[], data: SeccompData): Trace {
  return new Program(insns).trace(data);
}
