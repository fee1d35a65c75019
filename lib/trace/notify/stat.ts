// An allowed stat (newfstatat, statx), made by the supervisor for the caller (the notification
// backend): the path it read once is pinned (O_PATH, following a final symlink or not as the call
// says, no magic link but the caller's own: pin.ts), what was reached is checked again, the pinned object is stat'ed, and the result is written
// into the caller's buffer. An fd named by AT_EMPTY_PATH (glibc's fstat) is reached through
// /proc/TID/fd/N, the caller's own fd table.
//
// Writing into the caller (supervisor.ts does it, as syscage) is safe because the caller cannot run meanwhile: after RECV only a
// fatal signal interrupts it (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 5.19), so no signal handler
// reuses the buffer's memory. Before 5.19 a signal could, and the write could land in a handler's
// frame: docs/engine.md says so.
import { fdops } from '../../native/index.js';
import { argInt, argU32, argU64 } from '../decide/args.js';
import { checkReached, forMatch, isProblem, locatePath, pathUses, type CheckOutcome, type DecideContext } from '../decide/index.js';
import type { Detail, Trap } from '../types.js';
import { callersFd, callersLink, pinnedPath } from './pin.js';
import { pinFor, type Walks } from './walks.js';
import type { Caller } from './creds.js';
import { E } from '../../arch/errno.js';

const { O, AT_FDCWD } = fdops;
const { EBADF, ENOENT, EPERM } = E;
const AT_NO_AUTOMOUNT = 0x800;
/** statx: AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC. */
const AT_STATX_SYNC_TYPE = 0x6000;

export type Statted =
  | { readonly errno: number }
  /** The struct stat or statx to write into the caller at `to` (the supervisor writes it, as itself: creds.ts). */
  | { readonly write: Buffer; readonly to: bigint }
  | { readonly refused: CheckOutcome & { refused: true } };

const statBuf = Buffer.alloc(fdops.STAT_SIZE);
const statxBuf = Buffer.alloc(fdops.STATX_SIZE);

export function performStat(trap: Trap, ctx: DecideContext, detail: Detail | undefined, caller: Caller, walks?: Walks): Statted {
  const statx = trap.syscall === 'statx';
  const flags = argInt(trap, statx ? 2 : 3);
  const out = argU64(trap, statx ? 4 : 2);
  const uses = pathUses(trap, ctx);
  if (!uses || isProblem(uses) || uses.length !== 1) return { errno: EPERM };
  const use = uses[0]!;
  const t = locatePath(trap, ctx, use.path, use.dirfd, use.nullMeans, use.inRoot);
  if (isProblem(t)) return { errno: t.errno ?? EPERM };
  let pin: number;
  // An empty path names the dirfd only with AT_EMPTY_PATH; without it the kernel says ENOENT.
  if (t.kind === 'fd' && (flags & fdops.AT_EMPTY_PATH) === 0) return { errno: ENOENT };
  if (t.kind === 'fd') {
    // The caller's fd itself (pidfd_getfd works while this thread is the caller: creds.ts), or its cwd.
    pin = t.fd === AT_FDCWD ? callersLink(caller, `${trap.tid}/cwd`) : callersFd(caller, trap.pid, t.fd);
    if (pin < 0) return { errno: EBADF };
  } else if (t.kind === 'path' && t.within === undefined) {
    const pinned = pinFor(walks, t.raw, use.follow === 'nofollow' ? O.NOFOLLOW : 0, trap, caller);
    if (!('fd' in pinned)) return { errno: pinned.errno };
    pin = pinned.fd;
    let refused: Statted | undefined;
    try {
      refused = recheck(pin, pinned.callersFd, trap, ctx, detail, pinned.path);
    } catch (e) {
      fdops.closeQuietly(pin);
      throw e;
    }
    if (refused) {
      fdops.closeQuietly(pin);
      return refused;
    }
  } else {
    return { errno: EPERM };
  }
  try {
    const buf = statx ? statxBuf : statBuf;
    const r = statx
      ? fdops.statxFd(pin, flags & (AT_STATX_SYNC_TYPE | AT_NO_AUTOMOUNT), argU32(trap, 3), buf)
      : fdops.statFd(pin, buf, flags & AT_NO_AUTOMOUNT);
    if (r < 0) return { errno: -r };
    return { write: Buffer.from(buf), to: out };
  } finally {
    fdops.closeQuietly(pin);
  }
}

/**
 * What the pin reached (`known`: read already) is what the decision judged (the real paths it
 * resolved are in its detail), or else it is judged now: a look at something the rules let read.
 */
function recheck(pin: number, callersFd: boolean, trap: Trap, ctx: DecideContext, detail: Detail | undefined, known?: string): Statted | undefined {
  const text = known ?? pinnedPath(pin);
  if (text === undefined) return { errno: EPERM };
  // Outside the filesystem (a pipe, a socket): only ever through the caller's own fd (pin.ts).
  if (!text.startsWith('/') || text.startsWith('/memfd:')) return callersFd ? undefined : { errno: EPERM };
  const real = forMatch(text, trap.pid);
  if (detail?.paths?.includes(real)) return undefined;
  const out = checkReached(real, 'read', trap, ctx);
  return out.refused ? { refused: out } : undefined;
}
