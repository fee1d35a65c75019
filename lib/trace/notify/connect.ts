// An allowed connect, made by the supervisor on the caller's own socket (the notification
// backend): pidfd_getfd gives this process the caller's open socket, and connect(2) runs here
// with the address bytes the decision read — the kernel never reads the caller's memory again.
//
// A UNIX socket named by a path is pinned first (O_PATH, following symlinks as connect does) and
// the path of what was reached is checked again; the connect then goes through /proc/self/fd/P,
// the same inode, no second walk.
//
// A blocking socket is switched to non-blocking for the call (the flag belongs to the open file,
// which the caller shares): the supervisor never waits for a handshake. The caller's answer
// waits instead, until the socket is writable (notify/supervisor.ts polls it), with the socket's
// final error. Differences from the kernel's own connect, by design: the socket's send timeout
// does not bound the wait, and the peer of a UNIX stream connection sees the supervisor's
// credentials (SO_PEERCRED is taken from the process that calls connect).
import { fdops, notify } from '../../native/index.js';
import { argInt, argU64 } from '../decide/args.js';
import { checkReachedSocket, type CheckOutcome, type DecideContext } from '../decide/index.js';
import { readlink } from '../proc.js';
import type { Trap } from '../types.js';
import { pinPath } from './pin.js';
import { isFault } from '../types.js';

const { O, AT_FDCWD } = fdops;
const EINPROGRESS = 115;
const EINVAL = 22;
const EPERM = 1;
const AF_UNIX = 1;
const SUN_PATH = 108;

export type Connected =
  /** Done: 0 or an errno for the caller. */
  | { readonly errno: number }
  /** Connecting: answer once `socket` (this process's copy, to be closed then) is writable. */
  | { readonly pending: number }
  | { readonly refused: CheckOutcome & { refused: true } };

export function performConnect(trap: Trap, ctx: DecideContext): Connected {
  const len = argInt(trap, 2);
  const bytes = ctx.view.readBytes(argU64(trap, 1), len);
  if (isFault(bytes)) return { errno: bytes.errno ?? EINVAL };
  const pidfd = notify.pidfdOpen(trap.pid);
  if (pidfd < 0) return { errno: -pidfd };
  const socket = notify.pidfdGetfd(pidfd, argInt(trap, 0));
  fdops.closeQuietly(pidfd);
  if (socket < 0) return { errno: -socket };
  let pin = -1;
  let pending = false;
  try {
    let addr = bytes;
    if (bytes.length > 2 && bytes.readUInt16LE(0) === AF_UNIX && bytes[2] !== 0) {
      // A caller in another root (chroot) names another file by this path: refused, as for opens.
      if (ctx.view.root() !== '/') return { errno: EPERM };
      const end = bytes.indexOf(0, 2);
      const path = bytes.subarray(2, end < 0 ? bytes.length : end).toString('utf8');
      const cwd = path.startsWith('/') ? undefined : ctx.view.cwd();
      if (isFault(cwd)) return { errno: cwd.errno ?? EINVAL };
      const pinned = pinPath(cwd === undefined ? path : `${cwd}/${path}`, 0, trap);
      if (!('fd' in pinned)) return { errno: pinned.errno };
      pin = pinned.fd;
      const real = readlink(`/proc/self/fd/${pin}`);
      if (real === undefined || !real.startsWith('/')) return { errno: EPERM };
      const out = checkReachedSocket(real, trap, ctx);
      if (out.refused) return { refused: out };
      addr = sockaddrUn(`/proc/self/fd/${pin}`);
    }
    const flags = fdops.statusFlags(socket);
    const blocking = flags >= 0 && (flags & O.NONBLOCK) === 0;
    if (blocking) fdops.setStatusFlags(socket, flags | O.NONBLOCK);
    const r = fdops.connectTo(socket, addr);
    if (blocking) fdops.setStatusFlags(socket, flags);
    if (r === -EINPROGRESS && blocking) {
      pending = true;
      return { pending: socket };
    }
    return { errno: r < 0 ? -r : 0 };
  } finally {
    if (pin >= 0) fdops.closeQuietly(pin);
    // A pending socket is closed by whoever answers it (finishConnect).
    if (!pending) fdops.closeQuietly(socket);
  }
}

/** The errno a finished non-blocking connect left on the socket (0: connected). Closes the socket. */
export function finishConnect(socket: number): number {
  const e = fdops.socketError(socket);
  fdops.closeQuietly(socket);
  return e < 0 ? -e : e;
}

function sockaddrUn(path: string): Buffer {
  const b = Buffer.alloc(2 + Math.min(SUN_PATH, path.length + 1));
  b.writeUInt16LE(AF_UNIX, 0);
  b.write(path, 2);
  return b;
}
