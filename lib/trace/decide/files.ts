// The files check: every path a call names, resolved, classified as a read
// or a write, and compared with files.read / files.write / files.deny.
//
//   - `write` implies `read`; files.deny wins over both.
//   - Both the lexical path and the real one (symlinks resolved) must pass.
//   - An fd named by AT_EMPTY_PATH (or an empty/NULL path where the kernel
//     takes the dirfd itself) is checked, for writes, by what /proc/PID/fd/N
//     names: an O_PATH fd opened for reading must not become a chown or a
//     hard link. Reads through it (fstat) are the fd holder's already. Pipes,
//     sockets, anon inodes and memfds are not in the filesystem: no rule
//     speaks of them, and the f*() calls on them are never trapped either.
//   - The supervisor's own /proc entries (environ, mem, fd/...) are never
//     reachable, whatever files.read says: "/proc/**" must not hand out the
//     supervisor's memory.
//
// The table of path arguments is lib/trace/decide/file-table.ts.
import type { Detail, RuleRef, Trap } from '../types.js';
import { isFault } from './args.js';
import { isSupervisor, type DecideContext } from './context.js';
import type { FileMatchers } from './matchers.js';
import { broken, hidden, passed, refused, type CheckOutcome, type Refused } from './outcome.js';
import { forMatch, isAnonymous, isProblem, locatePath, procFd, procPid, realPaths, type Follow, type PathProblem, type PathTarget } from './paths.js';
import { pathUses, R, W, type Access, type PathUse } from './file-table.js';

export { FILE_SPEC_NAMES, openAccess, type Access } from './file-table.js';

// --- the check -------------------------------------------------------------------------

export function checkFiles(trap: Trap, ctx: DecideContext, explain: boolean): CheckOutcome {
  const m = ctx.matchers.files;
  if (!m) return passed();
  const uses = pathUses(trap, ctx);
  if (!uses) return refused({ what: 'files', loc: m.loc }, `${trap.syscall}: no decoder for its path arguments (fail closed)`);

  const paths: string[] = [];
  let anyWrite = false;
  let looks = true;
  const missing = { seen: false };
  let first: { p: string; access: Access } | undefined;
  const one = (use: PathUse): Refused | undefined => {
    if (use.access === W) anyWrite = true;
    if (!use.looks) looks = false;
    const t = locatePath(trap, ctx, use.path, use.dirfd, use.nullMeans, use.inRoot);
    if (isProblem(t)) return unusable(trap, m, t, paths, anyWrite);
    const refusal = checkTarget(t, use.access, use.follow, trap, ctx, m, paths, missing);
    const r = refusal && hideOrRefuse(refusal, use, t, trap, ctx, m);
    if (r === undefined && !first && t.kind !== 'none') first = { p: t.kind === 'fd' ? t.path : t.lexical, access: use.access };
    return r;
  };

  if (isProblem(uses)) return unusable(trap, m, uses, paths, false);
  for (const u of uses) {
    const r = one(u);
    if (r) return r;
  }
  const detail: Detail = { paths, access: anyWrite ? W : R, ...(looks ? { looks } : {}), ...(missing.seen ? { missing: true } : {}) };
  return passed(detail, explain && first ? allowedBy(m, first.p, first.access) : undefined);
}

/**
 * A policy refusal of a read that is no violation, after unveil(2): a call that only looks at an
 * ancestor of a grant is let through (undefined); one that looks at any other path, or a read of
 * a path that is not there, gets ENOENT, hidden. Writes, refusals for a broken argument and reads
 * of paths that exist stay what they are.
 */
function hideOrRefuse(r: Refused, use: PathUse, t: PathTarget, trap: Trap, ctx: DecideContext, m: FileMatchers): Refused | undefined {
  // Only a refusal by the rules: a path that cannot be checked at all stays a refusal (fail closed).
  const byRules = r.rule === SUPERVISOR_PROC || r.rule.what.startsWith('files.');
  if (!byRules || r.errno !== undefined || use.access !== R || t.kind !== 'path') return r;
  if (use.looks) return visibleAncestor(t, use.follow, trap, ctx, m) ? undefined : hidden(r);
  // A read of a path of files.deny or of the supervisor's /proc stays a violation whether it is
  // there or not: its answer must not say which of them exist.
  if (r.rule === SUPERVISOR_PROC || r.rule.what === 'files.deny') return r;
  return isThere(t, use.follow, trap, ctx) ? r : hidden(r);
}

/** Is there anything at the path (a read of it that the kernel would answer ENOENT is not a violation)? */
function isThere(t: PathTarget & { kind: 'path' }, follow: Follow, trap: Trap, ctx: DecideContext): boolean {
  if (ctx.exists && t.within === undefined) return ctx.exists(t.raw, follow !== 'nofollow');
  const reals = realPaths(t, follow === 'nofollow' ? 'nofollow' : 'follow', trap, ctx);
  return !(isProblem(reals) && reals.missing);
}

/**
 * Every name the look reaches (the path as written, where it leads) is readable or an ancestor of
 * a grant, and none is denied; where one passes as an ancestor only, what the path leads to is a
 * directory (an ancestor glob with a wildcard matches files too: /srv/* of /srv/*\/public/**).
 */
function visibleAncestor(t: PathTarget & { kind: 'path' }, follow: Follow, trap: Trap, ctx: DecideContext, m: FileMatchers): boolean {
  const reals = realPaths(t, follow, trap, ctx);
  if (isProblem(reals)) return false;
  let asAncestor = false;
  for (const p of [t.lexical, ...reals]) {
    const pid = procPid(p);
    if (m.deny.test(p) || (pid !== undefined && isSupervisor(ctx, pid))) return false;
    if (m.readable.test(p)) continue;
    if (!m.ancestors.test(p)) return false;
    asAncestor = true;
  }
  return !asAncestor || (ctx.isDirectory?.(t.raw) ?? false);
}

function checkTarget(t: PathTarget, access: Access, follow: Follow, trap: Trap, ctx: DecideContext, m: FileMatchers, paths: string[], missing: { seen: boolean }): Refused | undefined {
  if (t.kind === 'none') return undefined;
  if (t.kind === 'fd') {
    // Reading through an fd the process already holds (glibc's fstat is
    // newfstatat(fd, "", AT_EMPTY_PATH)) is what fstat does, which is never
    // trapped: how the fd was obtained was the check. Writing through one is
    // checked: an O_PATH fd opened to look must not become a chown or a link.
    if (access === R || isAnonymous(t.path)) return undefined;
    paths.push(t.path);
    return judge(t.path, undefined, access, trap, ctx, m, paths);
  }
  paths.push(t.lexical);
  // The lexical test first: most refusals need no symlink resolution at all.
  const r = judge(t.lexical, undefined, access, trap, ctx, m, paths);
  if (r) return r;
  const reals = realPaths(t, follow, trap, ctx);
  if (isProblem(reals)) {
    if (!reals.missing) return unusable(trap, m, reals, paths, access === W);
    missing.seen = true;
    return undefined;
  }
  if (ctx.notesMissing && !isThere(t, follow, trap, ctx)) missing.seen = true;
  for (const real of reals) {
    if (real === t.lexical || isAnonymous(real)) continue;
    const r2 = judge(real, t.lexical, access, trap, ctx, m, paths);
    if (r2) return r2;
  }
  const r3 = reopened(t.lexical, reals, access, trap, ctx, m, paths);
  // Allowed: the detail names where the symlinks lead too (a recording must allow both).
  if (!r3) for (const real of reals) if (real !== t.lexical && !isAnonymous(real) && !paths.includes(real)) paths.push(real);
  return r3;
}

/**
 * /proc/self/fd/N names the object of fd N, whatever the symlink text says
 * (a deleted file, a file outside our mount namespace): check that object
 * too, as if the call named the fd with AT_EMPTY_PATH.
 */
function reopened(lexical: string, reals: readonly string[], access: Access, trap: Trap, ctx: DecideContext, m: FileMatchers, paths: string[]): Refused | undefined {
  let fd = procFd(lexical);
  for (let i = 0; fd === undefined && i < reals.length; i++) fd = procFd(reals[i]!);
  if (fd === undefined) return undefined;
  const target = ctx.view.fdPath(fd);
  // Not open: the kernel fails the lookup with ENOENT.
  if (isFault(target) || isAnonymous(target)) return undefined;
  return judge(forMatch(target, trap.pid), lexical, access, trap, ctx, m, paths);
}

/** One absolute path against the rules. `via` is the lexical path when `p` is what it resolves to. */
function judge(p: string, via: string | undefined, access: Access, trap: Trap, ctx: DecideContext, m: FileMatchers, paths: string[]): Refused | undefined {
  // The allowed case costs two RegExp tests; everything below it only runs to explain a refusal.
  const pid = procPid(p);
  const ok = !m.deny.test(p) && (access === W ? m.write.test(p) : m.readable.test(p)) && (pid === undefined || !isSupervisor(ctx, pid));
  if (ok) return undefined;
  const shown = via === undefined ? p : `${via} (resolves to ${p})`;
  const what = `${trap.syscall}: ${access} ${shown}`;
  if (pid !== undefined && isSupervisor(ctx, pid)) {
    return refused(SUPERVISOR_PROC, `${what}: the supervisor's /proc entries are never reachable`, { paths, access });
  }
  const deny = m.deny.which(p);
  if (deny) return refused(deny, `${what}: matches files.deny "${deny.text}"`, { paths, access });
  const list = access === W ? m.write : m.read;
  return refused(list.missing, `${what}: not in ${list.what}${access === R ? ' or files.write' : ''}`, { paths, access });
}

/**
 * The object a call really reached, for the notification backend: it opens the path itself (an
 * O_PATH fd: no side effect) and asks again with what /proc/self/fd/N names, so that a symlink
 * swapped or a buffer rewritten after the check reaches nothing the profile refuses.
 */
export function checkReached(real: string, access: Access, trap: Trap, ctx: DecideContext): CheckOutcome {
  const m = ctx.matchers.files;
  if (!m || isAnonymous(real)) return passed();
  const paths: string[] = [];
  return judge(forMatch(real, trap.pid), undefined, access, trap, ctx, m, paths) ?? passed();
}

const SUPERVISOR_PROC: RuleRef = { what: 'built-in', text: "the supervisor's /proc entries are never reachable" };

function allowedBy(m: FileMatchers, p: string, access: Access): RuleRef | undefined {
  return access === W ? m.write.which(p) : (m.read.which(p) ?? m.write.which(p));
}

function unusable(trap: Trap, m: FileMatchers, p: PathProblem, paths: string[], write: boolean): Refused {
  const rule: RuleRef = { what: 'files', text: 'a path that cannot be checked is refused', loc: m.loc };
  const detail: Detail = { paths, access: write ? W : R };
  const reason = `${trap.syscall}: ${p.reason}`;
  return p.errno !== undefined ? broken(rule, p.errno, reason, detail) : refused(rule, reason, detail);
}
