// Two recordings of the same deterministic workload, from the same state on
// the same paths, are byte-identical files: no date, no pid, no temporary
// name, everything sorted.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, needsPython, seen, syscage, tempDir } from '../fixtures/record-run/harness.js';

const home = tempDir(t, 'syscage-rec-home-');
const work = tempDir(t, 'syscage-rec-stable-');
const out = join(work, 'out');
const data = join(work, 'data');
mkdirSync(out);
mkdirSync(data);
writeFileSync(join(data, 'in.json'), JSON.stringify({ values: [5, 6, 7] }) + '\n');
for (const n of ['one', 'two', 'three', 'four']) writeFileSync(join(data, n), n + '\n');
const o = { home, cwd: work };

/** The header line that counts processes and threads, which syscage's own stage-2 threads leak into (see shell.test.ts). */
const THREADS = /(\d+) threads? created/;

async function twice(t: Test, name: string, cmd: readonly string[], reset: () => void): Promise<void> {
  const files: Buffer[] = [];
  for (const i of [1, 2]) {
    reset();
    const p = join(out, `${name}-${i}.yaml`);
    const r = await syscage(['record', '-o', p, '--', ...cmd], o);
    t.equal(r.status, 0, `recording ${i} exits 0`, seen(r));
    files.push(readFileSync(p));
  }
  const [a, b] = files.map((f) => f.toString('utf8'));
  const sameButThreads = a !== b && a!.replace(THREADS, 'N threads created') === b!.replace(THREADS, 'N threads created');
  t.ok(files[0]!.equals(files[1]!), 'the two files are byte-identical', {
    first: a, second: b,
    todo: sameButThreads && 'BUG record/stage2-threads: only "N threads created" differs: it counts syscage\'s own stage-2 threads',
  });
  t.notMatch(a, /\b20\d\d-\d\d-\d\d|Date:/, 'no date in the file');
}

t.test('python3 work.py on fixed paths', needsPython, async (t) => {
  const script = fixture('work.py', work);
  await twice(t, 'python', ['python3', script, data], () => rmSync(join(data, 'out.json'), { force: true }));
});

t.test('/bin/sh -c "/usr/bin/ls | sort | head | wc"', async (t) => {
  await twice(t, 'shell', ['/bin/sh', '-c', `/usr/bin/ls ${data} | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l`], () => undefined);
});
