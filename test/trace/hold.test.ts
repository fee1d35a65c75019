// Holding the sandbox still around a checked call (lib/trace/hold.ts, and the
// tracer's use of it), driven by scripted status words: which tasks are
// stopped, that the decision is taken only once they all are, that an allowed
// call runs alone to its exit stop, and that the held stops are then handled
// as if they had just arrived. The real-kernel side (a thread racing the path
// buffer, a symlink flipped in a loop) is in test/escapes/.
import t from 'tap';
import type { TrapEntry } from '../../lib/compile/plan.js';
import type { Ruling } from '../../lib/trace/decide/index.js';
import { hold, Hold, runAlone, HOLD_IDLE_MS, HOLD_MAX_MS, HOLD_TIMEOUT_MS, type HoldOps } from '../../lib/trace/hold.js';
import { Tracer, type Ops } from '../../lib/trace/tracer.js';
import { PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP, PTRACE_EVENT_VFORK, statusOf } from '../../lib/arch/stop.js';

const ROOT = 100;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const NR = { execve: 59, openat: 257, kill: 62, sendmmsg: 307 } as const;
const SECCOMP_STOP = statusOf.event(PTRACE_EVENT_SECCOMP);
const EXEC_STOP = statusOf.event(PTRACE_EVENT_EXEC);
const VFORK_STOP = statusOf.event(PTRACE_EVENT_VFORK);
const INTERRUPT_STOP = statusOf.event(PTRACE_EVENT_STOP); // with SIGTRAP
const SYSCALL_EXIT_STOP = statusOf.syscall();
const EXIT_0 = 0;

type Poll = ReturnType<HoldOps['poll']> | 'gone';

/** Scripted kernel: `polls` per tid (or -1) answered in order, then 'none'. */
function kernel(script: { polls?: Record<number, Poll[]>; states?: Record<number, string>; forking?: number[] } = {}) {
  const calls: string[] = [];
  const polls = new Map(Object.entries(script.polls ?? {}).map(([k, v]) => [Number(k), [...v]]));
  let time = 0;
  const ops: HoldOps & Pick<Ops, 'wait'> = {
    interrupt: (tid) => { calls.push(`interrupt ${tid}`); return true; },
    resumeToExit: (tid) => { calls.push(`resume-to-exit ${tid}`); return true; },
    wait: () => undefined,
    poll: (tid) => {
      const p = polls.get(tid)?.shift() ?? 'none';
      return p === 'gone' ? undefined : p;
    },
    state: (tid) => script.states?.[tid],
    inFork: (tid) => script.forking?.includes(tid) ?? false,
    yield: () => {},
    pause: (ms) => { time += ms; },
    now: () => time,
  };
  return { ops, calls, advance: (ms: number) => { time += ms; }, setState: (tid: number, st: string) => { (script.states ??= {})[tid] = st; } };
}

t.test('hold: every other task is interrupted and seen stopped; what they reported is kept', async (t) => {
  const k = kernel({ polls: { 101: ['none', { pid: 101, status: INTERRUPT_STOP }], 102: [{ pid: 102, status: SECCOMP_STOP }] } });
  const h = hold(k.ops, [101, 102]);
  t.same(k.calls, ['interrupt 101', 'interrupt 102']);
  t.same(h.stragglers, []);
  t.same(h.taken.map(([tid]) => tid).sort(), [101, 102], 'both stops taken, including a seccomp stop that was already queued');
});

t.test('hold: a task already gone is not waited for; one that never stops is a straggler', async (t) => {
  const k = kernel({ polls: { 102: ['gone'] } });
  const ops = { ...k.ops, interrupt: (tid: number) => tid !== 101 };
  const h = hold(ops, [101, 102, 103]);
  t.same(h.stragglers, [103], 'task 103 never stopped: reported after the timeout');
  t.ok(k.ops.now() > HOLD_TIMEOUT_MS, 'and only after the timeout');
});

t.test('runAlone: resumes to the exit stop and returns once the caller reports', async (t) => {
  const k = kernel({ polls: { [-1]: ['none', { pid: 200, status: EXIT_0 }, { pid: 101, status: SYSCALL_EXIT_STOP }] } });
  const taken = runAlone(k.ops, 101, () => false);
  t.same(k.calls, ['resume-to-exit 101']);
  t.same(taken, [[200, EXIT_0], [101, SYSCALL_EXIT_STOP]], 'other statuses taken meanwhile are kept, in order');
});

t.test('runAlone: a caller sleeping interruptibly (FIFO, connect) ends the wait; a busy one does not', async (t) => {
  const sleeping = kernel({ states: { 101: 'S' } });
  t.same(runAlone(sleeping.ops, 101, () => false), [], 'state S: released without its exit stop');
  const k = kernel({ states: { 101: 'D' }, polls: { [-1]: Array(300).fill('none').concat([{ pid: 101, status: SYSCALL_EXIT_STOP }]) } });
  t.same(runAlone(k.ops, 101, () => false), [[101, SYSCALL_EXIT_STOP]], 'state D: waited for to the end');
});

t.test('runAlone: the exec of a non-leader thread is reported by its leader', async (t) => {
  const k = kernel({ polls: { [-1]: [{ pid: 100, status: EXEC_STOP }] } });
  t.same(runAlone(k.ops, 101, (other) => other === 100), [[100, EXEC_STOP]]);
});

// ---- the tracer around it ----

function world(decision: Ruling, opts: { audit?: boolean; polls?: Record<number, Poll[]>; entry?: Partial<TrapEntry> } = {}) {
  const k = kernel({ polls: opts.polls });
  const calls = k.calls;
  let next: { tid: number; nr: number; args?: bigint[] } | undefined;
  const children = new Map<number, number>();
  const ops: Ops = {
    ...k.ops,
    syscallInfo: () => (next ? { op: 3, arch: AUDIT_ARCH_X86_64, nr: next.nr, args: next.args ?? [0n, 0n, 0n, 0n, 0n, 0n], retData: 0 } : undefined),
    eventMsg: (tid) => children.get(tid) ?? tid,
    cont: (tid, sig = 0) => { calls.push(`cont ${tid}${sig ? ` sig ${sig}` : ''}`); return true; },
    listen: (tid) => { calls.push(`listen ${tid}`); return true; },
    deny: (tid, _arch, errno) => { calls.push(`deny ${tid} errno ${errno}`); return true; },
    setArg: (tid, _arch, index, value) => { calls.push(`set ${tid} arg ${index} = ${value}`); return true; },
    kill: (pid, sig) => { calls.push(`kill ${pid} sig ${sig}`); return true; },
    tgid: (tid) => (tid === 101 || tid === 102 ? ROOT : tid),
    ppid: () => ROOT,
    exe: (pid) => `/bin/prog${pid}`,
  };
  const traps: TrapEntry[] = [{ id: 0, checks: ['files'], then: 'allow', origin: { what: 'files' }, ...opts.entry }];
  const decided: string[] = [];
  const tracer = new Tracer(ROOT, {
    ops, arch: 'x86_64', auditArch: AUDIT_ARCH_X86_64, traps, audit: opts.audit ?? false,
    syscallName: (nr) => Object.entries(NR).find(([, n]) => n === nr)?.[0] ?? '?',
    decide: () => { decided.push(calls.join(', ')); return decision; },
    report: () => {},
  });
  const stop = (tid: number, nr: number, args?: bigint[]) => {
    next = { tid, nr, args };
    tracer.handle(tid, SECCOMP_STOP);
  };
  // Launch, then two more threads of the root.
  stop(ROOT, NR.execve);
  tracer.handle(ROOT, EXEC_STOP);
  tracer.handle(101, INTERRUPT_STOP);
  tracer.handle(102, INTERRUPT_STOP);
  calls.length = 0;
  return { tracer, calls, decided, stop, stopWith: stop, children, k };
}

const allow: Ruling = { action: 'allow', log: false };
const deny: Ruling = { action: 'deny', errno: 1, rule: { what: 'files.read' }, reason: 'no' };

const HELD = { 101: [{ pid: 101, status: INTERRUPT_STOP }], 102: [{ pid: 102, status: INTERRUPT_STOP }] };

t.test('an allowed checked call: decided while the others are held, run alone; the hold lasts while the caller is busy', async (t) => {
  const w = world(allow, { polls: { ...HELD, [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }, { pid: 100, status: SYSCALL_EXIT_STOP }] } });
  w.stop(ROOT, NR.openat);
  t.same(w.decided, ['interrupt 101, interrupt 102'], 'the decision comes after both were stopped');
  t.same(w.calls, ['interrupt 101', 'interrupt 102', 'resume-to-exit 100', 'cont 100'],
    'the call runs alone to its exit stop; then the caller goes on, the others still held');
  w.calls.length = 0;
  w.stop(ROOT, NR.openat);
  t.same(w.calls, ['resume-to-exit 100', 'cont 100'], 'its next checked call, soon after, needs no new hold');
  w.calls.length = 0;
  w.k.advance(HOLD_IDLE_MS + 1);
  t.equal(w.tracer.next(), undefined, 'next() polls while holding');
  t.same(w.calls, ['cont 101', 'cont 102'], 'once the caller is idle for HOLD_IDLE_MS, the held threads go on');
});

t.test('the hold ends at once when its owner sleeps (it may be waiting for a held task)', async (t) => {
  const w = world(allow, { polls: { ...HELD, [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }] } });
  w.stop(ROOT, NR.openat);
  w.calls.length = 0;
  w.k.setState(ROOT, 'S');
  w.tracer.next();
  t.same(w.calls, ['cont 101', 'cont 102']);
});

t.test('the hold ends after HOLD_MAX_MS however busy its owner is', async (t) => {
  const again = (tid: number) => Array(10).fill({ pid: tid, status: INTERRUPT_STOP });
  const w = world(allow, { polls: { 101: again(101), 102: again(102), [-1]: Array(10).fill({ pid: 100, status: SYSCALL_EXIT_STOP }) } });
  w.stop(ROOT, NR.openat);
  for (let i = 0; i < 5; i++) {
    w.k.advance(HOLD_MAX_MS / 4);
    w.stop(ROOT, NR.openat);
  }
  t.ok(w.calls.filter((c) => c === 'interrupt 101').length >= 2, 'a new hold was taken after the maximum');
  t.ok(w.calls.includes('cont 101'), 'and the held threads ran in between');
});

t.test('while holding, a new child\'s first stop is held too; a held task that dies is not brought back', async (t) => {
  const w = world(allow, { polls: { ...HELD, [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }] } });
  w.stop(ROOT, NR.openat);
  w.children.set(100, 103);
  w.tracer.handle(100, statusOf.event(PTRACE_EVENT_CLONE)); // clone event of the owner
  w.tracer.handle(103, INTERRUPT_STOP); // the new thread's first stop
  w.tracer.handle(102, EXIT_0); // a held thread killed meanwhile
  w.calls.length = 0;
  w.k.advance(HOLD_IDLE_MS + 1);
  w.tracer.next();
  t.same(w.calls, ['cont 101', 'cont 103'], 'released: the held thread and the new one go on; the dead one is not resumed');
});

t.test('a refused checked call: no run alone; the caller goes on, the others stay held until the release', async (t) => {
  const w = world(deny, { polls: HELD });
  w.stop(ROOT, NR.openat);
  t.same(w.calls, ['interrupt 101', 'interrupt 102', 'deny 100 errno 1', 'cont 100']);
});

t.test('a kill ends the hold', async (t) => {
  const w = world({ action: 'kill', rule: { what: 'files.deny' }, reason: 'no' }, { polls: HELD });
  w.stop(ROOT, NR.openat);
  t.same(w.calls, ['interrupt 101', 'interrupt 102', 'kill 100 sig 9', 'cont 101', 'cont 102']);
});

t.test('a held task whose own seccomp stop was queued gets its decision after the release', async (t) => {
  const w = world(allow, { polls: {
    101: [{ pid: 101, status: SECCOMP_STOP }],
    102: [{ pid: 102, status: INTERRUPT_STOP }, { pid: 102, status: INTERRUPT_STOP }],
    100: [{ pid: 100, status: INTERRUPT_STOP }],
    [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }],
  } });
  w.stop(ROOT, NR.openat);
  w.k.advance(HOLD_IDLE_MS + 1);
  w.tracer.next();
  t.equal(w.decided.length, 2, 'two decisions: the caller\'s, then the held thread\'s queued call');
  t.match(w.calls, ['interrupt 101', 'interrupt 102', 'resume-to-exit 100', /./], 'the second decision starts after the first call ran alone');
});

t.test('a straggler: the call is refused with EINTR (fail closed), nothing runs alone', async (t) => {
  const w = world(allow, { polls: { 101: [{ pid: 101, status: INTERRUPT_STOP }] } });
  w.stop(ROOT, NR.openat);
  t.same(w.decided, [], 'no decision on memory that may still change');
  t.ok(w.calls.includes('deny 100 errno 4'), 'refused with EINTR');
  t.notOk(w.calls.some((c) => c.startsWith('resume-to-exit')), 'not run');
});

t.test('no hold: in audit mode, for a call the profile refuses outright, for signal checks, for a lone task', async (t) => {
  for (const [what, opts] of [
    ['audit', { audit: true }],
    ['refused', { entry: { checks: [], refuse: { kind: 'errno', errno: 1 } } as Partial<TrapEntry> }],
    ['signal', { entry: { checks: ['signal'] } as Partial<TrapEntry> }],
  ] as const) {
    const w = world(allow, opts);
    w.stop(ROOT, NR.openat);
    t.notOk(w.calls.some((c) => c.startsWith('interrupt')), `${what}: nobody interrupted`);
  }
  const w = world(allow);
  w.tracer.handle(101, EXIT_0);
  w.tracer.handle(102, EXIT_0);
  w.calls.length = 0;
  w.stop(ROOT, NR.openat);
  t.same(w.calls, ['cont 100'], 'a single task: straight on');
});

t.test('a thread blocked in vfork (it cannot stop until its child execs) is interrupted, and held once seen blocked there', async (t) => {
  const k = kernel({ polls: { 102: [{ pid: 102, status: INTERRUPT_STOP }] }, forking: [101] });
  const h = hold(k.ops, [101, 102]);
  t.same(k.calls, ['interrupt 101', 'interrupt 102'], 'interrupted too: the stop is pending for when the vfork ends');
  t.same(h.stragglers, [], 'not a straggler');
  t.same(h.taken, [[102, INTERRUPT_STOP]], 'no status from it (it stops later)');
  t.ok(k.ops.now() < HOLD_TIMEOUT_MS, 'and no wait for the timeout');
});

t.test('a syscall-exit stop is never delivered as a signal', async (t) => {
  const w = world(allow);
  w.tracer.handle(101, SYSCALL_EXIT_STOP);
  t.same(w.calls, ['cont 101']);
});

t.test('a non-leader thread that execs: the leader\'s held stop is stale, its exec event is handled', async (t) => {
  // 101 (a thread of 100) execs; 100 was held; the exec is reported by 100 (the tid 101 takes over).
  const w = world(allow, { polls: { 100: [{ pid: 100, status: INTERRUPT_STOP }], 102: [{ pid: 102, status: INTERRUPT_STOP }], [-1]: [{ pid: 100, status: EXEC_STOP }] } });
  w.children.set(100, 101); // PTRACE_GETEVENTMSG at the exec: the former tid
  w.stop(101, NR.execve);
  t.same(w.calls, ['interrupt 100', 'interrupt 102', 'resume-to-exit 101', 'cont 102', 'cont 100'],
    'the exec ends the hold; the leader tid is resumed once, from its exec event, not from its stale held stop');
});

t.test('sendmmsg under a hold is cut to its first message (the kernel reads the others later, maybe after the hold)', async (t) => {
  const w = world(allow, { polls: { ...HELD, [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }, { pid: 100, status: SYSCALL_EXIT_STOP }] } });
  w.stopWith(ROOT, NR.sendmmsg, [3n, 0x1000n, 4n, 0n, 0n, 0n]);
  t.same(w.calls, ['interrupt 101', 'interrupt 102', 'set 100 arg 2 = 1', 'resume-to-exit 100', 'cont 100']);
  w.calls.length = 0;
  w.stopWith(ROOT, NR.sendmmsg, [3n, 0x1000n, 1n, 0n, 0n, 0n]);
  t.same(w.calls, ['resume-to-exit 100', 'cont 100'], 'one message: left as it is');
});

t.test('an exec event of a task being killed (the root exited while it was held): handled, not an internal error', async (t) => {
  const w = world(allow, { polls: { ...HELD, [-1]: [{ pid: 100, status: SYSCALL_EXIT_STOP }] } });
  const tracer = w.tracer;
  // PTRACE_GETEVENTMSG fails with ESRCH on a tracee with SIGKILL pending.
  (tracer as unknown as { d: { ops: { eventMsg: () => undefined } } }).d.ops.eventMsg = () => undefined;
  t.doesNotThrow(() => tracer.handle(101, EXEC_STOP), 'no throw');
  t.ok(w.calls.includes('cont 101'), 'resumed (to die)');
});

t.test('runAlone: a stop of a sibling thread (a held vfork parent whose child exited) does not end it', async (t) => {
  const k = kernel({ polls: { [-1]: [{ pid: 100, status: INTERRUPT_STOP }, { pid: 101, status: SYSCALL_EXIT_STOP }] } });
  t.same(runAlone(k.ops, 101, (other) => other === 100), [[100, INTERRUPT_STOP], [101, SYSCALL_EXIT_STOP]],
    'the sibling\'s stop is kept; the wait goes on to the caller\'s own exit stop');
});

t.test('Hold: one object, two states, every change through a method', async (t) => {
  const h = new Hold();
  t.equal(h.owner, undefined, 'none at first');
  t.same(h.end(), [], 'ending no hold gives nothing');
  t.throws(() => h.keep(5, 0x137f), /no hold in force/, 'a stop cannot be kept with no hold');
  h.begin(10, [[11, 0x137f]], 100);
  t.equal(h.owner, 10, 'held for its owner');
  t.throws(() => h.begin(12, [], 100), /while 10's is in force/, 'one hold at a time');
  h.keep(12, 0x57f);
  h.keep(11, 0x1057f); // the same tid again: its newer stop replaces the kept one
  t.notOk(h.expired(100 + HOLD_IDLE_MS), 'not over within HOLD_IDLE_MS of its start');
  t.ok(h.expired(100 + HOLD_IDLE_MS + 1), 'over after HOLD_IDLE_MS without a checked call');
  h.extend(100 + HOLD_IDLE_MS);
  t.notOk(h.expired(100 + HOLD_IDLE_MS + 1), 'extended by its owner\'s next call');
  t.ok(h.overdue(100 + HOLD_MAX_MS + 1) && h.expired(100 + HOLD_MAX_MS + 1), 'over after HOLD_MAX_MS in all, whatever its owner does');
  h.forget(new Set([12]));
  t.same(h.end(), [[11, 0x1057f]], 'the kept stops, the newest per tid, the forgotten left out');
  t.equal(h.owner, undefined, 'none after the end');
});
