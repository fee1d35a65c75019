// The exec check: which program a call starts, against exec.allow.
//
//   execve(path, argv, envp)
//   execveat(dirfd, path, argv, envp, flags)   AT_EMPTY_PATH: the program is dirfd itself
//                                              AT_SYMLINK_NOFOLLOW: a final symlink is ELOOP
//   uselib(path)                               maps an a.out library as code
//
// The kernel executes what the path resolves to, so both the path as written
// and its real target must be allowed: a symlink /var/task/run -> /bin/sh
// does not make a shell an allowed program.
//
// Fileless exec — memfd_create + execveat(fd, "", AT_EMPTY_PATH), or
// execve("/proc/self/fd/N") — runs code that has no path on disk: a memfd,
// a deleted file, an anonymous inode. No glob names such a thing, and
// allowing it would let any downloaded payload run, so it is always refused.
//
// argv is decoded for the audit event only (capped: 256 entries, 64 KiB).
import type { Detail, RuleRef, Trap, TraceeView } from '../types.js';
import { argInt, argU64, EFAULT, hex, isFault } from './args.js';
import type { DecideContext } from './context.js';
import type { GlobList } from './matchers.js';
import { broken, passed, refused, type CheckOutcome, type Refused } from './outcome.js';
import { isAnonymous, isProblem, locatePath, procFd, realPaths, type Follow, type NullPath } from './paths.js';

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;

export const ARGV_MAX_ENTRIES = 256;
export const ARGV_MAX_BYTES = 64 * 1024;
const PAGE = 4096n;

/** A program with no name on disk: anonymous, a memfd, or a file deleted since it was opened. */
export const isFileless = (p: string): boolean => isAnonymous(p) || p.endsWith(' (deleted)');

export function checkExec(trap: Trap, ctx: DecideContext, explain: boolean): CheckOutcome {
  const m = ctx.matchers.exec;
  if (!m) return passed();
  let path = 0;
  let dirfd = -1;
  let argvAt = -1;
  let follow: Follow = 'follow';
  let nullMeans: NullPath = 'fault';
  switch (trap.syscall) {
    case 'execve': argvAt = 1; break;
    case 'uselib': break;
    case 'execveat': {
      dirfd = 0; path = 1; argvAt = 2;
      const flags = argInt(trap, 4);
      if (flags & AT_SYMLINK_NOFOLLOW) follow = 'nofollow';
      if (flags & AT_EMPTY_PATH) nullMeans = 'fd';
      break;
    }
    default:
      return refused({ what: 'exec', loc: m.loc }, `${trap.syscall}: no decoder for its program argument (fail closed)`);
  }

  const argv = argvAt < 0 ? [] : decodeArgv(ctx.view, argU64(trap, argvAt));
  const t = locatePath(trap, ctx, path, dirfd, nullMeans);
  const fail: RuleRef = { what: 'exec', text: 'a program that cannot be checked is refused', loc: m.loc };
  if (isProblem(t)) {
    const reason = `${trap.syscall}: ${t.reason}`;
    return t.errno !== undefined ? broken(fail, t.errno, reason) : refused(fail, reason);
  }
  if (t.kind === 'none') return broken(fail, EFAULT, `${trap.syscall}: no program`);
  const shown = t.kind === 'fd' ? t.path : t.lexical;
  const detail: Detail = { paths: [shown], access: 'exec', exec: { path: shown, argv } };
  const fileless = (p: string): Refused => refused(
    { what: 'exec.allow', text: 'fileless exec is never allowed', loc: m.loc },
    `${trap.syscall}: fileless exec: the program ${t.kind === 'fd' ? `is fd ${t.fd}, ` : `${shown} resolves to `}${p}, which has no path on disk`,
    detail);

  if (t.kind === 'fd') {
    if (isFileless(t.path)) return fileless(t.path);
    return judge(trap, m.allow, t.path, undefined, detail) ?? passed(detail, explain ? m.allow.which(t.path) : undefined);
  }
  const reals = realPaths(t, follow, trap, ctx);
  if (isProblem(reals) && reals.missing) return passed(detail); // the kernel fails it: ENOENT
  if (isProblem(reals)) {
    const reason = `${trap.syscall}: ${reals.reason}`;
    return reals.errno !== undefined ? broken(fail, reals.errno, reason, detail) : refused(fail, reason, detail);
  }
  // Name the fileless case even when the path as written is not allowed either: it says more.
  for (const real of reals) if (isFileless(real)) return fileless(real);
  // execve("/proc/self/fd/N") runs fd N's object, whatever realpath made of the link.
  let fd = procFd(t.lexical);
  for (let i = 0; fd === undefined && i < reals.length; i++) fd = procFd(reals[i]!);
  if (fd !== undefined) {
    const target = ctx.view.fdPath(fd);
    if (!isFault(target)) {
      if (isFileless(target)) return fileless(target);
      const r0 = judge(trap, m.allow, target, t.lexical, detail);
      if (r0) return r0;
    }
  }
  const r = judge(trap, m.allow, t.lexical, undefined, detail);
  if (r) return r;
  for (const real of reals) {
    if (real === t.lexical) continue;
    const r2 = judge(trap, m.allow, real, t.lexical, detail);
    if (r2) return r2;
  }
  // Allowed: the detail also names where symlinks lead (a recording must allow both).
  const also = reals.filter((r) => r !== t.lexical);
  return passed(also.length ? { ...detail, paths: [t.lexical, ...also] } : detail, explain ? m.allow.which(t.lexical) : undefined);
}

function judge(trap: Trap, allow: GlobList, p: string, via: string | undefined, detail: Detail): Refused | undefined {
  if (allow.test(p)) return undefined;
  const shown = via === undefined ? p : `${via} (resolves to ${p})`;
  return refused(allow.missing, `${trap.syscall}: exec ${shown}: not in exec.allow`, detail);
}

/**
 * argv: a NULL-terminated array of string pointers (8 bytes each on both
 * arches). Pointers are read a page at a time, so an array that ends just
 * before an unmapped page still decodes. Anything unreadable ends the list
 * with a marker: the kernel would fail the exec with EFAULT.
 */
export function decodeArgv(view: TraceeView, argv: bigint): string[] {
  const out: string[] = [];
  if (argv === 0n) return out;
  let bytes = 0;
  let at = argv;
  for (;;) {
    const room = Number(PAGE - (at % PAGE));
    const count = Math.max(1, Math.min(Math.floor(room / 8), ARGV_MAX_ENTRIES - out.length));
    const ptrs = view.readBytes(at, count * 8);
    if (isFault(ptrs)) {
      out.push(`<unreadable argv at ${hex(at)}>`);
      return out;
    }
    for (let i = 0; i < count; i++) {
      const p = ptrs.readBigUInt64LE(i * 8);
      if (p === 0n) return out;
      if (out.length >= ARGV_MAX_ENTRIES || bytes >= ARGV_MAX_BYTES) {
        out.push('…');
        return out;
      }
      const max = ARGV_MAX_BYTES - bytes;
      const s = view.readString(p, max);
      if (isFault(s)) {
        out.push(`<unreadable, or longer than ${max} bytes, at ${hex(p)}>`);
        return out;
      }
      out.push(s);
      bytes += s.length + 1;
    }
    at += BigInt(count * 8);
  }
}
