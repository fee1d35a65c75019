// io_uring under a profile that does not name it: refused, as every protected syscall is (its
// operations pass no filter). Its setup — the probe Node.js 26's libuv makes at every start — is
// answered ENOSYS in the kernel and not reported, so that no Node function starts with a violation;
// io_uring_enter, which only a program holding a ring makes, is refused and reported. A profile
// that names io_uring_setup gets what it says (test/run/forbidden.test.ts has no io_uring row: its
// table is of refusals reported with the profile's errno).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events, needsPython, PY, readLog, syscage } from './fixtures/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-uring-'));
const profile = (name: string, extra = ''): string => {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, `version: 1\nname: ${name}\ndefault: allow\n${extra}`);
  return p;
};
// io_uring_setup is 425 and io_uring_enter 426 on x86_64 and aarch64 alike (asm-generic numbering).
const PROBE = 'import ctypes,sys; c=ctypes.CDLL(None, use_errno=True); n=int(sys.argv[1]); r=c.syscall(n, 1, ctypes.create_string_buffer(120), 0, 0, 0); print(r, ctypes.get_errno())';

async function run(p: string, nr: number) {
  const log = join(dir, `${Math.random()}.log`);
  const r = await syscage(['run', '--profile', p, '--log', log, '--', ...PY, '-c', PROBE, String(nr)]);
  return { r, evs: events(readLog(log)) as { syscall: string; errno?: string }[] };
}

t.test('an unnamed io_uring_setup: ENOSYS from the kernel, no event', needsPython, async (t) => {
  const { r, evs } = await run(profile('plain'), 425);
  t.equal(r.status, 0, 'ran', { stderr: r.stderr });
  t.equal(r.stdout.trim(), '-1 38', 'the program sees ENOSYS, as on a kernel without io_uring');
  t.same(evs.filter((e) => e.syscall === 'io_uring_setup'), [], 'and nothing is reported');
});

t.test('an unnamed io_uring_enter: refused and reported', needsPython, async (t) => {
  const { r, evs } = await run(profile('plain2'), 426);
  t.equal(r.status, 0, 'ran', { stderr: r.stderr });
  t.equal(r.stdout.trim(), '-1 1', 'refused with the profile\'s errno (EPERM)');
  t.match(evs.filter((e) => e.syscall === 'io_uring_enter'), [{ errno: 'EPERM' }], 'reported once');
});

t.test('a profile that names io_uring_setup gets what it says: denied and reported', needsPython, async (t) => {
  const { r, evs } = await run(profile('named', 'syscalls:\n  deny: [io_uring_setup]\n'), 425);
  t.equal(r.status, 0, 'ran', { stderr: r.stderr });
  t.equal(r.stdout.trim(), '-1 1', 'EPERM, the profile\'s errno');
  t.match(evs.filter((e) => e.syscall === 'io_uring_setup'), [{ errno: 'EPERM' }], 'reported once');
});

t.test('naming io_uring_setup in syscalls.allow lifts the protection: the ring is set up', needsPython, async (t) => {
  const { r, evs } = await run(profile('allowed', 'syscalls:\n  allow: [io_uring_setup]\n'), 425);
  t.equal(r.status, 0, 'ran', { stderr: r.stderr });
  t.match(r.stdout.trim(), /^\d+ 0$/, 'io_uring_setup returned a ring fd');
  t.same(evs, [], 'nothing reported');
});
