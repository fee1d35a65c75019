// The command's life under syscage: nothing it started outlives syscage —
// not when syscage is SIGKILLed (PTRACE_O_EXITKILL), not when the command
// exits leaving children behind — and SIGINT / SIGTERM / SIGHUP sent to
// syscage reach the command, whose own exit status comes back.
//
// Processes are told apart by pid and start time (a pid may be reused), found
// through the /proc ppid chain below syscage and through the pids the workload
// writes to a file itself.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commOf, descendants, FIXTURES, identity, launch, needsPython, seen, stillRunning, syscage, tempDir, until, writeProfile } from './fixtures/harness.js';

const D = tempDir(t);
const PROFILE = writeProfile(D, 'lifecycle.yaml', `version: 1
name: lifecycle
default: allow
files:
  read: [/, /usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /sys/**, /dev/**, ${FIXTURES}/**, ${D}/**]
  write: [${D}/**, /dev/null]
exec:
  allow: [/usr/bin/*, /bin/*]
`);
const ENV = { PATH: '/usr/bin:/bin', HOME: D };

/** The pids a workload wrote to `file`, one a line. */
const pidsIn = (file: string): number[] => {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

interface Workload {
  readonly name: string;
  /** A command that writes its pids to $1 (appended), prints "ready" and keeps running. */
  readonly cmd: (pidfile: string) => string[];
  /** At least this many processes below syscage once ready (stage-2 became the command). */
  readonly atLeast: number;
}

const WORKLOADS: readonly Workload[] = [
  { name: 'sleep 30', cmd: (f) => ['sh', '-c', `echo $$ >> ${f}; echo ready; exec sleep 30`], atLeast: 1 },
  {
    name: 'a forking shell (children and grandchildren sleeping)',
    // "ready" once all four pids are written (the subshell forks its sleep on its own time).
    cmd: (f) => ['sh', '-c', `sleep 30 & echo $! >> ${f}; (sleep 31 & echo $! >> ${f}; wait) & echo $! >> ${f}; echo $$ >> ${f}; ` +
      `while [ "$(wc -l < ${f})" -lt 4 ]; do sleep 0.02; done; echo ready; wait`],
    atLeast: 4,
  },
  {
    name: 'a shell forking /bin/true in a loop',
    cmd: (f) => ['sh', '-c', `echo $$ >> ${f}; echo ready; while :; do /bin/true; done`],
    atLeast: 1,
  },
];

for (const wl of WORKLOADS) {
  t.test(`SIGKILL to syscage: ${wl.name} — no tracee survives`, async (t) => {
    const pidfile = join(D, `pids-${Math.random().toString(36).slice(2)}`);
    const run = launch(['run', '--profile', PROFILE, '--', ...wl.cmd(pidfile)], { env: ENV, cwd: D });
    await run.stdoutMatches(/^ready$/m);
    const pid = run.child.pid!;
    const below = descendants(pid);
    const ids = [...new Set([...below, ...pidsIn(pidfile)])].map(identity).filter((x): x is string => x !== undefined);
    const names = ids.map((id) => `${id} ${commOf(Number(id.split('@')[0]))}`);
    t.ok(below.length >= wl.atLeast, `at least ${wl.atLeast} processes below syscage before the kill`, { below, names });
    t.ok(pidsIn(pidfile).every((p) => below.includes(p)), 'every pid the workload wrote is below syscage', { below, written: pidsIn(pidfile) });

    run.child.kill('SIGKILL');
    const r = await run.done;
    t.equal(r.signal, 'SIGKILL', 'syscage was SIGKILLed', seen(r));
    const t0 = performance.now();
    const allGone = await until(() => ids.every((id) => !stillRunning(id)), 5000);
    t.ok(allGone, 'every process of the command is gone within 5 s', { left: ids.filter(stillRunning), names });
    t.comment(`${ids.length} processes gone ${(performance.now() - t0).toFixed(0)} ms after syscage was killed`);
  });
}

t.test('SIGKILL to syscage while it is still launching the command: nothing is left', async (t) => {
  for (const delay of [0, 40, 80, 120, 160, 200]) {
    const run = launch(['run', '--profile', PROFILE, '--', 'sleep', '30'], { env: ENV, cwd: D });
    await new Promise((r) => setTimeout(r, delay));
    const ids = descendants(run.child.pid!).map(identity).filter((x): x is string => x !== undefined);
    run.child.kill('SIGKILL');
    await run.done;
    const gone = await until(() => ids.every((id) => !stillRunning(id)), 5000);
    t.ok(gone, `killed ${delay} ms after the start: the ${ids.length} process(es) below it are gone`, { left: ids.filter(stillRunning).map((id) => `${id} ${commOf(Number(id.split('@')[0]))}`) });
  }
});

const SIGNALS = [['SIGTERM', 'TERM'], ['SIGINT', 'INT'], ['SIGHUP', 'HUP']] as const;

for (const [sig, name] of SIGNALS) {
  t.test(`${sig} to syscage is passed on to the command`, needsPython, async (t) => {
    const run = launch(['run', '--profile', PROFILE, '--', 'python3', '-I', join(FIXTURES, 'trap.py')], { env: ENV, cwd: D });
    await run.stdoutMatches(/^ready$/m);
    run.child.kill(sig);
    const r = await run.done;
    const diag = seen(r);
    t.match(r.stdout, new RegExp(`^got ${name}$`, 'm'), `the command got ${sig}`, diag);
    t.equal(r.status, 3, 'syscage exits with the command\'s own status (3)', diag);
  });
}

t.test('a command killed by a signal it does not handle: 128+N', async (t) => {
  const run = launch(['run', '--profile', PROFILE, '--', 'sh', '-c', 'echo ready; exec sleep 30'], { env: ENV, cwd: D });
  await run.stdoutMatches(/^ready$/m);
  run.child.kill('SIGTERM');
  const r = await run.done;
  t.equal(r.status, 143, 'SIGTERM forwarded, the command died of it: 143', seen(r));
});

t.test('after the command exits, nothing it started is left running', async (t) => {
  const pidfile = join(D, 'left-behind');
  // A background child, a grandchild reparented away (subshell exits), and one in its own session.
  const script = `sleep 30 & echo $! >> ${pidfile}; (sleep 31 & echo $! >> ${pidfile}) ; (setsid sleep 32 & echo $! >> ${pidfile}); exit 3`;
  const r = await syscage(['run', '--profile', PROFILE, '--', 'sh', '-c', script], { env: ENV, cwd: D, timeoutMs: 20_000 });
  const diag = seen(r);
  t.equal(r.status, 3, 'the command\'s status', diag);
  // The children held syscage's stdout open: had they lived on, the run would not have ended before them.
  t.ok(r.ms < 15_000, `syscage ended with its command (${r.ms.toFixed(0)} ms), not with its children`, diag);
  const pids = pidsIn(pidfile);
  t.equal(pids.length, 3, 'three processes were left behind by the command', { pids, ...diag });
  const gone = await until(() => pids.every((p) => identity(p) === undefined || !['sleep', 'setsid'].includes(commOf(p) ?? '')), 3000);
  t.ok(gone, 'none of them is running', { left: pids.filter((p) => identity(p) !== undefined).map((p) => `${p} ${commOf(p)}`) });
});

t.test('a normal run leaves no process behind', async (t) => {
  const pidfile = join(D, 'normal');
  const r = await syscage(['run', '--profile', PROFILE, '--', 'sh', '-c', `echo $$ >> ${pidfile}; /bin/true & echo $! >> ${pidfile}; wait`], { env: ENV, cwd: D });
  t.equal(r.status, 0, 'exit 0', seen(r));
  const ids = pidsIn(pidfile);
  t.ok(await until(() => ids.every((p) => identity(p) === undefined || !['sh', 'true'].includes(commOf(p) ?? ''))), 'all gone', { ids });
});
