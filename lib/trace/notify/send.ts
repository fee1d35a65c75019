// An allowed sendto with a destination, made by the supervisor on the caller's own socket (the
// notification backend): pidfd_getfd gives this process the caller's open socket, and sendto(2)
// runs here with the destination bytes the decision read — the kernel never reads the caller's
// address again (socket-call.ts: a UNIX path is pinned, checked again, and named as
// /proc/self/fd/PIN, in syscage's own mount namespace). The payload is read from the caller's
// memory here too (process_vm_readv), once, and that copy is what is sent.
//
// A sendto with no destination (a NULL address, or a zero length: the kernel reads nothing then)
// is not performed: it goes where an earlier, checked connect pointed the socket, and nothing
// security-relevant is in the caller's memory, so the supervisor answers it "run as made"
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE) once it is decided — the kernel reads only the payload.
// sendmsg and sendmmsg stay with ptrace: their destinations and control data (SCM_RIGHTS fds,
// SCM_CREDENTIALS) are in memory structures the kernel would read again.
//
// The send is made as the caller (creds.ts), with the caller's flags | MSG_DONTWAIT |
// MSG_NOSIGNAL: the supervisor never blocks on it. When a blocking caller's send would block
// (EAGAIN), or a stream send has sent part of the payload, the caller's answer waits instead:
// the supervisor polls the socket for POLLOUT and sends the rest then (supervisor.ts), and
// answers with the count sent (before Linux 5.19 a partly sent stream is answered at once: see
// attempt). An EPIPE on a stream socket without the caller's MSG_NOSIGNAL sends SIGPIPE to the
// calling thread, as the kernel would.
//
// Differences from the kernel's own sendto, by design:
//   - at most PAYLOAD_CAP (256 KiB) of the payload is read: a stream socket sends that much and
//     returns the count (the caller sends the rest, as after any short send); a datagram larger
//     than the cap fails with EMSGSIZE (UDP's largest is 64 KiB; a UNIX datagram that large needs
//     a send buffer raised past the default). The cap bounds what syscage holds for each caller
//     that waits: one thread of the sandbox, at most 256 KiB;
//   - a blocking caller waits killable-only (a signal does not interrupt it), and the socket's send
//     timeout (SO_SNDTIMEO) does not bound the wait;
//   - the sender is syscage: a UNIX datagram's SCM_CREDENTIALS (SO_PASSCRED) name syscage's pid
//     (with the caller's ids);
//   - MSG_ZEROCOPY is dropped: syscage's copy of the payload is sent, and no completion is queued.
import { fdops, readMemoryLarge } from '../../native/index.js';
import { argInt, argU64 } from '../decide/args.js';
import type { DecideContext } from '../decide/index.js';
import type { Trap } from '../types.js';
import type { As, Caller } from './creds.js';
import { abandon, prepareAddressed, type Failed, type Prepared, type Refused } from './socket-call.js';
import { E } from '../../arch/errno.js';

const { O } = fdops;
const { EAGAIN, EINPROGRESS, EMSGSIZE, EPIPE, ESRCH } = E;

/** The most of a payload one performed sendto reads (and sends). */
export const PAYLOAD_CAP = 256 << 10;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const MSG_ZEROCOPY = 0x4000000;
const MSG_FASTOPEN = 0x20000000;

/** Does this sendto name no destination (NULL, or a zero length)? Then it runs as made. */
export const sendsToPeer = (trap: Trap): boolean => argU64(trap, 4) === 0n || argInt(trap, 5) === 0;

/** A send under way: what is left to send, and how. The supervisor keeps it while the caller waits. */
export interface Sending {
  readonly p: Prepared;
  readonly data: Buffer;
  /** Bytes sent so far. */
  sent: number;
  /** The flags for the next attempt (the caller's, without MSG_FASTOPEN once the connect is under way). */
  flags: number;
  /** The caller passed no MSG_NOSIGNAL: an EPIPE answer comes with SIGPIPE. */
  readonly signals: boolean;
  /** A stream socket: a send may take part of the payload, and the rest follows. */
  readonly stream: boolean;
  /** The caller waits for its send (a blocking socket, no MSG_DONTWAIT). */
  readonly blocking: boolean;
  readonly as: As;
}

export type Sent =
  /** Done: the count sent. */
  | { readonly count: number }
  /** Failed with errno; `sigpipe`: the caller gets SIGPIPE with it (supervisor.ts: sent). */
  | { readonly errno: number; readonly sigpipe: boolean }
  /** Wait until the socket is writable, then `attempt` again. */
  | { readonly pending: true };

/**
 * Read the destination, copy the socket, pin and check a UNIX socket's path (in the caller's mount
 * namespace), and read the payload. The send itself: attempt, in syscage's own namespace.
 */
export function prepareSend(trap: Trap, ctx: DecideContext, caller: Caller): Sending | Failed | Refused {
  const p = prepareAddressed(trap, ctx, caller, argInt(trap, 0), argU64(trap, 4), argInt(trap, 5), 'send');
  if (!('socket' in p)) return p;
  const fail = (errno: number): Failed => {
    abandon(p);
    return { errno };
  };
  const type = fdops.socketType(p.socket);
  if (type < 0) return fail(-type);
  const stream = type === fdops.SOCK_STREAM;
  const len = argU64(trap, 2);
  if (len > BigInt(PAYLOAD_CAP) && !stream) return fail(EMSGSIZE);
  const data = readMemoryLarge(trap.tid, argU64(trap, 1), Number(len > BigInt(PAYLOAD_CAP) ? BigInt(PAYLOAD_CAP) : len));
  if (typeof data === 'number') return fail(data);
  // Read by tid after the call's validity check: a call still waiting proves it was its caller's memory.
  if (!caller.waiting()) return fail(ESRCH);
  const flags = argInt(trap, 3);
  const status = fdops.statusFlags(p.socket);
  const blocking = status >= 0 && (status & O.NONBLOCK) === 0 && (flags & MSG_DONTWAIT) === 0;
  return { p, data, sent: 0, flags: flags & ~MSG_ZEROCOPY, signals: (flags & MSG_NOSIGNAL) === 0, stream, blocking, as: caller.as };
}

/**
 * Send (the rest of) the payload, without blocking, as the caller. Pending: the socket is full and
 * the caller waits (poll for POLLOUT, then attempt again). Otherwise done: call `release`.
 * `killable`: the caller's wait can only be ended by a fatal signal (WAIT_KILLABLE_RECV, 5.19).
 * Before it, a signal withdraws the call and the kernel makes it anew, whole: a stream that took
 * part of the payload is answered with that count at once, never left waiting for the rest (the
 * rest would be sent twice).
 */
export function attempt(s: Sending, killable: boolean): Sent {
  const made = s.as(() => fdops.sendTo(s.p.socket, s.data.subarray(s.sent), s.flags | MSG_DONTWAIT | MSG_NOSIGNAL, s.p.addr));
  const r = typeof made === 'number' ? made : -made.errno;
  if (r >= 0) {
    s.sent += r;
    // A stream socket took part of it: a blocking caller waits for the rest, as in the kernel.
    if (s.sent < s.data.length && s.stream && s.blocking && killable) return { pending: true };
    return { count: s.sent };
  }
  if (r === -EINPROGRESS && s.blocking && (s.flags & MSG_FASTOPEN) !== 0 && s.sent === 0) {
    // A TCP Fast Open send began the connect (no cookie yet: nothing was sent with the SYN). The
    // kernel would wait for the handshake and send then: so do we, on a connected socket.
    s.flags &= ~MSG_FASTOPEN;
    return { pending: true };
  }
  if (r === -EAGAIN && s.blocking) return { pending: true };
  // What was sent before an error is the answer (the kernel's too); the error comes with the next send.
  if (s.sent > 0) return { count: s.sent };
  // SIGPIPE comes with EPIPE on a stream socket only (TCP, UNIX stream): a datagram socket shut for
  // writing answers EPIPE alone.
  return { errno: -r, sigpipe: r === -EPIPE && s.signals && s.stream };
}

/** Close what a send holds. */
export function release(s: Sending): void {
  abandon(s.p);
}
