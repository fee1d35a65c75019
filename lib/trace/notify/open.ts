// An allowed open, performed by the supervisor for the caller (the notification backend).
//
// The kernel never walks the caller's path: the supervisor does, from the path it read once, in
// two steps, and the caller gets the result as a new fd (SECCOMP_IOCTL_NOTIF_ADDFD):
//
//   1. pin   open the path O_PATH with the caller's lookup flags (O_NOFOLLOW, O_DIRECTORY): no
//            side effect, no blocking, and no magic link but the caller's own (pin.ts). What it
//            reached is /proc/self/fd/P, and that is checked against the rules again — a symlink
//            swapped after the decision, a buffer rewritten, a directory renamed: the object that
//            was reached is the one judged. For a caller known before its call was decided, the
//            decision resolved the path by pinning it already (walks.ts): that pin is the one;
//   2. open  reopen /proc/self/fd/P with the caller's flags (O_TRUNC, the access mode...): the
//            same inode, no second walk.
//
// A create (O_CREAT of a path that is not there) pins the parent directory instead, checks
// parent + name for writing, and creates the name in it with O_NOFOLLOW (and O_NONBLOCK, put back
// after: a FIFO made there meanwhile must not block this thread) under the caller's umask (this
// thread has its own fs_struct: worker.ts). A symlink found there (a dangling one, or one planted
// meanwhile) is followed by hand, each step pinned and checked the same way.
//
// openat2 is not notified: its flags are in memory, out of the filter's reach, and an O_PATH open
// cannot be performed (no O_PATH file can be installed in another process), so it stays with
// ptrace, as do open and openat with O_PATH (the filter tests their flags register).
//
// Differences from the kernel's own open, by design: the supervisor always adds O_NOCTTY (a
// terminal never becomes its controlling terminal, nor the caller's), and a caller in another
// root (chroot) is refused: its paths do not name what they name here.
import { open as fsOpen } from 'node:fs';
import { fdops } from '../../native/index.js';
import { argInt } from '../decide/args.js';
import { checkReached, isProblem, locatePath, openAccess, type CheckOutcome, type DecideContext } from '../decide/index.js';
import type { Trap } from '../types.js';
import { pinnedPath, pinPath } from './pin.js';
import { pinFor, type Walks } from './walks.js';
import { procDir } from './namespace.js';
import { asNumber, type As, type Caller } from './creds.js';
import { E } from '../../arch/errno.js';

const { O, AT_FDCWD } = fdops;
const { EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, EPERM } = E;
const MAXSYMLINKS = 40;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
/** R_OK, W_OK or both, for the access mode of open flags. */
const accessMode = (flags: number): number => [4, 2, 6, 6][flags & O.ACCMODE]!;
const isAnonymous = (p: string): boolean => !p.startsWith('/') || p.startsWith('/memfd:');

/** What performing the call came to. */
export type Opened =
  /** An fd of this process, to be installed in the caller (then closed here). */
  | { readonly fd: number; readonly cloexec: boolean }
  /**
   * An fd of this process still opening on another thread (a FIFO waiting for its other end):
   * `pin` (ours, to be closed once it has opened) lets the supervisor wake that open if the caller
   * goes away meanwhile.
   */
  | { readonly later: { readonly pin: number; readonly open: Promise<number> }; readonly cloexec: boolean }
  /** The call fails with this errno, as the kernel's own open would have failed it. */
  | { readonly errno: number }
  /** What the pin reached is refused by the rules: a refusal, reported like any other. */
  | { readonly refused: CheckOutcome & { refused: true } };

/** The open's arguments: flags and mode, and which arguments are the path and its dirfd (-1: none). */
interface OpenArgs {
  readonly flags: number;
  readonly mode: number;
  readonly path: number;
  readonly dirfd: number;
}

/** Can the call create a file (O_CREAT, or creat)? Then its caller's umask is needed. */
export const mayCreate = (trap: Trap): boolean => ((openArgs(trap)?.flags ?? 0) & O.CREAT) !== 0;

function openArgs(trap: Trap): OpenArgs | undefined {
  switch (trap.syscall) {
    case 'open': return { path: 0, dirfd: -1, flags: argInt(trap, 1), mode: argInt(trap, 2) & 0o7777 };
    case 'creat': return { path: 0, dirfd: -1, flags: O.CREAT | 1 /* O_WRONLY */ | O.TRUNC, mode: argInt(trap, 1) & 0o7777 };
    case 'openat': return { path: 1, dirfd: 0, flags: argInt(trap, 2), mode: argInt(trap, 3) & 0o7777 };
    default: return undefined;
  }
}

/**
 * Open for the caller what the decision allowed. `ctx.view` must be the view the decision read
 * (the same path bytes: notify/view.ts keeps each read); `walks`, the pins its walks kept (walks.ts).
 */
export function performOpen(trap: Trap, ctx: DecideContext, umask: number, caller: Caller, walks?: Walks): Opened {
  const a = openArgs(trap);
  if (!a) return { errno: EINVAL };
  if ((a.flags & O.PATH) !== 0) return { errno: EINVAL }; // the filter traces these: never here
  const t = locatePath(trap, ctx, a.path, a.dirfd, 'fault');
  if (isProblem(t)) return { errno: t.errno ?? EPERM };
  if (t.kind !== 'path') return { errno: ENOENT };
  if (t.within !== undefined) return { errno: EPERM };
  return open(AT_FDCWD, t.raw, a, trap, ctx, umask, caller, 0, walks);
}

function open(base: number, path: string, a: OpenArgs, trap: Trap, ctx: DecideContext, umask: number, caller: Caller, depth: number, walks?: Walks): Opened {
  const excl = (a.flags & O.CREAT) !== 0 && (a.flags & O.EXCL) !== 0;
  const pin = pinFor(walks, path, (a.flags & (O.NOFOLLOW | O.DIRECTORY)) | (excl ? O.NOFOLLOW : 0), trap, caller, base);
  if ('fd' in pin) {
    try {
      return reopen(pin.fd, pin.callersFd, a, trap, ctx, excl, caller.as, pin.path);
    } catch (e) {
      fdops.closeQuietly(pin.fd);
      throw e;
    }
  }
  if (pin.errno !== ENOENT || (a.flags & O.CREAT) === 0) return { errno: pin.errno };
  return create(base, path, a, trap, ctx, umask, caller, depth);
}

/** The pinned object exists: check what it is (`at`: the path it reached, when known), then open it with the caller's flags. */
function reopen(pin: number, callersFd: boolean, a: OpenArgs, trap: Trap, ctx: DecideContext, excl: boolean, as: As, at?: string): Opened {
  const done = (o: Opened): Opened => {
    fdops.closeQuietly(pin);
    return o;
  };
  if (excl) return done({ errno: EEXIST });
  const mode = fdops.modeOf(pin);
  if (mode < 0) return done({ errno: -mode });
  const type = mode & fdops.S_IFMT;
  // Pinned as a link only with O_NOFOLLOW: the kernel's open fails it.
  if (type === fdops.S_IFLNK) return done({ errno: ELOOP });
  // O_CREAT of an existing directory (the kernel says EISDIR; the reopen without O_CREAT would not).
  if (type === S_IFDIR && (a.flags & O.CREAT) !== 0) return done({ errno: EISDIR });
  const reached = checked(pin, undefined, openAccess(trap.arch, a.flags).access, trap, ctx, callersFd, at);
  if (reached) return done(reached);
  const cloexec = (a.flags & O.CLOEXEC) !== 0;
  const flags = (a.flags & ~(O.CREAT | O.EXCL | O.NOFOLLOW)) | O.CLOEXEC | O.NOCTTY;
  if (type === fdops.S_IFIFO && (a.flags & O.NONBLOCK) === 0) {
    // Opening a FIFO waits for its other end, which may be the sandbox's next call: not on this
    // thread, but on libuv's pool, whose threads are syscage as it is: the caller's own right to
    // open it is asked here first (this thread is the caller now: creds.ts).
    const allowed = asNumber(as, () => fdops.accessFd(pin, accessMode(a.flags)));
    if (allowed < 0) return done({ errno: -allowed });
    return { later: { pin, open: openLater(`/proc/self/fd/${pin}`, flags) }, cloexec };
  }
  // A character device may wait too (a tty without CLOCAL waits for its carrier): opened
  // non-blocking, then made blocking as the caller asked.
  const wait = type === S_IFCHR && (a.flags & O.NONBLOCK) === 0;
  // As the caller: reopening checks its permission for the access mode.
  const fd = asNumber(as, () => fdops.openAt(procDir(), `self/fd/${pin}`, flags | (wait ? O.NONBLOCK : 0), a.mode));
  if (fd >= 0 && wait) fdops.setStatusFlags(fd, fdops.statusFlags(fd) & ~O.NONBLOCK);
  return done(fd >= 0 ? { fd, cloexec } : { errno: -fd });
}

/** The path is not there and the caller creates it: pin the parent, check parent + name, create the name there. */
function create(base: number, path: string, a: OpenArgs, trap: Trap, ctx: DecideContext, umask: number, caller: Caller, depth: number): Opened {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === '' || name === '.' || name === '..') return { errno: EISDIR };
  const parent = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  const dir = pinPath(parent, O.DIRECTORY, trap, caller, base);
  if (!('fd' in dir)) return { errno: dir.errno };
  try {
    const reached = checked(dir.fd, name, 'write', trap, ctx, false);
    if (reached) return reached;
    fdops.setUmask(umask);
    const nonblock = (a.flags & O.NONBLOCK) === 0;
    const fd = asNumber(caller.as, () => fdops.openAt(dir.fd, name, a.flags | O.CLOEXEC | O.NOCTTY | O.NOFOLLOW | O.NONBLOCK, a.mode));
    if (fd >= 0) {
      if (nonblock) fdops.setStatusFlags(fd, fdops.statusFlags(fd) & ~O.NONBLOCK);
      return { fd, cloexec: (a.flags & O.CLOEXEC) !== 0 };
    }
    if (fd !== -ELOOP || (a.flags & O.NOFOLLOW) !== 0) return { errno: -fd };
    // A symlink is there (dangling: the kernel creates its target). Follow it by hand.
    if (depth >= MAXSYMLINKS) return { errno: ELOOP };
    const target = fdops.readLinkAt(dir.fd, name);
    if (typeof target === 'number') return { errno: -target };
    return open(dir.fd, target.toString('utf8'), a, trap, ctx, umask, caller, depth + 1);
  } finally {
    fdops.closeQuietly(dir.fd);
  }
}

/**
 * Is what fd (plus `name`, inside it) names allowed for `access`? The refusal when not. An object
 * outside the filesystem (a pipe, a socket, a memfd) is only ever reached through the caller's own
 * fd (`callersFd`: /proc/self/fd/N), which is the caller's already; reached otherwise, it is refused.
 * `known`: what fd names, read already (a pin kept from the decision: walks.ts).
 */
function checked(fd: number, name: string | undefined, access: 'read' | 'write', trap: Trap, ctx: DecideContext, callersFd: boolean, known?: string): Opened | undefined {
  const at = known ?? pinnedPath(fd);
  if (at === undefined) return { errno: EPERM };
  if (name === undefined && isAnonymous(at)) return callersFd ? undefined : { errno: EPERM };
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
