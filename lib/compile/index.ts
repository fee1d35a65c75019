// The compiler's public API: Profile × arch → a seccomp program and its trap table.
import type { Arch } from '../arch/index.js';
import { BPF_MAXINSNS, encode, type Insn } from '../bpf/index.js';
import { ProfileError, withSourceLine, type Diagnostic } from '../profile/diagnostic.js';
import { listsFor, type Profile } from '../profile/types.js';
import { emitProgram, type Dispatch } from './emit.js';
import { familyWarnings } from './families.js';
import { NOTIFIED } from './notified.js';
import { planProfile, type CompileOptions, type Plan, type TrapEntry } from './plan.js';

export interface CompileStats {
  /** Instructions in the program (the kernel accepts at most 4096). */
  readonly length: number;
  /** Comparisons of the syscall number on the longest dispatch path. */
  readonly depth: number;
  /** Instructions the prelude runs before dispatch (arch check, x32). */
  readonly prelude: number;
  /** Number ranges the dispatch tells apart. */
  readonly ranges: number;
  /** Distinct syscalls the profile names. */
  readonly named: number;
}

export interface Compiled {
  readonly arch: Arch;
  readonly insns: readonly Insn[];
  /** The kernel's struct sock_filter array. */
  readonly bytes: Buffer;
  /** TRACE(id) → what the supervisor checks; the index is the id. */
  readonly traps: readonly TrapEntry[];
  /**
   * With `notify`: the same program with TRACE(id) everywhere, never installed. The notification
   * backend runs it on a notified call's seccomp_data (lib/bpf/interp.ts) to find its trap id.
   */
  readonly ids?: Buffer;
  readonly plan: Plan;
  readonly stats: CompileStats;
  readonly warnings: readonly Diagnostic[];
}

export interface CompileProfileOptions extends CompileOptions {
  /** 'bst' (default) or 'linear' (the reference the differential tests compare against). */
  readonly dispatch?: Dispatch;
  /**
   * For the notification backend: the checked calls it performs itself (NOTIFIED) return
   * SECCOMP_RET_USER_NOTIF instead of TRACE(id); `ids` is then the program that names their ids.
   */
  readonly notify?: boolean;
}

/** Compile a loaded profile for one arch. Throws ProfileError for what only this arch refuses. */
export function compileProfile(profile: Profile, arch: Arch, opts: CompileProfileOptions = {}): Compiled {
  const plan = planProfile(profile, arch, opts);
  const errors = plan.diagnostics.map(withSourceLine);
  if (errors.some((d) => d.severity === 'error')) throw new ProfileError(errors);

  const { insns, depth, ranges } = emitProgram(plan, opts.dispatch ?? 'bst', opts.notify ? NOTIFIED : undefined);
  if (insns.length > BPF_MAXINSNS) {
    const tooLarge: Diagnostic = {
      severity: 'error', code: 'E_TOO_LARGE',
      message: `the ${arch} filter has ${insns.length} instructions; the kernel accepts at most ${BPF_MAXINSNS} (simplify syscalls.rules)`,
      loc: profile.syscalls.rules[0]?.loc,
    };
    throw new ProfileError([withSourceLine(tooLarge)]);
  }
  const names = listsFor(profile.syscalls, arch);
  const named = new Set([...names.allow, ...names.deny, ...names.kill, ...names.log, ...names.rules.flatMap((r) => r.syscalls)].map((n) => n.value));
  return {
    arch, insns, plan,
    bytes: encode(insns),
    traps: plan.traps,
    ...(opts.notify ? { ids: encode(emitProgram(plan, opts.dispatch ?? 'bst').insns) } : {}),
    stats: { length: insns.length, depth, prelude: arch === 'x86_64' ? 4 : 3, ranges, named: named.size },
    warnings: familyWarnings(profile, plan).map(withSourceLine),
  };
}

export { planProfile, type Plan, type TrapEntry, type FilterAction, type SyscallPlan, type RuleStep, type Condition, type Origin, type CompileOptions } from './plan.js';
export { emitProgram, retValue, type Dispatch } from './emit.js';
export { checksFor, FAMILIES, PROTECTED, SIGNAL_SENDERS, type Check } from './governed.js';
export { checkProfile, type CheckResult } from './check.js';
export { NOTIFIED } from './notified.js';
export { identityFixed, rootFixed, CHANGES_IDENTITY, CHANGES_ROOT } from './fixed-identity.js';
