// A classic BPF assembler with named labels, so nobody computes jump offsets.
//
//   const b = new Builder();
//   b.ldAbs(SECCOMP_DATA_ARCH);
//   b.jeq(AUDIT_ARCH_X86_64, NEXT, 'kill');   // NEXT: fall through
//   ...
//   b.label('kill');
//   b.ret(SECCOMP_RET_KILL_PROCESS);
//   const insns = b.build();
//
// Classic BPF only jumps forward (offsets are unsigned): a jump must name a
// label defined after it. Jumping to a label already defined would be a loop,
// and is refused at once.
//
// Conditional jumps hold 8-bit offsets (at most 255 instructions ahead); JA
// holds 32 bits. build() routes a conditional branch that cannot reach its
// target through a trampoline placed right after some conditional jump, where
// nothing falls through (a conditional jump always jumps):
//
//     jeq #1 -> far : NEXT            jeq #1 -> 0001 : 0002
//     ...300 instructions...    =>    ja   -> far          (trampoline)
//   far:                              ...
//
// Later jumps within reach of a trampoline to the same target share it. When
// the target is a RET, the trampoline is a copy of that RET instead of a JA:
// same result, one instruction fewer executed. Inserting trampolines moves
// other jumps farther apart, so layout repeats until every offset fits.
// Nothing else is added, dropped or reordered.

import { bpfError } from './errors.js';
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET,
  BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, bpfClass,
  isConditionalJump, jump, stmt, type Insn,
} from './insn.js';

/** Jump target meaning "the next instruction": a conditional branch that falls through. */
export const NEXT: unique symbol = Symbol('NEXT');
export type Target = string | typeof NEXT;

/** A built program and where each label ended up (for the disassembler). */
export interface Assembled {
  insns: Insn[];
  labels: Map<string, number>;
}

/** Longest offset a conditional jump can hold. */
const MAX_COND_OFFSET = 0xff;

type Item =
  | { kind: 'insn'; insn: Insn }
  | { kind: 'cond'; code: number; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; target: string };

function labelError(label: string, message: string): Error {
  return bpfError('ERR_BPF_LABEL', message, { label });
}

function memIndex(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= BPF_MEMWORDS) throw new RangeError(`scratch memory has M[0..15], not M[${i}]`);
  return i;
}

export class Builder {
  private readonly items: Item[] = [];
  /** Label name -> index of the item it precedes (items.length: the end). */
  private readonly labelAt = new Map<string, number>();
  /** Every name defined, referenced or handed out, so newLabel() never collides. */
  private readonly names = new Set<string>();
  private counter = 0;

  /** Instructions emitted so far, not counting trampolines. */
  get length(): number {
    return this.items.length;
  }

  // ---- labels ----

  /** Marks the position of the next instruction. */
  label(name: string): this {
    if (typeof name !== 'string' || name === '') throw new TypeError('a label needs a non-empty name');
    if (this.labelAt.has(name)) throw labelError(name, `duplicate label "${name}"`);
    this.labelAt.set(name, this.items.length);
    this.names.add(name);
    return this;
  }

  /** A fresh label name, `prefix.N`, distinct from every name seen so far. */
  newLabel(prefix = 'L'): string {
    let name: string;
    do name = `${prefix}.${++this.counter}`; while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  // ---- loads and stores ----

  /** A = 32-bit word at offset in the input (seccomp_data). */
  ldAbs(offset: number): this {
    return this.emit(stmt(BPF_LD | BPF_W | BPF_ABS, offset));
  }
  /** A = k */
  ldImm(k: number): this {
    return this.emit(stmt(BPF_LD | BPF_IMM, k));
  }
  /** X = k */
  ldxImm(k: number): this {
    return this.emit(stmt(BPF_LDX | BPF_IMM, k));
  }
  /** A = input length (64 for seccomp). */
  ldLen(): this {
    return this.emit(stmt(BPF_LD | BPF_W | BPF_LEN));
  }
  /** X = input length (64 for seccomp). */
  ldxLen(): this {
    return this.emit(stmt(BPF_LDX | BPF_W | BPF_LEN));
  }
  /** A = M[i] */
  ldMem(i: number): this {
    return this.emit(stmt(BPF_LD | BPF_MEM, memIndex(i)));
  }
  /** X = M[i] */
  ldxMem(i: number): this {
    return this.emit(stmt(BPF_LDX | BPF_MEM, memIndex(i)));
  }
  /** M[i] = A */
  st(i: number): this {
    return this.emit(stmt(BPF_ST, memIndex(i)));
  }
  /** M[i] = X */
  stx(i: number): this {
    return this.emit(stmt(BPF_STX, memIndex(i)));
  }
  /** X = A */
  tax(): this {
    return this.emit(stmt(BPF_MISC | BPF_TAX));
  }
  /** A = X */
  txa(): this {
    return this.emit(stmt(BPF_MISC | BPF_TXA));
  }

  // ---- arithmetic on A (32-bit, wrapping) ----

  /** A = A op k, op one of BPF_ADD, BPF_AND, ... */
  alu(op: number, k: number): this {
    return this.emit(stmt(BPF_ALU | op | BPF_K, k));
  }
  /** A = A op X */
  aluX(op: number): this {
    return this.emit(stmt(BPF_ALU | op | BPF_X));
  }
  add(k: number): this {
    return this.alu(BPF_ADD, k);
  }
  sub(k: number): this {
    return this.alu(BPF_SUB, k);
  }
  mul(k: number): this {
    return this.alu(BPF_MUL, k);
  }
  div(k: number): this {
    return this.alu(BPF_DIV, k);
  }
  /** Classic BPF has MOD, but seccomp refuses it (see validate). */
  mod(k: number): this {
    return this.alu(BPF_MOD, k);
  }
  and(k: number): this {
    return this.alu(BPF_AND, k);
  }
  or(k: number): this {
    return this.alu(BPF_OR, k);
  }
  xor(k: number): this {
    return this.alu(BPF_XOR, k);
  }
  lsh(k: number): this {
    return this.alu(BPF_LSH, k);
  }
  rsh(k: number): this {
    return this.alu(BPF_RSH, k);
  }
  /** A = -A */
  neg(): this {
    return this.emit(stmt(BPF_ALU | BPF_NEG));
  }

  // ---- jumps ----

  /** if (A == k) goto jt else goto jf */
  jeq(k: number, jt: Target, jf: Target = NEXT): this {
    return this.jmpIf(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
  }
  /** if (A > k) goto jt else goto jf (unsigned) */
  jgt(k: number, jt: Target, jf: Target = NEXT): this {
    return this.jmpIf(BPF_JMP | BPF_JGT | BPF_K, k, jt, jf);
  }
  /** if (A >= k) goto jt else goto jf (unsigned) */
  jge(k: number, jt: Target, jf: Target = NEXT): this {
    return this.jmpIf(BPF_JMP | BPF_JGE | BPF_K, k, jt, jf);
  }
  /** if (A & k) goto jt else goto jf */
  jset(k: number, jt: Target, jf: Target = NEXT): this {
    return this.jmpIf(BPF_JMP | BPF_JSET | BPF_K, k, jt, jf);
  }
  /** Comparison against X: op one of BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET. */
  jmpX(op: number, jt: Target, jf: Target = NEXT): this {
    return this.jmpIf(BPF_JMP | op | BPF_X, 0, jt, jf);
  }
  /** Any conditional jump code, K or X source. */
  jmpIf(code: number, k: number, jt: Target, jf: Target = NEXT): this {
    const insn = jump(code, k, 0, 0);
    if (!isConditionalJump(insn.code)) throw new RangeError(`0x${code.toString(16)} is not a conditional jump`);
    this.reference(jt);
    this.reference(jf);
    this.items.push({ kind: 'cond', code: insn.code, k: insn.k, jt, jf });
    return this;
  }
  /** goto label */
  ja(label: string): this {
    this.reference(label);
    this.items.push({ kind: 'ja', target: label });
    return this;
  }

  // ---- returns ----

  /** return k (a SECCOMP_RET_* value) */
  ret(k: number): this {
    return this.emit(stmt(BPF_RET | BPF_K, k));
  }
  /** return A */
  retA(): this {
    return this.emit(stmt(BPF_RET | BPF_A));
  }

  /** Appends any non-jump instruction as is. Jumps must go through jeq()/ja()/... */
  emit(insn: Insn): this {
    if (bpfClass(insn.code) === BPF_JMP) {
      throw new RangeError('raw jumps would not follow trampolines; use jeq()/jmpIf()/ja() with labels');
    }
    this.items.push({ kind: 'insn', insn: { ...insn } });
    return this;
  }

  private reference(target: Target): void {
    if (target === NEXT) return;
    if (typeof target !== 'string' || target === '') throw new TypeError('a jump target is a label name or NEXT');
    if (this.labelAt.has(target)) {
      throw labelError(target, `backward jump to label "${target}": classic BPF only jumps forward`);
    }
    this.names.add(target);
  }

  // ---- assembly ----

  build(): Insn[] {
    return this.assemble().insns;
  }

  /** build(), plus the final position of every label. */
  assemble(): Assembled {
    const items = this.items;
    const end = items.length;

    // Resolve each jump target to the index of the item it lands on.
    const resolve = (from: number, t: Target): number => {
      if (t === NEXT) {
        if (from + 1 >= end) throw bpfError('ERR_BPF_LABEL', `instruction ${from} falls through (NEXT) past the end of the program`);
        return from + 1;
      }
      const at = this.labelAt.get(t);
      if (at === undefined) throw labelError(t, `undefined label "${t}"`);
      if (at >= end) throw labelError(t, `label "${t}" marks the end of the program: there is no instruction to jump to`);
      return at;
    };
    const targets = items.map((item, i): [number, number] | undefined => {
      if (item.kind === 'cond') return [resolve(i, item.jt), resolve(i, item.jf)];
      if (item.kind === 'ja') return [resolve(i, item.target), -1];
      return undefined;
    });

    // Trampolines owned by each conditional jump: the item indexes they lead to.
    const owned: number[][] = items.map(() => []);
    let pos: number[] = [];
    for (;;) {
      pos = this.layout(owned);
      const shared = TrampolineIndex.of(owned, pos);
      let grown = false;
      // Backwards, so that earlier jumps can share the trampolines of later ones.
      for (let i = end - 1; i >= 0; i--) {
        const tt = targets[i];
        if (items[i]?.kind !== 'cond' || tt === undefined) continue;
        for (const t of tt) {
          if (route(i, t, pos, owned, shared) !== undefined) continue;
          const ts = owned[i] as number[];
          ts.push(t);
          shared.add(t, (pos[i] as number) + ts.length); // approximate until the next layout
          grown = true;
        }
      }
      if (!grown) break;
    }

    // Emit with the final layout; every branch now has a route.
    const insns: Insn[] = [];
    const at = (i: number): number => pos[i] as number;
    const shared = TrampolineIndex.of(owned, pos);
    items.forEach((item, i) => {
      const tt = targets[i];
      if (item.kind === 'insn') {
        insns.push({ ...item.insn });
      } else if (item.kind === 'ja' && tt) {
        insns.push(stmt(BPF_JMP | BPF_JA, at(tt[0]) - at(i) - 1));
      } else if (item.kind === 'cond' && tt) {
        const [jt, jf] = tt.map((t) => (route(i, t, pos, owned, shared) as number) - at(i) - 1) as [number, number];
        insns.push(jump(item.code, item.k, jt, jf));
        for (const t of owned[i] as number[]) {
          const dest = items[t];
          const isRet = dest?.kind === 'insn' && bpfClass(dest.insn.code) === BPF_RET;
          insns.push(isRet ? { ...dest.insn } : stmt(BPF_JMP | BPF_JA, at(t) - insns.length - 1));
        }
      }
    });
    if (insns.length !== at(end)) throw new Error(`internal: layout says ${at(end)} instructions, emitted ${insns.length}`);

    const labels = new Map<string, number>();
    for (const [name, i] of this.labelAt) labels.set(name, at(i));
    return { insns, labels };
  }

  /** Position of each item (and of the end) given the trampolines. */
  private layout(owned: number[][]): number[] {
    const pos: number[] = [];
    let p = 0;
    for (let i = 0; i < this.items.length; i++) {
      pos.push(p);
      p += 1 + (owned[i] as number[]).length;
    }
    pos.push(p);
    return pos;
  }
}

/**
 * Where the branch of conditional item i to item t lands: t itself if within
 * 255, else i's own trampoline to t, else a nearby trampoline to t owned by a
 * later jump. Undefined: a new trampoline is needed.
 */
function route(i: number, t: number, pos: number[], owned: number[][], shared: TrampolineIndex): number | undefined {
  const from = pos[i] as number;
  const direct = pos[t] as number;
  if (direct - from - 1 <= MAX_COND_OFFSET) return direct;
  const own = (owned[i] as number[]).indexOf(t);
  if (own >= 0) return from + 1 + own;
  const q = shared.firstAfter(t, from);
  return q !== undefined && q - from - 1 <= MAX_COND_OFFSET ? q : undefined;
}

/** Positions of the trampolines to each target, sorted, for sharing. */
class TrampolineIndex {
  private readonly byTarget = new Map<number, number[]>();

  /** Item i's trampolines sit right after it, at pos[i] + 1, pos[i] + 2. */
  static of(owned: number[][], pos: number[]): TrampolineIndex {
    const index = new TrampolineIndex();
    owned.forEach((ts, i) => ts.forEach((t, j) => index.add(t, (pos[i] as number) + 1 + j)));
    return index;
  }

  add(target: number, position: number): void {
    const list = this.byTarget.get(target);
    if (!list) {
      this.byTarget.set(target, [position]);
      return;
    }
    list.splice(lowerBound(list, position), 0, position);
  }

  /** The first trampoline to target strictly after position. */
  firstAfter(target: number, position: number): number | undefined {
    const list = this.byTarget.get(target);
    return list ? list[lowerBound(list, position + 1)] : undefined;
  }
}

function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
