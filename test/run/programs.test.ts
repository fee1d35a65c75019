// Real programs under realistic profiles print the same stdout and exit with
// the same status as they do without syscage: coreutils, sh pipelines,
// python3, node (a file read, a worker thread, a child process), exit statuses
// and signals passed through, stdin passed through, multi-threaded tracees
// (node workers, python threads, a pthread C program) and a workload that
// forks 200 processes. Wall times are printed (t.comment), not asserted.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ATTEMPT, bare, events, FIXTURES, HELPERS, NO_PYTHON, seen, syscage, tempDir, writeProfile, type Ran } from './fixtures/harness.js';

const D = tempDir(t);
const HOME = join(D, 'home');
mkdirSync(HOME);
mkdirSync(join(D, 'out'));
mkdirSync(join(D, 'bin'));
writeFileSync(join(D, 'a.txt'), 'one\ntwo\nthree\n');
for (const f of ['b.txt', 'c.txt', 'd.txt']) writeFileSync(join(D, f), `${f}\n`);

const READ = `/, /usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /sys/**, /dev/**, /selinux, ${HELPERS}/**, ${FIXTURES}/**, ${D}/**`;

/** `default: allow` with files and exec sections that allow what coreutils, sh and python need. */
const COREUTILS = writeProfile(D, 'coreutils.yaml', `version: 1
name: coreutils
default: allow
files:
  read: [${READ}]
  write: [${D}/out/**, /dev/null, /dev/tty]
exec:
  allow: [/usr/bin/*, /bin/*, ${D}/bin/*]
`);

/** The shipped Node.js profile (default: deny), with the paths and programs these scripts use. */
const NODE = writeProfile(D, 'node.yaml', `version: 1
name: node-app
extends: [nodejs]
files:
  read: [${READ}]
  write: [${D}/out/**, /dev/null]
exec:
  allow: [/usr/bin/node, /usr/bin/echo, /bin/echo]
`);

// gcc, for the pthread program; skip that row with a reason when it is missing.
const PTHREADS = join(D, 'bin', 'pthreads');
const gcc = spawnSync('gcc', ['-O1', '-pthread', '-o', PTHREADS, join(FIXTURES, 'pthreads.c')], { encoding: 'utf8' });
const noGcc = gcc.error ? `gcc is not installed (${gcc.error.message})` : gcc.status !== 0 ? `gcc failed: ${gcc.stderr}` : undefined;

interface Program {
  readonly name: string;
  readonly profile: string;
  readonly cmd: readonly string[];
  readonly input?: string;
  /** The status it must exit with (besides matching the run without syscage). */
  readonly status?: number;
  /** What its stdout must be (besides matching the run without syscage). */
  readonly stdout?: RegExp;
  readonly skip?: string;
  /** Print the wall times. */
  readonly timed?: boolean;
}

const NODE_WORKER = `
const { Worker } = require('node:worker_threads');
const code = 'const { parentPort, workerData } = require("node:worker_threads");'
  + 'parentPort.postMessage(require("node:fs").readFileSync(workerData, "utf8").split("\\\\n").length)';
const w = new Worker(code, { eval: true, workerData: ${JSON.stringify(join(D, 'a.txt'))} });
w.on('message', (n) => console.log('worker counted', n, 'lines'));
w.on('error', (e) => { console.error(e); process.exit(1); });
`;

const PROGRAMS: readonly Program[] = [
  { name: 'ls', profile: COREUTILS, cmd: ['ls', D], stdout: /a\.txt\nb\.txt/ },
  { name: 'ls -l of a file', profile: COREUTILS, cmd: ['ls', '-l', join(D, 'a.txt')], stdout: /a\.txt/ },
  { name: 'cat', profile: COREUTILS, cmd: ['cat', join(D, 'a.txt'), join(D, 'b.txt')], stdout: /^one\ntwo\nthree\nb\.txt\n$/ },
  { name: 'wc', profile: COREUTILS, cmd: ['wc', '-l', join(D, 'a.txt')], stdout: /^3 / },
  { name: 'sort', profile: COREUTILS, cmd: ['sort', join(FIXTURES, 'words.txt')], stdout: /^apple\nbanana\ncherry\n/ },
  { name: 'head', profile: COREUTILS, cmd: ['head', '-n', '2', join(FIXTURES, 'words.txt')], stdout: /^pear\napple\n$/ },
  { name: 'a sh pipeline', profile: COREUTILS, cmd: ['sh', '-c', 'ls /usr/bin | sort | head -5 | wc -l'], stdout: /^5\n$/ },
  { name: 'sh writing a file, then reading it back', profile: COREUTILS, cmd: ['sh', '-c', `echo saved > ${D}/out/s.txt && cat ${D}/out/s.txt`], stdout: /^saved\n$/ },
  { name: 'exit status passes through', profile: COREUTILS, cmd: ['sh', '-c', 'exit 7'], status: 7 },
  { name: 'killed by SIGTERM: 128+15', profile: COREUTILS, cmd: ['sh', '-c', 'kill -TERM $$'], status: 143 },
  { name: 'stdin passes through', profile: COREUTILS, cmd: ['cat'], input: 'hi\nthere\n', stdout: /^hi\nthere\n$/ },
  { name: 'stdin through a pipeline', profile: COREUTILS, cmd: ['sh', '-c', 'sort | head -1'], input: 'b\na\nc\n', stdout: /^a\n$/ },
  { name: 'python3', profile: COREUTILS, cmd: ['python3', '-c', `import json; print(json.dumps(sorted(open(${JSON.stringify(join(D, 'a.txt'))}).read().split())))`], stdout: /^\["one", "three", "two"\]\n$/ },
  { name: 'python3 threads', profile: COREUTILS, cmd: ['python3', '-I', ATTEMPT, 'threads', '16'], stdout: /^ok threads 16\n$/, timed: true },
  { name: 'node -e reading a file', profile: NODE, cmd: ['node', '-e', `process.stdout.write(require('node:fs').readFileSync(${JSON.stringify(join(D, 'a.txt'))}))`], stdout: /^one\ntwo\nthree\n$/, timed: true },
  { name: 'node worker_threads', profile: NODE, cmd: ['node', '-e', NODE_WORKER], stdout: /^worker counted 4 lines\n$/, timed: true },
  { name: 'node child_process.execFileSync of /bin/echo', profile: NODE, cmd: ['node', '-e', `process.stdout.write(require('node:child_process').execFileSync('/bin/echo', ['from', 'echo']))`], stdout: /^from echo\n$/, timed: true },
  { name: 'a pthread C program (8 threads)', profile: COREUTILS, cmd: [PTHREADS, '8', join(D, 'a.txt')], stdout: /^threads 8 reads 400\n$/, skip: noGcc, timed: true },
  {
    name: 'a shell loop spawning 200 /bin/true', profile: COREUTILS,
    cmd: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do /bin/true || exit 1; i=$((i+1)); done; echo spawned $i'],
    stdout: /^spawned 200\n$/, timed: true,
  },
];

/** The status a shell would show: the exit code, or 128+N for a signal. */
const shellStatus = (r: Ran): number | null => r.status ?? (r.signal ? 128 + constants.signals[r.signal] : null);

const ENV = { PATH: '/usr/bin:/bin', HOME };

for (const p of PROGRAMS) {
  t.test(p.name, { skip: p.skip ?? (p.cmd[0] === 'python3' ? NO_PYTHON : undefined) ?? false }, async (t) => {
    const opts = { env: ENV, input: p.input, cwd: D };
    const plain = await bare(p.cmd, opts);
    const r = await syscage(['run', '--profile', p.profile, '--', ...p.cmd], opts);
    const diag = { ...seen(r), without: { status: shellStatus(plain), stdout: plain.stdout, stderr: plain.stderr } };
    t.equal(r.stdout, plain.stdout, 'the same stdout as without syscage', diag);
    t.equal(r.status, shellStatus(plain), 'the same exit status as without syscage', diag);
    if (p.status !== undefined) t.equal(r.status, p.status, `exit ${p.status}`, diag);
    if (p.stdout) t.match(r.stdout, p.stdout, 'the expected output', diag);
    const evs = events(r.stderr);
    t.same(evs.map((e) => `${e.syscall} ${e.path ?? e.address ?? ''}`), [], 'the realistic profile refused nothing', diag);
    if (p.timed) t.comment(`${p.name}: ${r.ms.toFixed(0)} ms under syscage, ${plain.ms.toFixed(0)} ms without`);
  });
}

t.test('a program that is not in exec.allow, started by an allowed shell, is refused (the profiles above are not allow-all)', async (t) => {
  const profile = writeProfile(D, 'only-sh.yaml', `version: 1
name: only-sh
default: allow
files:
  read: [${READ}]
exec:
  allow: [/usr/bin/sh, /usr/bin/dash, /bin/sh]
`);
  const r = await syscage(['run', '--profile', profile, '--', 'sh', '-c', 'ls /; echo status $?'], { env: ENV, cwd: D });
  const diag = seen(r);
  t.equal(r.status, 0, 'sh goes on', diag);
  t.match(r.stdout, /^status 126\n$/, 'sh could not exec ls (126)', diag);
  t.match(events(r.stderr)[0] ?? {}, { syscall: 'execve', path: '/usr/bin/ls', rule: { what: 'exec.allow' } }, 'the refused execve is reported', diag);
});

t.test('fixtures are in place', async (t) => {
  t.ok(existsSync(join(FIXTURES, 'pthreads.c')), 'test/fixtures/run/pthreads.c');
  t.ok(existsSync(join(FIXTURES, 'words.txt')), 'test/fixtures/run/words.txt');
});
