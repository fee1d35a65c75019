// `syscage doctor` on this machine, for real: every probe runs against the kernel (root, ptrace and
// seccomp available, no Yama), so everything is a yes and the mode is supervised. In-process through
// runDoctor and main(), and as the real binary.
import t from 'tap';
import { hostArch } from '../../lib/arch/index.js';
import { PROBE_NAMES, runDoctor } from '../../lib/doctor/index.js';
import { runCli } from '../helpers/cli.js';
import { bin, distProblem, parseReport, runProgram, strayTracees } from './fixtures/helpers.js';

const stale = distProblem();
if (stale) t.fail(stale);

t.test('runDoctor here: every probe says yes, mode supervised', async (t) => {
  const start = performance.now();
  const r = await runDoctor();
  t.comment(`runDoctor took ${(performance.now() - start).toFixed(0)} ms`);

  for (const name of PROBE_NAMES) {
    const p = r.probes[name];
    t.equal(p.ok, true, `${name}: ${p.detail}`);
    t.match(p.detail, /^\S.{10,}$/, `${name}: one line of explanation`);
  }
  t.equal(r.mode, 'supervised', r.modeReason);
  t.match(r.modeReason, /every rule/);
  t.equal(r.arch, hostArch());
  t.equal(r.node, process.version);
  t.match(r.kernel, /^\d+\.\d+/);
  t.match(r.version, /^\d+\.\d+\.\d+/);
  t.match(r.probes['ptrace.syscall_info'].detail, /op SECCOMP, nr getppid \(\d+\) and ret_data 0x5ca6/);
  t.match(r.probes['ptrace.deny'].detail, /saw EDOM/);
  t.match(r.probes['seccomp.filter'].detail, /EDOM/);
});

t.test('the known limits: TOCTOU is listed, closed by the hold', async (t) => {
  const r = await runDoctor({ probes: Object.fromEntries(PROBE_NAMES.map((n) => [n, () => ({ ok: true, detail: 'fake' })])) });
  const toctou = r.limits.find((l) => l.id === 'toctou');
  t.ok(toctou, 'a toctou entry');
  t.equal(toctou?.status, 'by design', 'closed by the hold: what remains is how it works');
  t.match(toctou?.text, /TOCTOU/);
  t.match(toctou?.text, /stopped/);
  t.same(new Set(r.limits.map((l) => l.id)).size, r.limits.length, 'ids are unique');
  for (const l of r.limits) t.match(l, { id: /^[a-z0-9-]+$/, status: /^(open|by design)$/, text: /\.$/ });
});

t.test('syscage doctor --json (in-process): one JSON object with the documented keys, exit 0', async (t) => {
  const r = await runCli(['doctor', '--json']);
  t.equal(r.status, 0, r.err);
  t.equal(r.err, '', 'nothing on stderr');
  const report = parseReport(r.out);
  t.equal(report.mode, 'supervised');
  t.equal(report.tier, 'kernel');
  t.same(report.refusals, [], 'nothing refused here');
  t.match(report.backend, { name: /^(notify|ptrace)$/, why: /./ }, 'the kernel tier names its backend, and why');
  t.same(report.lambda, { inside: false, functionName: null, executionEnv: null }, 'not in Lambda here');
  t.same(Object.keys((report.limits as object[])[0]!), ['id', 'status', 'text']);
});

t.test('syscage doctor (in-process): the table', async (t) => {
  const r = await runCli(['doctor']);
  t.equal(r.status, 0, r.err);
  const lines = r.out.split('\n');
  t.match(lines[0], /^syscage \S+ doctor: (x86_64|aarch64), Linux /);
  for (const name of PROBE_NAMES) {
    const line = lines.find((l) => l.split(/\s+/)[1] === name);
    t.match(line, new RegExp(`^✓ ${name.replace(/\./g, '\\.')}\\s+\\S`), `one ✓ line for ${name}`);
  }
  t.match(r.out, /^mode: supervised: /m);
  t.match(r.out, /^backend: (notify|ptrace): /m, 'the kernel tier names its backend');
  t.match(r.out, /^known limits:\n {2}by design +A path or address is never read twice \(TOCTOU closed\)/m);
});

t.test('the real binary: --json parses, exit 0, in reasonable time', async (t) => {
  const r = await runProgram([process.execPath, bin, 'doctor', '--json']);
  t.comment(`bin/syscage doctor --json: ${r.ms.toFixed(0)} ms wall (Node start-up of the CLI included)`);
  t.equal(r.status, 0, r.err);
  const report = parseReport(r.out);
  t.equal(report.mode, 'supervised', report.modeReason);
  t.same(Object.values(report.probes).filter((p) => !p.ok), [], 'no probe says no');
  t.same(strayTracees(), [], 'no test child left behind');
});

t.test('--help documents the exit statuses and the modes', async (t) => {
  const r = await runCli(['doctor', '--help']);
  t.equal(r.status, 0);
  t.match(r.out, /syscage doctor/);
  t.match(r.out, /--json/);
  t.match(r.out.replace(/\s+/g, ' '), /Exit status: 0 when syscage can enforce the kernel or bpf tier here \(with --profile: when that profile can run here\), 3 when it cannot/);
  t.match(r.out.replace(/\s+/g, ' '), /kernel \(mode supervised[\s\S]*bpf \(mode bpf-only[\s\S]*runtime \(mode unavailable/);
  const all = await runCli(['--help']);
  t.match(all.out, /syscage doctor/, 'listed in syscage --help');
});

t.test('doctor --timeout: a slow (emulated) machine can give its probes longer; a bad value is a usage error', async (t) => {
  const ok = await runCli(['doctor', '--json', '--timeout', '30000']);
  t.equal(ok.status, 0, ok.err);
  t.equal(JSON.parse(ok.out).mode, 'supervised');
  for (const bad of ['-3', '0', 'soon']) {
    const r = await runCli(['doctor', '--timeout', bad]);
    t.equal(r.status, 2, `--timeout ${bad}: exit 2`);
    t.match(r.err, /--timeout must be a positive number of milliseconds/, `--timeout ${bad}: says why`);
  }
});
