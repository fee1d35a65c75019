// Can a task of the sandbox change who it is — its ids, groups, capabilities or mount namespace —
// other than by exec? Only through the calls below, and only by making them itself: the kernel
// changes a task's credentials and namespaces on behalf of that task alone (commit_creds acts on
// `current`). When the profile refuses each of them outright, whatever their arguments, an identity
// read once stays true until the task execs or ends; the notification backend then remembers it
// per thread instead of reading /proc/TID/status for every call (lib/trace/notify/callers.ts). Where
// the profile refuses chroot and pivot_root too, a task's root directory is remembered the same way.
import type { Plan, TrapEntry } from './plan.js';

/** The calls by which a task changes its own credentials or namespaces (exec aside). */
export const CHANGES_IDENTITY: readonly string[] = [
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid',
  'setgroups', 'capset', 'unshare', 'setns',
];

/**
 * The calls by which a task changes its root directory (besides setns into another mount namespace,
 * in CHANGES_IDENTITY): a task's root is its fs_struct's, changed by chroot — its own, or that of a
 * task it shares its fs_struct with (CLONE_FS), which calls chroot itself — and by pivot_root.
 */
export const CHANGES_ROOT: readonly string[] = ['chroot', 'pivot_root'];

/**
 * Does `plan` refuse every call of CHANGES_IDENTITY on every path — each step and the fallback an
 * errno or a kill, or a trap whose entry refuses (errno or kill) before any check? A call that is
 * allowed, logged, or decided by a check may run, and the answer is no. (Audit runs, which let
 * refusals through, never use the notification backend.)
 */
export const identityFixed = (plan: Plan): boolean => refusesAll(plan, CHANGES_IDENTITY);

/** And CHANGES_ROOT too: a task's root directory, read once, stays what it was until it execs or ends. */
export const rootFixed = (plan: Plan): boolean => identityFixed(plan) && refusesAll(plan, CHANGES_ROOT);

function refusesAll(plan: Plan, names: readonly string[]): boolean {
  const refuses = (traps: readonly TrapEntry[], v: Plan['syscalls'][number]['fallback']): boolean => {
    if (v.kind === 'errno' || v.kind === 'kill') return true;
    if (v.kind !== 'trace') return false;
    const kind = traps[v.id]?.refuse?.kind;
    return kind === 'errno' || kind === 'kill';
  };
  return names.every((name) => {
    const s = plan.syscalls.find((x) => x?.name === name);
    // Not a syscall of this arch: nothing can make it.
    if (!s) return true;
    return refuses(plan.traps, s.fallback) && s.steps.every((step) => refuses(plan.traps, step.verdict));
  });
}
