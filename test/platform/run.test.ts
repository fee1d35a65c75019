// `syscage run` under the platform simulator: it uses the strongest tier the platform allows and
// the profile accepts, says which (and what the platform refused), and refuses to run a profile
// that accepts no tier the platform allows, naming the refusal: exit 71, never a silent downgrade.
import t from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
const simulate = join(root, 'test', 'platform', 'simulate.mjs');
const bin = join(root, 'bin', 'syscage');
const dir = mkdtempSync(join(tmpdir(), 'syscage-platform-run-'));
chmodSync(dir, 0o755);
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const skip = process.getuid?.() !== 0 ? 'the simulator must start as root (it drops to uid 993 itself)' : false;

const profile = (name: string, lines: string[]): string => {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, ['version: 1', `name: ${name}`, ...lines].join('\n') + '\n', { mode: 0o644 });
  return p;
};

interface Ran { code: number | null; stdout: string; stderr: string }
const run = (variant: string, args: string[]): Promise<Ran> => new Promise((resolve) => {
  execFile(process.execPath, [simulate, '--variant', variant, '--', process.execPath, bin, ...args], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
  });
});

// On a pipe an event may follow a line the command began (lib/audit/sink.ts): it is the object that ends its line.
const events = (stderr: string): Record<string, any>[] => stderr.split('\n').filter((l) => l.includes('{"time":')).map((l) => JSON.parse(l.slice(l.indexOf('{"time":'))));

t.test('nnp0: the runtime tier, said once with what was refused; the monitor kills a refused program', { skip }, async (t) => {
  // The monitor alone: a Node command would otherwise run under its seatbelt (next test).
  const p = profile('rt', ['weakest_tier: runtime', 'exec: { allow: [] }', 'seatbelts: { tiers: [] }']);
  const r = await run('nnp0', ['run', '--profile', p, '--', process.execPath, '-e',
    'const r = require("child_process").spawnSync("/bin/sh", ["-c", "sleep 2; echo escaped"], { encoding: "utf8" }); console.log(JSON.stringify({ signal: r.signal, out: r.stdout }))']);
  const diag = { stderr: r.stderr };
  t.equal(r.code, 0, 'the command ran to its end (violation: deny kills only the offender)', diag);
  t.match(r.stderr, /^syscage: tier runtime: the strongest tier this platform allows$/m, 'the tier, said once', diag);
  t.match(r.stderr, /^syscage: {3}refused: ptrace\.seize: /m, 'with what the platform refused');
  t.match(r.stderr, /^syscage: {3}refused: seccomp\.filter: /m);
  t.same(JSON.parse(r.stdout), { signal: 'SIGKILL', out: '' }, 'the program was killed before it finished');
  // The shell, and its sleep when the shell had started it before the poll (then orphaned: still watched).
  const e = events(r.stderr);
  t.ok(e.length >= 1 && e.length <= 2, 'one event per refused program', diag);
  t.match(e[0], { syscall: 'exec', decision: 'kill', exe: '/usr/bin/dash', tier: 'runtime', rule: { what: 'exec.allow', at: /rt\.yaml:4:/ } });
  t.ok(e.slice(1).every((x) => x.exe === '/usr/bin/sleep'), 'and no other', diag);
  t.match(r.stderr, new RegExp(`^syscage: \\d+ polls of the process monitor: ${e.length} found, ${e.length} killed, tier runtime$`, 'm'), 'the summary names the tier');
});

t.test('nnp0: a Python command under its seatbelt: the read refused before it happens, syscage\'s own launcher not a finding', { skip: skip || (existsSync('/usr/bin/python3') ? false : '/usr/bin/python3 is not installed') }, async (t) => {
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'the secret\n', { mode: 0o644 });
  // files.read does not grant syscage's own install: the launcher Python holds open is still no finding.
  const p = profile('py', ['extends: [python]', 'files:', `  read: [/usr/**, /lib/**, /etc/**, ${dir}/**, /tmp]`, `  deny: [${secret}]`]);
  const r = await run('nnp0', ['run', '--profile', p, '--', '/usr/bin/python3', '-c',
    `try:\n  print(open(${JSON.stringify(secret)}).read())\nexcept OSError as e:\n  print("refused", e.errno)`]);
  const diag = { stderr: r.stderr };
  t.equal(r.code, 0, 'the command ran to its end', diag);
  t.equal(r.stdout.trim(), 'refused 13', 'the read was refused in the process (EACCES)', diag);
  t.match(r.stderr, /^syscage: seatbelt: python: a Python audit hook refuses before the act/m, 'the seatbelt, said');
  const e = events(r.stderr);
  t.equal(e.length, 1, 'one event', diag);
  t.match(e[0], { syscall: 'open', decision: 'deny', errno: 'EACCES', path: secret, tier: 'runtime', rule: { what: 'files.deny', at: /py\.yaml:6:/ }, reason: /refused by the Python seatbelt before it happened/ });
  t.match(r.stderr, /^syscage: \d+ polls of the process monitor: 1 found, 0 killed, 1 refused by the seatbelt, tier runtime$/m, 'the summary counts it');
});

t.test('a profile that does not accept the runtime tier: exit 71, naming the refusal and the rule', { skip }, async (t) => {
  const kernel = profile('kernel', ['weakest_tier: kernel']);
  const byDefault = profile('default', ['default: allow']);
  for (const variant of ['nnp0', 'nnp1']) {
    const r = await run(variant, ['run', '--profile', kernel, '--', '/bin/true']);
    t.equal(r.code, 71, `${variant}: weakest_tier kernel: exit 71`, { stderr: r.stderr });
    t.match(r.stderr, /needs the kernel tier \(weakest_tier: kernel at .*kernel\.yaml:3:15 accepts nothing weaker\), and this platform refuses it: seccomp\.action\.allow: the seccomp syscall is refused here \(EPERM\).* \(and \d+ more refusals: syscage doctor lists them\)/);
    const d = await run(variant, ['run', '--profile', byDefault, '--', '/bin/true']);
    t.equal(d.code, 71, `${variant}: the default (bpf): exit 71`);
    t.match(d.stderr, /needs the bpf tier \(weakest_tier: bpf \(the default\) accepts nothing weaker\), and this platform refuses it: seccomp\.action\.allow: /, 'names the seccomp refusal');
  }
});

t.test('seccomp-ok: the bpf tier for a profile without an exec section, the runtime tier for one with', { skip }, async (t) => {
  const bpf = profile('bpf', ['default: allow', 'syscalls: { deny: [getppid] }']);
  const r = await run('seccomp-ok', ['run', '--profile', bpf, '--', '/usr/bin/python3', '-c', 'import os; print(os.getppid())']);
  t.match(r.stderr, /^syscage: tier bpf: the strongest tier this platform allows$/m, 'the bpf tier', { stderr: r.stderr });
  t.equal(r.stdout.trim(), '-1', 'the filter refused getppid in the kernel (os.getppid gives -1)');
  t.match(r.stderr, /, tier bpf$/m, 'the summary names the tier');
  const withExec = profile('bpf-exec', ['weakest_tier: runtime', 'exec: { allow: [] }']);
  const x = await run('seccomp-ok', ['run', '--profile', withExec, '--', '/bin/true']);
  t.equal(x.code, 0, { stderr: x.stderr });
  t.match(x.stderr, /^syscage: tier runtime: the platform refuses ptrace and the bpf tier cannot start a profile with an exec section/m);
});
