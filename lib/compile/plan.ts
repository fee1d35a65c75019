// Profile × arch → a plan: for every syscall number, what the filter does.
// This is the compiler's printable intermediate form, between the profile and
// the BPF program; emit.ts renders it, and the trap table falls out of it.
//
// For one syscall the decision is, in order:
//   1. named in syscalls.kill / syscalls.deny of any profile in the chain -> kill / errno
//   2. syscalls.rules naming it, in order; the first whose args all match decides
//      (before them, built in: prctl(PR_SET_SECCOMP) is refused unless the
//      profile allows `seccomp` by name)
//   3. otherwise: syscalls.log, syscalls.allow, then `default`. Syscalls the
//      profile does not name and `default: deny` refuses get `default_errno`
//      (ENOSYS unless set): "this kernel lacks it" is what libc and runtimes
//      fall back from (glibc retries clone3 as clone, faccessat2 as faccessat,
//      statx as fstatat only on ENOSYS), where EPERM breaks them. Unnamed
//      PROTECTED syscalls are refused even when `default` allows everything;
//      an unnamed io_uring_setup gets ENOSYS, unreported (a runtime's probe).
//   4. an allow or log outcome for a syscall that a present files / exec /
//      network section governs, or that sends a signal, becomes TRACE(id): the
//      supervisor checks its pointer arguments and decides.
//   5. process.fork: false refuses fork and vfork, clone without CLONE_THREAD,
//      and clone3 (ENOSYS, so libc retries with clone, whose flags BPF can see).
//   6. with a supervisor, every refusal also becomes TRACE(id): the supervisor
//      writes the audit event first, then refuses (or, in mode: audit, lets the
//      call through). Only the prelude's arch and x32 kills stay in the kernel.
//      Without one (BPF-only mode), refusals stay in the kernel and audit mode
//      turns them into SECCOMP_RET_LOG.
import type { Arch } from '../arch/index.js';
import { constantValue } from '../arch/constants.js';
import { errnoNumber } from '../arch/errno.js';
import { argBits, syscallTypes, type ArgBits } from '../arch/widths.js';
import { locText, type Diagnostic, type SourceLoc } from '../profile/diagnostic.js';
import { listsFor, type Action, type ArgValue, type CompareOp, type Located, type Profile } from '../profile/types.js';
import { checksFor, PROTECTED, syscallsOf, type Check } from './governed.js';

const ENOSYS = errnoNumber('ENOSYS')!;
const CLONE_THREAD = 0x10000n;
const CLONE_UNTRACED = 0x00800000n;
const PR_SET_SECCOMP = 22n;

/**
 * io_uring_setup, unless the profile names it: "this kernel has no io_uring" (ENOSYS), answered by
 * the kernel and not reported, whatever `default` says. io_uring is refused like every protected
 * syscall (its operations would pass no filter), but its setup is a probe that runtimes make at
 * every start and do without when it fails — Node.js 26's libuv, to batch epoll_ctl — so reporting
 * it would make every start of a Node function a violation, and every violation alarm fire on cold
 * starts. io_uring_enter and io_uring_register, which only a program that has a ring would make,
 * stay refused and reported.
 */
const IO_URING_PROBE = 'built-in: io_uring_setup answers ENOSYS, unreported (runtimes probe for io_uring at start and do without)';

/** What the kernel does with a call; `trace` hands it to the supervisor. */
export type FilterAction =
  | { readonly kind: 'allow' }
  | { readonly kind: 'log' }
  | { readonly kind: 'errno'; readonly errno: number; readonly quiet?: boolean }
  | { readonly kind: 'kill' }
  | { readonly kind: 'trace'; readonly id: number };

/** Where a decision came from, for the trap table and for audit events. */
export interface Origin {
  /** e.g. "syscalls.allow", "syscalls.rules[2]", "default", "process.fork" */
  readonly what: string;
  readonly loc?: SourceLoc;
}

/**
 * A scalar comparison of one argument, values resolved for the arch and cut
 * to the argument's width: the kernel reads only the low `bits` of the
 * register (an `int` is 32 bits), so the filter compares only those.
 */
export interface Condition {
  readonly index: number;
  readonly op: CompareOp;
  readonly value: bigint;
  readonly mask?: bigint;
  readonly bits: ArgBits;
}

export interface RuleStep {
  readonly conditions: readonly Condition[];
  readonly verdict: FilterAction;
  readonly origin: Origin;
}

export interface SyscallPlan {
  readonly name: string;
  readonly nr: number;
  /** Tried in order; the first whose conditions all hold decides. */
  readonly steps: readonly RuleStep[];
  readonly fallback: FilterAction;
  readonly origin: Origin;
}

/**
 * One entry of the trap table: what the supervisor does for TRACE(id). An
 * entry serves every syscall that leads to the same outcome for the same
 * reason (the supervisor learns the syscall itself from the stop), so that
 * neighbouring numbers share one id and the dispatch stays shallow.
 */
export interface TrapEntry {
  readonly id: number;
  /** What the supervisor must check before letting the call through. */
  readonly checks: readonly Check[];
  /** What happens when every check passes. */
  readonly then: 'allow' | 'log';
  /**
   * The profile refuses this call: the supervisor reports it, then applies
   * this verdict — or, in mode: audit, lets the call through.
   */
  readonly refuse?: Exclude<FilterAction, { kind: 'trace' }>;
  readonly origin: Origin;
}

export interface CompileOptions {
  /**
   * Whether a supervisor handles TRACE. Without one (BPF-only mode: ptrace is
   * unavailable), every check falls back to the profile's violation action and
   * `log` uses the kernel's SECCOMP_RET_LOG.
   */
  readonly supervised?: boolean;
  /**
   * Trap every exec the profile permits, even without an exec section, so the
   * supervisor sees the launch of the command and every later program start.
   * `syscage run` and the bootstrap always set it.
   */
  readonly traceExec?: boolean;
}

export interface Plan {
  readonly arch: Arch;
  readonly syscalls: readonly SyscallPlan[];   // by number
  /** For numbers the table does not know (newer kernels): the default, refused with ENOSYS. */
  readonly unknown: FilterAction;
  readonly traps: readonly TrapEntry[];
  readonly diagnostics: readonly Diagnostic[];
}

export function planProfile(profile: Profile, arch: Arch, opts: CompileOptions = {}): Plan {
  return new Planner(profile, arch, opts.supervised ?? true, opts.traceExec ?? false).plan();
}

class Planner {
  private readonly traps: TrapEntry[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly named = new Set<string>();
  private readonly present;
  private readonly violation: FilterAction;
  private readonly audit: boolean;
  /** The syscall lists that apply on this arch. */
  private readonly sc;

  constructor(
    private readonly profile: Profile,
    private readonly arch: Arch,
    private readonly supervised: boolean,
    private readonly traceExec: boolean,
  ) {
    this.sc = listsFor(profile.syscalls, arch);
    this.present = {
      files: !!profile.files,
      exec: !!profile.exec,
      network: !!profile.network,
      // The supervisor is never a valid target, so signals are always checked when it exists.
      signal: supervised,
    };
    this.violation = profile.violation.value === 'kill' ? { kind: 'kill' } : { kind: 'errno', errno: profile.errno.value };
    this.audit = profile.mode.value === 'audit';
  }

  plan(): Plan {
    const sc = this.sc;
    for (const list of [sc.allow, sc.deny, sc.kill, sc.log]) for (const n of list) this.named.add(n.value);
    for (const r of sc.rules) for (const n of r.syscalls) this.named.add(n.value);
    this.checkArch();

    const exec = this.supervised && this.traceExec;
    const plans = syscallsOf(this.arch).map(({ s, nr }) => this.syscall(s.name, nr, checksFor(s, { ...this.present, exec: this.present.exec || exec })));
    // A number this table does not know (a syscall newer than the pinned headers) cannot be
    // checked — fchmodat2 takes a path — so even `default: allow` answers ENOSYS (what libc falls
    // back from, as on an older kernel), reported like any refusal.
    const byDefault = this.defaultVerdict('(unknown)');
    const unknown = permits(byDefault)
      ? this.finish('(unknown)', -1, [], { kind: 'errno', errno: ENOSYS }, { what: 'built-in: a syscall newer than syscage\'s table cannot be checked (ENOSYS)' })
      : this.finish('(unknown)', -1, [], byDefault, { what: 'default' });
    return { arch: this.arch, syscalls: plans, unknown: unknown.fallback, traps: this.traps, diagnostics: this.diagnostics };
  }

  /** Names that exist on another arch but not on this one are errors only here. */
  private checkArch(): void {
    const sc = this.sc;
    const all = [...sc.allow, ...sc.deny, ...sc.kill, ...sc.log, ...sc.rules.flatMap((r) => r.syscalls)];
    const have = new Set(syscallsOf(this.arch).map(({ s }) => s.name));
    for (const n of all) {
      if (!have.has(n.value)) {
        this.error('E_SYSCALL_ARCH', `syscall "${n.value}" does not exist on ${this.arch}; list it under syscalls.${otherArch(this.arch)} if it is meant for that arch only`, n.loc);
      }
    }
  }

  private error(code: Diagnostic['code'], message: string, loc?: SourceLoc): void {
    this.diagnostics.push({ severity: 'error', code, message, loc });
  }

  private readonly index = new Map<readonly Located<string>[], Map<string, Located<string>>>();

  /** The entry naming `name` in a list (the first, where a list repeats it). */
  private listed(list: readonly Located<string>[], name: string): Located<string> | undefined {
    let byName = this.index.get(list);
    if (!byName) {
      byName = new Map();
      for (const n of list) if (!byName.has(n.value)) byName.set(n.value, n);
      this.index.set(list, byName);
    }
    return byName.get(name);
  }

  private defaultVerdict(name: string): FilterAction {
    switch (this.profile.default.value) {
      case 'kill': return { kind: 'kill' };
      case 'allow': case 'log':
        if (PROTECTED.has(name)) return { kind: 'errno', errno: this.profile.errno.value };
        return { kind: this.profile.default.value };
      case 'deny':
        return { kind: 'errno', errno: this.profile.defaultErrno.value };
    }
  }

  private actionVerdict(a: Action, errno?: number): FilterAction {
    switch (a) {
      case 'allow': return { kind: 'allow' };
      case 'log': return { kind: 'log' };
      case 'kill': return { kind: 'kill' };
      case 'deny': return { kind: 'errno', errno: errno ?? this.profile.errno.value };
    }
  }

  private syscall(name: string, nr: number, checks: Check[]): SyscallPlan {
    const sc = this.sc;
    const kill = this.listed(sc.kill, name);
    if (kill) return this.finish(name, nr, [], { kind: 'kill' }, { what: 'syscalls.kill', loc: kill.loc });
    const deny = this.listed(sc.deny, name);
    if (deny) return this.finish(name, nr, [], { kind: 'errno', errno: this.profile.errno.value }, { what: 'syscalls.deny', loc: deny.loc });
    if (name === 'io_uring_setup' && !this.named.has(name)) return this.finish(name, nr, [], { kind: 'errno', errno: ENOSYS, quiet: true }, { what: IO_URING_PROBE });

    const steps: RuleStep[] = [];
    sc.rules.forEach((r, i) => {
      if (!r.syscalls.some((n) => n.value === name)) return;
      const conditions = r.args.map((c): Condition => {
        const bits = argBits(name, c.index);
        return {
          index: c.index,
          op: c.op,
          bits,
          value: this.resolve(c.value, name, c.index, bits),
          mask: c.mask ? this.resolve(c.mask, name, c.index, bits, true) : undefined,
        };
      });
      steps.push({ conditions, verdict: this.actionVerdict(r.action, r.errno), origin: { what: `syscalls.rules[${i}]`, loc: r.loc } });
    });

    const log = this.listed(sc.log, name);
    const allow = this.listed(sc.allow, name);
    const [fallback, origin]: [FilterAction, Origin] = log
      ? [{ kind: 'log' }, { what: 'syscalls.log', loc: log.loc }]
      : allow
        ? [{ kind: 'allow' }, { what: 'syscalls.allow', loc: allow.loc }]
        : [this.defaultVerdict(name), PROTECTED.has(name) && permits({ kind: this.profile.default.value } as FilterAction)
          ? { what: 'built-in: refused unless the profile names it (seccomp, io_uring, AIO, userfaultfd, ptrace, process_vm_*, pidfd_getfd, open_by_handle_at, mounts, namespaces)' }
          : { what: 'default', loc: this.profile.default.loc }];

    steps.push(...this.processSteps(name, fallback));
    steps.unshift(...this.protectionSteps(name));
    if (name === 'clone3') for (const [i, st] of steps.entries()) if (permits(st.verdict)) steps[i] = { ...st, verdict: this.clone3() };
    return this.finish(name, nr, steps, this.processFallback(name, fallback), origin, checks);
  }

  /**
   * prctl(PR_SET_SECCOMP) is refused unless the profile allows seccomp by name;
   * clone with CLONE_UNTRACED always (the child would escape the tracer: no
   * fork event, no EXITKILL — it would outlive syscage unchecked).
   */
  private protectionSteps(name: string): RuleStep[] {
    if (name === 'clone') {
      return [{
        conditions: [{ index: 0, op: 'masked_eq', value: CLONE_UNTRACED, mask: CLONE_UNTRACED, bits: argBits('clone', 0) }],
        verdict: { kind: 'errno', errno: this.profile.errno.value },
        origin: { what: 'built-in: no untraced children (CLONE_UNTRACED)' },
      }];
    }
    if (name !== 'prctl' || this.listed(this.sc.allow, 'seccomp')) return [];
    return [{
      conditions: [{ index: 0, op: 'eq', value: PR_SET_SECCOMP, bits: argBits('prctl', 0) }],
      verdict: { kind: 'errno', errno: this.profile.errno.value },
      origin: { what: 'built-in: a tracee may not install seccomp filters' },
    }];
  }

  private forkRefused(): boolean {
    return this.profile.process?.fork.value === false;
  }

  /** With process.fork false, clone is allowed only for threads (CLONE_THREAD). */
  private processSteps(name: string, fallback: FilterAction): RuleStep[] {
    if (!this.forkRefused() || name !== 'clone' || !permits(fallback)) return [];
    return [{
      conditions: [{ index: 0, op: 'masked_eq', value: 0n, mask: CLONE_THREAD, bits: argBits('clone', 0) }],
      verdict: this.violation,
      origin: { what: 'process.fork', loc: this.profile.process?.fork.loc },
    }];
  }

  private processFallback(name: string, fallback: FilterAction): FilterAction {
    if (name === 'clone3') return this.clone3();
    if (!permits(fallback)) return fallback;
    if (!this.forkRefused()) return fallback;
    if (name === 'fork' || name === 'vfork') return this.violation;
    return fallback;
  }

  /**
   * clone3, unless a list names it for deny or kill: "this kernel has no clone3", so that libc
   * makes the thread or process with clone, whose flags the filter can see (clone3's are in
   * memory: CLONE_UNTRACED, and CLONE_THREAD for process.fork, would be out of reach) — whatever
   * `default` or an allowing rule says. With a supervisor it reads the flags first, to report what
   * would have been refused (decide/clone3.ts); a thread's clone3 is glibc's normal fallback path
   * and is answered without a report. Without one, the kernel answers, never reported.
   */
  private clone3(): FilterAction {
    return this.supervised
      ? this.trap({ checks: ['clone3'], then: 'allow', origin: { what: 'built-in: clone3 answers ENOSYS (libc then uses clone, whose flags the filter checks)' } })
      : { kind: 'errno', errno: ENOSYS, quiet: true };
  }

  /**
   * A rule's value (or mask) for this arch, cut to the argument's width. A
   * value that does not fit could never match what the kernel reads, which is
   * almost certainly a mistake — except for a mask, whose extra bits are moot.
   */
  private resolve(v: Located<ArgValue>, syscall: string, index: number, bits: ArgBits, isMask = false): bigint {
    let n: bigint;
    if ('int' in v.value) {
      n = v.value.int;
    } else {
      const c = constantValue(this.arch, v.value.name);
      if (c === undefined) {
        this.error('E_UNKNOWN_CONSTANT', `constant ${v.value.name} does not exist on ${this.arch}`, v.loc);
        return 0n;
      }
      n = BigInt.asUintN(64, c);
    }
    const fits = n < 1n << BigInt(bits) || n >= (1n << 64n) - (1n << BigInt(bits - 1)); // or a negative number sign-extended
    if (!fits && !isMask) {
      const type = syscallTypes().get(syscall)?.[index] ?? '?';
      this.error('E_VALUE', `argument ${index} of ${syscall} is a ${bits}-bit ${type}; the kernel never sees 0x${n.toString(16)}`, v.loc);
    }
    return BigInt.asUintN(bits, n);
  }

  /** Apply supervision (TRACE for checked calls), audit mode and BPF-only fallbacks. */
  private finish(name: string, nr: number, steps: RuleStep[], fallback: FilterAction, origin: Origin, checks: Check[] = []): SyscallPlan {
    const fix = (v: FilterAction, o: Origin): FilterAction => this.supervise(v, o, checks);
    return {
      name, nr, origin,
      steps: steps.map((s) => ({ ...s, verdict: fix(s.verdict, s.origin) })),
      fallback: fix(fallback, origin),
    };
  }


  private supervise(v: FilterAction, origin: Origin, checks: Check[]): FilterAction {
    if (v.kind === 'trace') return v;
    if (permits(v) && checks.length > 0) {
      if (this.supervised) return this.trap({ checks, then: v.kind === 'log' ? 'log' : 'allow', origin: { what: checks.join('+') } });
      return this.audit ? v : this.violation; // BPF-only: what would need a check is refused
    }
    if (!permits(v)) {
      if (v.kind === 'errno' && v.quiet) return v; // a mechanism, not a refusal: the same in audit mode
      if (this.supervised) return this.trap({ checks: [], then: 'allow', refuse: v as TrapEntry['refuse'], origin });
      return this.audit ? { kind: 'log' } : v;
    }
    if (v.kind === 'log' && this.supervised) return this.trap({ checks: [], then: 'log', origin });
    return v;
  }

  private readonly trapIds = new Map<string, number>();

  private trap(entry: Omit<TrapEntry, 'id'>): FilterAction {
    const loc = entry.origin.loc;
    const key = JSON.stringify([entry.checks, entry.then, entry.refuse, entry.origin.what, loc && locText(loc)]);
    const known = this.trapIds.get(key);
    if (known !== undefined) return { kind: 'trace', id: known };
    const id = this.traps.length;
    if (id > 0xffff) throw new Error('internal: more than 65536 trap entries');
    this.traps.push({ id, ...entry });
    this.trapIds.set(key, id);
    return { kind: 'trace', id };
  }
}

const otherArch = (a: Arch): Arch => (a === 'x86_64' ? 'aarch64' : 'x86_64');

export const permits = (v: FilterAction): boolean => v.kind === 'allow' || v.kind === 'log';
