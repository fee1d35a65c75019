// Compiled profiles under the real kernel. Each group writes a profile, compiles it for this
// machine's arch, and runs test/helpers/victim.mjs: a Node process that installs the filter on
// itself and makes the syscalls under test. Each case is also run through lib/bpf's interpreter,
// which must reach the same decision as the kernel.
//
// Every profile here is `default: allow` plus what is under test: Node keeps running between
// installing the filter and exit_group, and needs dozens of syscalls for it (mmap, futex, write...).
// The syscalls under test (getppid, getsid, socket) are ones Node does not make by itself.
//
// Compiled with `supervised: false`: no tracer is attached, and a RET_TRACE would fail with ENOSYS.
import t, { type Test } from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constantValue } from '../../lib/arch/constants.js';
import { errnoName, errnoNumber } from '../../lib/arch/errno.js';
import { AUDIT_ARCH, X32_SYSCALL_BIT, hostArch, syscallTable } from '../../lib/arch/index.js';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  actionName, compile, disassemble, retAction, retData, type SeccompData,
} from '../../lib/bpf/index.js';
import { compileProfile, type Compiled } from '../../lib/compile/index.js';
import { isNativeError, seccompActionAvailable } from '../../lib/native/index.js';
import { packageRoot } from '../../lib/paths.js';
import { loadProfile } from '../../lib/profile/index.js';
import { KERNEL_GROUPS, resolveWant } from '../fixtures/compile/kernel-specs.mjs';

const arch = hostArch();
const root = packageRoot();
const victim = join(root, 'test', 'helpers', 'victim.mjs');

/** Why the kernel half cannot run here, or undefined. */
function seccompUnavailable(): string | undefined {
  try {
    // KILL_PROCESS (Linux 4.14) is what every compiled filter returns for a kill.
    if (!seccompActionAvailable(SECCOMP_RET_KILL_PROCESS)) return 'the kernel lacks SECCOMP_RET_KILL_PROCESS (Linux < 4.14)';
    return undefined;
  } catch (err) {
    if (isNativeError(err)) return `seccomp is unavailable here: ${err.message}`;
    throw err;
  }
}

/**
 * The victim runs the compiled library from dist/. Missing or older than its sources means the
 * test would check stale code: fail, do not skip.
 */
function distProblem(): string | undefined {
  const dist = join(root, 'dist', 'lib');
  if (!existsSync(join(dist, 'native', 'index.js'))) return `${join(dist, 'native', 'index.js')} is missing: run npm run build`;
  for (const dir of ['native', 'arch']) {
    for (const f of readdirSync(join(root, 'lib', dir)).filter((n) => n.endsWith('.ts'))) {
      const out = join(dist, dir, f.replace(/\.ts$/, '.js'));
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(root, 'lib', dir, f)).mtimeMs) {
        return `${out} is older than lib/${dir}/${f}: run npm run build`;
      }
    }
  }
  return undefined;
}

const unavailable = seccompUnavailable();
const stale = distProblem();
if (stale) t.fail(stale);

// ---- what a case is ------------------------------------------------------------------------

/** A syscall by name with up to six arguments (bigint, or a constant name); x32 sets the x32 bit. */
interface Op {
  readonly syscall: string;
  readonly args?: readonly (bigint | string)[];
  readonly x32?: boolean;
}

/** What should happen: the call goes through (optionally with this result), fails, or kills. */
type Want =
  | { readonly kind: 'allow'; readonly value?: bigint }
  | { readonly kind: 'errno'; readonly errno: string }
  | { readonly kind: 'kill' };

interface Spec {
  readonly desc: string;
  readonly op: Op;
  readonly want: Want;
}

const allow = (value?: bigint): Want => ({ kind: 'allow', value });
const errno = (name: string): Want => ({ kind: 'errno', errno: name });
const kill: Want = { kind: 'kill' };

/** The victim's command-line form: x32:socket:AF_INET,SOCK_STREAM,0 */
function opText(op: Op): string {
  const args = (op.args ?? []).map((a) => (typeof a === 'bigint' && a >= 0n ? `0x${a.toString(16)}` : String(a)));
  return `${op.x32 ? 'x32:' : ''}${op.syscall}${args.length > 0 ? `:${args.join(',')}` : ''}`;
}

/** The struct seccomp_data the kernel builds for the op: all six args, unnamed ones 0. */
function seccompData(op: Op): SeccompData {
  const nr = syscallTable().number(arch, op.syscall);
  if (nr === undefined) throw new Error(`test bug: no ${op.syscall} on ${arch}`);
  const args = Array.from({ length: 6 }, (_, i) => {
    const a = op.args?.[i] ?? 0n;
    const v = typeof a === 'bigint' ? a : constantValue(arch, a);
    if (v === undefined) throw new Error(`test bug: no constant ${String(a)} on ${arch}`);
    return BigInt.asUintN(64, v);
  });
  return { nr: op.x32 ? nr | X32_SYSCALL_BIT : nr, arch: AUDIT_ARCH[arch], args };
}

/** The interpreter's answer, in the same terms as a Want. */
function interpreted(ret: number): Want | { kind: 'other'; action: string } {
  switch (retAction(ret)) {
    case SECCOMP_RET_ALLOW: case SECCOMP_RET_LOG: return { kind: 'allow' };
    case SECCOMP_RET_ERRNO: return errno(errnoName(retData(ret)) ?? String(retData(ret)));
    case SECCOMP_RET_KILL_PROCESS: case SECCOMP_RET_KILL_THREAD: return kill;
    default: return { kind: 'other', action: actionName(ret) };
  }
}

interface Result { readonly op: string; readonly ret: string; readonly errno: number }
interface Report { readonly pid: number; readonly results: readonly Result[] }

// ---- running the victim --------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'syscage-kernel-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;

/** Write the profile, load and compile it for this arch, and save the filter for the victim. */
function build(yaml: string): { compiled: Compiled; filter: string } {
  const dir = join(work, String(serial++));
  const profilePath = `${dir}.yaml`;
  writeFileSync(profilePath, yaml);
  const { profile } = loadProfile(profilePath);
  const compiled = compileProfile(profile, arch, { supervised: false });
  const filter = `${dir}.bpf`;
  writeFileSync(filter, compiled.bytes);
  return { compiled, filter };
}

/** The victim's environment, without tap's --import hooks: nothing but the victim runs in it. */
function victimEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'NODE_OPTIONS' || k.startsWith('_TAPJS_')) delete env[k];
  return env;
}

function runVictim(filter: string, ops: readonly Op[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [victim, filter, ...ops.map(opText)], {
    cwd: work, env: victimEnv(), encoding: 'utf8', timeout: 60_000,
  });
}

/** The ops the victim announced on stderr, in order ("op 2 getppid"). */
const announced = (stderr: string): string[] => [...stderr.matchAll(/^op \d+ (\S+)$/gm)].map((m) => m[1]!);

/** Checks the kernel's result of one op against what the spec wants (for allow and errno). */
function checkResult(t: Test, spec: Spec, r: Result | undefined, report: Report): void {
  const where = { op: opText(spec.op), result: r };
  if (!r) {
    t.fail(`kernel: ${spec.desc}: no result`, where);
    return;
  }
  const ret = BigInt(r.ret);
  if (spec.want.kind === 'allow') {
    t.equal(r.errno, 0, `kernel: ${spec.desc}: allowed, no errno`, where);
    // getpid's answer is known only once the victim has reported its pid.
    const value = spec.want.value ?? (spec.op.syscall === 'getpid' ? BigInt(report.pid) : undefined);
    if (value !== undefined) t.equal(ret, value, `kernel: ${spec.desc}: returns ${value}`, where);
    else t.ok(ret >= 0n, `kernel: ${spec.desc}: returns a valid value (${ret})`, where);
  } else if (spec.want.kind === 'errno') {
    const e = errnoNumber(spec.want.errno)!;
    t.same({ errno: r.errno, ret }, { errno: e, ret: -BigInt(e) }, `kernel: ${spec.desc}: fails with ${spec.want.errno}`, where);
  }
}

/**
 * Runs a group of specs sharing one profile: first through the interpreter, then in one victim.
 * At most one spec may kill, and it must come last: the victim dies there. A killing group also
 * runs a control victim without the killing op, which must survive the same filter.
 */
function check(t: Test, yaml: string, specs: readonly Spec[]): void {
  const { compiled, filter } = build(yaml);
  const program = compile(compiled.insns);
  const listing = disassemble(compiled.insns);

  for (const spec of specs) {
    const data = seccompData(spec.op);
    const got = interpreted(program.run(data));
    const want = spec.want.kind === 'allow' ? { kind: 'allow' } : spec.want;
    t.same(got, want, `interpreter: ${spec.desc}`, { op: opText(spec.op), program: listing });
  }

  const killer = specs.findIndex((s) => s.want.kind === 'kill');
  if (killer !== -1 && killer !== specs.length - 1) throw new Error('test bug: the killing op must come last');
  const survivors = killer === -1 ? specs : specs.slice(0, killer);

  if (killer !== -1) {
    const dead = runVictim(filter, specs.map((s) => s.op));
    const spec = specs[killer]!;
    const info = { stderr: dead.stderr, status: dead.status };
    t.equal(dead.signal, 'SIGSYS', `kernel: ${spec.desc}: killed by SIGSYS`, info);
    t.equal(dead.stdout, '', `kernel: ${spec.desc}: no JSON line after the kill`, info);
    t.equal(announced(dead.stderr).at(-1), opText(spec.op), `kernel: ${spec.desc}: the kill came at that op`, info);
  }

  const run = runVictim(filter, survivors.map((s) => s.op));
  const info = { stderr: run.stderr, status: run.status, signal: run.signal };
  if (!t.equal(run.status, 0, `kernel: the victim${killer === -1 ? '' : ' without the killing op'} survives the filter`, info)) return;
  const lines = run.stdout.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, 'kernel: one JSON line', { stdout: run.stdout });
  const report = JSON.parse(lines[0] ?? '{}') as Report;
  survivors.forEach((spec, i) => checkResult(t, spec, report.results?.[i], report));
}

// ---- the cases -----------------------------------------------------------------------------

const skip = unavailable ?? (stale ? 'dist is stale (reported above)' : false);
const ppid = BigInt(process.pid); // the victim's parent is this test process

// The groups the aarch64 runner (test-arm64/compile.mjs) runs too, from one table.
const runtime = { ppid, uid: BigInt(process.getuid!()) };
for (const g of KERNEL_GROUPS) {
  t.test(g.title, { skip }, async (t) => {
    check(t, g.yaml, g.specs.map((s) => ({ ...s, want: resolveWant(s.want, runtime) as Want })));
  });
}

t.test('the x86_64 prelude kills x32 syscalls', { skip: arch !== 'x86_64' ? `x32 exists only on x86_64, this is ${arch}` : skip }, async (t) => {
  // x32 calls arrive with AUDIT_ARCH_X86_64 and nr | 0x40000000; the prelude kills them before
  // any dispatch, even for a syscall the profile allows.
  check(t, `
version: 1
default: allow
syscalls:
  allow: [getppid]
`, [
    { desc: 'getppid', op: { syscall: 'getppid' }, want: allow(ppid) },
    { desc: 'getppid through x32 (nr | 0x40000000)', op: { syscall: 'getppid', x32: true }, want: kill },
  ]);
});
