// `syscage merge A.yaml B.yaml -o M.yaml`: two recordings of slightly
// different workloads give one profile that allows both (each replays with
// zero audit lines), each entry saying in how many recordings it was seen.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bare, events, profileOf, readText, sameAsBare, seen, syscage, tempDir, workspace, type Ran } from '../fixtures/record-run/harness.js';

const { home, work, dirs: { out, listing: dir } } = workspace(t, 'merge', ['out', 'listing']);
for (const n of ['kilo', 'lima', 'mike', 'india', 'juliet']) writeFileSync(join(dir, n), n + '\n');
const notes = join(work, 'notes.txt');
writeFileSync(notes, 'only workload B reads this\n');
const o = { home, cwd: work };

// A counts the first three names; B shouts the last three and also reads notes.txt.
const A = ['/bin/sh', '-c', `/usr/bin/ls ${dir} | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l`];
const B = ['/bin/sh', '-c', `/usr/bin/ls ${dir} | /usr/bin/sort -r | /usr/bin/head -3 | /usr/bin/tr a-z A-Z; read x < ${notes}; echo "$x"`];
const [pa, pb, pm] = ['a.yaml', 'b.yaml', 'm.yaml'].map((n) => join(out, n)) as [string, string, string];

const native: Record<'A' | 'B', Ran | undefined> = { A: undefined, B: undefined };

t.test('record A and B', async (t) => {
  for (const [name, cmd, p] of [['A', A, pa], ['B', B, pb]] as const) {
    native[name] = await bare(cmd, o);
    t.equal(native[name]!.status, 0, `${name} runs unsandboxed`, seen(native[name]!));
    const r = await syscage(['record', '-o', p, '--', ...cmd], o);
    t.equal(r.status, 0, `${name} recorded`, seen(r));
  }
  t.equal(native.A!.stdout, '3\n');
  t.equal(native.B!.stdout, 'MIKE\nLIMA\nKILO\nonly workload B reads this\n');
});

t.test('A\'s profile alone does not allow B (what the merge must add)', async (t) => {
  const log = join(out, 'b-under-a.log');
  const r = await syscage(['run', '--profile', pa, '--log', log, '--', ...B], o);
  const evs = events(readText(log));
  t.ok(evs.some((e) => e.syscall === 'execve' && e.path === '/usr/bin/tr'), 'tr is refused', seen(r, { log: readText(log) }));
  t.ok(evs.some((e) => e.path === notes), 'notes.txt is refused', seen(r, { log: readText(log) }));
});

t.test('merge', async (t) => {
  const r = await syscage(['merge', pa, pb, '-o', pm], o);
  t.equal(r.status, 0, 'syscage merge exits 0', seen(r));
  t.match(r.stderr, /wrote .*m\.yaml \(2 recordings merged\)/, 'says what it wrote', seen(r));
  const c = await syscage(['check', pm], o);
  t.equal(c.status, 0, 'syscage check exits 0', seen(c));

  const text = readText(pm);
  const line = (needle: string) => text.split('\n').find((l) => l.trimStart().startsWith(`- ${needle} `) || l.trimStart().startsWith(`- "${needle}" `)) ?? `(no entry ${needle})`;
  t.match(text, /^# Merged by syscage merge from 2 recordings:/, 'the header says what was merged', { text });
  t.match(line('/usr/bin/ls'), /# seen in 2 of 2\b/, '/usr/bin/ls: seen in 2 of 2');
  t.match(line('/usr/bin/sort'), /# seen in 2 of 2\b/, '/usr/bin/sort: seen in 2 of 2');
  t.match(line('/usr/bin/wc'), /# seen in 1 of 2\b/, '/usr/bin/wc: seen in 1 of 2 (A only)');
  t.match(line('/usr/bin/tr'), /# seen in 1 of 2\b/, '/usr/bin/tr: seen in 1 of 2 (B only)');
  // The temporary directory's random suffix is a per-run name: the entry is /tmp/syscage-rec-merge-*/notes.txt.
  const notesLine = text.split('\n').find((l) => /^\s+- \S*\/notes\.txt /.test(l)) ?? '(no entry for notes.txt)';
  t.match(notesLine, /# seen in 1 of 2\b/, 'notes.txt: seen in 1 of 2 (B only)');
  const { matchers } = profileOf(pm);
  for (const p of ['/usr/bin/ls', '/usr/bin/sort', '/usr/bin/head', '/usr/bin/wc', '/usr/bin/tr']) t.ok(matchers.exec?.allow.test(p), `allows ${p}`);
  t.notOk(matchers.exec?.allow.test('/usr/bin/cat'), 'and no other program');
  t.ok(matchers.files?.readable.test(notes), 'allows notes.txt');
});

for (const [name, cmd] of [['A', A], ['B', B]] as const) {
  t.test(`replay ${name} under the merged profile: same output, zero audit lines`, async (t) => {
    const log = join(out, `${name}-merged.log`);
    const r = await syscage(['run', '--profile', pm, '--log', log, '--', ...cmd], o);
    sameAsBare(t, r, native[name]!, readText(log));
  });
}

t.test('merge does not overwrite an existing output without --force', async (t) => {
  const before = readText(pm);
  const r = await syscage(['merge', pa, pb, '-o', pm], o);
  t.equal(r.status, 2, 'exit 2', seen(r));
  t.match(r.stderr, /already exists; use --force/, 'says why', seen(r));
  t.equal(readText(pm), before, 'unchanged');
});

t.test('merging an incomplete recording says so', async (t) => {
  const crash = join(out, 'crash.yaml');
  const r = await syscage(['record', '-o', crash, '--', '/bin/sh', '-c', 'kill -SEGV $$'], o);
  t.not(r.status, 0, 'the crashed recording exits non-zero', seen(r));
  const m = await syscage(['merge', pa, crash], o);
  t.equal(m.status, 0, 'merge to stdout exits 0', seen(m));
  t.match(m.stdout, /^# INCOMPLETE: .*crash\.yaml was recorded from a run that did not finish \(the command was killed by SIGSEGV\)/m, 'the header names the incomplete input', { stdout: m.stdout });
});
