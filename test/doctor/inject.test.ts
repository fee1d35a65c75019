// Every probe is isolated: substitute a failing probe function (or a probe process that dies) and
// doctor still produces a full report, with that probe's "no" and reason, and the right mode.
// Dependency injection through runDoctor's options; the real kernel is never mocked for a real run.
import t, { type Test } from 'tap';
import { doctorCommand } from '../../lib/cli/doctor.js';
import {
  PROBE_NAMES, runDoctor, type DoctorReport, type Launch, type LaunchResult, type ProbeFn, type ProbeName,
} from '../../lib/doctor/index.js';
import { UNITS, type Unit } from '../../lib/doctor/units.js';
import { distProblem, parseReport, strayTracees } from './fixtures/helpers.js';

const stale = distProblem();
if (stale) t.fail(stale);

// What the brief says each probe is for, stated here independently of lib/doctor/mode.ts.
const NEEDED_TO_RUN: readonly ProbeName[] = [
  'seccomp.action.allow', 'seccomp.action.errno', 'seccomp.action.kill_process', 'seccomp.action.log',
  'prctl.no_new_privs', 'seccomp.filter',
];
const NEEDED_TO_SUPERVISE: readonly ProbeName[] = [
  'seccomp.action.trace', 'ptrace.seize', 'ptrace.syscall_info', 'ptrace.deny', 'process_vm_readv',
];
const INFORMATIONAL: readonly ProbeName[] = ['seccomp.action.user_notif', 'process.no_new_privs', 'process.seccomp', 'yama.ptrace_scope'];

const yes = (detail = 'fake yes'): ProbeFn => () => ({ ok: true, detail });
const no = (detail: string): ProbeFn => () => ({ ok: false, detail });
const ALL_YES = Object.fromEntries(PROBE_NAMES.map((n) => [n, yes()])) as Record<ProbeName, ProbeFn>;

function complete(t: Test, r: DoctorReport): void {
  t.same(Object.keys(r.probes), [...PROBE_NAMES], 'every probe is in the report, in order');
  for (const [name, p] of Object.entries(r.probes)) {
    if (typeof p.ok !== 'boolean' || typeof p.detail !== 'string' || p.detail === '') t.fail(`${name}: ${JSON.stringify(p)}`);
  }
  t.ok(['supervised', 'bpf-only', 'unavailable'].includes(r.mode), `a mode: ${r.mode}`);
  t.match(r.modeReason, /\.$/, 'a reason, one sentence');
  t.ok(r.limits.length > 0, 'the limits');
}

t.test('the sets above cover every probe', async (t) => {
  t.same([...NEEDED_TO_RUN, ...NEEDED_TO_SUPERVISE, ...INFORMATIONAL].sort(), [...PROBE_NAMES].sort());
});

t.test('one probe says no: its reason is reported, the others are untouched, and the mode follows', async (t) => {
  for (const name of PROBE_NAMES) {
    const reason = `${name} is refused here (test): do something about it.`;
    const r = await runDoctor({ probes: { ...ALL_YES, [name]: no(reason) } });
    complete(t, r);
    t.same(r.probes[name], { ok: false, detail: reason }, `${name}: the no and its reason`);
    t.equal(Object.values(r.probes).filter((p) => !p.ok).length, 1, `${name}: only that one`);
    if (NEEDED_TO_RUN.includes(name)) {
      t.equal(r.mode, 'unavailable', `${name}: syscage cannot run`);
      t.match(r.modeReason, `(${name})`, 'the reason names the probe');
      t.match(r.modeReason, /refuses to run/);
    } else if (NEEDED_TO_SUPERVISE.includes(name)) {
      t.equal(r.mode, 'bpf-only', `${name}: no supervisor`);
      t.match(r.modeReason, `(${name})`);
      t.match(r.modeReason, /BPF-only/);
      t.match(r.modeReason, /exec section cannot start/);
    } else {
      t.equal(r.mode, 'supervised', `${name}: informational only`);
    }
  }
});

t.test('several say no: the mode is the worst, the reason the first needed one', async (t) => {
  const r = await runDoctor({ probes: { ...ALL_YES, 'ptrace.seize': no('x.'), 'seccomp.filter': no('y.'), 'seccomp.action.errno': no('z.') } });
  complete(t, r);
  t.equal(r.mode, 'unavailable');
  t.match(r.modeReason, '(seccomp.action.errno)');
});

t.test('a probe that throws, rejects, answers nonsense or never answers is a no with a reason', async (t) => {
  const start = performance.now();
  const r = await runDoctor({
    probeTimeoutMs: 300,
    probes: {
      ...ALL_YES,
      'ptrace.seize': () => { throw new Error('boom'); },
      'ptrace.deny': () => Promise.reject(new TypeError('kaput')),
      'process_vm_readv': () => ({ yes: 1 }) as unknown as ReturnType<ProbeFn>,
      'yama.ptrace_scope': () => new Promise(() => { /* never */ }),
      'process.seccomp': () => { throw 'a string'; }, // eslint-disable-line no-throw-literal
    },
  });
  t.comment(`with a probe that hangs (300 ms timeout): ${(performance.now() - start).toFixed(0)} ms`);
  complete(t, r);
  t.same(r.probes['ptrace.seize'], { ok: false, detail: 'the probe failed: boom.' });
  t.same(r.probes['ptrace.deny'], { ok: false, detail: 'the probe failed: kaput.' });
  t.match(r.probes.process_vm_readv, { ok: false, detail: /no usable answer/ });
  t.match(r.probes['yama.ptrace_scope'], { ok: false, detail: /did not answer within 300 ms/ });
  t.match(r.probes['process.seccomp'], { ok: false, detail: 'the probe failed: a string.' });
  t.equal(r.mode, 'bpf-only');
  t.match(r.modeReason, '(ptrace.seize)');
});

t.test('every probe fails at once: still a full report, unavailable', async (t) => {
  const r = await runDoctor({ probes: Object.fromEntries(PROBE_NAMES.map((n) => [n, () => { throw new Error(`no ${n}`); }])) });
  complete(t, r);
  for (const n of PROBE_NAMES) t.same(r.probes[n], { ok: false, detail: `the probe failed: no ${n}.` });
  t.equal(r.mode, 'unavailable');
  t.match(r.modeReason, '(seccomp.action.allow)');
});

t.test('real probes, one injected failure: the others still run for real', async (t) => {
  const r = await runDoctor({ probes: { 'ptrace.seize': no('PTRACE_SEIZE of a child is refused (EPERM) (injected).') } });
  complete(t, r);
  t.equal(r.probes['ptrace.seize'].ok, false);
  for (const n of PROBE_NAMES.filter((x) => x !== 'ptrace.seize')) t.equal(r.probes[n].ok, true, `${n}: ${r.probes[n].detail}`);
  t.equal(r.mode, 'bpf-only');
});

t.test('an unsupported arch: unavailable, whatever the probes say', async (t) => {
  const r = await runDoctor({ arch: 'ppc64', probes: ALL_YES });
  t.equal(r.arch, 'ppc64');
  t.equal(r.mode, 'unavailable');
  t.match(r.modeReason, /x86_64 and aarch64, not ppc64/);
});

t.test('environment: Lambda is recognised by either variable; /proc contents are read as given', async (t) => {
  const status = 'Name:\tnode\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\nCapEff:\t0000000000000000\n';
  const files: Record<string, string> = { '/proc/self/status': status, '/proc/sys/kernel/yama/ptrace_scope': '2\n' };
  const readFile = (p: string): string => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return f;
  };
  const only = { 'process.no_new_privs': undefined, 'process.seccomp': undefined, 'yama.ptrace_scope': undefined };
  const probes = { ...ALL_YES, ...only } as Partial<Record<ProbeName, ProbeFn>>;
  for (const k of Object.keys(only)) delete probes[k as ProbeName];

  let r = await runDoctor({ probes, readFile, env: { AWS_LAMBDA_FUNCTION_NAME: 'orders' } });
  t.same(r.lambda, { inside: true, functionName: 'orders', executionEnv: null });
  t.match(r.probes['process.no_new_privs'], { ok: true, detail: /^1: already set/ });
  t.match(r.probes['process.seccomp'], { ok: true, detail: /^2: .*3 seccomp filters/ });
  t.match(r.probes['yama.ptrace_scope'], { ok: false, detail: /^2 \(admin-only\).*lacks; .*ptrace_scope to 1/ });
  t.equal(r.mode, 'supervised', 'yama is informational: ptrace.seize decides');

  files['/proc/self/status'] = status.replace(/CapEff:.*/, 'CapEff:\t000001ffffffffff'); // every capability (CAP_SYS_PTRACE is bit 19)
  delete files['/proc/sys/kernel/yama/ptrace_scope'];
  r = await runDoctor({ probes, readFile, env: { AWS_EXECUTION_ENV: 'AWS_Lambda_provided.al2023' } });
  t.same(r.lambda, { inside: true, functionName: null, executionEnv: 'AWS_Lambda_provided.al2023' });
  t.match(r.probes['yama.ptrace_scope'], { ok: true, detail: /^absent/ });

  files['/proc/sys/kernel/yama/ptrace_scope'] = '2\n';
  r = await runDoctor({ probes, readFile, env: {} });
  t.match(r.probes['yama.ptrace_scope'], { ok: true, detail: /which this process has/ });
  t.equal(r.lambda.inside, false);

  delete files['/proc/self/status'];
  r = await runDoctor({ probes, readFile, env: {} });
  complete(t, r);
  t.match(r.probes['process.no_new_privs'], { ok: false, detail: /cannot read \/proc\/self\/status \(ENOENT\)/ });
});

// ---- probe processes that die --------------------------------------------------------------------

const line = (o: object): string => JSON.stringify(o) + '\n';
const answers = (units: readonly Unit[], ok = true): string =>
  units.flatMap((u) => UNITS[u].map((p) => line({ t: 'result', probe: p, ok, detail: `${p} (fake process)` }))).join('');
const ended = (o: Partial<LaunchResult>): LaunchResult => ({ stdout: '', stderr: '', code: 0, signal: null, timedOut: false, ...o });

/** A fake launcher: `script` says how each launch goes; every launch's units are recorded. */
function fakeLaunch(script: (units: readonly Unit[], n: number) => LaunchResult | Promise<LaunchResult>): Launch & { calls: Unit[][] } {
  const calls: Unit[][] = [];
  const f: Launch = async (units) => {
    calls.push([...units]);
    return script(units, calls.length);
  };
  return Object.assign(f, { calls });
}

t.test('killed by SIGSYS during a unit: that unit says why, a new process runs the units after it', async (t) => {
  const launch = fakeLaunch((units) => {
    if (units.includes('prctl')) {
      return ended({
        stdout: answers(['actions']) + line({ t: 'step', probe: 'prctl.no_new_privs', doing: 'prctl(PR_SET_NO_NEW_PRIVS)' }) + 'garbage\n{"t":"result"}\n',
        code: null, signal: 'SIGSYS',
      });
    }
    if (units[0] === 'vm_readv') {
      return ended({
        stdout: answers(['vm_readv']) + line({ t: 'step', probe: 'ptrace.seize', doing: 'ptrace(PTRACE_SEIZE)' }),
        code: null, signal: 'SIGSYS',
      });
    }
    return ended({ stdout: answers(units) });
  });
  const r = await runDoctor({ launch });
  complete(t, r);
  t.same(launch.calls.sort(), [['actions', 'prctl', 'filter'], ['filter'], ['vm_readv', 'ptrace']].sort(), 'relaunched after prctl only');
  t.match(r.probes['prctl.no_new_privs'], { ok: false, detail: 'the probe process was killed by SIGSYS during prctl(PR_SET_NO_NEW_PRIVS): a seccomp policy of this platform kills processes that make that call.' });
  t.match(r.probes['seccomp.filter'], { ok: true, detail: 'seccomp.filter (fake process)' });
  t.match(r.probes['seccomp.action.trace'], { ok: true });
  t.match(r.probes['ptrace.seize'], { ok: false, detail: /killed by SIGSYS during ptrace\(PTRACE_SEIZE\)/ });
  t.match(r.probes['ptrace.syscall_info'], { ok: false, detail: 'not tried: the probe process was killed by SIGSYS during ptrace.seize (ptrace(PTRACE_SEIZE)).' });
  t.match(r.probes['ptrace.deny'], { ok: false, detail: /^not tried: / });
  t.match(r.probes.process_vm_readv, { ok: true });
  t.equal(r.mode, 'unavailable');
  t.match(r.modeReason, '(prctl.no_new_privs)');
});

t.test('a probe process that hangs in a unit: timed out there, the next units still run', async (t) => {
  const launch = fakeLaunch((units) => units[0] === 'actions'
    ? ended({ stdout: answers(['actions']) + line({ t: 'step', probe: 'prctl.no_new_privs', doing: 'prctl(PR_SET_NO_NEW_PRIVS)' }), code: null, signal: 'SIGKILL', timedOut: true })
    : ended({ stdout: answers(units) }));
  const r = await runDoctor({ launch, processTimeoutMs: 1234 });
  t.match(r.probes['prctl.no_new_privs'], { ok: false, detail: /did not finish within 1234 ms during prctl\(PR_SET_NO_NEW_PRIVS\): the machine may be overloaded/ });
  t.match(r.probes['seccomp.filter'], { ok: true });
});

t.test('a probe process that dies before any probe, cannot start, or ends without answers', async (t) => {
  const cases: [string, Launch, RegExp][] = [
    ['timed out starting', fakeLaunch(() => ended({ code: null, signal: 'SIGKILL', timedOut: true })), /did not finish within \d+ ms before any probe ran/],
    ['exit 1 at start-up', fakeLaunch(() => ended({ code: 1, stderr: 'Error: Cannot find module koffi\n    at x\nError: koffi is gone\n' })), /exited with status 1 \(Error: koffi is gone\) before any probe ran/],
    ['cannot spawn', fakeLaunch(() => ended({ code: null, error: 'spawn EAGAIN' })), /could not be started \(spawn EAGAIN\).*cannot start its probe processes/],
    ['the launcher throws', () => { throw new Error('no fork for you'); }, /could not be started \(no fork for you\)/],
    ['the launcher rejects', () => Promise.reject(new Error('nope')), /could not be started \(nope\)/],
    ['exit 0, silent', fakeLaunch(() => ended({ stdout: 'hello\n' })), /ended without answering this probe; this is a bug/],
  ];
  for (const [what, launch, detail] of cases) {
    const r = await runDoctor({ launch });
    complete(t, r);
    for (const u of Object.keys(UNITS) as Unit[]) for (const p of UNITS[u]) t.match(r.probes[p], { ok: false, detail }, `${what}: ${p}`);
    t.equal(r.mode, 'unavailable', what);
    t.equal(r.probes['process.seccomp'].ok, true, `${what}: doctor's own probes still answer`);
    if ('calls' in launch) t.equal((launch as { calls: unknown[] }).calls.length, 2, `${what}: one launch per group, no retry without progress`);
  }
});

t.test('the real probe processes, killed by a very short timeout: a full report, nothing left behind', async (t) => {
  for (const ms of [1, 60, 120, 250, 400, 600]) {
    const start = performance.now();
    const r = await runDoctor({ processTimeoutMs: ms });
    t.comment(`process timeout ${ms} ms: doctor took ${(performance.now() - start).toFixed(0)} ms, mode ${r.mode}`);
    complete(t, r);
    const timedOut = Object.values(r.probes).filter((p) => /did not finish within/.test(p.detail));
    if (ms === 1) t.equal(timedOut.length, Object.values(UNITS).flat().length, '1 ms: every process probe timed out');
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(strayTracees(), [], 'no test child outlived its probe process');
});

t.test('the command with injected probes: exit 3 when unavailable, 0 when bpf-only; --json parses', async (t) => {
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { out: (s: string | Uint8Array) => { o.out += String(s); }, err: (s: string) => { o.err += s; }, outIsTty: false } };
  };
  let c = io();
  t.equal(await doctorCommand({ probes: { ...ALL_YES, 'seccomp.filter': no('no filter.') } }).run({ json: true }, c.io, {}), 3);
  t.equal(parseReport(c.o.out).mode, 'unavailable');

  c = io();
  t.equal(await doctorCommand({ probes: { ...ALL_YES, 'ptrace.seize': no('no ptrace.') } }).run({ json: true }, c.io, {}), 0);
  t.equal(parseReport(c.o.out).mode, 'bpf-only');

  c = io();
  t.equal(await doctorCommand({ probes: { ...ALL_YES, 'ptrace.seize': no('no ptrace.') } }).run({ json: false }, c.io, {}), 0);
  t.match(c.o.out, /^✗ ptrace\.seize +no ptrace\.$/m);
  t.match(c.o.out, /^✓ ptrace\.deny +fake yes$/m);
  t.match(c.o.out, /^mode: bpf-only: ptrace is not permitted \(ptrace\.seize\), so syscage runs BPF-only/m);
});
