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
// final error. The connect is made as the caller (creds.ts: the peer of a UNIX stream connection
// sees the caller's ids in SO_PEERCRED; its pid stays syscage's). Differences from the kernel's own
// connect, by design: the socket's send timeout does not bound the wait, and a blocking UNIX
// connect to a full backlog fails with EAGAIN instead of waiting.
import { fdops, notify } from '../../native/index.js';
import { argInt, argU64 } from '../decide/args.js';
import { checkReachedSocket, type CheckOutcome, type DecideContext } from '../decide/index.js';
import type { Trap } from '../types.js';
import { callersFd, pinPath } from './pin.js';
import { procDir } from './namespace.js';
import type { Caller } from './creds.js';
import { isFault } from '../types.js';
import { E } from '../../arch/errno.js';

const { O, AT_FDCWD } = fdops;
const { EINPROGRESS, EINVAL, EPERM } = E;
const AF_UNIX = 1;
const SUN_PATH = 108;

export type Connected =
  /** Done: 0 or an errno for the caller. */
  | { readonly errno: number }
  /** Connecting: answer once `socket` (this process's copy, to be closed then) is writable. */
  | { readonly pending: number };

/** What the connect needs, taken in the caller's mount namespace: this process's copy of the socket, the address, the pinned UNIX socket. */
export interface Prepared {
  readonly socket: number;
  readonly addr: Buffer;
  /** The pinned UNIX socket (-1: none); the address is then /proc/self/fd/PIN. */
  readonly pin: number;
}

/**
 * Read the address, copy the socket, and pin and check a UNIX socket's path — all in the caller's
 * mount namespace (namespace.ts). The connect itself is made back in syscage's own (connectPrepared):
 * the kernel walks the address /proc/self/fd/PIN in the namespace of the thread that connects, and
 * the caller's may have a /proc of its own making.
 */
export function prepareConnect(trap: Trap, ctx: DecideContext, caller: Caller): Prepared | { readonly errno: number } | { readonly refused: CheckOutcome & { refused: true } } {
  const len = argInt(trap, 2);
  const bytes = ctx.view.readBytes(argU64(trap, 1), len);
  if (isFault(bytes)) return { errno: bytes.errno ?? EINVAL };
  const socket = callersFd(caller, trap.pid, argInt(trap, 0));
  if (socket < 0) return { errno: -socket };
  if (!(bytes.length > 2 && bytes.readUInt16LE(0) === AF_UNIX && bytes[2] !== 0)) return { socket, addr: bytes, pin: -1 };
  const fail = <T>(x: T): T => {
    fdops.closeQuietly(socket);
    return x;
  };
  // A caller in another root (chroot) names another file by this path: refused, as for opens.
  if (ctx.view.root() !== '/') return fail({ errno: EPERM });
  const end = bytes.indexOf(0, 2);
  const path = bytes.subarray(2, end < 0 ? bytes.length : end).toString('utf8');
  const cwd = path.startsWith('/') ? undefined : ctx.view.cwd();
  if (isFault(cwd)) return fail({ errno: cwd.errno ?? EINVAL });
  const pinned = pinPath(cwd === undefined ? path : `${cwd}/${path}`, 0, trap, caller);
  if (!('fd' in pinned)) return fail({ errno: pinned.errno });
  const link = fdops.readLinkAt(procDir(), `self/fd/${pinned.fd}`);
  const real = typeof link === 'number' ? undefined : link.toString('utf8');
  const out = real?.startsWith('/') ? checkReachedSocket(real, trap, ctx) : undefined;
  if (!out || out.refused) {
    fdops.closeQuietly(pinned.fd);
    return fail(out?.refused ? { refused: out } : { errno: EPERM });
  }
  return { socket, addr: sockaddrUn(`/proc/self/fd/${pinned.fd}`), pin: pinned.fd };
}

/** Connect, in syscage's own mount namespace and as the caller (creds.ts: the peer sees its ids). */
export function connectPrepared(p: Prepared, caller: Caller): Connected {
  let pending = false;
  try {
    const flags = fdops.statusFlags(p.socket);
    const blocking = flags >= 0 && (flags & O.NONBLOCK) === 0;
    if (blocking) fdops.setStatusFlags(p.socket, flags | O.NONBLOCK);
    const made = caller.as(() => fdops.connectTo(p.socket, p.addr));
    const r = typeof made === 'number' ? made : -made.errno;
    if (blocking) fdops.setStatusFlags(p.socket, flags);
    if (r === -EINPROGRESS && blocking) {
      pending = true;
      return { pending: p.socket };
    }
    return { errno: r < 0 ? -r : 0 };
  } finally {
    abandon(p, pending);
  }
}

/** Close what a prepared connect holds (the socket too, unless it is still connecting: finishConnect closes it). */
export function abandon(p: Prepared, keepSocket = false): void {
  if (p.pin >= 0) fdops.closeQuietly(p.pin);
  if (!keepSocket) fdops.closeQuietly(p.socket);
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
