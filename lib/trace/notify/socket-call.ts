// What the socket calls the supervisor performs (connect.ts, send.ts) share: the address
// bytes the decision read, the caller's own socket, and a UNIX socket path pinned and checked again.
//
// The address is always the decision's read (ctx.view.readBytes with the same pointer and length:
// notify/view.ts keeps each read), never a second read of the caller's memory. The socket is the
// caller's own open file, copied into this process with pidfd_getfd (pin.ts: callersFd, which drops
// it unless the call still waits): whatever is made on it is made on the caller's socket.
//
// A UNIX socket named by a path (connect, sendto) is pinned (O_PATH, following symlinks as the
// kernel does for them) in the caller's mount namespace and as the caller, and the path of what
// was reached is checked against the rules again (decide/network.ts: checkReachedSocket); the call
// then names /proc/self/fd/PIN — the same inode, no second walk — and is made back in syscage's own
// mount namespace, where the kernel walks that address. (bind stays with ptrace: a UNIX socket is
// named by the very bytes bind was given, which a bind through /proc/self/fd/PIN would change:
// lib/compile/notified.ts.)
import { fdops } from '../../native/index.js';
import { checkReachedSocket, type CheckOutcome, type DecideContext } from '../decide/index.js';
import type { Trap } from '../types.js';
import { isFault } from '../types.js';
import { callersFd, pinnedPath, pinPath } from './pin.js';
import type { Caller } from './creds.js';
import { E } from '../../arch/errno.js';

const { EINVAL, EPERM } = E;
const AF_UNIX = 1;
/** sizeof(sockaddr_un.sun_path). */
const SUN_PATH = 108;

/** A refusal found while performing: reported like any other (supervisor.ts: refuse). */
export type Refused = { readonly refused: CheckOutcome & { refused: true } };
export type Failed = { readonly errno: number };

/** What a socket call needs, taken in the caller's mount namespace. */
export interface Prepared {
  /** This process's copy of the caller's socket. */
  readonly socket: number;
  /** The address for the call: the caller's bytes, or /proc/self/fd/PIN for a pinned UNIX socket (empty: none). */
  readonly addr: Buffer;
  /** The pinned UNIX socket; -1: none. */
  readonly pin: number;
}

/**
 * The address bytes the decision read at `ptr` (`len` bytes: the same read, kept by the view). A
 * zero length reads nothing (move_addr_to_kernel copies nothing either).
 */
function addressBytes(ctx: DecideContext, ptr: bigint, len: number): Buffer | Failed {
  if (len < 0) return { errno: EINVAL };
  if (len === 0) return Buffer.alloc(0);
  const bytes = ctx.view.readBytes(ptr, len);
  return isFault(bytes) ? { errno: bytes.errno ?? EINVAL } : bytes;
}

/**
 * The path a UNIX address names (the kernel ends sun_path at its first NUL, or at the address's
 * end); undefined for any other address: another family, an abstract name, the unnamed address.
 */
function unixPath(bytes: Buffer): string | undefined {
  if (!(bytes.length > 2 && bytes.readUInt16LE(0) === AF_UNIX && bytes[2] !== 0)) return undefined;
  const end = bytes.indexOf(0, 2);
  return bytes.subarray(2, end < 0 ? bytes.length : end).toString('utf8');
}

/**
 * `path` as the caller names it, made absolute from its cwd. A caller in another root (chroot)
 * names another file by this path: refused (EPERM), as for opens.
 */
function callersPath(path: string, ctx: DecideContext): string | Failed {
  if (ctx.view.root() !== '/') return { errno: EPERM };
  if (path.startsWith('/')) return path;
  const cwd = ctx.view.cwd();
  if (isFault(cwd)) return { errno: cwd.errno ?? EINVAL };
  return `${cwd}/${path}`;
}

/**
 * Prepare a connect or a sendto with a destination: read the address (the decision's bytes), copy
 * the caller's socket `fd`, and pin and check again a UNIX socket's path — in the caller's mount
 * namespace (namespace.ts). The call itself is made back in syscage's own.
 */
export function prepareAddressed(trap: Trap, ctx: DecideContext, caller: Caller, fd: number, ptr: bigint, len: number, use: 'connect' | 'send'): Prepared | Failed | Refused {
  const bytes = addressBytes(ctx, ptr, len);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const socket = callersFd(caller, trap.pid, fd);
  if (socket < 0) return { errno: -socket };
  const path = unixPath(bytes);
  if (path === undefined) return { socket, addr: bytes, pin: -1 };
  const fail = <T>(x: T): T => {
    fdops.closeQuietly(socket);
    return x;
  };
  const full = callersPath(path, ctx);
  if (typeof full !== 'string') return fail(full);
  const pinned = pinPath(full, 0, trap, caller);
  if (!('fd' in pinned)) return fail({ errno: pinned.errno });
  const real = pinnedPath(pinned.fd);
  const out = real?.startsWith('/') ? checkReachedSocket(real, trap, ctx, use) : undefined;
  if (!out || out.refused) {
    fdops.closeQuietly(pinned.fd);
    return fail(out?.refused ? { refused: out } : { errno: EPERM });
  }
  return { socket, addr: sockaddrUn(`/proc/self/fd/${pinned.fd}`), pin: pinned.fd };
}

/** Close what a prepared call holds (the socket too, unless `keepSocket`: a call still in progress). */
export function abandon(p: Prepared, keepSocket = false): void {
  if (p.pin >= 0) fdops.closeQuietly(p.pin);
  if (!keepSocket) fdops.closeQuietly(p.socket);
}

/** A sockaddr_un naming `path` (a pin's /proc/self/fd/N: far shorter than sun_path). */
function sockaddrUn(path: string): Buffer {
  const b = Buffer.alloc(2 + Math.min(SUN_PATH, Buffer.byteLength(path) + 1));
  b.writeUInt16LE(AF_UNIX, 0);
  b.write(path, 2);
  return b;
}
