// What a sandbox must show: each forbidden action, done for real by
// test/helpers/attempt.py under `syscage run` on this machine's kernel, is
// refused — the helper sees the profile's errno from the inside — and reported
// by exactly one audit event naming the syscall, the path or address, and the
// rule with its file:line. Its allowed twin succeeds under the same profile, so
// that a sandbox refusing everything would fail here too. With `violation:
// kill` the command dies: exit 100 and one line on stderr naming the rule.
//
// The spec table is in fixtures/world.ts (shared with audit.test.ts).
import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ATTEMPT, events, needsPython, PY, readLog, seen, syscage, until, type Ran } from './fixtures/harness.js';
import { checkEvent, escape, makeWorld, matching, type Row, type Strict, type World } from './fixtures/world.js';

const w: World = await makeWorld(t);
const strict = w.profile('strict');
const killing = w.profile('strict-kill', 'violation: kill');
const logs = join(w.dir, 'logs');
mkdirSync(logs);
let runs = 0;

async function attempt(p: Strict, args: readonly string[], extra: readonly string[] = []): Promise<{ r: Ran; log: string }> {
  const path = join(logs, `${++runs}.log`);
  const r = await syscage(['run', '--profile', p.path, '--log', path, ...extra, '--', ...PY, ATTEMPT, ...args]);
  return { r, log: readLog(path) };
}

const started = performance.now();

async function twin(t: Test, row: Row): Promise<void> {
  if (!row.allowed) return;
  row.before?.();
  const p = row.allowedUnder ? w.profile(`twin-${runs}`, row.allowedUnder) : strict;
  const { r, log } = await attempt(p, row.allowed);
  const diag = seen(r, log);
  t.equal(r.status, 0, 'allowed twin: exit 0', diag);
  t.match(r.stdout, row.allowedOut ?? /^ok /m, 'allowed twin: done', diag);
  t.notMatch(r.stdout, /^refused /m, 'allowed twin: not refused', diag);
  t.same(events(log), [], 'allowed twin: no audit event', diag);
  if (row.allowedEffect) t.ok(await until(row.allowedEffect, 2000), 'allowed twin: it took effect', diag);
}

// Two rows at a time (each row has its own files and listeners): the runs are CPU-bound, and
// tap runs test files one at a time on a 2-core machine.
const JOBS = { jobs: 2, ...needsPython };

t.test('enforce: refused, reported once; the allowed twin goes through', JOBS, async (t) => {
  for (const row of w.rows) {
    t.test(`${row.cls}: ${row.name}`, async (t) => {
      row.before?.();
      const { r, log } = await attempt(strict, row.forbidden);
      const evs = events(log);
      const diag = seen(r, log);
      t.equal(r.status, 0, 'the helper exits 0 (it reports the refusal itself)', diag);
      t.match(r.stdout, /^refused EPERM$/m, 'refused, with the profile\'s errno, as seen from inside', diag);
      t.notMatch(r.stdout, /^ok /m, 'the action did not happen', diag);
      t.equal(matching(evs, row.expect).length, 1, 'exactly one audit event for the violation', diag);
      t.equal(evs.length, 1, 'and no other event', diag);
      checkEvent(t, matching(evs, row.expect)[0], row.expect, strict, { decision: 'deny', enforced: true, errno: 'EPERM' }, r.pid, diag);
      // A file is checked now (the twin puts the files back in place first); a listener after the
      // twin, whose own connection shows that the event loop has caught up with the listeners.
      if (row.effect && row.cls !== 'network') t.notOk(row.effect(), 'the forbidden action had no effect on the files', diag);
      await twin(t, row);
      if (row.effect && row.cls === 'network') t.notOk(row.effect(), 'the listener never saw the forbidden connection or datagram', diag);
    });
  }
});

t.test('violation: kill', JOBS, async (t) => {
  for (const row of w.rows.filter((x) => x.kill)) {
    t.test(`${row.cls}: ${row.name}`, async (t) => {
      row.before?.();
      const { r, log } = await attempt(killing, row.forbidden);
      const evs = events(log);
      const diag = seen(r, log);
      const mine = matching(evs, row.expect);
      t.equal(mine.length, 1, 'exactly one audit event for the violation', diag);
      t.equal(evs.length, 1, 'and no other event', diag);

      if (row.cls === 'kernel') {
        // A built-in refusal is decided in the kernel with errno: `violation` governs the
        // files / exec / network / process rules only.
        t.equal(r.status, 0, 'built-in refusal: still an errno, not a kill', diag);
        t.match(r.stdout, /^refused EPERM$/m, 'refused EPERM', diag);
        checkEvent(t, mine[0], row.expect, killing, { decision: 'deny', enforced: true, errno: 'EPERM' }, r.pid, diag);
        return;
      }
      checkEvent(t, mine[0], row.expect, killing, { decision: 'kill', enforced: true }, r.pid, diag);
      t.notMatch(r.stdout, /^(ok|refused) /m, 'the helper never got an answer', diag);
      if (row.expect.child) {
        // The child that made the call is killed; the command itself (its parent) goes on and
        // exits with its own status.
        t.match(r.stdout, /^child killed by signal 9$/m, 'the child was killed (SIGKILL), as its parent saw', diag);
        t.equal(r.status, 0, 'the command\'s own status', diag);
        return;
      }
      t.equal(r.status, 100, 'exit 100: killed for a violation', diag);
      const rule = mine[0]?.rule;
      const line = new RegExp(`^syscage: killed \\S+\\[\\d+\\] ${row.expect.syscall} .*— ${escape(rule?.what ?? '?')}` +
        `${rule?.text ? ` "${escape(rule.text)}"` : ''}${rule?.at ? ` at ${escape(rule.at)}` : ''}$`, 'm');
      t.match(r.stderr, line, 'one line on stderr names the call and the rule with its file:line', diag);
      t.equal(r.stderr.split('\n').filter((l) => /^syscage: killed /.test(l)).length, 1, 'just one such line', diag);
      if (row.effect) t.notOk(await until(row.effect, 200), 'the forbidden action had no effect', diag);
    });
  }
});

t.test('the profile\'s errno is what the program sees', needsPython, async (t) => {
  const p = w.profile('strict-eacces', 'errno: EACCES');
  const row = w.rows.find((x) => x.expect.syscall === 'openat' && x.cls === 'read')!;
  const { r, log } = await attempt(p, row.forbidden);
  const diag = seen(r, log);
  t.match(r.stdout, /^refused EACCES$/m, 'refused EACCES', diag);
  t.equal(events(log)[0]?.errno, 'EACCES', 'the event says EACCES', diag);
});

t.test('without --log, the events are JSON lines on stderr', needsPython, async (t) => {
  const row = w.rows[0]!;
  const r = await syscage(['run', '--profile', strict.path, '--', ...PY, ATTEMPT, ...row.forbidden]);
  const diag = seen(r);
  t.match(r.stdout, /^refused EPERM$/m, 'refused', diag);
  const evs = events(r.stderr);
  t.equal(matching(evs, row.expect).length, 1, 'one event on stderr', diag);
  t.match(r.stderr, /^syscage: \d+ checked calls: 1 denied, 0 killed, 0 logged, \d+ hidden(, \d+ performed by syscage)?, tier kernel$/m, 'the summary line counts it', diag);
});

t.teardown(() => {
  t.comment(`forbidden: ${runs + 1} sandboxed runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
