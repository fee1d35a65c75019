import tap from 'tap';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_B, BPF_H, BPF_IND, BPF_JEQ, BPF_LD, BPF_LDX, BPF_MSH, BPF_RET, BPF_W, BPF_X,
  Builder, NEXT, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_TRACE, argHigh, disassemble, formatInsn, stmt,
} from '../../lib/bpf/index.js';

const names: Record<number, string> = { 0: 'read', 1: 'write', 2: 'open', 257: 'openat', [-1]: 'skipped' };
const syscallName = (nr: number): string | undefined => names[nr];

tap.test('a seccomp filter reads like one', async (t) => {
  const b = new Builder();
  b.ldAbs(SECCOMP_DATA_ARCH).jeq(0xc000003e, NEXT, 'kill');
  b.ldAbs(SECCOMP_DATA_NR).jeq(-1, 'allow').jeq(257, NEXT, 'errno');
  b.ldAbs(argHigh(2)).jset(0x80000000, 'errno', 'allow');
  b.label('errno').ret(SECCOMP_RET_ERRNO | 1);
  b.label('allow').ret(SECCOMP_RET_ALLOW);
  b.label('kill').ret(SECCOMP_RET_KILL_PROCESS);
  const { insns, labels } = b.assemble();
  t.equal(
    disassemble(insns, { syscallName }),
    [
      '  0000: ld  [4] ; arch',
      '  0001: jeq #0xc000003e -> 0002 : 0009',
      '  0002: ld  [0] ; nr',
      '  0003: jeq #0xffffffff ; skipped -> 0008 : 0004',
      '  0004: jeq #257 ; openat -> 0005 : 0007',
      '  0005: ld  [36] ; args[2].hi',
      '  0006: jset #0x80000000 -> 0007 : 0008',
      '  0007: ret ERRNO(1)',
      '  0008: ret ALLOW',
      '  0009: ret KILL_PROCESS',
      '',
    ].join('\n'),
  );
  t.equal(
    disassemble(insns.slice(7), { labels: new Map([['errno', 0], ['allow', 1], ['also_allow', 1], ['end', 3]]) }),
    ['errno:', '  0000: ret ERRNO(1)', 'allow:', 'also_allow:', '  0001: ret ALLOW', '  0002: ret KILL_PROCESS', 'end:', ''].join('\n'),
  );
  t.match(disassemble(insns, { labels }), /^kill:\n {2}0009: ret KILL_PROCESS\n$/m);
});

tap.test('syscall names only where A surely holds nr', async (t) => {
  const b = new Builder();
  b.ldAbs(SECCOMP_DATA_NR).jeq(1, 'one', NEXT);
  b.and(0xff).jeq(2, 'join'); // A was changed: no name
  b.ja('join');
  b.label('one').jeq(1, 'join', 'join'); // A is still nr: named
  b.label('join').jeq(0, 'end'); // paths disagree: no name
  b.label('end').ldAbs(SECCOMP_DATA_NR).jgt(257, 'x').jge(2, 'x').jset(1, 'x'); // no name on jset
  b.label('x').ret(SECCOMP_RET_TRACE | 3);
  t.equal(
    disassemble(b.build(), { syscallName }),
    [
      '  0000: ld  [0] ; nr',
      '  0001: jeq #1 ; write -> 0005 : 0002',
      '  0002: and #255',
      '  0003: jeq #2 -> 0006 : 0004',
      '  0004: ja  -> 0006',
      '  0005: jeq #1 ; write -> 0006 : 0006',
      '  0006: jeq #0 -> 0007 : 0007',
      '  0007: ld  [0] ; nr',
      '  0008: jgt #257 ; openat -> 0011 : 0009',
      '  0009: jge #2 ; open -> 0011 : 0010',
      '  0010: jset #1 -> 0011 : 0011',
      '  0011: ret TRACE(3)',
      '',
    ].join('\n'),
  );
});

tap.test('every instruction form prints, even ones seccomp refuses', async (t) => {
  const b = new Builder();
  b.ldImm(7).ldxImm(0x12345).ldLen().ldxLen().st(1).stx(2).ldMem(1).ldxMem(2).tax().txa();
  b.add(1).sub(2).mul(3).div(4).mod(5).and(6).or(7).xor(8).lsh(9).rsh(10).neg().aluX(BPF_ADD);
  b.jmpX(BPF_JEQ, NEXT, NEXT).retA();
  const text = disassemble([
    ...b.build(),
    stmt(BPF_LD | BPF_W | BPF_ABS, 66),
    stmt(BPF_LD | BPF_H | BPF_ABS, 12),
    stmt(BPF_LD | BPF_B | BPF_IND, 3),
    stmt(BPF_LDX | BPF_B | BPF_MSH, 14),
    stmt(BPF_RET | BPF_X),
    stmt(BPF_ALU | 0xf0),
    stmt(0xffff, 0xabc),
  ]);
  t.equal(
    text,
    `  0000: ld  #7
  0001: ldx #0x12345
  0002: ld  #len
  0003: ldx #len
  0004: st  M[1]
  0005: stx M[2]
  0006: ld  M[1]
  0007: ldx M[2]
  0008: tax
  0009: txa
  0010: add #1
  0011: sub #2
  0012: mul #3
  0013: div #4
  0014: mod #5
  0015: and #6
  0016: or  #7
  0017: xor #8
  0018: lsh #9
  0019: rsh #10
  0020: neg
  0021: add x
  0022: jeq x -> 0023 : 0023
  0023: ret A
  0024: ld  [66]
  0025: ldh [12]
  0026: ldb [x + 3]
  0027: ldxb 4*([14]&0xf)
  0028: ret X
  0029: ??? code=0x00f4 jt=0 jf=0 k=0x0
  0030: ??? code=0xffff jt=0 jf=0 k=0xabc
`,
  );
  t.equal(formatInsn(stmt(BPF_ALU | BPF_ADD | BPF_X), 0), 'add x');
});
