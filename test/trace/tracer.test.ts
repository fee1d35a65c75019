// The tracer's state machine driven by scripted status words: no kernel, a
// fake Ops that records every request. Checks the launch phases, the fork /
// exec / group-stop / signal bookkeeping and what a decision turns into.
import t from 'tap';
import type { TrapEntry } from '../../lib/compile/plan.js';
import type { Ruling } from '../../lib/trace/decide/index.js';
import { Tracer, type Ops, type Verdict } from '../../lib/trace/tracer.js';
import { PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_FORK, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP, statusOf } from '../../lib/arch/stop.js';
import { SIGSTOP, SIGTERM } from '../../lib/arch/signal.js';

const ROOT = 100;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const NR = { getppid: 110, execve: 59, openat: 257 } as const;
const SECCOMP = (id: number) => ({ status: statusOf.event(PTRACE_EVENT_SECCOMP), id });
const S = {
  fork: statusOf.event(PTRACE_EVENT_FORK), clone: statusOf.event(PTRACE_EVENT_CLONE), exec: statusOf.event(PTRACE_EVENT_EXEC),
  firstStop: statusOf.event(PTRACE_EVENT_STOP), groupStop: statusOf.event(PTRACE_EVENT_STOP, SIGSTOP), sigterm: statusOf.signal(SIGTERM),
};

interface Script { tid: number; nr: number; retData: number }

function harness(decision: (nr: number) => Ruling, audit = false, overrides: (calls: string[]) => Partial<Ops> = () => ({})) {
  const calls: string[] = [];
  let next: Script | undefined;
  const children = new Map<number, number>([[ROOT, 200], [200, 300]]);
  const ops: Ops = {
    syscallInfo: (tid) => (next && next.tid === tid ? { op: 3, arch: AUDIT_ARCH_X86_64, nr: next.nr, args: [0n, 0n, 0n, 0n, 0n, 0n], retData: next.retData } : undefined),
    eventMsg: (tid) => children.get(tid) ?? tid,
    cont: (tid, sig = 0) => { calls.push(`cont ${tid}${sig ? ` sig ${sig}` : ''}`); return true; },
    listen: (tid) => { calls.push(`listen ${tid}`); return true; },
    deny: (tid, _arch, errno) => { calls.push(`deny ${tid} errno ${errno}`); return true; },
    setArg: (tid, _arch, index, value) => { calls.push(`set ${tid} arg ${index} = ${value}`); return true; },
    kill: (pid, sig) => { calls.push(`kill ${pid} sig ${sig}`); return true; },
    tgid: (tid) => (tid === 101 ? ROOT : tid),
    ppid: () => ROOT,
    exe: (pid) => `/bin/prog${pid}`,
    // No other task is ever held here: test/trace/hold.test.ts covers holding.
    interrupt: (tid) => { calls.push(`interrupt ${tid}`); return false; },
    resumeToExit: (tid) => { calls.push(`resume-to-exit ${tid}`); return true; },
    poll: () => undefined,
    wait: () => undefined,
    state: () => undefined,
    inFork: () => false,
    yield: () => {},
    pause: () => {},
    now: () => 0,
    ...overrides(calls),
  };
  const traps: TrapEntry[] = [{ id: 0, checks: ['files'], then: 'allow', origin: { what: 'files' } }];
  const reports: Verdict[] = [];
  const tracer = new Tracer(ROOT, {
    ops, arch: 'x86_64', auditArch: AUDIT_ARCH_X86_64, traps, audit,
    syscallName: (nr) => Object.entries(NR).find(([, n]) => n === nr)?.[0] ?? '?',
    decide: (trap) => decision(trap.nr),
    report: (v) => reports.push(v),
  });
  const stop = (tid: number, nr: number) => {
    next = { tid, nr, retData: 0 };
    tracer.handle(tid, SECCOMP(0).status);
  };
  return { tracer, calls, reports, stop };
}

const allow: Ruling = { action: 'allow', log: false };
const deny: Ruling = { action: 'deny', errno: 13, rule: { what: 'files.deny' }, reason: 'no' };
const kill: Ruling = { action: 'kill', rule: { what: 'files.deny' }, reason: 'no' };

t.test('stage-2 runs unchecked until its exec; then every stop is decided', async (t) => {
  const h = harness(() => deny);
  h.stop(ROOT, NR.openat);
  t.same(h.calls, ['cont 100'], 'a stage-2 call is allowed without a decision');
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  t.same(h.reports.length, 0, 'nothing reported during the launch');
  h.calls.length = 0;
  h.stop(ROOT, NR.openat);
  t.same(h.calls, ['deny 100 errno 13', 'cont 100'], 'after the exec event, a refusal writes the errno then resumes');
  t.equal(h.reports.length, 1, 'and is reported once');
  t.equal(h.tracer.counts.denied, 1);
});

t.test('kill: reported first, then SIGKILL to the process; the root exit carries the verdict', async (t) => {
  const h = harness(() => kill);
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  h.calls.length = 0;
  h.stop(ROOT, NR.openat);
  t.same(h.calls, ['kill 100 sig 9'], 'no resume: the process dies');
  t.equal(h.reports.length, 1, 'the audit event was reported before the kill');
  h.tracer.handle(ROOT, 9); // killed by SIGKILL
  t.equal(h.tracer.exit?.signal, 9);
  t.equal(h.tracer.exit?.policyKill?.decision.action, 'kill', 'the exit says syscage killed it');
});

t.test('audit mode: refusals are reported and the call resumes untouched', async (t) => {
  const audited: Ruling = { action: 'allow', log: true, rule: { what: 'files.deny' }, reason: 'no', wouldHave: { action: 'deny', errno: 13 } };
  const h = harness(() => audited, true);
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  h.calls.length = 0;
  h.stop(ROOT, NR.openat);
  t.same(h.calls, ['cont 100']);
  t.equal(h.reports.length, 1);
  t.equal(h.tracer.counts.logged, 1);
});

t.test('children, threads, group stops and signals', async (t) => {
  const h = harness(() => allow);
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  h.calls.length = 0;
  h.tracer.handle(ROOT, S.fork);
  t.ok(h.tracer.isTracee(200), 'a forked child is in the sandbox');
  h.tracer.handle(200, S.firstStop);
  h.tracer.handle(200, S.clone); // the child makes a thread 300
  h.tracer.handle(300, S.firstStop);
  h.tracer.handle(200, S.groupStop);
  h.tracer.handle(200, S.sigterm);
  t.same(h.calls, ['cont 100', 'cont 200', 'cont 200', 'cont 300', 'listen 200', 'cont 200 sig 15'],
    'fork event resumed; first stops resumed; group stop LISTENed; a signal is delivered');
  t.ok(h.tracer.isTracee(300), 'threads count as tracees too');
});

t.test('a first stop before the parent\'s event is known by its thread group', async (t) => {
  const h = harness(() => allow);
  h.tracer.handle(101, S.firstStop); // a thread of ROOT, seen before its clone event
  t.ok(h.tracer.isTracee(101));
  h.tracer.handle(101, 0x0000); // the thread exits
  t.equal(h.tracer.exit, undefined, 'a thread exiting is not the root exiting');
  h.tracer.handle(ROOT, 0x0700);
  t.same(h.tracer.exit, { code: 7 }, 'the root\'s exit status');
});

t.test('a trap id outside the table is an internal error (fail closed)', async (t) => {
  const h = harness(() => allow);
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  const ops = h.tracer as unknown as { d: { ops: Ops } };
  ops.d.ops.syscallInfo = () => ({ op: 3, arch: AUDIT_ARCH_X86_64, nr: NR.openat, args: [], retData: 99 });
  t.throws(() => h.tracer.handle(ROOT, statusOf.event(PTRACE_EVENT_SECCOMP)), /not in the trap table/);
});

t.test('a quiet refusal (clone3\'s ENOSYS): refused without a report, in audit mode too', async (t) => {
  const quietly: Ruling = { action: 'deny', errno: 38, quiet: true, rule: { what: 'built-in' }, reason: 'clone3 of a thread' };
  for (const audit of [false, true]) {
    const h = harness(() => quietly, audit);
    h.stop(ROOT, NR.execve);
    h.tracer.handle(ROOT, S.exec);
    h.calls.length = 0;
    h.stop(ROOT, NR.openat);
    t.same(h.calls, ['deny 100 errno 38', 'cont 100'], `audit ${audit}: refused`);
    t.equal(h.reports.length, 0, `audit ${audit}: not reported`);
  }
});

t.test('a call asleep on its way to its exit stop is not interrupted by the next hold (two threads, the two ends of a FIFO)', async (t) => {
  const READER = 101; // a thread of ROOT (tgid)
  const waiting: { pid: number; status: number }[] = []; // statuses the kernel has for us, in order
  const state = new Map<number, string>();
  let clock = 0;
  const h = harness(() => allow, false, (calls) => ({
    interrupt: (tid) => {
      calls.push(`interrupt ${tid}`);
      waiting.push({ pid: tid, status: S.firstStop }); // PTRACE_EVENT_STOP
      return true;
    },
    resumeToExit: (tid) => {
      calls.push(`resume-to-exit ${tid}`);
      // The writer's open wakes the reader: both calls end, the reader's first.
      if (tid === ROOT) waiting.push({ pid: READER, status: statusOf.syscall() }, { pid: ROOT, status: statusOf.syscall() });
      return true;
    },
    poll: (tid) => {
      const i = waiting.findIndex((w) => tid === -1 || w.pid === tid);
      return i < 0 ? 'none' : waiting.splice(i, 1)[0]!;
    },
    state: (tid) => state.get(tid),
    now: () => clock,
  }));
  h.stop(ROOT, NR.execve);
  h.tracer.handle(ROOT, S.exec);
  h.tracer.handle(READER, S.firstStop);
  h.calls.length = 0;

  // The reader opens: the writer is held, the open runs alone and sleeps (no writer yet).
  state.set(READER, 'S');
  h.stop(READER, NR.openat);
  t.same(h.calls, ['interrupt 100', 'resume-to-exit 101', 'cont 100'], 'the reader\'s open ran alone, then went to sleep: the hold ended');
  h.calls.length = 0;

  // The writer opens: the sleeping reader is on its way to its exit stop, held without an interrupt.
  h.stop(ROOT, NR.openat);
  t.notOk(h.calls.includes('interrupt 101'), 'the sleeping reader is not interrupted (its open would begin again, and interrupt the writer\'s...)', { calls: h.calls });
  t.same(h.calls, ['resume-to-exit 100', 'cont 100'], 'the writer\'s open ran alone; the reader\'s exit stop is kept while the hold lasts');
  h.calls.length = 0;
  clock = 1000; // the hold's owner has made no checked call for long: it ends
  h.tracer.next();
  t.same(h.calls, ['cont 101'], 'at the release, the reader goes on from its exit stop');
});
