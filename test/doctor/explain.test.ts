// The sentences for failures this machine does not have (old kernels, Yama, refused calls), the
// probe-process protocol, and the text table.
import t from 'tap';
import * as explain from '../../lib/doctor/explain.js';
import { formatReport, LIMITS, PROBE_NAMES, type DoctorReport } from '../../lib/doctor/index.js';
import { probeEnv } from '../../lib/doctor/launch.js';
import { parseProbeLine } from '../../lib/doctor/units.js';

/** One sentence a user can act on: starts with a word, ends with a full stop, one line. */
const sentence = /^[^\s].*\.$/;

t.test('every "no" is one sentence', async (t) => {
  const all: string[] = [
    ...(Object.keys(explain.ACTIONS) as explain.ActionKey[]).map(explain.actionMissing),
    ...['ENOSYS', 'EINVAL', 'EPERM', 'EFAULT'].map(explain.actionQueryFailed),
    explain.prctlRefused('EPERM', true), explain.prctlRefused('EPERM', false),
    ...['EACCES', 'EINVAL', 'ENOSYS', 'EFAULT', 'EPERM'].map(explain.filterRefused),
    explain.launcherNoNewPrivsFailed('EPERM'), explain.filterIneffective('returned 1'),
    ...['EPERM', 'ENOSYS', 'EINVAL', 'EBUSY'].map((e) => explain.seizeRefused(e, { capSysPtrace: false })),
    explain.syscallInfoFailed('EIO'), explain.syscallInfoFailed('ESRCH'), explain.syscallInfoWrong('gave op 1'),
    explain.noSeccompStop('getppid returned 1'), explain.testChildFailed('x'), explain.traceeFilterFailed('failed (x)'),
    explain.denyFailed('EIO'), explain.denyIneffective('returned 1'),
    explain.vmReadvRefused('EPERM'), explain.vmReadvRefused('ENOSYS'), explain.vmReadvRefused('EFAULT'), explain.vmReadvWrong('0x00'), explain.procRefused('/proc/1/maps', 'EACCES'),
    ...[undefined, '0', '1', '2', '3', '7'].map((v) => explain.yamaScope(v, false).detail),
    ...[undefined, '0', '1', '2'].map((m) => explain.seccompState(m, '1').detail),
    ...(['0', '1', undefined] as const).map(explain.noNewPrivsState),
  ];
  for (const s of all) t.match(s, sentence, s);
});

t.test('why PTRACE_SEIZE was refused, from Yama and capabilities', async (t) => {
  t.match(explain.seizeRefused('EPERM', { yamaScope: '3', capSysPtrace: true }), /ptrace_scope is 3 .*BPF-only/);
  t.match(explain.seizeRefused('EPERM', { yamaScope: '2', capSysPtrace: false }), /ptrace_scope is 2 and this process lacks CAP_SYS_PTRACE/);
  t.match(explain.seizeRefused('EPERM', { yamaScope: '2', capSysPtrace: true }), /security policy/, 'scope 2 with the capability: something else refused it');
  t.match(explain.seizeRefused('EPERM', { capSysPtrace: false }), /security policy \(a seccomp filter or an LSM\) forbids ptrace/);
  t.match(explain.seizeRefused('EINVAL', { capSysPtrace: false }), /Linux 5\.3/);
});

t.test('Yama scopes: which are fine for syscage', async (t) => {
  t.same([undefined, '0', '1'].map((v) => explain.yamaScope(v, false).ok), [true, true, true]);
  t.equal(explain.yamaScope('2', false).ok, false);
  t.equal(explain.yamaScope('2', true).ok, true);
  t.equal(explain.yamaScope('3', true).ok, false, 'scope 3 binds root too');
  t.match(explain.yamaScope(undefined, false).detail, /^absent/);
});

t.test('old kernels: the actions syscage needs and the one it does not', async (t) => {
  t.match(explain.actionMissing('kill_process'), /Linux < 4\.14/);
  t.match(explain.actionMissing('trace'), /BPF-only/);
  t.match(explain.actionMissing('user_notif'), /ptrace backend/);
  t.match(explain.syscallInfoFailed('EIO'), /Linux 5\.3/);
});

t.test('probe lines: what counts, and noise that does not', async (t) => {
  t.same(parseProbeLine('{"t":"step","probe":"ptrace.seize","doing":"x"}'), { t: 'step', probe: 'ptrace.seize', doing: 'x' });
  t.same(parseProbeLine('{"t":"result","probe":"seccomp.filter","ok":false,"detail":"d","extra":1}'), { t: 'result', probe: 'seccomp.filter', ok: false, detail: 'd' });
  for (const noise of ['', 'ready', '{', 'null', '[]', '{"t":"result","probe":"nope","ok":true,"detail":"d"}',
    '{"t":"result","probe":"seccomp.filter","ok":"yes","detail":"d"}', '{"t":"step","probe":"seccomp.filter"}', '{"t":"other","probe":"seccomp.filter"}']) {
    t.equal(parseProbeLine(noise), undefined, JSON.stringify(noise));
  }
});

t.test('the table: a heading, one line per probe, the mode, the limits', async (t) => {
  const probes = Object.fromEntries(PROBE_NAMES.map((n, i) => [n, { ok: i % 2 === 0, detail: `detail ${i}.` }])) as DoctorReport['probes'];
  const report: DoctorReport = {
    version: '9.9.9', arch: 'aarch64', kernel: '6.1.0', node: 'v20.0.0', nodeEndOfLife: { major: 20, date: '2026-04-30', past: false },
    lambda: { inside: true, functionName: 'f', executionEnv: 'AWS_Lambda_provided.al2023' },
    probes, mode: 'bpf-only', modeReason: 'because.', tier: 'bpf', refusals: [{ probe: 'ptrace.seize', detail: 'refused.' }], limits: LIMITS,
  };
  const lines = formatReport(report).split('\n');
  t.equal(lines[0], 'syscage 9.9.9 doctor: aarch64, Linux 6.1.0, Node v20.0.0, inside AWS Lambda (function f, AWS_Lambda_provided.al2023)');
  const rows = lines.filter((l) => /^[✓✗] /.test(l));
  t.equal(rows.length, PROBE_NAMES.length);
  rows.forEach((row, i) => {
    t.equal(row.startsWith(i % 2 === 0 ? '✓ ' : '✗ '), true, row);
    t.equal(row.split(/\s+/)[1], PROBE_NAMES[i]);
    t.equal(row.indexOf('detail'), rows[0]!.indexOf('detail'), 'details line up');
  });
  t.ok(lines.includes('mode: bpf-only: because.'));
  t.match(lines.find((l) => l.startsWith('tier: ')), /^tier: bpf: the seccomp filter alone/, 'the tier, after the mode');
  t.ok(lines.includes('  refused: ptrace.seize: refused.'), 'one line per refusal');
  t.ok(lines.includes('known limits:'));
  t.match(lines.find((l) => l.includes('TOCTOU')), /^ {2}by design {2}A path or address/);
});

t.test('a probe process keeps only what the loader needs of the environment', async (t) => {
  const pid = { SYSCAGE_DOCTOR_PID: String(process.pid) };
  t.same(probeEnv({ NODE_OPTIONS: '--require /tmp/evil.js', PATH: '/usr/bin', LD_LIBRARY_PATH: '/opt/lib' }), { LD_LIBRARY_PATH: '/opt/lib', ...pid });
  t.same(probeEnv({ NODE_OPTIONS: '--inspect' }), pid);
});
