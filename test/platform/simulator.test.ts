// test/platform/simulate.mjs, the local stand-in for AWS Lambda's restrictions, checked against the
// real kernel: under each variant a probe (fixtures/refusals.mjs) makes every call the platform
// governs and reports the kernel's answer; every refusal must come with the stated errno, and what
// stays allowed must still work. A control run (variant none, as root, no filter) shows that each
// probe call answers differently without the policy, so a pass cannot come from the probe alone.
// Then real runtimes under each variant: node and python3 must start, make threads and children.
import t, { type Test } from 'tap';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { hostArch } from '../../lib/arch/index.js';
import { runProcess, type Ran } from '../helpers/spawn.js';

const root = packageRoot();
const simulate = join(root, 'test', 'platform', 'simulate.mjs');
const probe = join(root, 'test', 'platform', 'fixtures', 'refusals.mjs');
const LAMBDA_ID = '993';

type Variant = 'none' | 'nnp0' | 'nnp1' | 'seccomp-ok';
const VARIANTS: readonly Exclude<Variant, 'none'>[] = ['nnp0', 'nnp1', 'seccomp-ok'];

/** The simulator and the probe import the compiled library: missing or stale dist/ is a failure, not a skip. */
function distProblem(): string | undefined {
  for (const dir of ['native', 'bpf', 'arch']) {
    for (const src of ['index.ts', ...(dir === 'native' ? ['ffi.ts', 'syscall.ts', 'seccomp.ts', 'prctl.ts', 'process.ts'] : [])]) {
      const ts = join(root, 'lib', dir, src);
      const js = join(root, 'dist', 'lib', dir, src.replace(/\.ts$/, '.js'));
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) return `${js} is missing or older than its source: run npm run build`;
    }
  }
  return undefined;
}

/** Whether uid 993 (in no group but its own) can reach `file` and run it (or read it): every directory above it searchable by others, the file executable (readable) by others. */
function usableBy993(file: string, access: 'run' | 'read' = 'run'): boolean {
  try {
    if ((statSync(file).mode & (access === 'run' ? 0o001 : 0o004)) === 0) return false;
    for (let d = dirname(file); ; d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return false;
      if (d === '/') return true;
    }
  } catch {
    return false;
  }
}

/** The first python3 in PATH that uid 993 can run, as the simulator's own PATH search would find it. */
function python3(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir || '.', 'python3');
    try {
      accessSync(p, constants.X_OK);
    } catch {
      continue;
    }
    if (usableBy993(p)) return p;
  }
  return undefined;
}

/** PROGRAM ARGS under the simulator, core dumps off (a variant kills other-ABI syscalls with SIGSYS). */
function run(variant: Variant | string, argv: readonly string[]): Promise<Ran> {
  return runProcess('/bin/sh', ['-c', 'ulimit -c 0; exec "$@"', 'sh', process.execPath, simulate, '--variant', variant, '--', ...argv], { cwd: root, timeoutMs: 60_000 });
}

type Line = Record<string, unknown> & { check: string };

/** The probe's report under a variant: check name → its line (without the name). */
async function probeUnder(t: Test, variant: Variant): Promise<Map<string, Record<string, unknown>>> {
  const r = await run(variant, [process.execPath, probe]);
  t.equal(r.stderr, '', `${variant}: nothing on stderr`);
  t.equal(r.status, 0, `${variant}: the probe ran to its end`);
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  t.equal(lines.at(-1)?.check, 'done', `${variant}: the probe finished every check`);
  return new Map(lines.map(({ check, ...rest }) => [check, rest]));
}

const ok = (ret = 0) => ({ ret, errno: null });
const refused = (errno: string) => ({ ret: -1, errno });
const NAMESPACE_CLONES = ['NEWNS', 'NEWCGROUP', 'NEWUTS', 'NEWIPC', 'NEWUSER', 'NEWPID', 'NEWNET', 'NEWTIME'].map((f) => `clone(CLONE_${f}|CLONE_THREAD)`);

/** What each probe call must answer under each variant. */
function expected(variant: Variant): Record<string, unknown> {
  const lambda = variant === 'nnp0' || variant === 'nnp1';
  const filtered = variant !== 'none';
  const nnp = variant === 'nnp1' ? 1 : 0;
  // Without a policy: what the kernel itself answers to these calls (see fixtures/refusals.mjs).
  return {
    status: filtered
      ? { Uid: `${LAMBDA_ID} ${LAMBDA_ID} ${LAMBDA_ID} ${LAMBDA_ID}`, Gid: `${LAMBDA_ID} ${LAMBDA_ID} ${LAMBDA_ID} ${LAMBDA_ID}`, Groups: '', CapEff: '0000000000000000', CapPrm: '0000000000000000', NoNewPrivs: String(nnp), Seccomp: '2', Seccomp_filters: '1' }
      : { Uid: '0 0 0 0', Gid: '0 0 0 0', NoNewPrivs: '0', Seccomp: '0', Seccomp_filters: '0' },
    RLIMIT_NOFILE: filtered ? { soft: '1024', hard: '1024' } : { soft: String, hard: String },
    'prctl(PR_SET_SECCOMP)': lambda ? refused('EPERM') : refused('EFAULT'),
    'prctl(PR_SET_NAME)': lambda ? refused('EPERM') : refused('EFAULT'),
    'prctl(PR_SET_PDEATHSIG)': lambda ? refused('EPERM') : ok(),
    'prctl(PR_GET_DUMPABLE)': ok(1),
    'prctl(PR_GET_NO_NEW_PRIVS)': ok(nnp),
    'prctl(PR_SET_NO_NEW_PRIVS)': lambda ? refused('EPERM') : ok(),
    'seccomp(SET_MODE_FILTER, NULL)': lambda ? refused('EPERM') : refused('EFAULT'),
    // Where prctl is allowed the probe has just set no_new_privs, so a real filter goes on.
    'seccomp install': lambda ? refused('EPERM') : ok(),
    'unshare(0)': filtered ? refused('EPERM') : ok(),
    'unshare(CLONE_NEWUSER)': filtered ? refused('EPERM') : refused('EINVAL'),
    'setns(-1, 0)': filtered ? refused('EPERM') : refused('EBADF'),
    ...Object.fromEntries(NAMESPACE_CLONES.map((c) => [c, filtered ? refused('EPERM') : refused('EINVAL')])),
    'clone(CLONE_THREAD)': refused('EINVAL'),
    'clone3(NULL, 0)': lambda ? refused('ENOSYS') : refused('EINVAL'),
    'fork and exec': { status: 0, stdout: 'forked\n', error: null },
    'ptrace(PTRACE_SEIZE, child)': filtered ? refused('EPERM') : ok(),
    done: {},
  };
}

const stale = distProblem();
const notRoot = process.getuid?.() !== 0 ? 'the simulator must run as root (it installs a filter without no_new_privs, then switches to uid 993)' : undefined;
const unreachable = !usableBy993(process.execPath) || !usableBy993(probe, 'read')
  ? `uid 993 cannot run ${process.execPath} or read this checkout (${root}): every directory above them must be searchable by others`
  : undefined;
const skip = notRoot ?? unreachable;

if (stale) t.fail(stale);
else if (skip) t.plan(0, skip);
else {
  t.test('control: without the simulator\'s policy (variant none, root) every probe call answers otherwise', async (t) => {
    const got = await probeUnder(t, 'none');
    const want = expected('none');
    t.same([...got.keys()], Object.keys(want), 'the same checks, in order');
    for (const [check, value] of Object.entries(want)) t.match(got.get(check), value, check);
  });

  for (const variant of VARIANTS) {
    t.test(`${variant}: every refusal with its errno, everything else allowed`, async (t) => {
      const got = await probeUnder(t, variant);
      const want = expected(variant);
      t.same([...got.keys()], Object.keys(want), 'the same checks, in order');
      for (const [check, value] of Object.entries(want)) t.same(got.get(check), value, check);
    });
  }

  t.test('node runs under every variant: console.log, threads, a child process', async (t) => {
    for (const variant of ['none', ...VARIANTS]) {
      const plain = await run(variant, [process.execPath, '-e', 'console.log(1)']);
      t.same({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr }, { status: 0, stdout: '1\n', stderr: '' }, `${variant}: node -e 'console.log(1)'`);
      // A worker thread (pthread_create: clone3, ENOSYS under nnp*, then clone) and a child (fork).
      const busy = await run(variant, [process.execPath, '-e', `
        const { Worker } = require('node:worker_threads');
        const w = new Worker('require("node:worker_threads").parentPort.postMessage(process.getuid())', { eval: true });
        w.once('message', (uid) => console.log(uid, require('node:child_process').execFileSync('/bin/echo', ['child']).toString().trim()));`]);
      t.same({ status: busy.status, stdout: busy.stdout, stderr: busy.stderr },
        { status: 0, stdout: `${variant === 'none' ? 0 : LAMBDA_ID} child\n`, stderr: '' }, `${variant}: node with a worker thread and a child process`);
    }
  });

  const python = python3();
  t.test('python3 runs under every variant: print, a thread, posix_spawn', { skip: python ? false : 'no python3 in PATH that uid 993 can run' }, async (t) => {
    for (const variant of ['none', ...VARIANTS]) {
      const plain = await run(variant, ['python3', '-c', 'print(1)']);
      t.same({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr }, { status: 0, stdout: '1\n', stderr: '' }, `${variant}: python3 -c 'print(1)'`);
      // posix_spawn in glibc >= 2.34 tries clone3 first: under nnp* it must fall back to clone.
      const busy = await run(variant, ['python3', '-c', [
        'import os, threading',
        'th = threading.Thread(target=lambda: None); th.start(); th.join()',
        'pid = os.posix_spawn("/bin/true", ["/bin/true"], {})',
        'print(os.getuid(), os.waitpid(pid, 0)[1])',
      ].join('\n')]);
      t.same({ status: busy.status, stdout: busy.stdout, stderr: busy.stderr },
        { status: 0, stdout: `${variant === 'none' ? 0 : LAMBDA_ID} 0\n`, stderr: '' }, `${variant}: python3 with a thread and posix_spawn`);
    }
  });

  t.test('another ABI is killed: an x32 syscall number (x86_64)', { skip: hostArch() === 'x86_64' ? false : `no x32 ABI on ${hostArch()}` }, async (t) => {
    const x32getpid = `import(${JSON.stringify(join(root, 'dist', 'lib', 'native', 'index.js'))}).then((n) => console.log(n.rawSyscall(0x40000000 | 39).errno))`;
    const control = await run('none', [process.execPath, '-e', x32getpid]);
    t.equal(control.status, 0, 'without the policy the call returns');
    t.match(control.stdout, /^\d+\n$/, 'with an errno or 0 (ENOSYS, 38, where the kernel has no x32)');
    for (const variant of VARIANTS) {
      const r = await run(variant, [process.execPath, '-e', x32getpid]);
      t.same({ signal: r.signal, stdout: r.stdout }, { signal: 'SIGSYS', stdout: '' }, `${variant}: killed by SIGSYS`);
    }
  });

  t.test('bad usage, not root, a missing program: exit 2 and one line on stderr', async (t) => {
    const cases: [string, string[], RegExp][] = [
      ['no program', [process.execPath, simulate, '--variant', 'nnp0'], /^simulate: usage: simulate\.mjs --variant nnp0\|nnp1\|seccomp-ok\|none -- PROGRAM ARGS\.\.\.\n$/],
      ['no variant', [process.execPath, simulate, '--', '/bin/true'], /^simulate: --variant is required; usage: /],
      ['unknown variant', [process.execPath, simulate, '--variant', 'lambda', '--', '/bin/true'], /^simulate: unknown variant "lambda": one of nnp0, nnp1, seccomp-ok, none\n$/],
      ['unknown option', [process.execPath, simulate, '--verbose', '--', '/bin/true'], /^simulate: unknown option --verbose; usage: /],
    ];
    for (const [what, argv, message] of cases) {
      const r = await runProcess(argv[0]!, argv.slice(1));
      t.same({ status: r.status, stdout: r.stdout }, { status: 2, stdout: '' }, `${what}: exit 2`);
      t.match(r.stderr, message, `${what}: says why`);
    }
    // The simulator run by uid 993 (under itself) is not root.
    const nested = await run('nnp0', [process.execPath, simulate, '--variant', 'nnp1', '--', '/bin/true']);
    t.equal(nested.status, 2, 'not root: exit 2');
    t.equal(nested.stderr, 'simulate: variant nnp1 must be run as root (it installs a filter without no_new_privs and switches to uid 993)\n');
    const missing = await run('nnp0', ['no-such-program-anywhere']);
    t.equal(missing.status, 2, 'missing program: exit 2');
    t.equal(missing.stderr, 'simulate: no-such-program-anywhere: not found in PATH, or not executable by uid 993\n');
  });
}
