import tap from 'tap';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_B, BPF_DIV, BPF_H, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K,
  BPF_LD, BPF_LDX, BPF_LSH, BPF_MAXINSNS, BPF_MEM, BPF_MISC, BPF_MOD, BPF_MSH, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB,
  BPF_W, BPF_X, Builder, NEXT, SECCOMP_DATA_ARCH, SECCOMP_DATA_IP_HI, SECCOMP_DATA_IP_LO, SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRACE,
  argHigh, argLow, compile, disassemble, jump, run, runTrace, stmt, validate, type Insn, type SeccompData,
} from '../../lib/bpf/index.js';

const X86_64 = 0xc000003e;
const ALLOW = SECCOMP_RET_ALLOW;
const KILL = SECCOMP_RET_KILL_PROCESS;
const errno = (e: number): number => SECCOMP_RET_ERRNO | e;
const sys = (nr: number, ...args: bigint[]): SeccompData => ({ nr, arch: X86_64, args });

interface Spec {
  desc: string;
  program: (b: Builder) => void;
  data: SeccompData;
  want: number;
}

function build(f: (b: Builder) => void): Insn[] {
  const b = new Builder();
  f(b);
  return b.build();
}

/** Runs each spec; a failure prints the program's disassembly. */
function check(t: Pick<typeof tap, 'equal'>, specs: Spec[]): void {
  for (const { desc, program, data, want } of specs) {
    const insns = build(program);
    t.equal(run(insns, data), want >>> 0, desc, { program: disassemble(insns) });
  }
}

tap.test('seccomp_data fields', async (t) => {
  // ret A exposes what a load read.
  const load = (off: number) => (b: Builder) => b.ldAbs(off).retA();
  check(t, [
    { desc: 'nr', program: load(SECCOMP_DATA_NR), data: sys(257), want: 257 },
    { desc: 'nr -1 is all ones', program: load(SECCOMP_DATA_NR), data: sys(-1), want: 0xffffffff },
    { desc: 'arch', program: load(SECCOMP_DATA_ARCH), data: sys(0), want: X86_64 },
    { desc: 'ip low half', program: load(SECCOMP_DATA_IP_LO), data: { nr: 0, arch: 0, ip: 0x7fff_1234_5678_9abcn }, want: 0x5678_9abc },
    { desc: 'ip high half', program: load(SECCOMP_DATA_IP_HI), data: { nr: 0, arch: 0, ip: 0x7fff_1234_5678_9abcn }, want: 0x7fff_1234 },
    { desc: 'args[0] low half', program: load(argLow(0)), data: sys(0, 0x1_0000_0002n), want: 2 },
    { desc: 'args[0] high half', program: load(argHigh(0)), data: sys(0, 0x1_0000_0002n), want: 1 },
    { desc: 'args[5] high half', program: load(argHigh(5)), data: sys(0, 0n, 0n, 0n, 0n, 0n, 0xdead_beef_0000_0000n), want: 0xdead_beef },
    { desc: 'missing args are 0', program: load(argLow(3)), data: sys(0, 7n), want: 0 },
    { desc: 'negative arg wraps: AT_FDCWD low', program: load(argLow(0)), data: sys(257, -100n), want: 0xffff_ff9c },
    { desc: 'negative arg wraps: AT_FDCWD high', program: load(argHigh(0)), data: sys(257, -100n), want: 0xffff_ffff },
    { desc: 'u64 max', program: load(argHigh(1)), data: sys(0, 0n, 2n ** 64n - 1n), want: 0xffff_ffff },
    { desc: 'ld #len', program: (b) => b.ldLen().retA(), data: sys(0), want: 64 },
    { desc: 'ldx #len', program: (b) => b.ldxLen().txa().retA(), data: sys(0), want: 64 },
  ]);
});

tap.test('a typical filter', async (t) => {
  // arch check, then: openat(AT_FDCWD, ...) allowed, openat otherwise ERRNO(13),
  // nr -1 (a tracer skipping the call) allowed, the x32 bit killed, the rest traced.
  const filter = (b: Builder) => {
    b.ldAbs(SECCOMP_DATA_ARCH).jeq(X86_64, NEXT, 'kill');
    b.ldAbs(SECCOMP_DATA_NR);
    b.jeq(-1, 'allow');
    b.jset(0x4000_0000, 'kill');
    b.jeq(257, NEXT, 'trace');
    b.ldAbs(argLow(0)).jeq(-100, NEXT, 'eacces');
    b.ldAbs(argHigh(0)).jeq(0xffff_ffff, 'allow', 'eacces');
    b.label('eacces').ret(errno(13));
    b.label('trace').ret(SECCOMP_RET_TRACE | 1);
    b.label('allow').ret(ALLOW);
    b.label('kill').ret(KILL);
  };
  check(t, [
    { desc: 'wrong arch', program: filter, data: { nr: 257, arch: 0x40000003 }, want: KILL },
    { desc: 'nr -1', program: filter, data: sys(-1), want: ALLOW },
    { desc: 'x32 syscall', program: filter, data: sys(0x4000_0000 + 257), want: KILL },
    { desc: 'openat(AT_FDCWD)', program: filter, data: sys(257, -100n), want: ALLOW },
    { desc: 'openat(AT_FDCWD) with junk high half', program: filter, data: sys(257, 0xffff_ff9cn), want: errno(13) },
    { desc: 'openat(3)', program: filter, data: sys(257, 3n), want: errno(13) },
    { desc: 'other syscall', program: filter, data: sys(0), want: SECCOMP_RET_TRACE | 1 },
  ]);
});

tap.test('jumps compare unsigned', async (t) => {
  const cmp = (k: number) => (b: Builder) => b.ldAbs(SECCOMP_DATA_NR).jgt(k, 'gt').jge(k, 'ge').ret(1).label('gt').ret(2).label('ge').ret(3);
  check(t, [
    { desc: 'jgt true', program: cmp(5), data: sys(6), want: 2 },
    { desc: 'jge boundary', program: cmp(5), data: sys(5), want: 3 },
    { desc: 'below', program: cmp(5), data: sys(4), want: 1 },
    { desc: '-1 is above everything', program: cmp(0x7fff_ffff), data: sys(-1), want: 2 },
    { desc: '0 below 0x80000000', program: cmp(0x8000_0000), data: sys(0), want: 1 },
    { desc: 'jset some bit', program: (b) => b.ldAbs(argLow(1)).jset(0b0110, 'y').ret(0).label('y').ret(1), data: sys(0, 0n, 0b0100n), want: 1 },
    { desc: 'jset no bit', program: (b) => b.ldAbs(argLow(1)).jset(0b0110, 'y').ret(0).label('y').ret(1), data: sys(0, 0n, 0b1001n), want: 0 },
    { desc: 'ja', program: (b) => b.ja('z').ret(1).ret(2).label('z').ret(3), data: sys(0), want: 3 },
    {
      desc: 'jeq x',
      program: (b) => b.ldxImm(42).ldAbs(SECCOMP_DATA_NR).jmpX(BPF_JEQ, 'y').ret(0).label('y').ret(1),
      data: sys(42),
      want: 1,
    },
    {
      desc: 'jgt x false',
      program: (b) => b.ldxImm(42).ldAbs(SECCOMP_DATA_NR).jmpX(BPF_JGT, 'y').ret(0).label('y').ret(1),
      data: sys(42),
      want: 0,
    },
    {
      desc: 'jset x',
      program: (b) => b.ldxImm(1).ldAbs(SECCOMP_DATA_NR).jmpX(BPF_JSET, 'y').ret(0).label('y').ret(1),
      data: sys(3),
      want: 1,
    },
  ]);
});

tap.test('ALU is 32-bit and wraps', async (t) => {
  const alu = (a: number, f: (b: Builder) => void) => (b: Builder) => {
    b.ldImm(a);
    f(b);
    b.retA();
  };
  check(t, [
    { desc: 'add wraps', program: alu(0xffff_ffff, (b) => b.add(2)), data: sys(0), want: 1 },
    { desc: 'sub wraps', program: alu(1, (b) => b.sub(2)), data: sys(0), want: 0xffff_ffff },
    { desc: 'mul wraps', program: alu(0x10000, (b) => b.mul(0x10001)), data: sys(0), want: 0x10000 },
    { desc: 'mul large', program: alu(0xffff_ffff, (b) => b.mul(0xffff_ffff)), data: sys(0), want: 1 },
    { desc: 'div truncates', program: alu(7, (b) => b.div(2)), data: sys(0), want: 3 },
    { desc: 'div unsigned', program: alu(0xffff_fffe, (b) => b.div(2)), data: sys(0), want: 0x7fff_ffff },
    { desc: 'and', program: alu(0xff00_ff00, (b) => b.and(0x0ff0_0ff0)), data: sys(0), want: 0x0f00_0f00 },
    { desc: 'or', program: alu(0x8000_0000, (b) => b.or(1)), data: sys(0), want: 0x8000_0001 },
    { desc: 'xor', program: alu(0xffff_0000, (b) => b.xor(0xff00_ff00)), data: sys(0), want: 0x00ff_ff00 },
    { desc: 'lsh drops high bits', program: alu(0x8000_0001, (b) => b.lsh(1)), data: sys(0), want: 2 },
    { desc: 'lsh 31', program: alu(1, (b) => b.lsh(31)), data: sys(0), want: 0x8000_0000 },
    { desc: 'rsh is logical', program: alu(0x8000_0000, (b) => b.rsh(31)), data: sys(0), want: 1 },
    { desc: 'neg', program: alu(1, (b) => b.neg()), data: sys(0), want: 0xffff_ffff },
    { desc: 'neg 0', program: alu(0, (b) => b.neg()), data: sys(0), want: 0 },
    { desc: 'add x', program: alu(5, (b) => b.ldxImm(0xffff_fffe).aluX(BPF_ADD)), data: sys(0), want: 3 },
    { desc: 'sub x', program: alu(5, (b) => b.ldxImm(7).aluX(BPF_SUB)), data: sys(0), want: 0xffff_fffe },
    { desc: 'div x', program: alu(100, (b) => b.ldxImm(7).aluX(BPF_DIV)), data: sys(0), want: 14 },
    // bpf_convert_filter: division by X = 0 makes the whole filter return 0.
    { desc: 'div x by 0 returns 0 = KILL_THREAD', program: alu(100, (b) => b.ldxImm(0).aluX(BPF_DIV)), data: sys(0), want: SECCOMP_RET_KILL_THREAD },
    // kernel/bpf/core.c: 32-bit shifts by a register use the count & 31.
    { desc: 'lsh x by 33 shifts by 1', program: alu(3, (b) => b.ldxImm(33).aluX(BPF_LSH)), data: sys(0), want: 6 },
    { desc: 'rsh x by 32 shifts by 0', program: alu(0x8000_0000, (b) => b.ldxImm(32).aluX(BPF_RSH)), data: sys(0), want: 0x8000_0000 },
  ]);
});

tap.test('registers and scratch memory', async (t) => {
  check(t, [
    { desc: 'A and X start at 0', program: (b) => b.txa().retA(), data: sys(9), want: 0 },
    { desc: 'tax/txa', program: (b) => b.ldAbs(SECCOMP_DATA_NR).tax().ldImm(0).txa().retA(), data: sys(9), want: 9 },
    { desc: 'st/ld M[15]', program: (b) => b.ldAbs(SECCOMP_DATA_NR).st(15).ldImm(0).ldMem(15).retA(), data: sys(11), want: 11 },
    { desc: 'stx/ldx M[0]', program: (b) => b.ldxImm(5).stx(0).ldxImm(0).ldxMem(0).txa().retA(), data: sys(0), want: 5 },
    {
      desc: 'combine the halves of an argument through M[]',
      program: (b) => b.ldAbs(argHigh(2)).st(1).ldAbs(argLow(2)).tax().ldMem(1).aluX(BPF_ADD).retA(),
      data: sys(0, 0n, 0n, 0x0000_0003_0000_0004n),
      want: 7,
    },
    { desc: 'ret A', program: (b) => b.ldImm(SECCOMP_RET_ERRNO).or(38).retA(), data: sys(0), want: errno(38) },
    { desc: 'ret K unsigned', program: (b) => b.ret(KILL), data: sys(0), want: 0x8000_0000 },
  ]);
});

tap.test('Program runs many inputs and traces the path', async (t) => {
  const insns = build((b) => b.ldAbs(SECCOMP_DATA_NR).jeq(0, 'a').jeq(1, 'a').jeq(2, 'a').ret(KILL).label('a').ret(ALLOW));
  const p = compile(insns);
  t.equal(p.length, 6);
  t.same([0, 1, 2, 3, -1].map((nr) => p.run(sys(nr))), [ALLOW, ALLOW, ALLOW, KILL, KILL]);
  t.same(p.trace(sys(0)), { ret: ALLOW, path: [0, 1, 5] });
  t.same(p.trace(sys(2)), { ret: ALLOW, path: [0, 1, 2, 3, 5] });
  t.same(runTrace(insns, sys(9)), { ret: KILL, path: [0, 1, 2, 3, 4] });
  // Scratch memory does not leak from one run into the next.
  const mem = compile(build((b) => b.ldAbs(SECCOMP_DATA_NR).jeq(1, NEXT, 'skip').st(0).label('skip').ldImm(0).st(0).ldMem(0).retA()));
  t.equal(mem.run(sys(1)), 0);
});

tap.test('bad seccomp_data is a bug, not a filter result', async (t) => {
  const p = compile(build((b) => b.ret(ALLOW)));
  t.throws(() => p.run({ nr: 1.5, arch: 0 }), RangeError);
  t.throws(() => p.run({ nr: 2 ** 32, arch: 0 }), RangeError);
  t.throws(() => p.run({ nr: 0, arch: -1 }), RangeError);
  t.throws(() => p.run({ nr: 0, arch: 0, args: [0n, 0n, 0n, 0n, 0n, 0n, 0n] }), RangeError);
  t.throws(() => p.run({ nr: 0, arch: 0, args: [2n ** 64n] }), RangeError);
  t.throws(() => p.run({ nr: 0, arch: 0, ip: -(2n ** 63n) - 1n }), RangeError);
  t.equal(p.run({ nr: 0xffff_ffff, arch: 0 }), ALLOW, 'nr may be given as its u32 bits');
});

// ---- validate: what the kernel refuses ----

const RET_ALLOW = stmt(BPF_RET | BPF_K, ALLOW);
const LD_NR = stmt(BPF_LD | BPF_W | BPF_ABS, 0);

tap.test('validate rejects what the kernel rejects', async (t) => {
  const cases: { desc: string; insns: Insn[]; pc?: number; match?: RegExp }[] = [
    { desc: 'empty program', insns: [], match: /0 instructions/ },
    { desc: 'longer than BPF_MAXINSNS', insns: new Array<Insn>(BPF_MAXINSNS + 1).fill(RET_ALLOW), match: /4097 instructions/ },
    { desc: 'last instruction not RET', insns: [RET_ALLOW, LD_NR], pc: 1, match: /last instruction/ },
    { desc: 'jt past the end', insns: [jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_ALLOW], pc: 0 },
    { desc: 'jf past the end', insns: [jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5), RET_ALLOW], pc: 0 },
    { desc: 'ja past the end', insns: [stmt(BPF_JMP | BPF_JA, 1), RET_ALLOW], pc: 0 },
    { desc: 'ja far past the end', insns: [stmt(BPF_JMP | BPF_JA, 0xffff_ffff), RET_ALLOW], pc: 0 },
    { desc: 'misaligned load', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_ALLOW], pc: 0, match: /aligned/ },
    { desc: 'load past seccomp_data', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 64), RET_ALLOW], pc: 0 },
    { desc: 'ancillary load (SKF_AD_OFF)', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 0xffff_f000), RET_ALLOW], pc: 0 },
    { desc: 'halfword load', insns: [stmt(BPF_LD | BPF_H | BPF_ABS, 0), RET_ALLOW], pc: 0, match: /not allowed/ },
    { desc: 'byte load', insns: [stmt(BPF_LD | BPF_B | BPF_ABS, 0), RET_ALLOW], pc: 0 },
    { desc: 'indirect load', insns: [stmt(BPF_LD | BPF_W | BPF_IND, 0), RET_ALLOW], pc: 0 },
    { desc: 'ldxb msh', insns: [stmt(BPF_LDX | BPF_B | BPF_MSH, 0), RET_ALLOW], pc: 0 },
    { desc: 'MOD by constant', insns: [stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW], pc: 0, match: /BPF_MOD/ },
    { desc: 'MOD by X', insns: [stmt(BPF_ALU | BPF_MOD | BPF_X), RET_ALLOW], pc: 0, match: /BPF_MOD/ },
    { desc: 'DIV by constant 0', insns: [stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW], pc: 0, match: /division/ },
    { desc: 'LSH by 32', insns: [stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW], pc: 0, match: /shift/ },
    { desc: 'RSH by 99', insns: [stmt(BPF_ALU | BPF_RSH | BPF_K, 99), RET_ALLOW], pc: 0 },
    { desc: 'ST M[16]', insns: [stmt(BPF_ST, 16), RET_ALLOW], pc: 0, match: /M\[0\.\.15\]/ },
    { desc: 'LD M[16]', insns: [stmt(BPF_LD | BPF_MEM, 16), RET_ALLOW], pc: 0 },
    { desc: 'RET X', insns: [stmt(BPF_RET | BPF_X)], pc: 0 },
    { desc: 'unknown opcode', insns: [stmt(0xffff), RET_ALLOW], pc: 0 },
    { desc: 'MISC with another op', insns: [stmt(BPF_MISC | 0x40), RET_ALLOW], pc: 0 },
    { desc: 'field out of range', insns: [{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: -1 }], pc: 0, match: /out of range/ },
    { desc: 'jt not a u8', insns: [{ code: BPF_JMP | BPF_JEQ | BPF_K, jt: 256, jf: 0, k: 0 }, RET_ALLOW], pc: 0 },
    { desc: 'M[] read before any write', insns: [stmt(BPF_LD | BPF_MEM, 0), RET_ALLOW], pc: 0, match: /M\[0\] may be read/ },
    {
      desc: 'M[] written on one branch only',
      insns: [
        LD_NR,
        jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
        stmt(BPF_ST, 3),
        stmt(BPF_LDX | BPF_MEM, 3),
        RET_ALLOW,
      ],
      pc: 3,
    },
    {
      // NOTE: check_load_and_stores does not reset its state after a RET. Insn 5
      // is reached only from the JA at 2, after M[0] was written, yet the state
      // carried over the RET at 4 (from insn 3, which did not write M[0]) wins.
      desc: 'kernel quirk: state carried across a RET',
      insns: [
        jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
        stmt(BPF_ST, 0),
        stmt(BPF_JMP | BPF_JA, 2),
        LD_NR,
        RET_ALLOW,
        stmt(BPF_LD | BPF_MEM, 0),
        RET_ALLOW,
      ],
      pc: 5,
    },
  ];
  for (const { desc, insns, pc, match } of cases) {
    const want = { code: 'ERR_BPF_INVALID', ...(pc === undefined ? {} : { pc }), ...(match ? { message: match } : {}) };
    t.throws(() => validate(insns), want, desc);
    t.throws(() => compile(insns), { code: 'ERR_BPF_INVALID' }, `${desc}: compile validates`);
  }
});

tap.test('validate accepts the edges of what the kernel accepts', async (t) => {
  const ok = (desc: string, insns: Insn[]) => t.doesNotThrow(() => validate(insns), desc);
  ok('one RET', [RET_ALLOW]);
  ok('RET A', [stmt(BPF_RET | 0x10)]);
  ok('BPF_MAXINSNS instructions', new Array<Insn>(BPF_MAXINSNS).fill(RET_ALLOW));
  ok('last word of seccomp_data', [stmt(BPF_LD | BPF_W | BPF_ABS, 60), RET_ALLOW]);
  ok('jumps to the last instruction', [jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1), RET_ALLOW, RET_ALLOW]);
  ok('ja to the last instruction', [stmt(BPF_JMP | BPF_JA, 1), RET_ALLOW, RET_ALLOW]);
  ok('shift by 31', [stmt(BPF_ALU | BPF_LSH | BPF_K, 31), RET_ALLOW]);
  ok('DIV by X (0 is a run-time matter)', [stmt(BPF_ALU | BPF_DIV | BPF_X), RET_ALLOW]);
  ok('M[] written on both branches', [
    LD_NR,
    jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
    stmt(BPF_ST, 3),
    stmt(BPF_JMP | BPF_JA, 1),
    stmt(BPF_STX, 3),
    stmt(BPF_LD | BPF_MEM, 3),
    RET_ALLOW,
  ]);
  ok('M[] read in unreachable code after a write', [stmt(BPF_ST, 2), RET_ALLOW, stmt(BPF_LD | BPF_MEM, 2), RET_ALLOW]);
});
