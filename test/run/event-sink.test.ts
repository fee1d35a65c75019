// Where `syscage run`'s events go when stderr is a pipe: a reader that goes away, or one that does
// not read for a while, never stops the command or changes its exit status (lib/audit/sink.ts). The
// events it could not take are counted in the summary line.
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { syscage, tempDir, until, writeProfile } from './fixtures/harness.js';

const D = tempDir(t);
const SECRET = join(D, 'secret');
writeFileSync(SECRET, 'x\n');
const PROFILE = writeProfile(D, 'sink.yaml', `version: 1
name: sink
default: allow
files:
  read: ["/**"]
  write: [/dev/null, ${D}/**]
  deny: [${SECRET}]
`);
// Enough events (~400 bytes each) to overfill a pipe and a stream's buffer: a writer that blocks on them would block.
const N = 2000;
/** N refused opens by the shell itself (no fork each), then a mark; its own stderr is /dev/null, so only syscage writes to the pipe. */
const command = (mark: string) => ['/bin/sh', '-c', `exec 2>/dev/null; i=0; while [ $i -lt ${N} ]; do read x < ${SECRET}; i=$((i+1)); done; echo done > ${mark}`];

t.test('the reader of stderr goes away: the command runs to its end, and its status comes back', async (t) => {
  const mark = join(D, 'gone');
  let closed = false;
  const r = await syscage(['run', '--profile', PROFILE, '--', ...command(mark)], {
    started: (c: ChildProcess) => c.stderr!.once('data', () => { closed = true; c.stderr!.destroy(); }),
  });
  t.ok(closed, 'the reader went away after the first events');
  t.equal(r.status, 0, `syscage ends with the command's status (${r.status ?? r.signal}), not 70 or a signal`);
  t.ok(existsSync(mark), 'the command ran to its end');
});

t.test('a reader that does not read for a while: the command is not held up, and every event is written or counted', async (t) => {
  const mark = join(D, 'slow');
  let stderr: NodeJS.ReadableStream | undefined;
  const done = syscage(['run', '--profile', PROFILE, '--', ...command(mark)], { started: (c: ChildProcess) => { stderr = c.stderr!; stderr.pause(); } });
  const finishedWhilePaused = await until(() => existsSync(mark), 20_000);
  t.ok(finishedWhilePaused, 'the command finished while nothing read syscage\'s stderr');
  stderr!.resume();
  const r = await done;
  t.equal(r.status, 0);
  const lines = r.stderr.split('\n');
  const written = lines.filter((l) => l.includes('"decision":"deny"')).length;
  const summary = lines.find((l) => l.startsWith('syscage: ') && l.includes('checked calls'));
  t.ok(summary, `a summary line (${summary})`);
  const lost = Number(/, (\d+) events not written \(/.exec(summary ?? '')?.[1] ?? 0);
  t.equal(written + lost, N, `${written} written + ${lost} counted as not written = the ${N} refusals`);
  t.match(summary ?? '', new RegExp(`: ${N} denied`), 'the summary counts every refusal');
});
