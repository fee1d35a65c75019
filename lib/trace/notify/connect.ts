// An allowed connect, made by the supervisor on the caller's own socket (the notification
// backend): pidfd_getfd gives this process the caller's open socket, and connect(2) runs here
// with the address bytes the decision read — the kernel never reads the caller's memory again.
//
// A UNIX socket named by a path is pinned first (O_PATH, following symlinks as connect does) and
// the path of what was reached is checked again; the connect then goes through /proc/self/fd/P,
// the same inode, no second walk (socket-call.ts, shared with sendto).
//
// A blocking socket is switched to non-blocking for the call (the flag belongs to the open file,
// which the caller shares): the supervisor never waits for a handshake. The caller's answer
// waits instead, until the socket is writable (notify/supervisor.ts polls it), with the socket's
// final error. The connect is made as the caller (creds.ts: the peer of a UNIX stream connection
// sees the caller's ids in SO_PEERCRED; its pid stays syscage's). Differences from the kernel's own
// connect, by design: the socket's send timeout does not bound the wait, and a blocking UNIX
// connect to a full backlog fails with EAGAIN instead of waiting.
import { fdops } from '../../native/index.js';
import { argInt, argU64 } from '../decide/args.js';
import type { DecideContext } from '../decide/index.js';
import type { Trap } from '../types.js';
import type { Caller } from './creds.js';
import { abandon, prepareAddressed, type Failed, type Prepared, type Refused } from './socket-call.js';
import { E } from '../../arch/errno.js';

const { O } = fdops;
const { EINPROGRESS } = E;

export type Connected =
  /** Done: 0 or an errno for the caller. */
  | { readonly errno: number }
  /** Connecting: answer once `socket` (this process's copy, to be closed then) is writable. */
  | { readonly pending: number };

/**
 * Read the address, copy the socket, and pin and check a UNIX socket's path — all in the caller's
 * mount namespace (namespace.ts). The connect itself is made back in syscage's own (connectPrepared):
 * the kernel walks the address /proc/self/fd/PIN in the namespace of the thread that connects, and
 * the caller's may have a /proc of its own making.
 */
export function prepareConnect(trap: Trap, ctx: DecideContext, caller: Caller): Prepared | Failed | Refused {
  return prepareAddressed(trap, ctx, caller, argInt(trap, 0), argU64(trap, 1), argInt(trap, 2), 'connect');
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

/** The errno a finished non-blocking connect left on the socket (0: connected). Closes the socket. */
export function finishConnect(socket: number): number {
  const e = fdops.socketError(socket);
  fdops.closeQuietly(socket);
  return e < 0 ? -e : e;
}
