import tap from 'tap';
import {
  BPF_A, BPF_ABS, BPF_JA, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, Builder, NEXT, SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRACE, argLow, compile,
  disassemble, jump, stmt, validate, type Insn, type SeccompData, type Target,
} from '../../lib/bpf/index.js';

const X86_64 = 0xc000003e;
const ALLOW = SECCOMP_RET_ALLOW;
const KILL = SECCOMP_RET_KILL_PROCESS;
const ERRNO1 = SECCOMP_RET_ERRNO | 1;
const JEQ = BPF_JMP | BPF_JEQ | BPF_K;
const JA = BPF_JMP | BPF_JA;
const RET = BPF_RET | BPF_K;
const LD = BPF_LD | BPF_W | BPF_ABS;

tap.test('labels resolve to forward offsets', async (t) => {
  const b = new Builder();
  b.ldAbs(SECCOMP_DATA_ARCH).jeq(X86_64, NEXT, 'kill');
  b.ldAbs(SECCOMP_DATA_NR).jeq(1, 'allow').jeq(2, 'allow', 'errno');
  b.label('errno').ret(ERRNO1);
  b.label('allow').ret(ALLOW);
  b.label('kill').ret(KILL);
  const { insns, labels } = b.assemble();
  t.same(insns, [
    stmt(LD, SECCOMP_DATA_ARCH),
    jump(JEQ, X86_64, 0, 5),
    stmt(LD, SECCOMP_DATA_NR),
    jump(JEQ, 1, 2, 0),
    jump(JEQ, 2, 1, 0),
    stmt(RET, ERRNO1),
    stmt(RET, ALLOW),
    stmt(RET, KILL),
  ]);
  t.same([...labels], [['errno', 5], ['allow', 6], ['kill', 7]]);
  t.same(b.build(), insns, 'build() is assemble().insns and can be called again');
  t.equal(b.length, 8);
});

tap.test('ja, several labels on one instruction, methods chain', async (t) => {
  const insns = new Builder().ja('end').label('a').label('b').ret(1).label('end').ret(2).build();
  t.same(insns, [stmt(JA, 1), stmt(RET, 1), stmt(RET, 2)]);
});

tap.test('emit and the statement helpers', async (t) => {
  const b = new Builder();
  b.ldImm(-1).ldxImm(3).ldLen().ldxLen().st(0).stx(15).ldMem(0).ldxMem(15).tax().txa();
  b.add(1).sub(1).mul(2).div(2).mod(3).and(4).or(5).xor(6).lsh(7).rsh(8).neg();
  b.emit(stmt(BPF_RET | BPF_A));
  const codes = b.build().map((i) => i.code.toString(16));
  t.same(codes, ['0', '1', '80', '81', '2', '3', '60', '61', '7', '87',
    '4', '14', '24', '34', '94', '54', '44', 'a4', '64', '74', '84', '16']);
  t.equal(b.build()[0]?.k, 0xffffffff, 'k is unsigned');
  t.throws(() => b.st(16), RangeError);
  t.throws(() => b.emit(jump(JEQ, 0, 1, 0)), RangeError, 'raw jumps would bypass label resolution');
  t.throws(() => b.jmpIf(BPF_JMP | BPF_JA, 0, 'x'), RangeError, 'JA is not conditional');
});

tap.test('newLabel is unique', async (t) => {
  const b = new Builder();
  b.label('L.1');
  b.jeq(0, 'L.2');
  const names = [b.newLabel(), b.newLabel(), b.newLabel('kill'), b.newLabel('kill')];
  t.same(names, ['L.3', 'L.4', 'kill.5', 'kill.6'], 'skips names already defined or referenced');
  t.equal(new Set(names).size, names.length);
});

tap.test('label misuse throws ERR_BPF_LABEL naming the label', async (t) => {
  t.throws(() => new Builder().jeq(1, 'nowhere').ret(0).build(), { code: 'ERR_BPF_LABEL', label: 'nowhere', message: /undefined label "nowhere"/ });
  t.throws(() => new Builder().ja('nowhere').ret(0).build(), { code: 'ERR_BPF_LABEL', label: 'nowhere' });
  t.throws(() => new Builder().label('top').ret(0).jeq(1, 'top'), { code: 'ERR_BPF_LABEL', label: 'top', message: /backward jump to label "top"/ });
  t.throws(() => new Builder().label('self').ja('self'), { code: 'ERR_BPF_LABEL', label: 'self' }, 'a jump to itself is a loop');
  t.throws(() => new Builder().label('x').ret(0).label('x'), { code: 'ERR_BPF_LABEL', label: 'x', message: /duplicate label "x"/ });
  t.throws(() => new Builder().jeq(1, 'end').ret(0).label('end').build(), { code: 'ERR_BPF_LABEL', label: 'end', message: /end of the program/ });
  t.throws(() => new Builder().ret(0).jeq(1, NEXT, NEXT).build(), { code: 'ERR_BPF_LABEL', message: /falls through/ });
  t.throws(() => new Builder().jeq(1, ''), TypeError);
});

// ---- trampolines ----

function maxOffset(insns: Insn[]): number {
  return Math.max(0, ...insns.filter((i) => i.code !== JA).flatMap((i) => [i.jt, i.jf]));
}

tap.test('255 fits in a conditional jump, 256 needs a trampoline', async (t) => {
  const program = (gap: number): Insn[] => {
    const b = new Builder();
    b.ldAbs(SECCOMP_DATA_NR).jeq(1, 'far');
    for (let i = 0; i < gap; i++) b.add(0);
    b.ret(0);
    b.label('far').ldAbs(argLow(0)).retA();
    return b.build();
  };
  const fits = program(254);
  t.equal(fits.length, 259);
  t.same(fits[1], jump(JEQ, 1, 255, 0));
  const far = program(255);
  t.equal(far.length, 261, 'one trampoline');
  t.same(far[1], jump(JEQ, 1, 0, 1), 'true branch to the trampoline, false branch past it');
  t.same(far[2], stmt(JA, 258 - 2), 'the trampoline reaches the target, a load: a JA');
  for (const insns of [fits, far]) {
    const p = compile(insns);
    t.equal(p.run({ nr: 1, arch: 0, args: [77n] }), 77);
    t.equal(p.run({ nr: 2, arch: 0, args: [77n] }), 0);
  }
});

tap.test('a jump more than 1000 instructions away keeps its meaning', async (t) => {
  // nr 0..1199 -> ERRNO(nr) through a long chain, nr 5000 -> a check of args[0]
  // at the very end, anything else ALLOW. Every jump to 'allow', 'check' and
  // 'errno_*' from the top of the chain is far.
  const b = new Builder();
  b.ldAbs(SECCOMP_DATA_NR);
  b.jeq(5000, 'check');
  b.jge(1200, 'allow');
  for (let nr = 0; nr < 1200; nr++) b.jeq(nr, nr % 2 ? 'odd' : 'even');
  b.ret(KILL); // unreachable: every nr < 1200 matched above
  b.label('odd').ret(SECCOMP_RET_TRACE | 1);
  b.label('even').ret(SECCOMP_RET_TRACE | 2);
  b.label('check').ldAbs(argLow(0)).jeq(42, 'allow', NEXT).ret(ERRNO1);
  b.label('allow').ret(ALLOW);
  const { insns, labels } = b.assemble();
  validate(insns);
  t.ok(maxOffset(insns) <= 255, 'every jt/jf fits in a u8');
  t.ok((labels.get('check') as number) - 1 > 1000, 'check really is far from the jump at 1');
  const extra = insns.length - b.length;
  t.ok(extra > 0 && extra < 20, `trampolines are shared: ${extra} added for 1202 far branches`);
  t.ok(insns.some((i) => i.code === JA), 'jumps to a non-RET go through JA');

  const p = compile(insns);
  const cases: [SeccompData, number][] = [
    [{ nr: 5000, arch: 0, args: [42n] }, ALLOW],
    [{ nr: 5000, arch: 0, args: [41n] }, ERRNO1],
    [{ nr: 0, arch: 0 }, SECCOMP_RET_TRACE | 2],
    [{ nr: 1, arch: 0 }, SECCOMP_RET_TRACE | 1],
    [{ nr: 600, arch: 0 }, SECCOMP_RET_TRACE | 2],
    [{ nr: 1199, arch: 0 }, SECCOMP_RET_TRACE | 1],
    [{ nr: 1200, arch: 0 }, ALLOW],
    [{ nr: -1, arch: 0 }, ALLOW],
  ];
  for (const [data, want] of cases) {
    t.equal(p.run(data), want >>> 0, `nr ${data.nr}`, { program: disassemble(insns, { labels }) });
  }
  // RET targets are copied rather than jumped to: no extra step on the way.
  t.equal(p.trace({ nr: 1200, arch: 0 }).path.length, 4, 'ld, jeq, jge, ret copy');
});

// Differential check: random programs with far jumps, run through the builder
// and the interpreter, against a direct reading of the same program.

type Op =
  | { op: 'ld'; off: number }
  | { op: 'add'; k: number }
  | { op: 'jeq' | 'jgt' | 'jset'; k: number; jt: Target; jf: Target }
  | { op: 'ja'; to: string }
  | { op: 'ret'; k: number }
  | { op: 'retA' };

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomProgram(rand: () => number): { ops: Op[]; labels: Map<string, number> } {
  const int = (n: number) => Math.floor(rand() * n);
  const n = 300 + int(1500);
  const labels = new Map<string, number>();
  for (let i = 0; i < 4 + int(30); i++) labels.set(`l${i}`, 1 + int(n - 1));
  const ops: Op[] = [];
  const target = (i: number): Target => {
    const ahead = [...labels].filter(([, at]) => at > i).map(([name]) => name);
    return ahead.length && rand() < 0.8 ? (ahead[int(ahead.length)] as string) : NEXT;
  };
  for (let i = 0; i < n - 1; i++) {
    const r = rand();
    if (r < 0.15) ops.push({ op: 'ld', off: 4 * int(16) });
    else if (r < 0.25) ops.push({ op: 'add', k: int(3) });
    else if (r < 0.8) ops.push({ op: (['jeq', 'jgt', 'jset'] as const)[int(3)] ?? 'jeq', k: int(8), jt: target(i), jf: target(i) });
    else if (r < 0.85) {
      const to = target(i);
      ops.push(to === NEXT ? { op: 'add', k: 0 } : { op: 'ja', to });
    } else if (r < 0.95) ops.push({ op: 'ret', k: i });
    else ops.push({ op: 'retA' });
  }
  ops.push({ op: 'retA' });
  return { ops, labels };
}

function buildOps(ops: Op[], labels: Map<string, number>): Builder {
  const at = new Map<number, string[]>();
  for (const [name, i] of labels) at.set(i, [...(at.get(i) ?? []), name]);
  const b = new Builder();
  ops.forEach((o, i) => {
    for (const name of at.get(i) ?? []) b.label(name);
    switch (o.op) {
      case 'ld': b.ldAbs(o.off); break;
      case 'add': b.add(o.k); break;
      case 'jeq': b.jeq(o.k, o.jt, o.jf); break;
      case 'jgt': b.jgt(o.k, o.jt, o.jf); break;
      case 'jset': b.jset(o.k, o.jt, o.jf); break;
      case 'ja': b.ja(o.to); break;
      case 'ret': b.ret(o.k); break;
      case 'retA': b.retA(); break;
    }
  });
  return b;
}

/** What the program means, read straight from the ops: no offsets, no limits. */
function reference(ops: Op[], labels: Map<string, number>, words: number[]): { ret: number; steps: number } {
  let A = 0;
  let steps = 0;
  const go = (i: number, t: Target): number => (t === NEXT ? i + 1 : (labels.get(t) as number));
  for (let i = 0; ;) {
    const o = ops[i] as Op;
    steps++;
    switch (o.op) {
      case 'ld': A = words[o.off / 4] as number; i++; break;
      case 'add': A = (A + o.k) >>> 0; i++; break;
      case 'jeq': i = go(i, A === o.k ? o.jt : o.jf); break;
      case 'jgt': i = go(i, A > o.k ? o.jt : o.jf); break;
      case 'jset': i = go(i, (A & o.k) !== 0 ? o.jt : o.jf); break;
      case 'ja': i = labels.get(o.to) as number; break;
      case 'ret': return { ret: o.k, steps };
      case 'retA': return { ret: A, steps };
    }
  }
}

tap.test('random programs with far jumps behave as written', async (t) => {
  const rand = mulberry32(0x5ecc0);
  let trampolines = 0;
  for (let round = 0; round < 40; round++) {
    const { ops, labels } = randomProgram(rand);
    const b = buildOps(ops, labels);
    const insns = b.build();
    trampolines += insns.length - ops.length;
    t.doesNotThrow(() => validate(insns), `round ${round} validates`);
    const p = compile(insns);
    let bad = 0;
    for (let j = 0; j < 60; j++) {
      const words = Array.from({ length: 16 }, () => Math.floor(rand() * 8));
      const data: SeccompData = {
        nr: words[0] as number,
        arch: words[1] as number,
        ip: BigInt(words[2] as number) | (BigInt(words[3] as number) << 32n),
        args: [0, 1, 2, 3, 4, 5].map((a) => BigInt(words[4 + 2 * a] as number) | (BigInt(words[5 + 2 * a] as number) << 32n)),
      };
      const want = reference(ops, labels, words);
      const got = p.trace(data);
      if (got.ret !== want.ret || got.path.length < want.steps) bad++;
    }
    t.equal(bad, 0, `round ${round}: ${ops.length} ops, ${insns.length} instructions`);
  }
  t.ok(trampolines > 0, `the random programs needed ${trampolines} trampolines`);
});
