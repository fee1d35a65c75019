// clone3: its flags are in memory, out of the filter's reach, so it always answers ENOSYS (libc
// then uses clone, whose flags the filter checks). The supervisor reads the flags only to report
// what clone would be refused for: an untraced child, a new process under process.fork: false.
// A thread's clone3 — glibc's fallback path, every pthread_create — is refused quietly.
import t from 'tap';
import { decide } from '../../../lib/trace/decide/index.js';
import { fixture, makeTrap, PROFILE, profileFrom } from './fixtures/fake.js';

const ENOSYS = 38;
const CLONE_VM = 0x100n;
const CLONE_THREAD = 0x10000n;
const CLONE_UNTRACED = 0x800000n;
const SIGCHLD = 17n;
const profile = profileFrom(PROFILE);
const noFork = profileFrom(PROFILE.replace('  signal: tree', '  fork: false\n  signal: tree'));
const entry = { checks: ['clone3' as const], then: 'allow' as const };

function clone3(flags: bigint, fork?: boolean) {
  const { view, ctx } = fixture(fork === false ? noFork : profile);
  const args = Buffer.alloc(88); // struct clone_args, CLONE_ARGS_SIZE_VER2
  args.writeBigUInt64LE(flags, 0);
  const at = view.map(args);
  return decide(makeTrap('clone3', [at, 88], { entry }), ctx);
}

t.test('a thread: ENOSYS, quietly (not a violation)', async (t) => {
  const d = clone3(CLONE_VM | CLONE_THREAD | 0xf00n);
  t.match(d, { action: 'deny', errno: ENOSYS, quiet: true });
});

t.test('a process where the profile allows processes: ENOSYS, quietly (libc retries with clone)', async (t) => {
  t.match(clone3(SIGCHLD), { action: 'deny', errno: ENOSYS, quiet: true });
  t.match(clone3(SIGCHLD, true), { action: 'deny', errno: ENOSYS, quiet: true });
});

t.test('CLONE_UNTRACED: ENOSYS, reported', async (t) => {
  const d = clone3(SIGCHLD | CLONE_UNTRACED);
  t.match(d, { action: 'deny', errno: ENOSYS, reason: /CLONE_UNTRACED/ });
  t.notOk('quiet' in d && d.quiet, 'reported');
  t.match(clone3(CLONE_VM | CLONE_THREAD | CLONE_UNTRACED), { action: 'deny', reason: /CLONE_UNTRACED/ }, 'a thread too');
});

t.test('a process under process.fork: false: ENOSYS, reported by process.fork', async (t) => {
  const d = clone3(SIGCHLD, false);
  t.match(d, { action: 'deny', errno: ENOSYS, rule: { what: 'process.fork' }, reason: /process\.fork: false/ });
  t.notOk('quiet' in d && d.quiet, 'reported');
  t.match(clone3(CLONE_VM | CLONE_THREAD, false), { quiet: true }, 'a thread is still fine');
});

t.test('unreadable arguments: ENOSYS, quietly', async (t) => {
  const { ctx } = fixture(profile);
  t.match(decide(makeTrap('clone3', [0xdead0000, 88], { entry }), ctx), { action: 'deny', errno: ENOSYS, quiet: true });
});
