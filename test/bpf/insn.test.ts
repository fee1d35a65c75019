import t from 'tap';
import {
  BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_DATA_ARCH, SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS, decode, encode, jump, stmt, u32, type Insn,
} from '../../lib/bpf/index.js';

// The classic arch check, as the C macros would write it:
//   BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4)
//   BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0)
//   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
//   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
const program: Insn[] = [
  stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
  jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 0),
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
];
// struct sock_filter, little-endian: u16 code, u8 jt, u8 jf, u32 k.
const bytes = Buffer.from([
  0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
  0x15, 0x00, 0x01, 0x00, 0x3e, 0x00, 0x00, 0xc0,
  0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
  0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f,
]);

t.test('encode matches hand-assembled bytes', async (t) => {
  t.same(encode(program), bytes);
});

t.test('decode inverts encode', async (t) => {
  t.same(decode(bytes), program);
  const all: Insn[] = [
    { code: 0xffff, jt: 255, jf: 0, k: 0xffffffff },
    { code: 0, jt: 0, jf: 255, k: 0 },
    { code: 0x1234, jt: 7, jf: 9, k: 0x80000001 },
  ];
  t.same(decode(encode(all)), all);
  // A view into a larger buffer decodes from its own offset.
  const padded = Buffer.concat([Buffer.alloc(3, 0xaa), bytes]);
  t.same(decode(padded.subarray(3)), program);
});

t.test('decode refuses a partial instruction', async (t) => {
  t.throws(() => decode(Buffer.alloc(12)), { code: 'ERR_BPF_DECODE' });
  t.same(decode(Buffer.alloc(0)), []);
});

t.test('stmt/jump normalize k to u32 and check field ranges', async (t) => {
  t.equal(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS | 5).k, 0x80000005, 'JS bitwise results wrap to unsigned');
  t.equal(jump(BPF_JMP | BPF_JEQ | BPF_K, -1, 0, 0).k, 0xffffffff, 'nr -1');
  t.equal(u32(0xffffffff), 0xffffffff);
  t.throws(() => u32(2 ** 32), RangeError);
  t.throws(() => u32(-(2 ** 31) - 1), RangeError);
  t.throws(() => u32(1.5), RangeError);
  t.throws(() => jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 256, 0), RangeError);
  t.throws(() => stmt(0x10000), RangeError);
  t.throws(() => encode([{ code: 6, jt: 0, jf: 0, k: -1 }]), RangeError, 'encode wants k already unsigned');
});
