// `bin/syscage doctor` where the platform refuses things, for real: test/doctor/fixtures/restricted.mjs puts
// a seccomp policy on doctor's process (and so on every process it starts), as a restricted host
// does — calls refused with an errno, or killing the caller with SIGSYS. The kernel is real; only
// the policy is ours.
import t, { type Test } from 'tap';
import { distProblem, parseReport, runRestricted, strayTracees } from './fixtures/helpers.js';

const stale = distProblem();
if (stale) t.fail(stale);

async function doctorUnder(t: Test, rules: string[], env: Record<string, string> = {}) {
  const r = await runRestricted(rules, ['doctor', '--json'], env);
  t.comment(`${rules.join(' ')}: ${r.ms.toFixed(0)} ms, exit ${r.status}`);
  t.equal(r.err, '', 'nothing on stderr');
  return { status: r.status, report: parseReport(r.out) };
}

t.test('Lambda-like: ptrace refused, prctl(PR_SET_NO_NEW_PRIVS) refused with NoNewPrivs already set', async (t) => {
  const { status, report } = await doctorUnder(t, ['ptrace=EPERM', 'prctl@38=EPERM'], {
    AWS_LAMBDA_FUNCTION_NAME: 'orders', AWS_EXECUTION_ENV: 'AWS_Lambda_provided.al2023',
  });
  const p = report.probes;
  t.equal(status, 0, 'syscage can run: exit 0');
  t.equal(report.mode, 'bpf-only');
  t.match(report.modeReason, /^ptrace is not permitted \(ptrace\.seize\), so syscage runs BPF-only/);
  t.same(report.lambda, { inside: true, functionName: 'orders', executionEnv: 'AWS_Lambda_provided.al2023' });
  t.match(p['ptrace.seize'], { ok: false, detail: /^PTRACE_SEIZE of a child is refused \(EPERM\)/ });
  t.match(p['ptrace.syscall_info'], { ok: false, detail: /^not tried: PTRACE_SEIZE/ });
  t.match(p['ptrace.deny'], { ok: false, detail: /^not tried: PTRACE_SEIZE/ });
  t.match(p['prctl.no_new_privs'], { ok: true, detail: /refused \(EPERM\) but NoNewPrivs is already 1/ });
  t.match(p['process.no_new_privs'], { ok: true, detail: /^1: already set/ });
  t.match(p['process.seccomp'], { ok: true, detail: /^2: this process already runs under 1 seccomp filter/ });
  t.match(p['seccomp.filter'], { ok: true });
  t.match(p.process_vm_readv, { ok: true });
});

t.test('ptrace kills the caller (SIGSYS): the probe process dies, doctor does not', async (t) => {
  const { status, report } = await doctorUnder(t, ['ptrace=KILL']);
  const p = report.probes;
  t.equal(status, 0);
  t.equal(report.mode, 'bpf-only');
  t.match(p['ptrace.seize'], { ok: false, detail: 'the probe process was killed by SIGSYS during ptrace(PTRACE_SEIZE): a seccomp policy of this platform kills processes that make that call.' });
  t.match(p['ptrace.syscall_info'], { ok: false, detail: /^not tried: the probe process was killed by SIGSYS during ptrace\.seize/ });
  t.match(p.process_vm_readv, { ok: true }, 'the unit before it in the same process still answered');
  t.match(p['seccomp.filter'], { ok: true });
});

t.test('seccomp() kills the caller: unavailable, exit 3, and every other probe still answers', async (t) => {
  const { status, report } = await doctorUnder(t, ['seccomp=KILL']);
  const p = report.probes;
  t.equal(status, 3, 'exit 3: syscage cannot run here');
  t.equal(report.mode, 'unavailable');
  t.match(report.modeReason, /\(seccomp\.action\.allow\), so syscage refuses to run/);
  t.match(p['seccomp.action.allow'], { ok: false, detail: /killed by SIGSYS during seccomp\(SECCOMP_GET_ACTION_AVAIL\)/ });
  t.match(p['seccomp.action.trace'], { ok: false, detail: /^not tried: / });
  t.match(p['prctl.no_new_privs'], { ok: true }, 'a new probe process ran the next unit');
  t.match(p['seccomp.filter'], { ok: false, detail: /killed by SIGSYS during seccomp\(SECCOMP_SET_MODE_FILTER\)/ });
  t.match(p['ptrace.seize'], { ok: true });
  t.match(p['ptrace.syscall_info'], { ok: false, detail: /the test child was killed by SIGSYS while it set no_new_privs and installed its seccomp filter/ });
});

t.test('seccomp() refused with EPERM: unavailable, exit 3', async (t) => {
  const { status, report } = await doctorUnder(t, ['seccomp=EPERM']);
  t.equal(status, 3);
  t.equal(report.mode, 'unavailable');
  t.match(report.probes['seccomp.action.allow'], { ok: false, detail: /the seccomp syscall is refused here \(EPERM\)/ });
  t.match(report.probes['seccomp.filter'], { ok: false, detail: /failed with EPERM/ });
});

t.test('process_vm_readv refused: bpf-only', async (t) => {
  const { status, report } = await doctorUnder(t, ['process_vm_readv=EPERM']);
  t.equal(status, 0);
  t.equal(report.mode, 'bpf-only');
  t.match(report.modeReason, /\(process_vm_readv\)/);
  t.match(report.probes.process_vm_readv, { ok: false, detail: /refused \(EPERM\)/ });
  t.match(report.probes['ptrace.deny'], { ok: true }, 'ptrace itself still works');
});

t.test('no test child left behind by the killed probe processes', async (t) => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(strayTracees(), []);
});
