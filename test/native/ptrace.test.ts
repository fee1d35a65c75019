// The register writes that refuse a syscall, per arch (pure data, so the
// aarch64 path is tested here on x86_64; it runs for real under the arm64
// emulator). The wait-status decoding: test/arch/stop.test.ts.
import t from 'tap';
import { ptrace } from '../../lib/native/index.js';

t.test('x86_64: orig_rax = -1 skips the call, rax = -errno is its result', async (t) => {
  const steps = ptrace.denySteps('x86_64', 13);
  t.same(steps, [
    { op: 'pokeuser', offset: 120, value: 0xffffffffffffffffn },
    { op: 'pokeuser', offset: 80, value: 0xfffffffffffffff3n },
  ]);
});

t.test('aarch64: NT_ARM_SYSTEM_CALL = -1, then x0 = -errno', async (t) => {
  const steps = ptrace.denySteps('aarch64', 1);
  t.equal(steps.length, 2);
  const [skip, x0] = steps;
  t.same(skip?.op === 'setregset' && [skip.note, skip.bytes.readInt32LE(0), skip.bytes.length], [0x404, -1, 4], 'the syscall number register set to -1');
  t.same(x0, { op: 'x0', value: 0xffffffffffffffffn }, 'x0 (argument 0 and the return value) = -EPERM, written after the skip');
  t.equal(ptrace.AARCH64_USER_PT_REGS_SIZE, 272, 'struct user_pt_regs: x0..x30, sp, pc, pstate');
});

t.test('setting a syscall argument: the argument registers of each arch', async (t) => {
  // x86_64 (arch/x86/include/asm/user_64.h): rdi @112, rsi @104, rdx @96, r10 @56, r8 @72, r9 @64.
  t.same([0, 1, 2, 3, 4, 5].map((i) => ptrace.argStep('x86_64', i, 1n)), [112, 104, 96, 56, 72, 64].map((offset) => ({ op: 'pokeuser', offset, value: 1n })));
  // aarch64: x0..x5, in struct user_pt_regs at 8 * i.
  t.same([0, 1, 2, 3, 4, 5].map((i) => ptrace.argStep('aarch64', i, -1n)), [0, 1, 2, 3, 4, 5].map((index) => ({ op: 'x', index, value: 0xffffffffffffffffn })));
  t.throws(() => ptrace.argStep('x86_64', 6, 0n), RangeError, 'there are six');
});
