// Whatever fails, syscage ends: every start-up and shutdown step of every long-running command is
// made to throw in turn (SYSCAGE_TEST_FAULT=STEP, lib/fault.ts), on whichever thread or process it
// runs, and each time the command must exit within 5 s, non-zero, with one line naming the failure
// and no stack trace — and leave nothing behind: no stage-2, no tracee, no probe, no emulator.
//
// The commands run from a copy of the built package in a temp directory, so that whatever they
// started can be found afterwards by its path (stage-2, doctor's probes) or by a marker in its
// environment (the sandboxed command and its children). The same copy, less a data file, shows
// that a broken installation fails fast too.
import t from 'tap';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator } from '../../lib/runtime/emulator.js';
import { cleanEnv, runProcess, type Ran } from '../helpers/spawn.js';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
// About 70 commands one after the other (~1 s each, more on a loaded machine): more than the suite's 120 s per file.
t.setTimeout(360_000);
const work = mkdtempSync(join(tmpdir(), 'syscage-faults-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const python = '/usr/bin/python3';

/** A runnable copy of the package (dist/lib and dist/bundle, the data files, the profiles, bin), minus `without`. */
function copyPackage(name: string, without: string[] = []): string {
  const dir = join(work, name);
  for (const part of ['bin', 'dist/lib', 'dist/bundle', 'lib/arch', 'profiles', 'package.json']) {
    mkdirSync(join(dir, part, '..'), { recursive: true });
    cpSync(join(root, part), join(dir, part), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const f of without) rmSync(join(dir, f));
  return dir;
}

const built = existsSync(join(root, 'dist', 'lib', 'cli', 'entry.js')) && existsSync(join(root, 'dist', 'bundle', 'cli', 'entry.js'));
const pkg = built ? copyPackage('pkg') : '';
const broken = built ? copyPackage('broken', ['lib/arch/syscall-types.csv']) : '';
const skip = built ? false : 'dist/ is not built (npm run build)';

const file = (name: string, text: string) => {
  writeFileSync(join(work, name), text);
  return join(work, name);
};
const profile = file('allow.yaml', 'version: 1\nname: faults\ndefault: allow\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\n');
const secretEvent = file('secret.json', '{"secret": true}');
const echoRuntime = join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py');
/** Reads a refused file (one verdict), then lives on: whatever it started must be killed. */
const longCommand = ['/bin/sh', '-c', 'cat /etc/hostname /etc/shadow; sleep 30'];
/** The same, ending at once: for the steps after the command's end. */
const shortCommand = ['/bin/sh', '-c', 'cat /etc/hostname /etc/shadow; true'];

/** Runs the copy's bin/syscage with the fault armed; kills it after 15 s (a hang is a result). */
const syscage = (dir: string, args: readonly string[], env: Record<string, string>): Promise<Ran> =>
  runProcess(process.execPath, [join(dir, 'bin', 'syscage'), ...args], { env: cleanEnv(env), cwd: work, timeoutMs: 15_000 });

/** Live processes (not zombies) that belong to this case: the copy's path in argv, or the marker in the environment. */
function leftovers(dir: string, marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)) {
    try {
      const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1];
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (cmdline.includes(dir + '/') || environ.split('\0').includes(marker)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** What is still left after a moment (1 s at most: SIGKILL is delivered, zombies are reaped). */
async function leftoversAfterAMoment(dir: string, marker: string): Promise<string[]> {
  let left = leftovers(dir, marker);
  for (let i = 0; i < 20 && left.length; i++) {
    await sleep(50);
    left = leftovers(dir, marker);
  }
  return left;
}

interface Case {
  readonly step: string;
  /** The arguments, and the environment a case adds (bootstrap: the Runtime API). */
  readonly args: readonly string[];
  readonly env?: () => Promise<{ env: Record<string, string>; close: () => Promise<void> }>;
}

const steps = (command: string, list: readonly string[], args: readonly string[], env?: Case['env']) =>
  list.map((step) => [command, { step, args, env }] as const);

// Steps the tracer thread, stage-2 and the main thread go through for any supervised run.
const TRACER = ['tracer.prepare', 'tracer.module', 'tracer.boot', 'tracer.wait', 'stage2.start', 'supervise.compile', 'tracer.launch', 'tracer.decide'];
const lambdaApi = async () => {
  const emulator = await startEmulator({ events: [{ secret: true }, {}] });
  return { env: { ...emulator.env(), SYSCAGE_PROFILE: profile, SYSCAGE_COMMAND: JSON.stringify([python, echoRuntime]) }, close: () => emulator.close() };
};
const CASES: readonly (readonly [string, Case])[] = [
  ...steps('run', [...TRACER, 'supervise.verdict'], ['run', '--profile', profile, '--', ...longCommand]),
  ...steps('run', ['supervise.outcome', 'cli.exit'], ['run', '--profile', profile, '--', ...shortCommand]),
  ...steps('record', TRACER, ['record', '--force', '-o', join(work, 'rec.yaml'), '--', ...longCommand]),
  ...steps('record', ['supervise.outcome', 'record.write', 'cli.exit'], ['record', '--force', '-o', join(work, 'rec.yaml'), '--', ...shortCommand]),
  ...(existsSync(python) ? [
    ...steps('invoke', ['invoke.emulator', 'bootstrap.proxy', ...TRACER, 'supervise.verdict'], ['invoke', '--profile', profile, '--event', secretEvent, '--', python, echoRuntime]),
    ...steps('bootstrap', ['bootstrap.proxy', 'profile.load', ...TRACER, 'supervise.verdict'], ['bootstrap'], lambdaApi),
  ] : []),
  ...steps('doctor', ['doctor.probing', 'doctor.decide', 'cli.exit'], ['doctor']),
  ...steps('check', ['profile.load', 'cli.exit'], ['check', profile]),
  ...steps('compile', ['profile.load', 'cli.exit'], ['compile', profile]),
  ...steps('merge', ['profile.load'], ['merge', profile, profile]),
];

t.test('every step of every long-running command, broken in turn', { skip }, async (t) => {
  if (!existsSync(python)) t.comment(`invoke and bootstrap are not broken here: ${python} (their test runtime) is not installed`);
  const seen: string[] = [];
  let n = 0;
  for (const [command, c] of CASES) {
    const marker = `SYSCAGE_FAULT_CASE=${++n}`;
    const world = c.env ? await c.env() : undefined;
    const r = await syscage(pkg, c.args, { ...world?.env, SYSCAGE_TEST_FAULT: c.step, [marker.split('=')[0]!]: String(n) });
    await world?.close();
    const left = await leftoversAfterAMoment(pkg, marker);
    const lines = r.stderr.split('\n').filter(Boolean);
    // invoke shows the function's log (the bootstrap's records, as Lambda would) and then its own
    // lines; the bootstrap has the log alone. One line of syscage's own names the failure.
    const logRecord = (l: string) => /^\d{4}-\d\d-\d\dT\S*\t/.test(l);
    const own = command === 'bootstrap' ? lines : lines.filter((l) => !logRecord(l));
    const naming = own.filter((l) => l.includes(`injected fault at ${c.step}`));
    const what = `${command} / ${c.step}`;
    const shown = { stderr: r.stderr.slice(-3000) };
    t.notOk(r.timedOut, `${what}: ends by itself`, shown);
    t.ok(r.ms < 5000, `${what}: within 5 s (${(r.ms / 1000).toFixed(1)} s)`, shown);
    t.ok(r.status !== 0, `${what}: exit status non-zero (${r.status ?? r.signal})`, shown);
    t.equal(naming.length, 1, `${what}: one line names the failure`, shown);
    t.same(lines.filter((l) => /^\s+at /.test(l)), [], `${what}: no stack trace`, shown);
    t.same(left, [], `${what}: nothing it started is left`);
    for (const p of left) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    seen.push(`${what.padEnd(36)} exit ${r.status ?? r.signal} in ${(r.ms / 1000).toFixed(1)} s: ${naming[0] ?? lines.at(-1) ?? '(nothing)'}`);
  }
  t.comment(`${seen.length} steps broken:\n${seen.join('\n')}`);
});

t.test('a data file missing from the installation: record and run fail at once, naming it', { skip }, async (t) => {
  for (const args of [
    ['record', '--force', '-o', join(work, 'broken.yaml'), '--', '/bin/ls', '/'],
    ['run', '--profile', profile, '--', '/bin/ls', '/'],
  ]) {
    const marker = `SYSCAGE_FAULT_CASE=broken-${args[0]}`;
    const r = await syscage(broken, args, { SYSCAGE_FAULT_CASE: `broken-${args[0]}` });
    const lines = r.stderr.split('\n').filter(Boolean);
    t.notOk(r.timedOut, `${args[0]}: ends by itself`, { stderr: r.stderr });
    t.ok(r.ms < 5000, `${args[0]}: within 5 s (${(r.ms / 1000).toFixed(1)} s)`);
    t.ok(r.status !== 0, `${args[0]}: exit status non-zero (${r.status})`);
    t.same(lines.length, 1, `${args[0]}: one line`, { stderr: r.stderr });
    t.match(lines[0], /syscall-types\.csv: no such file or directory.*reinstall/, `${args[0]}: names the missing file`);
    await sleep(100);
    t.same(leftovers(broken, marker), [], `${args[0]}: nothing it started is left`);
  }
});

t.test('BPF-only mode (ptrace refused by the platform): a failure after the launch kills the command too', { skip }, async (t) => {
  // Nothing traces the command there, so PTRACE_O_EXITKILL cannot take it: the tracer thread's
  // failure kills it, and stage-2 set PR_SET_PDEATHSIG before its exec.
  const restricted = join(root, 'test', 'doctor', 'fixtures', 'restricted.mjs');
  const marker = 'SYSCAGE_FAULT_CASE=bpf-only';
  // No files section: without a tracer, checked rules fall back to deny, and the loader could not start the command.
  const plain = file('bpf-only.yaml', 'version: 1\nname: bpf-only\ndefault: allow\n');
  for (const step of ['tracer.launch']) {
    const r = await runProcess(process.execPath, [restricted, 'ptrace=EPERM', '--', process.execPath, join(pkg, 'bin', 'syscage'),
      'run', '--profile', plain, '--', '/usr/bin/sleep', '30'], { env: cleanEnv({ SYSCAGE_TEST_FAULT: step, SYSCAGE_FAULT_CASE: 'bpf-only' }), timeoutMs: 15_000 });
    const left = await leftoversAfterAMoment(pkg, marker);
    t.match(r.stderr, /BPF-only mode/, `${step}: the run was BPF-only`, { stderr: r.stderr });
    t.match(r.stderr, new RegExp(`injected fault at ${step}`), `${step}: after the launch`, { stderr: r.stderr });
    t.ok(r.status !== 0 && r.ms < 5000, `${step}: exit ${r.status} in ${(r.ms / 1000).toFixed(1)} s`, { stderr: r.stderr });
    t.same(left, [], `${step}: the command is not left running`);
    for (const p of left) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
  }
});

t.test('the runtime tier (seccomp and ptrace refused, as on Lambda): a failure kills the watched command too', { skip: skip || (process.getuid?.() !== 0 ? 'the platform simulator must start as root' : false) }, async (t) => {
  // No tracer, no filter, no PR_SET_PDEATHSIG (the platform refuses it): the monitor's failure
  // kills what it watches, and so does the process's end (lib/last-words.ts).
  const simulate = join(root, 'test', 'platform', 'simulate.mjs');
  chmodSync(work, 0o755); // the simulator runs syscage as uid 993
  const marker = 'SYSCAGE_FAULT_CASE=runtime-tier';
  const watched = file('runtime-tier.yaml', 'version: 1\nname: runtime-tier\nweakest_tier: runtime\nexec: { allow: [/usr/bin/*] }\n');
  for (const step of ['tier.select', 'monitor.poll']) {
    const r = await runProcess(process.execPath, [simulate, '--variant', 'nnp0', '--', process.execPath, join(pkg, 'bin', 'syscage'),
      'run', '--profile', watched, '--', '/usr/bin/sleep', '30'], { env: cleanEnv({ SYSCAGE_TEST_FAULT: step, SYSCAGE_FAULT_CASE: 'runtime-tier' }), timeoutMs: 15_000 });
    const left = await leftoversAfterAMoment(pkg, marker);
    const lines = r.stderr.split('\n').filter((l) => l && !/^syscage: {3}refused: /.test(l));
    if (step === 'monitor.poll') t.match(r.stderr, /^syscage: tier runtime: /m, `${step}: in the runtime tier`, { stderr: r.stderr });
    t.equal(lines.filter((l) => l.includes(`injected fault at ${step}`)).length, 1, `${step}: one line names the failure`, { stderr: r.stderr });
    t.ok(r.status !== 0 && r.ms < 5000, `${step}: exit ${r.status} in ${(r.ms / 1000).toFixed(1)} s`, { stderr: r.stderr });
    t.same(left, [], `${step}: the command is not left running`);
    for (const p of left) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
  }
});
