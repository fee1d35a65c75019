// Round trip of a shell pipeline that runs several programs:
//   /bin/sh -c '/bin/ls DIR | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l'
// record, check, replay (same output, zero audit lines); variants that start
// one more program or read a secret are refused and reported. The same
// pipeline with /usr/bin/ls (no symlink on the way) is the control.
import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bare, onlyTheExtra, profileOf, readText, sameAsBare, seen, syscage, tempDir, workspace, type Ran,
} from '../fixtures/record-run/harness.js';

const { home, work, secretDir, dirs: { out, listing: dir } } = workspace(t, 'sh', ['out', 'listing'], { secret: true });
for (const n of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) writeFileSync(join(dir, n), n + '\n');
const secret = join(secretDir, 'token');
writeFileSync(secret, 'ghp_do-not-read\n');
const o = { home, cwd: work };
const pipeline = (ls: string) => `${ls} ${dir} | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l`;
const sh = (script: string) => ['/bin/sh', '-c', script];

interface Recorded { readonly profile: string; readonly native: Ran }

/** Record `script`, check the profile, replay it: what every pipeline must show. */
async function roundTrip(t: Test, name: string, ls: string): Promise<Recorded> {
  const cmd = sh(pipeline(ls));
  const profile = join(out, `${name}.yaml`);
  const native = await bare(cmd, o);
  t.equal(native.status, 0, 'the pipeline runs unsandboxed', seen(native));
  t.equal(native.stdout, '3\n', 'and prints 3', seen(native));

  const r = await syscage(['record', '-o', profile, '--', ...cmd], o);
  t.equal(r.status, 0, 'syscage record exits with the command\'s status', seen(r));
  t.equal(r.stdout, native.stdout, 'the recorded run does the same work', seen(r));
  const { doc, matchers } = profileOf(profile);
  for (const p of [ls, '/usr/bin/sort', '/usr/bin/head', '/usr/bin/wc']) t.ok(matchers.exec?.allow.test(p), `exec.allow has ${p}`, { exec: doc['exec'] });
  t.notOk(matchers.exec?.allow.test('/usr/bin/cat'), 'and no other program', { exec: doc['exec'] });
  t.ok(matchers.files?.readable.test(dir), `allows listing ${dir}`);
  t.equal(doc['process']?.fork, true, 'the shell created processes: fork: true');
  const threads = /(\d+) threads? created/.exec(readText(profile))?.[1];
  t.equal(threads, '0', 'the header counts the threads the command created: none (dash, ls, sort, head and wc are single-threaded here)', {
    // lib/trace/loop.ts copies t.counts.threads, which tracer.ts know() also counts for stage-2 (a Node process) before its execve.
    todo: threads !== '0' && 'BUG record/stage2-threads: "N threads created" counts syscage\'s own stage-2 threads (record -- /bin/true says 9)',
  });

  const c = await syscage(['check', profile], o);
  t.equal(c.status, 0, 'syscage check exits 0', seen(c));

  const log = join(out, `${name}.log`);
  const rr = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd], o);
  sameAsBare(t, rr, native, readText(log));
  return { profile, native };
}

t.test('/bin/ls | sort | head | wc', async (t) => {
  const { profile } = await roundTrip(t, 'pipeline', '/bin/ls');

  t.test('variant (ii): starts one more program', async (t) => {
    const log = join(out, 'extra-program.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...sh(`${pipeline('/bin/ls')} | /usr/bin/cat`)], o);
    t.not(r.status, 0, 'the pipeline fails: its last program could not start', seen(r));
    t.match(r.stderr, /\/usr\/bin\/cat: Operation not permitted/, 'the shell says so (EPERM)', seen(r));
    onlyTheExtra(t, r, readText(log), { syscall: 'execve', path: '/usr/bin/cat', errno: 'EPERM', rule: 'exec.allow' });
  });

  t.test('variant (i): reads a secret', async (t) => {
    const log = join(out, 'secret.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...sh(`${pipeline('/bin/ls')}; read x < ${secret}`)], o);
    t.match(r.stderr, /cannot open .*token: Operation not permitted/, 'the shell could not open it (EPERM)', seen(r));
    onlyTheExtra(t, r, readText(log), { syscall: ['openat', 'open'], path: secret, errno: 'EPERM', rule: 'files.read' });
  });
});

t.test('control: /usr/bin/ls | sort | head | wc (no symlink on the way)', async (t) => {
  await roundTrip(t, 'control', '/usr/bin/ls');
});
