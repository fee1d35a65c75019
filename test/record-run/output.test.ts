// The output of `syscage record`: an existing file is never overwritten
// without --force (exit 2, the file unchanged, the command never started),
// --force overwrites it, and an output that cannot be written is reported
// before the command starts. "Never started" is proven by a marker file the
// command would create.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readText, seen, syscage, tempDir } from '../fixtures/record-run/harness.js';

const home = tempDir(t, 'syscage-rec-home-');
const work = tempDir(t, 'syscage-rec-out-');
const o = { home, cwd: work };
const marker = join(work, 'marker');
/** The command: creates the marker. */
const cmd = ['/bin/sh', '-c', `echo ran > ${marker}`];
const ORIGINAL = '# a profile someone wrote by hand\nversion: 1\n';

t.beforeEach(() => rmSync(marker, { force: true }));

t.test('an existing output without --force: exit 2, unchanged, the command never started', async (t) => {
  const p = join(work, 'existing.yaml');
  writeFileSync(p, ORIGINAL);
  chmodSync(p, 0o640);
  const before = statSync(p);
  const r = await syscage(['record', '-o', p, '--', ...cmd], o);
  t.equal(r.status, 2, 'exit 2', seen(r));
  t.match(r.stderr, /existing\.yaml already exists; use --force to overwrite it/, 'says why and what to do', seen(r));
  t.equal(readFileSync(p, 'utf8'), ORIGINAL, 'the file is unchanged');
  t.equal(statSync(p).mtimeMs, before.mtimeMs, 'not even rewritten');
  t.notOk(existsSync(marker), 'the command never started (no marker)');
});

t.test('--force overwrites it', async (t) => {
  const p = join(work, 'forced.yaml');
  writeFileSync(p, ORIGINAL);
  chmodSync(p, 0o640);
  const r = await syscage(['record', '--force', '-o', p, '--', ...cmd], o);
  t.equal(r.status, 0, 'exit 0', seen(r));
  t.ok(existsSync(marker), 'the command ran');
  t.match(readText(p), /^# Recorded by syscage record from: \/bin\/sh -c /, 'the file is the new recording');
  t.equal(statSync(p).mode & 0o777, 0o640, 'keeping the file\'s permissions');
  const c = await syscage(['check', p], o);
  t.equal(c.status, 0, 'and a valid profile', seen(c));
});

t.test('an output in a missing directory: reported before the command starts', async (t) => {
  const p = join(work, 'no-such-dir', 'p.yaml');
  const r = await syscage(['record', '-o', p, '--', ...cmd], o);
  t.equal(r.status, 2, 'exit 2', seen(r));
  t.match(r.stderr, /the directory .*no-such-dir does not exist/, 'names the missing directory', seen(r));
  t.notOk(existsSync(marker), 'the command never started (no marker)');
  t.notOk(existsSync(join(work, 'no-such-dir')), 'nothing created');
});

t.test('an output that is a directory: reported before the command starts', async (t) => {
  const d = join(work, 'a-dir.yaml');
  mkdirSync(d);
  const r = await syscage(['record', '--force', '-o', d, '--', ...cmd], o);
  t.equal(r.status, 2, 'exit 2, even with --force', seen(r));
  t.match(r.stderr, /is a directory/, 'says so', seen(r));
  t.notOk(existsSync(marker), 'the command never started (no marker)');
});

t.test('an output that the command itself creates meanwhile is not overwritten either', async (t) => {
  const p = join(work, 'race.yaml');
  const r = await syscage(['record', '-o', p, '--', '/bin/sh', '-c', `echo mine > ${p}`], o);
  t.not(r.status, 0, 'exit non-zero', seen(r));
  t.equal(readText(p), 'mine\n', 'the file the command wrote is kept');
  t.match(r.stderr, /already exists/, 'says why', seen(r));
  t.same(readdirSync(work).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left behind');
});

t.test('a command that cannot be started: its status, promptly, and no profile of nothing', async (t) => {
  const plain = join(work, 'plain.txt');
  writeFileSync(plain, 'not a program\n');
  chmodSync(plain, 0o644);
  const garbage = join(work, 'garbage.bin');
  writeFileSync(garbage, Buffer.from([0x67, 0x61, 0x72, 0x62, 0, 1, 2, 3]));
  chmodSync(garbage, 0o755);
  // An exec that fails in stage-2 (ENOEXEC) comes back as an ordinary exit 126: a profile of nothing, not marked incomplete.
  const empty = 'BUG record/launch-failed-profile: writes a profile of a command that never ran (0 calls), not marked INCOMPLETE';
  const cases = [
    ['not found', '/no/such/program', 127, /no such file or directory/],
    ['not permitted (mode 644)', plain, 126, /permission denied/],
    ['not a program (ENOEXEC)', garbage, 126, /cannot execute/],
  ] as const;
  // Side by side: a hang (record/launch-error-hang, fixed) would cost the timeout once.
  const runs = await Promise.all(cases.map(([what, cmd, status]) => {
    const p = join(work, `launch-${status}-${what.split(' ')[1]}.yaml`);
    return syscage(['record', '-o', p, '--', cmd], { ...o, timeoutMs: 5000 }).then((r) => ({ r, p }));
  }));
  cases.forEach(([what, , status, says], i) => {
    const { r, p } = runs[i]!;
    t.match(r.stderr, says, `${what}: says so`, seen(r));
    t.notOk(r.timedOut, `${what}: exits by itself`, seen(r));
    t.equal(r.status, status, `${what}: exit ${status}, as a shell`, seen(r));
    const text = readText(p);
    const ok = text === '' || /^# INCOMPLETE: /m.test(text);
    t.ok(ok, `${what}: no profile (or one marked INCOMPLETE) for a command that never ran`, { text, todo: !ok && empty });
  });
});
