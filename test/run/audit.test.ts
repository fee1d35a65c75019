// Audit mode: the forbidden workloads of forbidden.test.ts (the table is in fixtures/
// world.ts) run to completion — the helper prints "ok ..." and the action takes
// effect — and every call that enforce mode would have refused is reported,
// once, with "enforced": false and what enforce mode would have done. Both
// ways in: `syscage run --audit` over an enforcing profile, and `mode: audit`
// in the profile.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ATTEMPT, events, needsPython, PY, readLog, seen, syscage, until, type Ran } from './fixtures/harness.js';
import { checkEvent, makeWorld, matching, type Strict, type World } from './fixtures/world.js';

const w: World = await makeWorld(t);
const enforcing = w.profile('strict');
const auditing = w.profile('strict-audit', 'mode: audit');
const killing = w.profile('strict-kill', 'violation: kill');
const logs = join(w.dir, 'logs');
mkdirSync(logs);
let runs = 0;
const started = performance.now();

async function attempt(p: Strict, args: readonly string[], flags: readonly string[]): Promise<{ r: Ran; log: string }> {
  const path = join(logs, `${++runs}.log`);
  const r = await syscage(['run', '--profile', p.path, '--log', path, ...flags, '--', ...PY, ATTEMPT, ...args]);
  return { r, log: readLog(path) };
}

// Every row with --audit; the other two ways with the rows marked `kill` (at least one per class),
// which keeps the suite's time down: the way in is what differs, not the call.
const WAYS: readonly { name: string; profile: Strict; flags: readonly string[]; decision: 'deny' | 'kill'; only?: 'kill' }[] = [
  { name: '--audit', profile: enforcing, flags: ['--audit'], decision: 'deny' },
  { name: 'mode: audit', profile: auditing, flags: [], decision: 'deny', only: 'kill' },
  // violation: kill under --audit: reported as a kill that did not happen.
  { name: '--audit, violation: kill', profile: killing, flags: ['--audit'], decision: 'kill', only: 'kill' },
];

for (const way of WAYS) {
  // Two rows at a time (each has its own files and listeners): the runs are CPU-bound.
  t.test(way.name, { jobs: 2, ...needsPython }, async (t) => {
    for (const row of w.rows.filter((x) => !way.only || x.kill)) {
      t.test(`${row.cls}: ${row.name}`, async (t) => {
        row.before?.();
        const { r, log } = await attempt(way.profile, row.forbidden, way.flags);
        const evs = events(log);
        const diag = seen(r, log);
        t.equal(r.status, 0, 'exit 0', diag);
        t.match(r.stdout, row.okOut, 'the workload completed: the action went through', diag);
        t.notMatch(r.stdout, /^refused /m, 'nothing refused', diag);
        const mine = matching(evs, row.expect);
        t.equal(mine.length, 1, 'the would-be violation is reported once', diag);
        t.equal(evs.length, 1, 'and nothing else', diag);
        // A built-in refusal is an errno whatever `violation` says.
        const decision = row.cls === 'kernel' ? 'deny' : way.decision;
        checkEvent(t, mine[0], row.expect, way.profile, { decision, enforced: false, errno: decision === 'deny' ? 'EPERM' : undefined }, r.pid, diag);
        t.notMatch(log, /"enforced":true/, 'no event says enforced', diag);
        if (row.effect) t.ok(await until(row.effect, 2000), 'the action took effect', diag);
        t.match(r.stderr, /^syscage: \d+ checked calls: 0 denied, 0 killed, 1 logged, \d+ hidden(, \d+ performed by syscage)?, tier kernel$/m, 'the summary: nothing denied or killed, one logged', diag);
      });
    }
  });
}

t.teardown(() => {
  t.comment(`audit: ${runs} sandboxed runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
