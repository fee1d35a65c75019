// Wait-status words under PTRACE_SEIZE, decoded (lib/arch/stop.ts): every kind of stop the tracer
// switches on, from the words the kernel writes (ptrace(2), wait(2)).
import t from 'tap';
import { decodeStatus, isGone, resumeSignal, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC, PTRACE_EVENT_EXIT, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP, statusOf } from '../../lib/arch/stop.js';

t.test('each word, what it means', async (t) => {
  const cases: [string, number, unknown][] = [
    ['exit 0', 0x0000, { kind: 'exited', code: 0 }],
    ['exit 3', 0x0300, { kind: 'exited', code: 3 }],
    ['killed by SIGKILL', 0x0009, { kind: 'killed', signal: 9, core: false }],
    ['killed by SIGSYS, with a core', 0x009f, { kind: 'killed', signal: 31, core: true }],
    ['seccomp stop', 0x7057f, { kind: 'seccomp' }],
    ['exec stop', 0x4057f, { kind: 'exec' }],
    ['fork stop', 0x1057f, { kind: 'child', event: 'fork' }],
    ['vfork stop', 0x2057f, { kind: 'child', event: 'vfork' }],
    ['clone stop', 0x3057f, { kind: 'child', event: 'clone' }],
    ['exit-event stop (an option syscage does not set)', 0x6057f, { kind: 'other-event', event: 6 }],
    ['a new child\'s first stop, an interrupt (PTRACE_EVENT_STOP, SIGTRAP)', 0x80057f, { kind: 'interrupt' }],
    ['group stop (PTRACE_EVENT_STOP, SIGSTOP)', 0x80137f, { kind: 'group-stop', signal: 19 }],
    ['group stop (PTRACE_EVENT_STOP, SIGTSTP)', 0x80147f, { kind: 'group-stop', signal: 20 }],
    ['syscall stop (SIGTRAP | 0x80)', 0x857f, { kind: 'syscall' }],
    ['signal-delivery stop, SIGTERM', 0xf7f, { kind: 'signal', signal: 15 }],
    ['signal-delivery stop, a real SIGTRAP', 0x57f, { kind: 'signal', signal: 5 }],
    ['continued (WCONTINUED: never asked for)', 0xffff, { kind: 'unknown', status: 0xffff }],
  ];
  for (const [name, word, want] of cases) t.same(decodeStatus(word), want, `${name} (0x${word.toString(16)})`);
});

t.test('isGone: exited or killed, nothing else', async (t) => {
  t.ok(isGone(decodeStatus(0x0100)));
  t.ok(isGone(decodeStatus(0x0009)));
  for (const w of [0x7057f, 0x80137f, 0x857f, 0xf7f, 0xffff]) t.notOk(isGone(decodeStatus(w)), `0x${w.toString(16)}`);
});

t.test('resumeSignal: a signal-delivery stop passes its signal on, no other stop does', async (t) => {
  t.equal(resumeSignal(decodeStatus(0xf7f)), 15);
  for (const w of [0x7057f, 0x80057f, 0x80137f, 0x857f, 0x4057f]) t.equal(resumeSignal(decodeStatus(w)), 0, `0x${w.toString(16)}`);
});

t.test('statusOf writes the words decodeStatus reads (the scripted tracer tests use it)', async (t) => {
  t.same(decodeStatus(statusOf.exited(7)), { kind: 'exited', code: 7 });
  t.same(decodeStatus(statusOf.killed(9)), { kind: 'killed', signal: 9, core: false });
  t.same(decodeStatus(statusOf.event(PTRACE_EVENT_SECCOMP)), { kind: 'seccomp' });
  t.same(decodeStatus(statusOf.event(PTRACE_EVENT_EXEC)), { kind: 'exec' });
  t.same(decodeStatus(statusOf.event(PTRACE_EVENT_CLONE)), { kind: 'child', event: 'clone' });
  t.same(decodeStatus(statusOf.event(PTRACE_EVENT_STOP, 19)), { kind: 'group-stop', signal: 19 });
  t.same(decodeStatus(statusOf.event(PTRACE_EVENT_EXIT)), { kind: 'other-event', event: 6 });
  t.same(decodeStatus(statusOf.signal(2)), { kind: 'signal', signal: 2 });
  t.same(decodeStatus(statusOf.syscall()), { kind: 'syscall' });
});
