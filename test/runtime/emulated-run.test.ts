// The emulator's state machine alone (lib/runtime/emulated-run.ts), on an injected clock: no HTTP.
import t from 'tap';
import { EmulatedRun, type Clock } from '../../lib/runtime/emulated-run.js';

/** A clock the test moves: timers fire when now() passes their time. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  const timers: { at: number; cb: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    schedule(ms, cb) {
      const timer = { at: now + ms, cb, live: true };
      timers.push(timer);
      return () => { timer.live = false; };
    },
    advance(ms) {
      now += ms;
      for (const timer of timers) {
        if (timer.live && timer.at <= now) {
          timer.live = false;
          timer.cb();
        }
      }
    },
  };
}

const ok = { ok: true, status: 'response' as const, headers: {}, streamed: false };

t.test('events are handed out one at a time, in order, and the results come once all are settled', async (t) => {
  const clock = manualClock();
  const run = new EmulatedRun(['a', 'b'], clock, 3000);
  t.ok(run.hasMore);
  t.notOk(run.busy);
  const first = run.handOut();
  t.equal(first.event, 'a');
  t.equal(first.deadlineMs, first.startedAt + 3000, 'the deadline is the function timeout from now');
  t.ok(run.busy, 'busy until settled: §1 refuses another /next');
  t.equal(run.invoke(first.requestId), first);
  clock.advance(5);
  run.settle(first, { ...ok, body: Buffer.from('A') });
  t.notOk(run.busy);
  const second = run.handOut();
  t.equal(second.event, 'b');
  t.not(second.requestId, first.requestId);
  t.notOk(run.hasMore);
  run.settle(second, ok);
  const results = await run.results;
  t.same(results.map((r) => [r.event, r.status, r.durationMs]), [['a', 'response', 5], ['b', 'response', 0]]);
});

t.test('an invocation left unanswered times out, once', async (t) => {
  const clock = manualClock();
  const run = new EmulatedRun(['x'], clock, 100);
  const inv = run.handOut();
  clock.advance(99);
  t.notOk(inv.timedOut, 'not before the timeout');
  clock.advance(1);
  t.ok(inv.timedOut && inv.settled);
  t.notOk(run.busy, 'the run may hand out the next event');
  clock.advance(1000);
  const results = await run.results;
  t.equal(results.length, 1, 'one result: its timer fired once');
  const [r] = results;
  t.equal(r!.status, 'timeout');
  t.match(r!.error, { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.10 seconds' });
});

t.test('an init error answers every event and ends the run; init is over at the first /next', async (t) => {
  const clock = manualClock();
  const run = new EmulatedRun([1, 2, 3], clock, 3000);
  t.notOk(run.initOver);
  run.initError({ errorType: 'Runtime.Bad', errorMessage: 'no' }, { 'x-h': 'v' }, 'Runtime.Bad');
  t.ok(run.initOver, 'a second init error is refused');
  t.notOk(run.hasMore, 'nothing is handed out after it');
  const results = await run.results;
  t.same(results.map((r) => [r.event, r.status, r.functionErrorType]), [[1, 'init-error', 'Runtime.Bad'], [2, 'init-error', 'Runtime.Bad'], [3, 'init-error', 'Runtime.Bad']]);
  const other = new EmulatedRun([1], clock, 3000);
  other.endInit();
  t.ok(other.initOver, 'after the first /next');
});

t.test('finish() ends the run with the results so far, and cancels the timers', async (t) => {
  const clock = manualClock();
  const run = new EmulatedRun(['a', 'b'], clock, 100);
  const inv = run.handOut();
  run.finish();
  t.same(await run.results, [], 'nothing settled');
  clock.advance(1000);
  t.notOk(inv.timedOut, 'its timer was cancelled');
  t.same(await new EmulatedRun([], clock, 100).results, [], 'a run without events is over at once');
});
