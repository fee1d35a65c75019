// Lambda as it is, end to end: the x86_64 layer's bootstrap behind the real Runtime API emulator,
// started by the platform simulator (test/platform/simulate.mjs) under each of its variants, as
// Lambda's own init starts a function's bootstrap. Two runtimes, each with a profile that extends
// the curated one: aws-lambda-ric (Node) and a Python custom runtime. Their handlers start a
// program exec.allow does not name, connect to a refused destination, and run an allowed static
// program that opens a refused file with a raw syscall.
//
//   variant none        outside the simulator, as root: the kernel tier, which refuses each act
//   variant nnp0, nnp1  seccomp and ptrace refused: the runtime tier, whose monitor kills the
//                       offending process after the fact
//   variant seccomp-ok  ptrace refused: the bpf tier cannot start a profile with an exec section,
//                       so these profiles get the runtime tier too
//
// In the runtime tier each handler also runs under its seatbelt (the Node permission model with
// syscage's preload; a Python audit hook), which refuses what the handler itself does (read a
// refused file, start a program, connect, load native code) before it happens; the monitor kills
// what runs outside it (the static program) after the fact.
//
// Every act is reported with the request id of the invocation it happened in and the tier, and
// the next invocation is served. doctor names the tier under each variant; a profile that demands
// the kernel tier where it is refused is an init error that names the refusal.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startEmulator, type InvocationResult } from '../../lib/runtime/emulator.js';
import { packageRoot } from '../../lib/paths.js';

const run = promisify(execFile);
const root = packageRoot();
const simulate = join(root, 'test', 'platform', 'simulate.mjs');
const ric = join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
const python = '/usr/bin/python3';
/** A Node addon no profile here names (koffi's: a real .node file of this machine's arch). */
const koffi = join(root, 'node_modules', '@koromix', `koffi-linux-${process.arch}`, `linux_${process.arch}`, 'koffi.node');

type Variant = 'none' | 'nnp0' | 'nnp1' | 'seccomp-ok';
const VARIANTS: readonly Variant[] = ['none', 'nnp0', 'nnp1', 'seccomp-ok'];
const TIER: Record<Variant, string> = { none: 'kernel', nnp0: 'runtime', nnp1: 'runtime', 'seccomp-ok': 'runtime' };
const PLATFORM_TIER: Record<Variant, string> = { none: 'kernel', nnp0: 'runtime', nnp1: 'runtime', 'seccomp-ok': 'bpf' };

// Everything the function sees lives under one world-readable directory: under the simulator the
// bootstrap runs as uid 993.
const base = mkdtempSync(join(tmpdir(), 'syscage-platform-'));
chmodSync(base, 0o755);
t.teardown(() => rmSync(base, { recursive: true, force: true }));

let skip: string | false = false;
if (process.getuid?.() !== 0) skip = 'the simulator must start as root (it drops to uid 993 itself)';
else if (process.arch !== 'x64') skip = 'the layer built here is x86_64';
else if (!existsSync(join(root, 'dist', 'lib', 'cli', 'entry.js'))) skip = 'dist/ is not built (npm run build)';
else if (!existsSync('/usr/bin/unzip')) skip = 'unzip is not installed';

const opt = join(base, 'opt');
const program = join(base, 'bin', 'open-raw');
const secret = join(base, 'secret.txt');
if (!skip) {
  try {
    const zip = join(base, 'layer.zip');
    await run(process.execPath, [join(root, 'scripts', 'build-layer.mjs'), '--arch', 'x86_64', '--out', zip], { cwd: root, maxBuffer: 16 << 20 });
    mkdirSync(opt);
    await run('unzip', ['-q', zip, '-d', opt]);
    mkdirSync(join(base, 'bin'));
    await run('gcc', ['-static', '-O2', '-o', program, join(root, 'test', 'fixtures', 'platform', 'open-raw.c')]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    skip = `the layer or the static test program cannot be built here: ${(err.stderr || err.message).trim().split('\n').pop()}`;
  }
  writeFileSync(secret, 'the secret\n', { mode: 0o644 });
}

/** /a/b/c → /a, /a/b: directories Node's module resolution looks at. */
const ancestors = (p: string): string[] => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'));
const q = (s: string): string => JSON.stringify(s);

interface Runtime {
  readonly name: string;
  readonly skip: string | false;
  /** The task root, with its syscage.yaml. */
  readonly task: string;
  readonly handler?: string;
  /** What a program killed with SIGKILL looks like in the handler's answer. */
  readonly killed: unknown;
  /** Its seatbelt in the runtime tier, and what its refusal looks like in the handler's answer. */
  readonly seatbelt: 'node' | 'python';
  readonly refusal: Record<string, unknown>;
  /** Native code its profile does not allow. */
  readonly native: string;
}

function task(name: string, profile: (task: string) => string[], files: Record<string, string>): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const [to, from] of Object.entries(files)) copyFileSync(from, join(dir, to));
  writeFileSync(join(dir, 'syscage.yaml'), profile(dir).join('\n') + '\n');
  return dir;
}

const fixtures = join(root, 'test', 'fixtures', 'platform');
const common = (extra: string[]): string[] => [
  'process: { fork: true }',
  `exec: { allow: [${q(program)}] }`,
  'files:',
  `  read: [${[...extra, `${root}/**`, ...ancestors(root), `${base}/**`, ...ancestors(base)].map(q).join(', ')}]`,
  `  deny: [${q(secret)}]`,
];
const runtimes: Runtime[] = skip ? [] : [
  {
    name: 'node (aws-lambda-ric)',
    skip: existsSync(ric) ? false : 'aws-lambda-ric is not installed: run scripts/install-ric.sh',
    task: task('task-node', () => [
      'version: 1',
      'name: e2e-node',
      'extends: [lambda-nodejs]',
      `command: [${q(join(opt, 'bin', 'node'))}, ${q(ric)}]`,
      // The runtime client's own addon, where the tests install it.
      `seatbelts: { native: [${q(join(dirname(ric), '**'))}] }`,
      ...common(['/usr/bin/**']),
    ], { 'handler.mjs': join(fixtures, 'handler.mjs') }),
    handler: 'handler.handler',
    killed: 'SIGKILL',
    seatbelt: 'node',
    refusal: { error: 'ERR_SYSCAGE_REFUSED', message: /^syscage: refused / },
    native: koffi,
  },
  {
    name: 'python',
    skip: existsSync(python) ? false : `${python} is not installed`,
    task: task('task-python', (dir) => [
      'version: 1',
      'name: e2e-python',
      'extends: [python]',
      `command: [${q(python)}, ${q(join(dir, 'runtime.py'))}]`,
      // What subprocess needs beyond the curated profile (which starts no programs).
      'syscalls: { allow: [vfork, close_range, execve, wait4, dup2] }',
      ...common(['/usr/**', '/lib/**', '/etc/**']),
    ], { 'runtime.py': join(fixtures, 'runtime.py') }),
    killed: 9,
    seatbelt: 'python',
    refusal: { error: 'PermissionError', errno: 13, message: /^\[Errno 13\] syscage: refused / },
    native: 'libc.so.6',
  },
];

/** The refused destination: a local server, which counts what reaches it. */
let server: Server | undefined;
let reached = 0;
let port = 0;
if (!skip) {
  server = createServer((s) => { reached++; s.on('error', () => undefined); });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  t.teardown(() => new Promise<void>((resolve) => server!.close(() => resolve())));
}

/** The bootstrap as Lambda's init starts it: under the simulator (or not, for none), JSON logs. */
async function serve(variant: Variant, taskRoot: string, events: unknown[], handler?: string, profile?: string): Promise<{ results: InvocationResult[] | string; logs: Record<string, any>[]; output: string }> {
  const emulator = await startEmulator({ events, taskRoot, timeoutMs: 30_000, ...(handler ? { handler } : {}) });
  const env = {
    ...emulator.env(), LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_LOG_FORMAT: 'JSON', HOME: '/tmp',
    ...(profile ? { SYSCAGE_PROFILE: profile } : {}),
  };
  const bootstrap = join(opt, 'bootstrap');
  const [cmd, args] = variant === 'none' ? [bootstrap, []] : [process.execPath, [simulate, '--variant', variant, '--', bootstrap]];
  const child = spawn(cmd, args, { cwd: base, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // An init error ends the bootstrap: what the emulator recorded by then is the answer.
  const results = await emulator.resultsBy(exited, 120_000);
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  await emulator.close();
  const logs = output.split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
  return { results, logs, output };
}

const body = (r: InvocationResult | undefined): any => JSON.parse(r?.body?.toString() ?? 'null');

for (const variant of VARIANTS) {
  const tier = TIER[variant];
  const after = tier === 'runtime';
  for (const rt of runtimes) {
    t.test(`${rt.name}, variant ${variant}: tier ${tier}`, { skip: rt.skip }, async (t) => {
      const reachedBefore = reached;
      const events = [
        { n: 1 },
        { act: 'exec' },
        { act: 'connect', host: '127.0.0.1', port },
        { act: 'static', program, path: secret },
        { n: 5 },
        { act: 'read', path: secret },
        { act: 'native', path: rt.native },
        { n: 8 },
      ];
      const { results, logs, output } = await serve(variant, rt.task, events, rt.handler);
      if (typeof results === 'string') {
        t.fail(results, { output: output.slice(-4000) });
        return;
      }
      const diag = { results: results.map((r) => ({ status: r.status, body: r.body?.toString(), error: r.error })), output: output.slice(-4000) };
      const init = logs.find((l) => /^syscage: tier /.test(l.message ?? ''));
      t.equal(init?.tier, tier, `the init log line names the tier: ${init?.message}`, diag);
      t.same(body(results[0]), { echo: { n: 1 } }, 'the first invocation is served', diag);

      const event = (i: number, what: string): Record<string, any> | undefined =>
        logs.map((l) => l.syscage).find((e) => e?.requestId === results[i]!.requestId && e?.rule?.what === what);

      // In the runtime tier the handler's seatbelt refuses what the handler itself does, before it
      // happens; the monitor kills what runs outside it (a static program) after the fact.
      const seatbelt = after ? logs.find((l) => l.seatbelt !== undefined) : undefined;
      if (after) t.equal(seatbelt?.seatbelt, rt.seatbelt, `the init log names the seatbelt: ${seatbelt?.message}`, diag);
      // The curated profiles grant HTTPS by name (*.amazonaws.com:443): the log says what holds it here.
      const dns = logs.find((l) => /^syscage: dns: /.test(l.message ?? ''));
      const guard = { kernel: /resolver answers the names they allow/, bpf: /they allow nothing/, runtime: new RegExp(`the ${rt.seatbelt === 'node' ? 'Node\\.js' : 'Python'} seatbelt refuses other names`) }[tier as 'kernel' | 'bpf' | 'runtime'];
      t.match(dns?.message, guard, `the init log says what guards the profile's host rule: ${dns?.message}`, diag);
      const refusedHere = (b: any, what: string): void => {
        if (after) t.match(b, rt.refusal, `the seatbelt refused the ${what} before it happened: ${JSON.stringify(b)}`, diag);
        else t.ok(b?.error, `the kernel refused the ${what}: ${JSON.stringify(b)}`, diag);
      };

      // 1. A program exec.allow does not name.
      const exec = event(1, 'exec.allow');
      t.ok(exec, 'the exec is reported with the request id of its invocation', diag);
      t.equal(exec?.tier, tier, 'and the tier');
      t.equal(results[1]!.status, 'response', 'the handler lives on (violation: deny)', diag);
      const b1 = body(results[1]);
      t.notMatch(String(b1?.stdout ?? ''), /escaped/, 'the program did not finish its work');
      refusedHere(b1, 'exec');

      // 2. A refused destination.
      const connect = event(2, 'network.connect');
      t.ok(connect, 'the connection is reported with the request id of its invocation', diag);
      t.equal(connect?.address, `127.0.0.1:${port}`);
      t.equal(connect?.tier, tier);
      t.equal(results[2]!.status, 'response', 'the handler lives on (violation: deny)', diag);
      refusedHere(body(results[2]), 'connect');
      t.equal(reached, reachedBefore, 'nothing reached the server');

      // 3. An allowed static program opens a refused file with a raw openat.
      const open = event(3, 'files.deny');
      t.ok(open, 'the open is reported with the request id of its invocation', diag);
      t.equal(open?.path, secret);
      t.equal(open?.tier, tier);
      const b3 = body(results[3]);
      t.notMatch(String(b3?.stdout ?? ''), /held/, 'the program did not hold the file to its end');
      if (after) t.equal(b3?.signal, rt.killed, 'the monitor killed the program', diag);
      else t.match(String(b3?.stdout ?? ''), /^refused/, 'the kernel refused the open', diag);

      t.same(body(results[4]), { echo: { n: 5 } }, 'the next invocation is served', diag);

      // 4. The handler itself reads the refused file.
      const read = event(5, 'files.deny');
      t.ok(read, 'the read is reported with the request id of its invocation', diag);
      t.equal(read?.path, secret);
      t.equal(read?.tier, tier);
      const b5 = body(results[5]);
      t.notOk(b5?.content, 'the handler did not get the content', diag);
      refusedHere(b5, 'read');

      // 5. Native code the profile does not name: refused by the seatbelt; the kernel tier has no
      // such rule (the library is a file files.read grants), so there it loads.
      const b6 = body(results[6]);
      if (after) {
        const native = event(6, 'seatbelts.native');
        t.ok(native, 'the native load is reported with the request id of its invocation', diag);
        refusedHere(b6, 'native library');
      } else {
        t.same(b6, { act: 'native', loaded: true }, 'the kernel tier loads it (files.read grants the file)', diag);
      }
      t.same(body(results[7]), { echo: { n: 8 } }, 'the next invocation is served', diag);
    });
  }
}

// The seatbelts cost each invocation nothing that loses one: 1000 in a row, each answered, in the
// runtime tier with the seatbelt on (the sequence of request ids is the emulator's).
for (const rt of runtimes) {
  t.test(`${rt.name}: 1000 sequential invocations under the seatbelt, none lost`, { skip: rt.skip }, async (t) => {
    const events = Array.from({ length: 1000 }, (_, n) => ({ n }));
    const { results, logs, output } = await serve('nnp0', rt.task, events, rt.handler);
    if (typeof results === 'string') {
      t.fail(results, { output: output.slice(-4000) });
      return;
    }
    t.equal(logs.find((l) => l.seatbelt !== undefined)?.seatbelt, rt.seatbelt, 'under the seatbelt');
    t.equal(results.length, 1000, 'every invocation has a result');
    const wrong = results.map((r, n) => (r.status === 'response' && body(r)?.echo?.n === n ? undefined : { n, status: r.status, body: r.body?.toString() })).filter(Boolean);
    t.same(wrong, [], 'each answered with its own event, in order');
    t.equal(logs.filter((l) => l.syscage).length, 0, 'and nothing refused on the way');
  });
}

t.test('doctor under each variant names the tier, one line per refusal', { skip }, async (t) => {
  for (const variant of VARIANTS) {
    const argv = [join(root, 'bin', 'syscage'), 'doctor', '--profile', join(root, 'profiles', 'lambda-nodejs.yaml')];
    const [cmd, args] = variant === 'none' ? [process.execPath, argv] : [process.execPath, [simulate, '--variant', variant, '--', process.execPath, ...argv]];
    const r = await run(cmd, args, { cwd: base }).catch((e: { stdout: string; code: number }) => e);
    const out = r.stdout;
    t.match(out, new RegExp(`^tier: ${PLATFORM_TIER[variant]}: `, 'm'), `${variant}: doctor names the platform's tier`);
    const failed = out.split('\n').filter((l) => l.startsWith('✗ ')).map((l) => l.split(/\s+/)[1]);
    const refused = out.split('\n').filter((l) => l.startsWith('  refused: ')).map((l) => l.split(/\s+/)[2]!.replace(/:$/, ''));
    t.ok(refused.every((p) => failed.includes(p)), `${variant}: each refused line is a failed probe (${refused.join(', ') || 'none'})`);
    if (variant === 'none') t.same(refused, [], 'none refused outside the simulator');
    else t.ok(refused.includes('ptrace.seize'), `${variant}: ptrace is among the refusals`);
    if (variant !== 'seccomp-ok' && variant !== 'none') t.ok(refused.includes('seccomp.filter'), `${variant}: the seccomp filter too`);
    t.match(out, new RegExp(`^profile lambda-nodejs \\(weakest_tier: runtime\\): tier ${TIER[variant]} here`, 'm'), `${variant}: the curated profile gets tier ${TIER[variant]}`);
  }
});

t.test('a profile that demands the kernel tier where it is refused: Runtime.InitError naming the refusal', { skip: skip || (existsSync(python) ? false : `${python} is not installed`) }, async (t) => {
  const dir = task('task-kernel', (d) => [
    'version: 1',
    'extends: [python]',
    'weakest_tier: kernel',
    `command: [${q(python)}, ${q(join(d, 'runtime.py'))}]`,
  ], { 'runtime.py': join(fixtures, 'runtime.py') });
  for (const variant of ['nnp0', 'seccomp-ok'] as const) {
    const { results, output } = await serve(variant, dir, [{ n: 1 }]);
    const r = typeof results === 'string' ? undefined : results[0];
    t.equal(r?.status, 'init-error', `${variant}: an init error`, { output: output.slice(-3000) });
    t.equal(r?.error?.errorType, 'Runtime.InitError', `${variant}: Runtime.InitError`);
    t.match(r?.error?.errorMessage, /needs the kernel tier \(weakest_tier: kernel at .*syscage\.yaml:3:\d+ accepts nothing weaker\), and this platform refuses it: /, `${variant}: names the rule`);
    t.match(r?.error?.errorMessage, variant === 'nnp0' ? /refuses it: seccomp\.action\.allow: the seccomp syscall is refused here \(EPERM\)/ : /refuses it: ptrace\.seize: PTRACE_SEIZE of a child is refused \(EPERM\)/, `${variant}: and the refusal`);
  }
});
