// The signal check: the supervisor (pid, threads, process group) is never a
// target; process.signal tree allows only traced targets, any allows the rest.
import t from 'tap';
import { decide } from '../../../lib/trace/decide/index.js';
import type { DecideContext } from '../../../lib/trace/decide/index.js';
import { expectDecision, type Want } from './fixtures/expect.js';
import { fixture, lineOf, makeTrap, PROFILE, profileFrom, SUPERVISOR, SUPERVISOR_THREAD, type Arg } from './fixtures/fake.js';

const EACCES = 13;
const ESRCH = 3;
const EBADF = 9;
const EINVAL = 22;
const tree = profileFrom(PROFILE);
const any = profileFrom(PROFILE.replace('signal: tree', 'signal: any'));

// pidfds of the tracee: 5 → a tracee, 6 → the supervisor, 7 → an outsider, 8 → exited, 9 → another pid namespace.
const PIDFDS = new Map([[5, 1300], [6, SUPERVISOR], [7, 999], [8, -1], [9, 0]]);
const pidOfPidfd = (fd: number) => PIDFDS.get(fd) ?? { fault: 'not a pidfd' };

const ok = (target: number, sig: number): Want & { target: number; sig: number } => ({ action: 'allow', target, sig });
const supervisor = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'built-in', text: 'the supervisor is never a signal target', reason });
const outside = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'process.signal', text: 'tree', line: lineOf(PROFILE, 'signal: tree'), reason });
const broken = (errno: number, reason?: RegExp): Want => ({ action: 'deny', errno, reason });

interface Row { name: string; syscall: string; args: readonly Arg[]; want: Want & { target?: number; sig?: number }; ctx?: Partial<DecideContext> }

function run(profileName: string, profile: typeof tree, rows: readonly Row[]) {
  for (const r of rows) {
    t.test(`${profileName}: ${r.syscall}: ${r.name}`, async (t) => {
      const { ctx } = fixture(profile, {}, { pidOfPidfd, ...r.ctx });
      const d = decide(makeTrap(r.syscall, r.args), ctx);
      expectDecision(t, d, r.want);
      if (r.want.target !== undefined) t.same(d.detail?.signal, { target: r.want.target, sig: r.want.sig });
    });
  }
}

run('tree', tree, [
  { name: 'a tracee', syscall: 'kill', args: [1300, 15], want: ok(1300, 15) },
  { name: 'a tracee by the tid of one of its threads', syscall: 'kill', args: [1236, 15], want: ok(1236, 15) },
  { name: 'the supervisor', syscall: 'kill', args: [SUPERVISOR, 9], want: supervisor(/kill: signal 9 to pid 500: the supervisor is never a signal target/) },
  { name: 'a thread of the supervisor (kill signals its whole process)', syscall: 'kill', args: [SUPERVISOR_THREAD, 9], want: supervisor() },
  { name: 'the supervisor with garbage in the high half of the register', syscall: 'kill', args: [0xdeadbeef_00000000n | BigInt(SUPERVISOR), 9], want: supervisor() },
  { name: 'a tracee with garbage in the high half', syscall: 'kill', args: [0x1_00000000n + 1300n, 15], want: ok(1300, 15) },
  { name: 'a process outside the sandbox', syscall: 'kill', args: [999, 15], want: outside(/kill: signal 15 to pid 999: not a process of the sandbox/) },
  { name: 'signal 0 probes follow the same rules', syscall: 'kill', args: [999, 0], want: outside() },
  { name: 'signal 0 to a tracee', syscall: 'kill', args: [1300, 0], want: ok(1300, 0) },
  { name: 'kill(0): the caller\'s own group', syscall: 'kill', args: [0, 15], want: ok(0, 15) },
  { name: 'kill(0) in the supervisor\'s group', syscall: 'kill', args: [0, 15], ctx: { callerPgid: 500 }, want: supervisor(/its own process group 500, which is the supervisor's/) },
  { name: 'kill(0) with the group read lazily', syscall: 'kill', args: [0, 15], ctx: { callerPgid: () => 500 }, want: supervisor() },
  { name: 'kill(0) when the caller\'s group cannot be read', syscall: 'kill', args: [0, 15], ctx: { callerPgid: () => ({ fault: 'ESRCH' }) }, want: supervisor(/cannot tell/) },
  { name: 'kill(0) without callerPgid', syscall: 'kill', args: [0, 15], ctx: { callerPgid: undefined }, want: supervisor(/cannot tell/) },
  { name: 'kill(-1): everyone', syscall: 'kill', args: [-1, 9], want: outside(/every process \(-1\)/) },
  { name: 'kill(-1) as 0xffffffff in the register', syscall: 'kill', args: [0xffffffffn, 9], want: outside(/every process/) },
  { name: 'a group led by a tracee', syscall: 'kill', args: [-1300, 15], want: ok(-1300, 15) },
  { name: 'a group led by an outsider', syscall: 'kill', args: [-999, 15], want: outside(/process group 999/) },
  { name: 'the supervisor\'s group', syscall: 'kill', args: [-500, 15], want: supervisor(/process group 500, the supervisor's/) },
  { name: 'tkill a tracee thread', syscall: 'tkill', args: [1236, 6], want: ok(1236, 6) },
  { name: 'tkill a supervisor thread', syscall: 'tkill', args: [SUPERVISOR_THREAD, 9], want: supervisor(/thread 503/) },
  { name: 'tkill an outsider', syscall: 'tkill', args: [999, 9], want: outside() },
  { name: 'tkill(0)', syscall: 'tkill', args: [0, 9], want: broken(EINVAL, /not a thread id/) },
  { name: 'tgkill a thread of the caller (raise)', syscall: 'tgkill', args: [1234, 1236, 6], want: ok(1236, 6) },
  { name: 'tgkill a supervisor thread', syscall: 'tgkill', args: [SUPERVISOR, SUPERVISOR_THREAD, 9], want: supervisor(/thread 503 of process 500/) },
  { name: 'tgkill any tid of the supervisor\'s group', syscall: 'tgkill', args: [SUPERVISOR, 777, 9], want: supervisor() },
  { name: 'tgkill a supervisor thread named under another tgid', syscall: 'tgkill', args: [1234, SUPERVISOR_THREAD, 9], want: supervisor() },
  { name: 'tgkill an outsider', syscall: 'tgkill', args: [999, 1000, 9], want: outside() },
  { name: 'tgkill a negative tgid', syscall: 'tgkill', args: [-1, 5, 9], want: broken(EINVAL) },
  { name: 'rt_sigqueueinfo a tracee', syscall: 'rt_sigqueueinfo', args: [1300, 10, 0x1000], want: ok(1300, 10) },
  { name: 'rt_sigqueueinfo the supervisor', syscall: 'rt_sigqueueinfo', args: [SUPERVISOR, 10, 0x1000], want: supervisor() },
  { name: 'rt_sigqueueinfo pid 0 (ESRCH: one process only)', syscall: 'rt_sigqueueinfo', args: [0, 10, 0x1000], want: broken(ESRCH) },
  { name: 'rt_tgsigqueueinfo a tracee thread', syscall: 'rt_tgsigqueueinfo', args: [1234, 1236, 10, 0x1000], want: ok(1236, 10) },
  { name: 'rt_tgsigqueueinfo the supervisor', syscall: 'rt_tgsigqueueinfo', args: [SUPERVISOR, SUPERVISOR, 10, 0x1000], want: supervisor() },
  { name: 'pidfd of a tracee', syscall: 'pidfd_send_signal', args: [5, 15, 0, 0], want: ok(1300, 15) },
  { name: 'pidfd of the supervisor', syscall: 'pidfd_send_signal', args: [6, 9, 0, 0], want: supervisor() },
  { name: 'pidfd of an outsider', syscall: 'pidfd_send_signal', args: [7, 9, 0, 0], want: outside() },
  { name: 'pidfd of an exited process', syscall: 'pidfd_send_signal', args: [8, 9, 0, 0], want: broken(ESRCH, /exited/) },
  { name: 'pidfd from another pid namespace', syscall: 'pidfd_send_signal', args: [9, 9, 0, 0], want: { action: 'deny', errno: EACCES, reason: /pid namespace/ } },
  { name: 'not a pidfd', syscall: 'pidfd_send_signal', args: [3, 9, 0, 0], want: broken(EBADF, /not a pidfd/) },
  { name: 'pidfd PIDFD_SIGNAL_PROCESS_GROUP', syscall: 'pidfd_send_signal', args: [5, 9, 0, 4], want: { action: 'deny', errno: EACCES, reason: /PIDFD_SIGNAL_PROCESS_GROUP/ } },
]);

run('any', any, [
  { name: 'a process outside the sandbox', syscall: 'kill', args: [999, 15], want: ok(999, 15) },
  { name: 'the supervisor, still', syscall: 'kill', args: [SUPERVISOR, 9], want: supervisor() },
  { name: 'a thread of the supervisor, still', syscall: 'tkill', args: [SUPERVISOR_THREAD, 9], want: supervisor() },
  { name: 'kill(-1) reaches the supervisor', syscall: 'kill', args: [-1, 9], want: supervisor(/the supervisor included/) },
  { name: 'any group but the supervisor\'s', syscall: 'kill', args: [-999, 15], want: ok(-999, 15) },
  { name: 'the supervisor\'s group', syscall: 'kill', args: [-SUPERVISOR, 15], want: supervisor() },
  { name: 'kill(0) in the supervisor\'s group', syscall: 'kill', args: [0, 15], ctx: { callerPgid: 500 }, want: supervisor() },
  { name: 'tgkill the supervisor', syscall: 'tgkill', args: [SUPERVISOR, SUPERVISOR_THREAD, 9], want: supervisor() },
  { name: 'pidfd of an outsider', syscall: 'pidfd_send_signal', args: [7, 9, 0, 0], want: ok(999, 9) },
  { name: 'pidfd of the supervisor', syscall: 'pidfd_send_signal', args: [6, 9, 0, 0], want: supervisor() },
]);

t.test('a pidOfPidfd that answers nothing fails closed', async (t) => {
  const { ctx } = fixture(any, {}, { pidOfPidfd: (() => undefined) as unknown as (fd: number) => number });
  expectDecision(t, decide(makeTrap('pidfd_send_signal', [5, 9, 0, 0]), ctx), broken(EBADF, /not a pidfd \(unknown\)/));
});

t.test('without a process section the scope is tree, and the rule says it is the default', async (t) => {
  const { ctx } = fixture(profileFrom('version: 1\n'), {}, { pidOfPidfd });
  const d = decide(makeTrap('kill', [999, 9]), ctx);
  expectDecision(t, d, { action: 'deny', errno: 1, what: 'process.signal', text: 'tree (default)' });
  t.equal(d.rule?.loc, undefined);
});

t.test('isSupervisorThread defaults to the supervisor pid alone', async (t) => {
  const { ctx } = fixture(any, {}, { pidOfPidfd, isSupervisorThread: undefined });
  expectDecision(t, decide(makeTrap('kill', [SUPERVISOR, 9]), ctx), supervisor());
  expectDecision(t, decide(makeTrap('kill', [SUPERVISOR_THREAD, 9]), ctx), ok(SUPERVISOR_THREAD, 9));
});

t.test('a logged signal names process.signal', async (t) => {
  const { ctx } = fixture(tree, {}, { pidOfPidfd });
  const d = decide(makeTrap('kill', [1300, 15], { entry: { then: 'log' } }), ctx);
  expectDecision(t, d, { action: 'allow', log: true, what: 'process.signal', text: 'tree' });
});
