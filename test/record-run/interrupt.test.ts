// A recording that does not finish still leaves a profile: SIGINT or SIGTERM
// to syscage mid-run, or the command crashing, writes a valid, loadable
// profile marked "# INCOMPLETE" with what was seen before, and syscage exits
// non-zero.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, needsPython, profileOf, readText, seen, syscage, tempDir, workspace, type Ran } from '../fixtures/record-run/harness.js';

const { home, work, dirs: { out } } = workspace(t, 'int', ['out']);
const F = join(work, 'seen-before-the-signal.txt');
writeFileSync(F, 'read before the signal\n');
const NEVER = join(work, 'never-reached.txt');
writeFileSync(NEVER, 'the command never gets here\n');
const o = { home, cwd: work };

/** What an incomplete recording must be. */
async function incomplete(t: Test, r: Ran, profile: string, why: RegExp): Promise<void> {
  t.not(r.status, 0, `syscage exits non-zero (${r.status})`, seen(r));
  t.equal(r.signal, null, 'syscage itself exits, it is not killed by the signal', seen(r));
  t.ok(existsSync(profile), 'the profile is written', seen(r));
  const text = readText(profile);
  t.match(text, /^(# .*\n)*# INCOMPLETE: /, 'marked "# INCOMPLETE" in its header', { text });
  t.match(text, new RegExp(`^# INCOMPLETE: .*${why.source}`, 'm'), `saying why (${why.source})`, { text });
  t.match(r.stderr, /INCOMPLETE/, 'and syscage says so', seen(r));
  const c = await syscage(['check', profile], o);
  t.equal(c.status, 0, 'syscage check exits 0: a valid, loadable profile', seen(c));
  t.same(readdirTemp(), [], 'no temporary file left next to it');
}

const readdirTemp = (): string[] => readdirSync(out).filter((n) => n.endsWith('.tmp'));

/** A python3 command that reads F, says "ready", then sleeps (and reads NEVER if it ever wakes up). */
const sleeper = (extra = ''): string[] => ['python3', '-c',
  `import signal, sys, time\n${extra}\nopen(${JSON.stringify(F)}).read()\nprint("ready", flush=True)\ntime.sleep(30)\nopen(${JSON.stringify(NEVER)}).read()\n`];

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`${sig} to syscage mid-run`, needsPython, async (t) => {
    const profile = join(out, `${sig}.yaml`);
    const run = launch(['record', '-o', profile, '--', ...sleeper()], o);
    await run.stdoutMatches(/^ready$/m);
    process.kill(run.child().pid!, sig);
    const r = await run.done;
    t.ok(r.ms < 20_000, 'the command was stopped, not waited for', seen(r));
    await incomplete(t, r, profile, new RegExp(`interrupted by ${sig}`));
    const { matchers } = profileOf(profile);
    t.ok(matchers.files?.readable.test(F), 'it includes what was seen before the signal (F)');
    t.notOk(matchers.files?.readable.test(NEVER), 'and nothing after');
  });
}

t.test('SIGINT that the command handles by exiting 0', needsPython, async (t) => {
  const profile = join(out, 'handled.yaml');
  const run = launch(['record', '-o', profile, '--', ...sleeper('signal.signal(signal.SIGINT, lambda *a: sys.exit(0))')], o);
  await run.stdoutMatches(/^ready$/m);
  process.kill(run.child().pid!, 'SIGINT');
  const r = await run.done;
  await incomplete(t, r, profile, /interrupted by SIGINT/);
  t.ok(profileOf(profile).matchers.files?.readable.test(F), 'includes F');
});

t.test('the command crashes (SIGSEGV)', async (t) => {
  const profile = join(out, 'crash.yaml');
  const r = await syscage(['record', '-o', profile, '--', '/bin/sh', '-c', `read x < ${F}; kill -SEGV $$`], o);
  await incomplete(t, r, profile, /killed by SIGSEGV/);
  t.equal(r.status, 128 + 11, 'exit 139, as a shell reports a SIGSEGV', seen(r));
  t.ok(profileOf(profile).matchers.files?.readable.test(F), 'includes what the command did before it crashed');
});
