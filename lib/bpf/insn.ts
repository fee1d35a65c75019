// Classic BPF instructions: the kernel's `struct sock_filter`.
//
//   struct sock_filter {   /* include/uapi/linux/filter.h */
//     __u16 code;          /* class | size | mode, or class | op | source */
//     __u8  jt;            /* conditional jumps: offset if true */
//     __u8  jf;            /* conditional jumps: offset if false */
//     __u32 k;             /* generic operand */
//   };
//
// Jump offsets count instructions after the jump itself: target = pc + 1 + off.
// Opcode values are from include/uapi/linux/bpf_common.h and filter.h.

import { bpfError } from './errors.js';

export interface Insn {
  /** u16 opcode. */
  code: number;
  /** u8 offset taken when a conditional jump's test is true. */
  jt: number;
  /** u8 offset taken when it is false. */
  jf: number;
  /** u32 operand, always stored unsigned. */
  k: number;
}

// Instruction classes: code & 0x07.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes: code & 0x18.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load modes: code & 0xe0.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU operations: code & 0xf0.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

// Jump operations: code & 0xf0. All comparisons are unsigned 32-bit.
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source for ALU and jumps (code & 0x08): the constant k or register X.
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// Return value source (code & 0x18): k, X, or the accumulator A.
export const BPF_A = 0x10;

// MISC operations (code & 0xf8): register moves.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Scratch memory M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Longest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Size of one encoded struct sock_filter. */
export const INSN_SIZE = 8;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
export const bpfMiscOp = (code: number): number => code & 0xf8;

/** True for JEQ/JGT/JGE/JSET, the jumps that use jt/jf. */
export function isConditionalJump(code: number): boolean {
  return bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA;
}

/**
 * Normalizes an operand to u32. Negative int32 values are accepted and wrapped,
 * so `SECCOMP_RET_KILL_PROCESS | 0` (which JS makes negative) and `-1` (syscall
 * nr -1) can be written naturally.
 */
export function u32(k: number): number {
  if (!Number.isInteger(k) || k < -0x8000_0000 || k > 0xffff_ffff) {
    throw new RangeError(`BPF operand ${k} is not a 32-bit integer`);
  }
  return k >>> 0;
}

function checkField(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`BPF ${name} ${v} is outside 0..${max}`);
  }
  return v;
}

/** A non-jump instruction (BPF_STMT in the C headers). */
export function stmt(code: number, k = 0): Insn {
  return { code: checkField('code', code, 0xffff), jt: 0, jf: 0, k: u32(k) };
}

/** A jump with numeric offsets (BPF_JUMP). Prefer Builder, which computes them. */
export function jump(code: number, k: number, jt: number, jf: number): Insn {
  return {
    code: checkField('code', code, 0xffff),
    jt: checkField('jt', jt, 0xff),
    jf: checkField('jf', jf, 0xff),
    k: u32(k),
  };
}

/**
 * The bytes the kernel reads through `struct sock_fprog.filter`: 8 bytes per
 * instruction in host byte order, which is little-endian on both arches
 * syscage supports (x86_64, aarch64).
 */
export function encode(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * INSN_SIZE);
  insns.forEach((insn, i) => {
    const o = i * INSN_SIZE;
    buf.writeUInt16LE(checkField('code', insn.code, 0xffff), o);
    buf.writeUInt8(checkField('jt', insn.jt, 0xff), o + 2);
    buf.writeUInt8(checkField('jf', insn.jf, 0xff), o + 3);
    buf.writeUInt32LE(checkField('k', insn.k, 0xffff_ffff), o + 4);
  });
  return buf;
}

/** The inverse of encode(). */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw bpfError('ERR_BPF_DECODE', `BPF program of ${bytes.length} bytes is not a whole number of ${INSN_SIZE}-byte instructions`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = [];
  for (let o = 0; o < buf.length; o += INSN_SIZE) {
    insns.push({ code: buf.readUInt16LE(o), jt: buf.readUInt8(o + 2), jf: buf.readUInt8(o + 3), k: buf.readUInt32LE(o + 4) });
  }
  return insns;
}
