// Warnings for profiles that allow part of a syscall family: libc and
// runtimes switch between members (open → openat, stat → newfstatat/statx),
// so allowing one and not another works today and breaks on an upgrade.
import type { Diagnostic } from '../profile/diagnostic.js';
import { listsFor, type Profile } from '../profile/types.js';
import { FAMILIES } from './governed.js';
import { permits, type Plan, type SyscallPlan } from './plan.js';

const ENOSYS = 38;

/**
 * Newer members that callers retry as the older one when they get ENOSYS
 * (glibc: clone3 → clone, faccessat2 → faccessat, statx → fstatat, ...).
 */
const FALLS_BACK_TO: Readonly<Record<string, string>> = {
  clone3: 'clone', faccessat2: 'faccessat', statx: 'newfstatat', epoll_pwait2: 'epoll_pwait',
  fchmodat2: 'fchmodat', openat2: 'openat', renameat2: 'renameat',
};

const allowedSomehow = (p: SyscallPlan | undefined): boolean =>
  !!p && [p.fallback, ...p.steps.map((s) => s.verdict)].some((v) => v.kind === 'trace' || permits(v));

/** Allowed in some case, or refused with ENOSYS while the call it falls back to is allowed. */
function covered(p: SyscallPlan, byName: ReadonlyMap<string, SyscallPlan>): boolean {
  if (allowedSomehow(p)) return true;
  const older = FALLS_BACK_TO[p.name];
  return older !== undefined && p.fallback.kind === 'errno' && p.fallback.errno === ENOSYS && allowedSomehow(byName.get(older));
}

export function familyWarnings(profile: Profile, plan: Plan): Diagnostic[] {
  const sc = listsFor(profile.syscalls, plan.arch);
  if (profile.default.value === 'allow' || profile.default.value === 'log') return [];
  const byName = new Map(plan.syscalls.map((p) => [p.name, p]));
  const refusedOnPurpose = new Set([...sc.deny, ...sc.kill].map((n) => n.value));
  const allowedHere = [...sc.allow, ...sc.log, ...sc.rules.filter((r) => r.action === 'allow' || r.action === 'log').flatMap((r) => r.syscalls)];
  const out: Diagnostic[] = [];
  for (const family of FAMILIES) {
    const members = family.map((n) => byName.get(n)).filter((p): p is SyscallPlan => !!p);
    const named = allowedHere.find((n) => family.includes(n.value));
    if (!named) continue;
    const missing = members.filter((p) => !covered(p, byName) && !refusedOnPurpose.has(p.name)).map((p) => p.name);
    if (missing.length === 0) continue;
    out.push({
      severity: 'warning', code: 'W_PARTIAL_FAMILY', loc: named.loc,
      message: `allows "${named.value}" but not ${missing.map((m) => `"${m}"`).join(', ')} on ${plan.arch}: they have the same effect and libc or the runtime may switch to them; allow them too, or deny them explicitly`,
    });
  }
  return out;
}
