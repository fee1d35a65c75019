// Two recordings of the same deterministic workload, from the same state on
// the same paths, are byte-identical files: no date, no pid, no temporary
// name, everything sorted.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, needsPython, seen, syscage, tempDir, workspace } from '../fixtures/record-run/harness.js';

const { home, work, dirs: { out, data } } = workspace(t, 'stable', ['out', 'data']);
writeFileSync(join(data, 'in.json'), JSON.stringify({ values: [5, 6, 7] }) + '\n');
for (const n of ['one', 'two', 'three', 'four']) writeFileSync(join(data, n), n + '\n');
const o = { home, cwd: work };

/** The header line that counts processes and threads, which syscage's own stage-2 threads leak into (see shell.test.ts). */
const THREADS = /(\d+) threads? created/;

/** A profile without its counts: "# 14 calls", "# 3 reads", the header's totals. */
const uncounted = (text: string): string => text
  .replace(/^# Seen on .*$/m, '# Seen on …')
  .replace(/# \d+ (calls?|reads?|starts?)\b/g, '# N $1')
  .replace(/(, e\.g\. .*)?$/gm, '');

/**
 * Record `cmd` twice from the same state. `exact`: the files must be
 * byte-identical; otherwise (a workload whose syscall counts depend on
 * timing) the same entries, counts aside.
 */
async function twice(t: Test, name: string, cmd: readonly string[], reset: () => void, exact: boolean): Promise<void> {
  const texts: string[] = [];
  for (const i of [1, 2]) {
    reset();
    const p = join(out, `${name}-${i}.yaml`);
    const r = await syscage(['record', '-o', p, '--', ...cmd], o);
    t.equal(r.status, 0, `recording ${i} exits 0`, seen(r));
    texts.push(readFileSync(p, 'utf8'));
  }
  const [a, b] = texts as [string, string];
  if (exact) {
    const sameButThreads = a !== b && a.replace(THREADS, 'N threads created') === b.replace(THREADS, 'N threads created');
    t.equal(a, b, 'the two files are byte-identical', {
      todo: sameButThreads && 'BUG record/stage2-threads: only "N threads created" differs: it counts syscage\'s own stage-2 threads',
    });
  } else {
    t.equal(uncounted(a), uncounted(b), 'the two files list the same entries (the call counts in comments may differ)');
  }
  t.notMatch(a, /\b20\d\d-\d\d-\d\d|Date:/, 'no date in the file');
}

t.test('python3 work.py on fixed paths: byte-identical', needsPython, async (t) => {
  const script = fixture('work.py', work);
  await twice(t, 'python', ['python3', script, data], () => rmSync(join(data, 'out.json'), { force: true }), true);
});

// The pipeline is not deterministic to the syscall: how many SIGCHLDs dash handles (rt_sigreturn)
// depends on when its children exit, and the comments count calls.
t.test('/bin/sh -c "/usr/bin/ls | sort | head | wc": the same entries', async (t) => {
  await twice(t, 'shell', ['/bin/sh', '-c', `/usr/bin/ls ${data} | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l`], () => undefined, false);
});

t.test('where the recorded command\'s stdout goes does not become a grant', needsPython, async (t) => {
  // python fstat()s its stdout: newfstatat(1, "", AT_EMPTY_PATH), a read through an fd it holds,
  // which `run` never checks; the observer notes the fd's file as a path read all the same.
  const sink = join(work, 'captured-stdout.txt');
  const p = join(out, 'stdout-to-file.yaml');
  const r = await syscage(['record', '-o', p, '--', 'python3', '-c', 'print("to a file")'], { ...o, stdoutFile: sink });
  t.equal(r.status, 0, 'recorded', seen(r));
  t.equal(readFileSync(sink, 'utf8'), 'to a file\n', 'the command wrote its stdout to the file');
  const text = readFileSync(p, 'utf8');
  const listed = text.includes('captured-stdout.txt');
  t.notOk(listed, 'the profile does not grant the stdout file', {
    text,
    todo: listed && 'BUG record/fd-reads: reads through an fd (fstat of stdout) are recorded as path reads: the stdout file is granted (files.read)',
  });
});
