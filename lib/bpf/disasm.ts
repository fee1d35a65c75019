// A disassembler whose output reads well in a failing test:
//
//   arch_ok:
//     0002: ld  [0] ; nr
//     0003: jeq #257 ; openat -> 0004 : 0006
//     0004: ret ALLOW
//
// Jump targets are absolute. Loads name the seccomp_data field they read, and a
// comparison of A while it holds `nr` names the syscall (opts.syscallName).
// It never throws: instructions the kernel would refuse print too.

import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC, BPF_MOD, BPF_MSH,
  BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR,
  bpfClass, bpfMiscOp, bpfMode, bpfOp, bpfRval, bpfSize, bpfSrc, type Insn,
} from './insn.js';
import { actionName, SECCOMP_DATA_NR, seccompFieldName } from './seccomp.js';

export interface DisasmOptions {
  /** Names a syscall number, for comparisons against `nr`. */
  syscallName?: (nr: number) => string | undefined;
  /** Label positions (Builder.assemble().labels), printed as `name:` lines. */
  labels?: ReadonlyMap<string, number>;
}

const ALU_OPS = new Map([
  [BPF_ADD, 'add'], [BPF_SUB, 'sub'], [BPF_MUL, 'mul'], [BPF_DIV, 'div'], [BPF_OR, 'or'], [BPF_AND, 'and'],
  [BPF_LSH, 'lsh'], [BPF_RSH, 'rsh'], [BPF_NEG, 'neg'], [BPF_MOD, 'mod'], [BPF_XOR, 'xor'],
]);
const JMP_OPS = new Map([[BPF_JEQ, 'jeq'], [BPF_JGT, 'jgt'], [BPF_JGE, 'jge'], [BPF_JSET, 'jset']]);
const LOAD_SUFFIX = new Map([[BPF_W, ''], [BPF_H, 'h'], [BPF_B, 'b']]);

const pc4 = (pc: number): string => String(pc).padStart(4, '0');
/** Small constants in decimal, masks and arch tokens in hex. */
const imm = (k: number): string => (k < 0x10000 ? `#${k}` : `#0x${k.toString(16)}`);
const line = (mnemonic: string, operand = ''): string => (operand ? `${mnemonic.padEnd(3)} ${operand}` : mnemonic);

/** One instruction, without its pc. `nrInA`: A holds seccomp_data.nr here. */
export function formatInsn(insn: Insn, pc: number, opts: DisasmOptions = {}, nrInA = false): string {
  const { code, jt, jf, k } = insn;
  switch (bpfClass(code)) {
    case BPF_LD:
    case BPF_LDX: {
      const x = bpfClass(code) === BPF_LDX ? 'x' : '';
      const size = LOAD_SUFFIX.get(bpfSize(code));
      const word = bpfSize(code) === BPF_W;
      switch (bpfMode(code)) {
        case BPF_IMM:
          if (word) return line(`ld${x}`, imm(k));
          break;
        case BPF_LEN:
          if (word) return line(`ld${x}`, '#len');
          break;
        case BPF_MEM:
          if (word) return line(`ld${x}`, `M[${k}]`);
          break;
        case BPF_ABS: {
          if (x || size === undefined) break;
          const field = word ? seccompFieldName(k) : undefined;
          return line(`ld${size}`, `[${k}]`) + (field ? ` ; ${field}` : '');
        }
        case BPF_IND:
          if (x || size === undefined) break;
          return line(`ld${size}`, `[x + ${k}]`);
        case BPF_MSH:
          if (x && bpfSize(code) === BPF_B) return line('ldxb', `4*([${k}]&0xf)`);
          break;
      }
      break;
    }
    case BPF_ST:
      return line('st', `M[${k}]`);
    case BPF_STX:
      return line('stx', `M[${k}]`);
    case BPF_ALU: {
      const op = ALU_OPS.get(bpfOp(code));
      if (op === 'neg') return op;
      if (op) return line(op, bpfSrc(code) === BPF_X ? 'x' : imm(k));
      break;
    }
    case BPF_JMP: {
      if (bpfOp(code) === BPF_JA) return line('ja', `-> ${pc4(pc + 1 + k)}`);
      const op = JMP_OPS.get(bpfOp(code));
      if (!op) break;
      const x = bpfSrc(code) === BPF_X;
      const name = !x && nrInA && op !== 'jset' ? opts.syscallName?.(k | 0) : undefined;
      return line(op, x ? 'x' : imm(k)) + (name ? ` ; ${name}` : '') + ` -> ${pc4(pc + 1 + jt)} : ${pc4(pc + 1 + jf)}`;
    }
    case BPF_RET:
      if (bpfRval(code) === BPF_K) return line('ret', actionName(k));
      if (bpfRval(code) === BPF_A) return line('ret', 'A');
      if (bpfRval(code) === BPF_X) return line('ret', 'X');
      break;
    case BPF_MISC:
      if (bpfMiscOp(code) === BPF_TAX) return 'tax';
      if (bpfMiscOp(code) === BPF_TXA) return 'txa';
      break;
  }
  return `??? code=0x${code.toString(16).padStart(4, '0')} jt=${jt} jf=${jf} k=0x${k.toString(16)}`;
}

/** Whole program, one `  pppp: insn` line each, newline-terminated. */
export function disassemble(insns: readonly Insn[], opts: DisasmOptions = {}): string {
  const nrAt = opts.syscallName ? nrInAccumulator(insns) : [];
  const labelsAt = new Map<number, string[]>();
  for (const [name, pos] of opts.labels ?? []) labelsAt.set(pos, [...(labelsAt.get(pos) ?? []), name]);
  const out: string[] = [];
  for (let pc = 0; pc <= insns.length; pc++) {
    for (const name of labelsAt.get(pc) ?? []) out.push(`${name}:`);
    const insn = insns[pc];
    if (insn) out.push(`  ${pc4(pc)}: ${formatInsn(insn, pc, opts, nrAt[pc] === true)}`);
  }
  return out.map((l) => l + '\n').join('');
}

/**
 * For each instruction, whether A surely holds seccomp_data.nr when it runs.
 * Jumps only go forward, so one pass in order sees every predecessor of an
 * instruction before the instruction itself.
 */
function nrInAccumulator(insns: readonly Insn[]): boolean[] {
  // undefined: not reached yet; else whether A holds nr on every path so far.
  const state: (boolean | undefined)[] = new Array(insns.length + 1).fill(undefined);
  state[0] = false; // A starts at 0
  const flow = (to: number, v: boolean): void => {
    if (to >= 0 && to < state.length) state[to] = state[to] === undefined ? v : state[to] && v;
  };
  const holds: boolean[] = [];
  insns.forEach((insn, pc) => {
    const before = state[pc] ?? false;
    holds.push(before);
    const { code, k } = insn;
    const cls = bpfClass(code);
    let after = before;
    if (cls === BPF_LD) after = code === (BPF_LD | BPF_W | BPF_ABS) && k === SECCOMP_DATA_NR;
    else if (cls === BPF_ALU || (cls === BPF_MISC && bpfMiscOp(code) === BPF_TXA)) after = false;
    if (cls === BPF_RET) return;
    if (cls === BPF_JMP) {
      if (bpfOp(code) === BPF_JA) flow(pc + 1 + k, after);
      else {
        flow(pc + 1 + insn.jt, after);
        flow(pc + 1 + insn.jf, after);
      }
      return;
    }
    flow(pc + 1, after);
  });
  return holds;
}
