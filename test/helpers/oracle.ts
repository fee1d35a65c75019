// The expected action of a compiled filter, derived from the profile by
// reading PROFILE-v1.md and docs/profile.md directly — deliberately sharing
// no code with lib/compile, so that the interpreter tests compare the compiler
// against an independent statement of the rules.
import { AUDIT_ARCH, syscallTable, type Arch } from '../../lib/arch/index.js';
import { constantValue } from '../../lib/arch/constants.js';
import { argBits } from '../../lib/arch/widths.js';
import type { Action, ArgCondition, Profile } from '../../lib/profile/types.js';

export type Expected =
  | { action: 'allow' | 'log' | 'kill' }
  | { action: 'errno'; errno: number }
  | { action: 'trace'; checks: string[]; then: 'allow' | 'log'; refuse?: string };

export interface Input { nr: number; arch: number; args: bigint[] }

const ENOSYS = 38;
const PR_SET_SECCOMP = 22n;
const CLONE_THREAD = 0x10000n;
const CLONE_UNTRACED = 0x800000n;
const SIGNALS = ['kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_send_signal'];
const NEVER_BY_DEFAULT = ['seccomp', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'io_setup', 'io_submit', 'userfaultfd', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd', 'open_by_handle_at',
  'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr'];

const M64 = (1n << 64n) - 1n;

// The kernel reads an argument declared `int` from the low 32 bits of its
// register (umode_t: 16): a rule can only be about those bits.
function holds(c: ArgCondition, arch: Arch, syscall: string, args: readonly bigint[]): boolean {
  const seen = (1n << BigInt(argBits(syscall, c.index))) - 1n;
  const val = (v: ArgCondition['value']): bigint => ('int' in v.value ? v.value.int : constantValue(arch, v.value.name)!) & seen;
  const x = (args[c.index] ?? 0n) & seen;
  const v = val(c.value);
  switch (c.op) {
    case 'eq': return x === v;
    case 'ne': return x !== v;
    case 'lt': return x < v;
    case 'le': return x <= v;
    case 'gt': return x > v;
    case 'ge': return x >= v;
    case 'masked_eq': return (x & val(c.mask!)) === v;
  }
}

const describe = (e: Expected): string => (e.action === 'errno' ? `errno(${e.errno})` : e.action);

export function expectedAction(p: Profile, arch: Arch, input: Input, supervised = true): Expected {
  if (input.arch >>> 0 !== AUDIT_ARCH[arch] >>> 0) return { action: 'kill' };
  const nr = input.nr | 0;
  if (nr === -1) return { action: 'allow' };
  if (arch === 'x86_64' && nr >>> 0 >= 0x40000000) return { action: 'kill' };

  const table = syscallTable();
  const name = table.name(arch, nr >>> 0);
  const own = p.syscalls.arch[arch];
  const inList = (k: 'allow' | 'deny' | 'kill' | 'log') =>
    !!name && [...p.syscalls[k], ...(own?.[k] ?? [])].some((n) => n.value === name);
  const allowedByName = (s: string) => [...p.syscalls.allow, ...(own?.allow ?? [])].some((n) => n.value === s);
  const refuse: Expected = p.violation.value === 'kill' ? { action: 'kill' } : { action: 'errno', errno: p.errno.value };
  const ofAction = (a: Action, errno?: number): Expected =>
    a === 'deny' ? { action: 'errno', errno: errno ?? p.errno.value } : { action: a };

  // What the lists and rules say.
  let out: Expected;
  let quietFallback = false;
  if (inList('kill')) out = { action: 'kill' };
  else if (inList('deny')) out = { action: 'errno', errno: p.errno.value };
  else if (name === 'io_uring_setup' && !inList('allow') && !inList('log') && !p.syscalls.rules.some((r) => r.syscalls.some((n) => n.value === name))) {
    // A runtime's probe for io_uring (Node.js 26's libuv, at every start): "no io_uring here",
    // whatever the default says, and not reported — unless the profile names it.
    out = { action: 'errno', errno: ENOSYS };
    quietFallback = true;
  } else if (name === 'prctl' && ((input.args[0] ?? 0n) & 0xffffffffn) === PR_SET_SECCOMP && !allowedByName('seccomp')) {
    // A tracee may not install seccomp filters through prctl either, unless seccomp is allowed by name.
    out = { action: 'errno', errno: p.errno.value };
  } else if (name === 'clone' && ((input.args[0] ?? 0n) & CLONE_UNTRACED) !== 0n) {
    // An untraced child would escape the supervisor: always refused.
    out = { action: 'errno', errno: p.errno.value };
  } else {
    const rule = p.syscalls.rules.find((r) => r.syscalls.some((n) => n.value === name) && r.args.every((c) => holds(c, arch, name!, input.args)));
    if (rule) out = ofAction(rule.action, rule.errno);
    else if (inList('log')) out = { action: 'log' };
    else if (inList('allow')) out = { action: 'allow' };
    else if (p.default.value === 'deny') out = { action: 'errno', errno: p.defaultErrno.value };
    else if ((p.default.value === 'allow' || p.default.value === 'log') && name && NEVER_BY_DEFAULT.includes(name)) out = { action: 'errno', errno: p.errno.value };
    else out = ofAction(p.default.value);

    const permits = out.action === 'allow' || out.action === 'log';
    // clone3 keeps its flags in memory, out of the filter's reach: "no clone3 here" (libc uses clone),
    // whatever the default or an allowing rule says; with a supervisor, it reads the flags to report
    // an untraced child or a process under fork: false. Only a kill or deny (list or rule) stands.
    const refusedByName = rule !== undefined && (rule.action === 'deny' || rule.action === 'kill');
    if (name === 'clone3' && !refusedByName) {
      if (supervised) return { action: 'trace', checks: ['clone3'], then: 'allow' };
      out = { action: 'errno', errno: ENOSYS };
      quietFallback = true;
    } else if (permits && name === undefined) {
      // A number the table does not know cannot be checked: ENOSYS, as on an older kernel (reported).
      out = { action: 'errno', errno: ENOSYS };
    } else if (permits && p.process?.fork.value === false) {
      // process.fork: false — no new processes, threads still allowed.
      if (name === 'fork' || name === 'vfork') out = refuse;
      else if (name === 'clone' && ((input.args[0] ?? 0n) & CLONE_THREAD) === 0n) out = refuse;
    }
  }

  // Supervision: allowed calls that a present section governs go to the supervisor.
  const kinds = (name && table.byName(name)?.args) || [];
  const checks: string[] = [];
  if (p.files && (kinds.includes('path') || (kinds.includes('dirfd') && !kinds.includes('exec')))) checks.push('files');
  if (p.exec && kinds.includes('exec')) checks.push('exec');
  if (p.network && (kinds.includes('sockaddr') || kinds.includes('msghdr') || kinds.includes('mmsghdr'))) checks.push('network');
  if (supervised && name && SIGNALS.includes(name)) checks.push('signal');

  const permitted = out.action === 'allow' || out.action === 'log';
  const audit = p.mode.value === 'audit';
  if (permitted && checks.length > 0) {
    if (supervised) return { action: 'trace', checks, then: out.action as 'allow' | 'log' };
    return audit ? out : refuse;
  }
  // With a supervisor every refusal is reported by it before it is applied (or, in audit mode,
  // not) — except the quiet ENOSYS of clone3 and io_uring_setup, fallback mechanisms, not violations.
  if (quietFallback) return out;
  if (!permitted && supervised) return { action: 'trace', checks: [], then: 'allow', refuse: describe(out) };
  if (!permitted && audit) return { action: 'log' };
  if (out.action === 'log' && supervised) return { action: 'trace', checks: [], then: 'log' };
  return out;
}

/** Argument vectors that exercise every condition of the rules naming `name`: boundaries, masks, 32-bit halves. */
export function interestingArgs(p: Profile, arch: Arch, name: string): bigint[][] {
  const zero = (): bigint[] => [0n, 0n, 0n, 0n, 0n, 0n];
  const out: bigint[][] = [zero()];
  const conds = p.syscalls.rules.filter((r) => r.syscalls.some((n) => n.value === name)).flatMap((r) => r.args);
  // Built-in conditions: prctl's PR_SET_SECCOMP and clone's CLONE_THREAD.
  const extra: [number, bigint][] = name === 'prctl' ? [[0, PR_SET_SECCOMP], [0, PR_SET_SECCOMP | (1n << 32n)]] : name === 'clone' ? [[0, CLONE_THREAD], [0, CLONE_THREAD | 0x11n], [0, CLONE_UNTRACED | 0x11n], [0, CLONE_THREAD | CLONE_UNTRACED]] : [];
  const values: [number, bigint][] = [...extra];
  for (const c of conds) {
    const v = 'int' in c.value.value ? c.value.value.int : constantValue(arch, c.value.value.name)!;
    const m = c.mask ? ('int' in c.mask.value ? c.mask.value.int : constantValue(arch, c.mask.value.name)!) : 0n;
    for (const x of [v, v - 1n, v + 1n, v ^ (1n << 32n), v | (0xdead0000n << 32n), v ^ 0x10000n, v ^ 1n, (v >> 32n) | (v << 32n), v | m, v & ~m, m, ~m, M64, 0n, 1n << 32n, (1n << 32n) - 1n]) {
      values.push([c.index, x & M64]);
    }
  }
  for (const [i, x] of values) {
    const a = zero();
    a[i] = x;
    out.push(a);
  }
  // Every condition of a rule satisfied at once (multi-argument rules).
  for (const r of p.syscalls.rules.filter((r) => r.syscalls.some((n) => n.value === name))) {
    const a = zero();
    for (const c of r.args) a[c.index] = ('int' in c.value.value ? c.value.value.int : constantValue(arch, c.value.value.name)!) & M64;
    out.push(a);
  }
  return out;
}
