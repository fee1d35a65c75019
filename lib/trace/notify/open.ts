// An allowed open, performed by the supervisor for the caller (the notification backend).
//
// The kernel never walks the caller's path: the supervisor does, from the path it read once, in
// two steps, and the caller gets the result as a new fd (SECCOMP_IOCTL_NOTIF_ADDFD):
//
//   1. pin   open the path O_PATH, with the caller's lookup flags (O_NOFOLLOW, O_DIRECTORY;
//            openat2's resolve flags): no side effect, no blocking. What it reached is
//            /proc/self/fd/P, and that is checked against the rules again — a symlink swapped
//            after the decision, a buffer rewritten, a directory renamed: the object that was
//            reached is the one judged;
//   2. open  reopen /proc/self/fd/P with the caller's flags (O_TRUNC, the access mode...): the
//            same inode, no second walk.
//
// A create (O_CREAT of a path that is not there) pins the parent directory instead, checks
// parent + name for writing, and creates the name in it with O_NOFOLLOW under the caller's umask
// (this thread has its own fs_struct: worker.ts). A symlink found there (a dangling one, or one
// planted meanwhile) is followed by hand, each step pinned and checked the same way.
//
// Differences from the kernel's own open, by design: the supervisor always adds O_NOCTTY (a
// terminal never becomes its controlling terminal, nor the caller's), and a caller in another
// root (chroot) is refused: its paths do not name what they name here.
import { open as fsOpen } from 'node:fs';
import { fdops } from '../../native/index.js';
import { argInt, argU64 } from '../decide/args.js';
import { checkReached, isProblem, locatePath, openAccess, type DecideContext } from '../decide/index.js';
import type { CheckOutcome } from '../decide/index.js';
import type { Trap } from '../types.js';
import { isFault } from '../types.js';

const { O, AT_FDCWD } = fdops;
const EEXIST = 17;
const ELOOP = 40;
const ENOENT = 2;
const EISDIR = 21;
const EINVAL = 22;
const EPERM = 1;
const MAXSYMLINKS = 40;

/** What performing the call came to. */
export type Opened =
  /** An fd of this process, to be installed in the caller (then closed here). */
  | { readonly fd: number; readonly cloexec: boolean }
  /** An fd of this process still opening on another thread (a FIFO waiting for its other end). */
  | { readonly later: Promise<number>; readonly cloexec: boolean }
  /**
   * The call runs as made (an openat2 with O_PATH, after the supervisor's own check: no O_PATH file
   * can be installed in the caller, and the filter cannot see openat2's flags to trace it instead).
   */
  | { readonly asMade: true }
  /** The call fails with this errno, as the kernel's own open would have failed it. */
  | { readonly errno: number }
  /** What the pin reached is refused by the rules: a refusal, reported like any other. */
  | { readonly refused: CheckOutcome & { refused: true } };

/** The open's arguments: flags, mode and openat2's resolve, from the registers or struct open_how. */
interface OpenArgs {
  readonly flags: number;
  readonly mode: number;
  readonly resolve: bigint;
  /** The path argument and its dirfd argument (-1: none). */
  readonly path: number;
  readonly dirfd: number;
}

function openArgs(trap: Trap, ctx: DecideContext): OpenArgs | number {
  switch (trap.syscall) {
    case 'open': return { path: 0, dirfd: -1, flags: argInt(trap, 1), mode: argInt(trap, 2) & 0o7777, resolve: 0n };
    case 'creat': return { path: 0, dirfd: -1, flags: O.CREAT | 1 /* O_WRONLY */ | O.TRUNC, mode: argInt(trap, 1) & 0o7777, resolve: 0n };
    case 'openat': return { path: 1, dirfd: 0, flags: argInt(trap, 2), mode: argInt(trap, 3) & 0o7777, resolve: 0n };
    case 'openat2': {
      const size = Number(argU64(trap, 3));
      if (size < 24) return EINVAL;
      const how = ctx.view.readBytes(argU64(trap, 2), 24);
      if (isFault(how)) return how.errno ?? EINVAL;
      return { path: 1, dirfd: 0, flags: Number(how.readBigUInt64LE(0) & 0xffff_ffffn), mode: Number(how.readBigUInt64LE(8)), resolve: how.readBigUInt64LE(16) };
    }
    default: return EINVAL;
  }
}

/**
 * Open for the caller what the decision allowed. `ctx.view` must be the view the decision read
 * (the same path bytes: notify/view.ts keeps each read).
 */
export function performOpen(trap: Trap, ctx: DecideContext, umask: () => number): Opened {
  const a = openArgs(trap, ctx);
  if (typeof a === 'number') return { errno: a };
  const t = locatePath(trap, ctx, a.path, a.dirfd, 'fault');
  if (isProblem(t)) return { errno: t.errno ?? EPERM };
  if (t.kind !== 'path') return { errno: ENOENT };
  if (t.within !== undefined) return { errno: EPERM };
  if ((a.flags & O.PATH) !== 0) return { asMade: true };
  const cloexec = (a.flags & O.CLOEXEC) !== 0;
  // openat2's resolve flags constrain the walk relative to its dirfd: walk from that directory.
  let base = AT_FDCWD;
  let path = t.raw;
  if (a.resolve !== 0n) {
    const r = ctx.view.readString(argU64(trap, a.path), 4096);
    if (isFault(r)) return { errno: r.errno ?? EINVAL };
    const fd = a.dirfd < 0 ? AT_FDCWD : argInt(trap, a.dirfd);
    base = fdops.openAt(AT_FDCWD, fd === AT_FDCWD ? `/proc/${trap.tid}/cwd` : `/proc/${trap.tid}/fd/${fd}`, O.PATH | O.CLOEXEC);
    if (base < 0) return { errno: 9 /* EBADF */ };
    path = r;
  }
  try {
    return open(base, path, a, trap, ctx, umask, cloexec, 0);
  } finally {
    if (base !== AT_FDCWD) fdops.closeQuietly(base);
  }
}

function open(base: number, path: string, a: OpenArgs, trap: Trap, ctx: DecideContext, umask: () => number, cloexec: boolean, depth: number): Opened {
  const excl = (a.flags & O.CREAT) !== 0 && (a.flags & O.EXCL) !== 0;
  const pinFlags = O.PATH | O.CLOEXEC | (a.flags & (O.NOFOLLOW | O.DIRECTORY)) | (excl ? O.NOFOLLOW : 0);
  const pin = fdops.openAt2(base, path, pinFlags, 0, a.resolve);
  if (pin >= 0) {
    try {
      return reopen(pin, a, trap, ctx, cloexec, excl);
    } catch (e) {
      fdops.closeQuietly(pin);
      throw e;
    }
  }
  if (pin !== -ENOENT || (a.flags & O.CREAT) === 0) return { errno: -pin };
  return create(base, path, a, trap, ctx, umask, cloexec, depth);
}

/** The pinned object exists: check what it is, then open it with the caller's flags. */
function reopen(pin: number, a: OpenArgs, trap: Trap, ctx: DecideContext, cloexec: boolean, excl: boolean): Opened {
  if (excl) {
    fdops.closeQuietly(pin);
    return { errno: EEXIST };
  }
  const mode = fdops.modeOf(pin);
  const type = mode & fdops.S_IFMT;
  if (mode >= 0 && type === fdops.S_IFLNK) {
    // Only pinned as a link with O_NOFOLLOW: the kernel's open fails it.
    fdops.closeQuietly(pin);
    return { errno: ELOOP };
  }
  const reached = checked(pin, undefined, openAccess(trap.arch, a.flags).access, trap, ctx);
  if (reached) {
    fdops.closeQuietly(pin);
    return reached;
  }
  const flags = (a.flags & ~(O.CREAT | O.EXCL | O.NOFOLLOW)) | O.CLOEXEC | O.NOCTTY;
  const magic = `/proc/self/fd/${pin}`;
  if (type === fdops.S_IFIFO && (a.flags & O.NONBLOCK) === 0) {
    // Opening a FIFO waits for its other end, which may be the sandbox's next call: not on this thread.
    return { later: openLater(magic, flags).finally(() => fdops.closeQuietly(pin)), cloexec };
  }
  const fd = fdops.openAt(AT_FDCWD, magic, flags, a.mode);
  fdops.closeQuietly(pin);
  return fd >= 0 ? { fd, cloexec } : { errno: -fd };
}

/** The path is not there and the caller creates it: pin the parent, check parent + name, create the name there. */
function create(base: number, path: string, a: OpenArgs, trap: Trap, ctx: DecideContext, umask: () => number, cloexec: boolean, depth: number): Opened {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === '' || name === '.' || name === '..') return { errno: EISDIR };
  const parent = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  const dir = fdops.openAt2(base, parent, O.PATH | O.DIRECTORY | O.CLOEXEC, 0, a.resolve);
  if (dir < 0) return { errno: -dir };
  try {
    const reached = checked(dir, name, 'write', trap, ctx);
    if (reached) return reached;
    fdops.setUmask(umask());
    const flags = a.flags | O.CLOEXEC | O.NOCTTY | O.NOFOLLOW;
    const fd = fdops.openAt(dir, name, flags, a.mode);
    if (fd >= 0) return { fd, cloexec };
    if (fd !== -ELOOP || (a.flags & O.NOFOLLOW) !== 0) return { errno: -fd };
    // A symlink is there (dangling: the kernel creates its target). Follow it by hand.
    if (depth >= MAXSYMLINKS) return { errno: ELOOP };
    const target = fdops.readLinkAt(dir, name);
    if (typeof target === 'number') return { errno: -target };
    return open(dir, target.toString('utf8'), a, trap, ctx, umask, cloexec, depth + 1);
  } finally {
    fdops.closeQuietly(dir);
  }
}

/** Is what fd (plus `name`, inside it) names allowed for `access`? The refusal when not. */
function checked(fd: number, name: string | undefined, access: 'read' | 'write', trap: Trap, ctx: DecideContext): Opened | undefined {
  const link = fdops.readLinkAt(AT_FDCWD, `/proc/self/fd/${fd}`);
  if (typeof link === 'number') return { errno: EPERM };
  const at = link.toString('utf8');
  const real = name === undefined ? at : `${at === '/' ? '' : at}/${name}`;
  const out = checkReached(real, access, trap, ctx);
  return out.refused ? { refused: out } : undefined;
}

/** open(2) on the libuv pool (Node's fs.open): for an open that may wait. Resolves with the fd, or -errno. */
function openLater(path: string, flags: number): Promise<number> {
  return new Promise((resolve) => {
    fsOpen(path, flags, (err, fd) => resolve(err ? -Math.abs(err.errno ?? EPERM) : fd));
  });
}
