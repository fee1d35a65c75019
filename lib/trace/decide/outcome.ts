// What one check (files, exec, network, signal) concludes, and how that
// becomes the supervisor's Decision: the profile's violation action for a
// refusal by a rule, the kernel's own errno for a call the kernel would fail
// anyway (unreadable pointer, malformed length), and in mode: audit an allow
// that still says what would have happened.
import type { Decision, Detail, RuleRef } from '../types.js';
import type { Matchers } from './matchers.js';
import { ENOENT } from './args.js';

export type CheckOutcome = Passed | Refused;

export interface Passed {
  readonly refused: false;
  readonly detail?: Detail;
  /** The rule that let the call through; computed only when the call is logged. */
  readonly rule?: RuleRef;
}

export interface Refused {
  readonly refused: true;
  readonly rule: RuleRef;
  readonly reason: string;
  readonly detail?: Detail;
  /**
   * Set when the argument itself is broken (EFAULT, ENAMETOOLONG, EINVAL...):
   * the kernel would fail the call with this errno, so the supervisor returns
   * it instead of applying the violation action. Fail closed, but a bad
   * pointer is a bug, not an attack, and never kills.
   */
  readonly errno?: number;
  /** Not a violation: a mechanism (clone3's ENOSYS): refused with `errno`, never reported, in audit mode too. */
  readonly quiet?: boolean;
  /**
   * Not a violation: the path is outside the profile's view (a look at a path that is neither
   * granted nor an ancestor of a grant, or a read of one that does not exist). ENOENT, as if it
   * were not there: never the violation action, reported only in audit mode or --verbose.
   */
  readonly hidden?: boolean;
}

export const passed = (detail?: Detail, rule?: RuleRef): Passed => ({ refused: false, detail, rule });

export const refused = (rule: RuleRef, reason: string, detail?: Detail): Refused => ({ refused: true, rule, reason, detail });

/** A call the kernel would fail with `errno` anyway. */
export const broken = (rule: RuleRef, errno: number, reason: string, detail?: Detail): Refused =>
  ({ refused: true, rule, reason, detail, errno });

/** Refused with `errno` as a mechanism, not a violation: no report, in enforce and audit mode alike. */
export const quiet = (rule: RuleRef, errno: number, reason: string): Refused =>
  ({ refused: true, rule, reason, errno, quiet: true });

/** Hidden: the path is not there for this profile (see Refused.hidden). */
export const hidden = (r: Refused): Refused => ({ ...r, errno: ENOENT, hidden: true, reason: `${r.reason}: hidden (ENOENT)` });

/** What a refusal would have done, reported by audit mode. */
export type WouldHave = { readonly action: 'deny'; readonly errno: number; readonly hidden?: boolean } | { readonly action: 'kill' };

/**
 * mode: audit lets a refused call through and logs it. The Decision keeps the
 * rule and reason, and says what enforce mode would have done.
 */
export interface AuditedAllow {
  readonly action: 'allow';
  readonly log: true;
  readonly detail?: Detail;
  readonly rule: RuleRef;
  readonly reason: string;
  readonly wouldHave: WouldHave;
}

/** decide()'s answer: a Decision, where an audited allow carries what would have happened. */
export type Ruling = Decision | AuditedAllow;

export const isAudited = (d: Ruling): d is AuditedAllow => 'wouldHave' in d;

/** Turn a refusal into the Decision the profile asks for. */
export function refusal(r: Refused, m: Matchers, audit: boolean): Ruling {
  if (r.quiet) return { action: 'deny', errno: r.errno!, rule: r.rule, reason: r.reason, quiet: true };
  const would: WouldHave = r.hidden ? { action: 'deny', errno: r.errno!, hidden: true }
    : r.errno !== undefined
    ? { action: 'deny', errno: r.errno }
    : m.violation.value === 'kill' ? { action: 'kill' } : { action: 'deny', errno: m.errno.value };
  return apply(would, r.rule, r.reason, r.detail, audit);
}

export function apply(would: WouldHave, rule: RuleRef, reason: string, detail: Detail | undefined, audit: boolean): Ruling {
  if (audit) return { action: 'allow', log: true, detail, rule, reason, wouldHave: would };
  if (would.action === 'kill') return { action: 'kill', detail, rule, reason };
  return { action: 'deny', errno: would.errno, detail, rule, reason, ...(would.hidden ? { hidden: true } : {}) };
}
