// Plan → BPF. The program has three parts:
//
//   prelude    A = arch; arch != AUDIT_ARCH_<this arch>  -> KILL_PROCESS
//              A = nr
//              x86_64: nr >= 0x40000000 -> nr == -1 ? ALLOW : KILL_PROCESS
//   dispatch   a balanced binary search over number ranges that share one
//              outcome (jge at every node, no jeq at the leaves), or, for the
//              differential tests, a plain chain of jeq
//   leaves     one `ret` per distinct verdict, and a block per syscall with
//              argument rules: 64-bit compares as two 32-bit halves
//
// Why the prelude is shaped so (kernel facts):
// - seccomp_data.nr means different syscalls on different arches, and one
//   process can enter through several ABIs; a filter that checks numbers
//   without the arch is bypassable (Documentation/userspace-api/seccomp_filter.rst).
// - x86_64 also accepts x32 syscalls: the same arch, nr | __X32_SYSCALL_BIT
//   (arch/x86/entry/common.c). Nothing we run is x32, so any nr at or above
//   0x40000000 is killed — except nr == -1: a tracer skips a syscall by
//   setting it to -1, and kernels from 4.8 run the filter again after a
//   RET_TRACE stop when the tracer changed nr (kernel/seccomp.c,
//   __seccomp_filter, recheck_after_trace). -1 reaches no syscall (ENOSYS)
//   and is always allowed, on both arches.
import { AUDIT_ARCH, X32_SYSCALL_BIT, type Arch } from '../arch/index.js';
import {
  Builder, NEXT, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF, argHigh, argLow, type Insn, type Target,
} from '../bpf/index.js';
import type { Condition, Plan, SyscallPlan, FilterAction } from './plan.js';
import { OPEN_FLAGS_ARG, O_PATH } from './notified.js';

export type Dispatch = 'bst' | 'linear';

export interface Emitted {
  readonly insns: Insn[];
  /** The most comparisons of the syscall number the dispatch makes for any input. */
  readonly depth: number;
  /** How many number ranges the dispatch distinguishes. */
  readonly ranges: number;
}

/** The 32-bit value a filter returns for a verdict. */
export function retValue(v: FilterAction): number {
  switch (v.kind) {
    case 'allow': return SECCOMP_RET_ALLOW;
    case 'log': return SECCOMP_RET_LOG;
    case 'kill': return SECCOMP_RET_KILL_PROCESS;
    case 'errno': return (SECCOMP_RET_ERRNO | (v.errno & 0xffff)) >>> 0;
    case 'trace': return (SECCOMP_RET_TRACE | (v.id & 0xffff)) >>> 0;
  }
}

const U32 = 0x1_0000_0000;

/** A run of consecutive syscall numbers [start, next range's start) with one leaf. */
interface Range { readonly start: number; readonly leaf: string }

/**
 * `notified`: syscalls whose TRACE verdicts become SECCOMP_RET_USER_NOTIF — the calls the
 * notification backend performs itself (lib/compile/notified.ts). The notification carries no
 * trap id: the supervisor finds it by running the program without `notified` on the call's
 * seccomp_data (same plan, same dispatch).
 */
export function emitProgram(plan: Plan, dispatch: Dispatch = 'bst', notified?: ReadonlySet<string>): Emitted {
  const b = new Builder();
  const rets = new Map<number, string>();        // return value -> label
  const blocks: SyscallPlan[] = [];              // syscalls with argument rules
  const label = (k: number): string => {
    let l = rets.get(k);
    if (!l) rets.set(k, (l = `ret.${k.toString(16)}`));
    return l;
  };
  const retLabel = (v: FilterAction): string => label(retValue(v));
  // A notified open: O_PATH in its flags register keeps it with ptrace (notified.ts).
  const byFlags = new Map<string, { index: number; trace: string }>();
  const retFor = (p: SyscallPlan) => (v: FilterAction): string => {
    if (v.kind !== 'trace' || !notified?.has(p.name)) return retLabel(v);
    const index = OPEN_FLAGS_ARG[p.name];
    if (index === undefined) return label(SECCOMP_RET_USER_NOTIF);
    const l = `notify.${p.name}.${v.id}`;
    byFlags.set(l, { index, trace: retLabel(v) });
    return l;
  };
  const leafOf = (p: SyscallPlan): string => {
    if (p.steps.length === 0) return retFor(p)(p.fallback);
    blocks.push(p);
    return `rules.${p.name}`;
  };

  // Prelude.
  const kill = retLabel({ kind: 'kill' });
  b.ldAbs(SECCOMP_DATA_ARCH).jeq(AUDIT_ARCH[plan.arch], NEXT, kill);
  b.ldAbs(SECCOMP_DATA_NR);
  if (plan.arch === 'x86_64') {
    b.jge(X32_SYSCALL_BIT, 'high', 'dispatch');
    b.label('high').jeq(0xffff_ffff, retLabel({ kind: 'allow' }), kill);
    b.label('dispatch');
  }

  // Every number of the arch gets a leaf; numbers the table does not know
  // (syscalls newer than it) share the `unknown` leaf; -1 is always allowed.
  const leaves = new Map<number, string>();
  for (const p of plan.syscalls) leaves.set(p.nr, leafOf(p));
  const unknown = retLabel(plan.unknown);
  leaves.set(0xffff_ffff, retLabel({ kind: 'allow' }));

  let depth: number;
  let ranges: number;
  if (dispatch === 'linear') {
    const entries = [...leaves].filter(([, leaf]) => leaf !== unknown).sort((x, y) => x[0] - y[0]);
    for (const [nr, leaf] of entries) b.jeq(nr, leaf, NEXT);
    b.ja(unknown);
    depth = entries.length;
    ranges = entries.length + 1;
  } else {
    const rs = toRanges(leaves, unknown);
    depth = emitSearch(b, rs, 0, rs.length - 1, 'bst.root');
    ranges = rs.length;
  }

  for (const p of blocks) emitRules(b, p, retFor(p));
  for (const [l, { index, trace }] of byFlags) b.label(l).ldAbs(argLow(index)).jset(O_PATH, trace, label(SECCOMP_RET_USER_NOTIF));
  for (const [value, label] of [...rets].sort((x, y) => x[0] - y[0])) b.label(label).ret(value);
  return { insns: b.build(), depth, ranges };
}

/** Partition [0, 2^32) into maximal runs of numbers with the same leaf. */
function toRanges(leaves: Map<number, string>, unknown: string): Range[] {
  const nrs = [...leaves.keys()].sort((a, b) => a - b);
  const out: Range[] = [];
  const push = (start: number, leaf: string) => {
    if (out.at(-1)?.leaf !== leaf) out.push({ start, leaf });
  };
  push(0, nrs[0] === 0 ? leaves.get(0)! : unknown);
  for (const nr of nrs) {
    push(nr, leaves.get(nr)!);
    if (nr + 1 < U32 && !leaves.has(nr + 1)) push(nr + 1, unknown);
  }
  return out;
}

/**
 * Emit a balanced search over ranges[lo..hi] (A holds nr): each node is one
 * `jge start-of-right-half`; the left subtree follows it directly. Returns the
 * number of comparisons on the longest path.
 */
function emitSearch(b: Builder, ranges: readonly Range[], lo: number, hi: number, label: string): number {
  b.label(label);
  if (lo === hi) {
    b.ja(ranges[lo]!.leaf);
    return 0;
  }
  const mid = (lo + hi + 1) >> 1;
  const target = (l: number, h: number, name: string): Target => (l === h ? ranges[l]!.leaf : name);
  const left = `${label}.l`;
  const right = `${label}.r`;
  b.jge(ranges[mid]!.start, target(mid, hi, right), lo === mid - 1 ? ranges[lo]!.leaf : NEXT);
  let dl = 0;
  let dr = 0;
  if (lo < mid - 1) dl = emitSearch(b, ranges, lo, mid - 1, left);
  if (mid < hi) dr = emitSearch(b, ranges, mid, hi, right);
  return 1 + Math.max(dl, dr);
}

/**
 * A syscall's argument rules, in order. Each condition compares a 64-bit
 * argument as its high then its low 32-bit half (seccomp_data.args are u64;
 * BPF registers are 32-bit). Unsigned comparisons, as the kernel stores them.
 */
function emitRules(b: Builder, p: SyscallPlan, retLabel: (v: FilterAction) => string): void {
  b.label(`rules.${p.name}`);
  p.steps.forEach((step, i) => {
    const fail = `rules.${p.name}.${i}.miss`;
    const verdict = retLabel(step.verdict);
    step.conditions.forEach((c, j) => {
      const pass: Target = j === step.conditions.length - 1 ? verdict : NEXT;
      emitCondition(b, c, pass, fail);
    });
    if (step.conditions.length === 0) b.ja(verdict);
    b.label(fail);
  });
  b.ja(retLabel(p.fallback));
}

const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffff_ffffn);
const lo32 = (v: bigint): number => Number(v & 0xffff_ffffn);

/** Jump to `pass` when the condition holds, to `fail` when not; never falls through. */
export function emitCondition(b: Builder, c: Condition, pass: Target, fail: Target): void {
  if (c.bits < 64) {
    emitNarrowCondition(b, c, pass, fail);
    return;
  }
  const v = c.value;
  const ldHi = () => b.ldAbs(argHigh(c.index));
  const ldLo = () => b.ldAbs(argLow(c.index));
  switch (c.op) {
    case 'eq':
      ldHi().jeq(hi32(v), NEXT, fail);
      ldLo().jeq(lo32(v), pass, fail);
      return;
    case 'ne':
      ldHi().jeq(hi32(v), NEXT, pass);
      ldLo().jeq(lo32(v), fail, pass);
      return;
    case 'masked_eq': {
      const m = c.mask ?? 0n;
      ldHi().and(hi32(m)).jeq(hi32(v), NEXT, fail);
      ldLo().and(lo32(m)).jeq(lo32(v), pass, fail);
      return;
    }
    case 'gt': case 'ge': case 'lt': case 'le': {
      // x > v  <=>  hi > vhi  or  (hi == vhi and lo > vlo);  lt/le are the negations of ge/gt.
      const upward = c.op === 'gt' || c.op === 'ge';
      const [yes, no]: [Target, Target] = upward ? [pass, fail] : [fail, pass];
      const strict = c.op === 'gt' || c.op === 'le';
      ldHi().jgt(hi32(v), yes, NEXT).jeq(hi32(v), NEXT, no);
      ldLo();
      if (strict) b.jgt(lo32(v), yes, no);
      else b.jge(lo32(v), yes, no);
      return;
    }
  }
}

/**
 * An argument the kernel reads as 32 bits or fewer: compare the low half only
 * (masked to 16 bits for umode_t), whatever the caller left in the high half.
 */
function emitNarrowCondition(b: Builder, c: Condition, pass: Target, fail: Target): void {
  b.ldAbs(argLow(c.index));
  if (c.bits === 16) b.and(0xffff);
  const v = lo32(c.value);
  switch (c.op) {
    case 'eq': b.jeq(v, pass, fail); return;
    case 'ne': b.jeq(v, fail, pass); return;
    case 'masked_eq': b.and(lo32(c.mask ?? 0n)).jeq(v, pass, fail); return;
    case 'gt': b.jgt(v, pass, fail); return;
    case 'ge': b.jge(v, pass, fail); return;
    case 'lt': b.jge(v, fail, pass); return;
    case 'le': b.jgt(v, fail, pass); return;
  }
}
