// From a path argument to the absolute paths a decision compares with globs.
//
// The kernel resolves a path (path_lookupat, fs/namei.c) from the process's
// root when it starts with "/", otherwise from the dirfd argument or, for
// AT_FDCWD (-100) and calls without a dirfd, from the working directory. We
// do the same from /proc (the view), then derive two paths:
//
//   lexical  the joined path with "//", "." and ".." collapsed by text alone,
//            which is what a user reads in the call and writes in a glob;
//   real     the path with symlinks resolved as the kernel would (injected
//            realpath), which is the object the call really reaches.
//
// A call must be allowed by both: a symlink in an allowed directory that
// points at a denied file is refused, and "allowed/link/../x" (the kernel
// resolves link first, then "..") cannot reach outside by text tricks.
//
// Calls that do not follow a final symlink (lstat, unlink, O_NOFOLLOW, ...)
// act on the link itself: for them the real path is the resolved parent
// directory plus the last component as written. A trailing slash, or a last
// component "." or "..", makes every lookup follow (and makes the calls that
// create or remove names fail), so those are resolved in full.
//
// "/proc/self" and "/proc/thread-self" are the tracee's, not the supervisor's:
// they are rewritten to /proc/PID[/task/TID] before resolving, and /proc/PID
// of the caller is matched and shown as /proc/self, so that a profile grants
// "/proc/self/**" without granting every process's /proc entries.
import { normalizePath } from '../../profile/glob.js';
import type { Fault, Trap } from '../types.js';
import { AT_FDCWD, EBADF, ENAMETOOLONG, ENOENT, ENOTDIR, EFAULT, faultErrno, isFault, PATH_MAX, argInt, argU64 } from './args.js';
import type { DecideContext } from './context.js';

/** What a path argument names. */
export type PathTarget =
  /**
   * A path string joined to its base: `raw` as the kernel will walk it,
   * `lexical` normalised. With `within` (a chroot, openat2 RESOLVE_IN_ROOT),
   * `raw` is walked from `within`, which ".." cannot leave.
   */
  | { readonly kind: 'path'; readonly raw: string; readonly lexical: string; readonly within?: string }
  /** The dirfd itself (AT_EMPTY_PATH, an empty or NULL path): what /proc/PID/fd/N names. */
  | { readonly kind: 'fd'; readonly fd: number; readonly path: string }
  /** A NULL path that names nothing (acct(NULL) switches accounting off). */
  | { readonly kind: 'none' };

/**
 * A path we cannot decide on. With `errno`, the kernel would fail the call
 * the same way; without, it is a policy refusal (fail closed).
 */
export interface PathProblem {
  readonly problem: true;
  readonly reason: string;
  readonly errno?: number;
  /**
   * A directory on the path does not exist: the kernel's own walk fails the
   * call with ENOENT, whatever the rules say (the library search of every
   * dynamic program does this many times). Let through, unreported: nothing
   * can create the directory before the kernel's walk, since the sandbox is
   * held still during the call (lib/trace/hold.ts).
   */
  readonly missing?: boolean;
}

const problem = (reason: string, errno?: number): PathProblem => ({ problem: true, reason, errno });
export const isProblem = (x: unknown): x is PathProblem => typeof x === 'object' && x !== null && 'problem' in x;

/** How a call treats a final symlink. `both` checks the link and its target (calls we do not know). */
export type Follow = 'follow' | 'nofollow' | 'both';

/** What a NULL path argument means for this call. */
export type NullPath = 'fault' | 'fd' | 'none';

/**
 * Is an fd's /proc name something other than a file in the filesystem:
 * "pipe:[12]", "socket:[34]", "anon_inode:[eventfd]", or a memfd
 * ("/memfd:NAME (deleted)", which no path reaches)?
 */
export const isAnonymous = (p: string): boolean => !p.startsWith('/') || p.startsWith('/memfd:');

/**
 * Read path argument `pathIdx` (relative to dirfd argument `dirfdIdx`, -1 for
 * none) and join it to its base. An empty path names the dirfd itself: with
 * AT_EMPTY_PATH that is what the kernel does, and without it the kernel
 * fails with ENOENT, so checking the fd is harmless.
 */
export function locatePath(
  trap: Trap, ctx: DecideContext, pathIdx: number, dirfdIdx: number, nullMeans: NullPath, inRoot = false,
): PathTarget | PathProblem {
  const view = ctx.view;
  const ptr = argU64(trap, pathIdx);
  const fd = dirfdIdx < 0 ? AT_FDCWD : argInt(trap, dirfdIdx);
  let s: string;
  if (ptr === 0n) {
    if (nullMeans === 'none') return { kind: 'none' };
    if (nullMeans === 'fault') return problem('the path is a NULL pointer', EFAULT);
    s = '';
  } else {
    const r = view.readString(ptr, PATH_MAX);
    if (isFault(r)) return problem(`cannot read the path at 0x${ptr.toString(16)}: ${r.fault}`, faultErrno(r));
    if (r.length >= PATH_MAX || (r.length >= PATH_MAX / 4 && Buffer.byteLength(r) >= PATH_MAX)) {
      return problem(`the path is longer than PATH_MAX (${PATH_MAX} bytes with its NUL)`, ENAMETOOLONG);
    }
    // A lossy decoding could name another file than the bytes the kernel walks.
    if (r.includes('\uFFFD')) return problem(`the path ${JSON.stringify(r)} is not valid UTF-8`);
    s = r;
  }
  return placePath(s, fd, trap, ctx, inRoot);
}

/**
 * Join a path string to where the kernel starts walking it: the root for an
 * absolute path, else `fd` (a dirfd, or AT_FDCWD for the working directory).
 */
export function placePath(s: string, fd: number, trap: Trap, ctx: DecideContext, inRoot = false): PathTarget | PathProblem {
  if (s === '') {
    const base = baseOf(ctx, fd);
    if (isProblem(base)) return base;
    return { kind: 'fd', fd, path: forMatch(base, trap.pid) };
  }
  // Normally "/"; the view should cache it (only chroot, pivot_root and setns change it).
  const root = ctx.view.root();
  if (isFault(root)) return problem(`cannot read the tracee's root directory: ${root.fault}`, faultErrno(root));

  if (inRoot) {
    // openat2 RESOLVE_IN_ROOT: the dirfd is "/" for this lookup, absolute
    // paths and ".." included.
    const base = baseOf(ctx, fd);
    if (isProblem(base)) return base;
    if (isAnonymous(base)) return problem(`dirfd ${fd} (${base}) is not a directory`, ENOTDIR);
    return rooted(base, '/' + s, trap);
  }
  if (s.charCodeAt(0) === 0x2f /* '/' */) return root === '/' ? plain(s, trap) : rooted(root, s, trap);
  const base = baseOf(ctx, fd);
  if (isProblem(base)) return base;
  if (isAnonymous(base)) return problem(`dirfd ${fd} (${base}) is not a directory`, ENOTDIR);
  // /proc shows the cwd of a chrooted process from our root; ".." from there stops at its root.
  if (root !== '/' && (base === root || base.startsWith(root + '/'))) return rooted(root, base.slice(root.length) + '/' + s, trap);
  return plain(base + '/' + s, trap);
}

/** A path walked from "/". */
function plain(raw: string, trap: Trap): PathTarget {
  const r = raw.startsWith('/proc/') ? procSelf(raw, trap) : raw;
  return { kind: 'path', raw: r, lexical: forMatch(normal(r), trap.pid) };
}

/**
 * A path walked inside `root` (a chroot, or RESOLVE_IN_ROOT): the kernel
 * stops ".." at the root (follow_dotdot), so the lexical path is clamped
 * before the root goes in front, and realPaths walks it component by component.
 */
function rooted(root: string, inside: string, trap: Trap): PathTarget {
  return { kind: 'path', raw: inside, lexical: forMatch(join(root, normal(inside)), trap.pid), within: root };
}

/** The directory a relative path starts from: the cwd for AT_FDCWD, else the dirfd's target. */
function baseOf(ctx: DecideContext, fd: number): string | PathProblem {
  if (fd === AT_FDCWD) {
    const cwd = ctx.view.cwd();
    return isFault(cwd) ? problem(`cannot read the working directory: ${cwd.fault}`, faultErrno(cwd)) : cwd;
  }
  const p = ctx.view.fdPath(fd);
  return isFault(p) ? problem(`fd ${fd} is not open (${p.fault})`, EBADF) : p;
}

/**
 * The real paths of a target: what the kernel reaches after symlinks. Empty
 * for an fd (its /proc name is already the resolved object) and for nothing.
 */
export function realPaths(t: PathTarget, follow: Follow, trap: Trap, ctx: DecideContext): readonly string[] | PathProblem {
  if (t.kind !== 'path') return [];
  if (t.within !== undefined) return inRoot(t, t.within, follow, trap, ctx);
  const raw = t.raw;
  const cut = raw.lastIndexOf('/');
  const last = raw.slice(cut + 1);
  const whole = follow !== 'nofollow' || last === '' || last === '.' || last === '..';
  const out: string[] = [];
  if (whole) {
    const r = ctx.realpath(raw);
    if (isFault(r)) return unresolvable(t, r);
    out.push(r);
  }
  if (follow !== 'follow' && !(last === '' || last === '.' || last === '..')) {
    const r = ctx.realpath(cut <= 0 ? '/' : raw.slice(0, cut));
    if (isFault(r)) return unresolvable(t, r);
    out.push(join(r, '/' + last));
  }
  // normal(): a realpath that appends a non-existent rest as written may leave ".." in it.
  for (let i = 0; i < out.length; i++) out[i] = forMatch(normal(out[i]!), trap.pid);
  return out;
}

/**
 * The symlinks of a path could not be resolved. With the errno the kernel's
 * own walk meets (ELOOP, ENOTDIR) the call is broken the same way; without one
 * (EACCES on another process's /proc/N/root, a link that vanished) it is a
 * policy refusal, fail closed — not EFAULT, which is for unreadable memory and
 * which the kernel would never return for it.
 */
function unresolvable(t: PathTarget & { kind: 'path' }, r: Fault): PathProblem {
  const p = problem(`cannot resolve symlinks in ${t.lexical}: ${r.fault}`, r.errno);
  return r.errno === ENOENT ? { ...p, missing: true } : p;
}

/**
 * A path inside a root (a chroot, openat2 RESOLVE_IN_ROOT): the kernel walks
 * it with `root` as "/": ".." stops there and absolute symlinks restart
 * there. We walk it one component at a time, clamping "..", and resolve each
 * prefix; a symlink whose target leaves the root would be re-rooted by the
 * kernel, which the injected realpath cannot do, so that case is refused
 * (fail closed).
 */
function inRoot(t: PathTarget & { kind: 'path' }, root: string, follow: Follow, trap: Trap, ctx: DecideContext): readonly string[] | PathProblem {
  const comps = t.raw.split('/').filter((c) => c !== '' && c !== '.');
  const trailing = t.raw.endsWith('/') || t.raw.endsWith('/.') || t.raw === '.';
  const walk = (followLast: boolean): string | PathProblem => {
    let cur = root;
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i]!;
      if (c === '..') {
        if (cur !== root) cur = cur.slice(0, cur.lastIndexOf('/')) || '/';
        continue;
      }
      const next = join(cur, '/' + c);
      if (i === comps.length - 1 && !followLast) return next;
      const r = ctx.realpath(next);
      if (isFault(r)) return unresolvable(t, r);
      if (r !== root && !r.startsWith(root === '/' ? '/' : root + '/')) {
        return problem(`${t.lexical}: a symlink leads out of its root ${root} (to ${r}), which the kernel would re-root; not supported`);
      }
      cur = r;
    }
    return cur;
  };
  const out: string[] = [];
  for (const followLast of follow === 'both' ? [true, false] : [follow === 'follow' || trailing]) {
    const p = walk(followLast);
    if (isProblem(p)) return p;
    out.push(forMatch(p, trap.pid));
  }
  return out;
}

/** "//", "/./", "/../", or a trailing "/", "/." or "/..": what lexical normalisation changes. */
const NOT_NORMAL = /\/\.{0,2}(?:\/|$)/;

/**
 * normalizePath, with a fast path: most paths a program passes are already
 * normal, and splitting and joining them is most of the cost of a decision.
 */
export function normal(p: string): string {
  return p.length > 1 && NOT_NORMAL.test(p) ? normalizePath(p) : p;
}

/** base + "/rest" without doubling the slash of a root base. */
const join = (base: string, rest: string): string => (base === '/' ? rest : rest === '/' ? base : base + rest);

/** /proc/self → /proc/PID, /proc/thread-self → /proc/PID/task/TID, as the tracee's kernel sees them. */
function procSelf(p: string, trap: Trap): string {
  const m = /^\/proc\/(self|thread-self)(?=\/|$)/.exec(p);
  if (!m) return p;
  const to = m[1] === 'self' ? `/proc/${trap.pid}` : `/proc/${trap.pid}/task/${trap.tid}`;
  return to + p.slice(m[0].length);
}

/** /proc/PID of the caller is shown and matched as /proc/self. */
export function forMatch(p: string, pid: number): string {
  if (!p.startsWith('/proc/')) return p;
  const own = `/proc/${pid}`;
  if (p === own) return '/proc/self';
  return p.startsWith(own + '/') ? '/proc/self' + p.slice(own.length) : p;
}

/**
 * /proc/self/fd/N (or /proc/self/task/T/fd/N): opening it reopens whatever
 * the caller's fd N refers to — with a new access mode, so an O_PATH or
 * read-only fd could come back writable. Returns N.
 */
export function procFd(p: string): number | undefined {
  if (!p.startsWith('/proc/self/')) return undefined;
  const m = /^\/proc\/self\/(?:task\/\d+\/)?fd\/(\d+)$/.exec(p);
  return m ? Number(m[1]) : undefined;
}

/**
 * The /proc entry of which process a path names, if any: /proc/N/... → N.
 * Used to keep the supervisor's own /proc entries out of reach.
 */
export function procPid(p: string): number | undefined {
  if (!p.startsWith('/proc/')) return undefined;
  const m = /^\/proc\/(\d+)(?:\/|$)/.exec(p);
  return m ? Number(m[1]) : undefined;
}
