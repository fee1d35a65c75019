// What the decision code is given besides the trap: the compiled profile and
// the world as seen from the tracee. Everything that touches a real process
// (memory, /proc, symlinks) arrives as a function, so tests script it.
import type { Fault, TraceeView } from '../types.js';
import type { Matchers } from './matchers.js';
import type { Destination } from './sockaddr.js';

export interface DecideContext {
  readonly matchers: Matchers;
  /** Memory and /proc of the tracee that made the call. */
  readonly view: TraceeView;
  /**
   * Resolve symlinks the way the kernel would for this tracee: component by
   * component, a symlink before the ".." that follows it ("/a/link/../x" is
   * the parent of link's target, then x), the existing prefix resolved and
   * the non-existent rest appended as written; a dangling symlink resolves to
   * its target. Given absolute paths that may still hold ".", ".." and "//".
   * Must not normalise lexically first (Node's fs.realpathSync does: it calls
   * path.resolve before looking at the disk, which loses the link-then-..
   * order — libc's realpath(3) does not).
   */
  readonly realpath: (path: string) => string | Fault;
  /**
   * Is there anything at this path, as the kernel walks it (following a final symlink or not)?
   * Asked off the hot path only: for a read the rules refuse (a path that is not there is
   * hidden, not a violation) and, with `notesMissing`, for every path (a recording leaves misses
   * out). Without it, only a missing directory on the way is seen (realpath's ENOENT).
   */
  readonly exists?: (raw: string, follow: boolean) => boolean;
  /** Say in the detail when an allowed path is not there (recording). */
  readonly notesMissing?: boolean;
  /**
   * Is what this path leads to (following symlinks) a directory? A look is let through on an
   * ancestor of a grant only when it is one: an ancestor glob with a wildcard (/srv/* of
   * /srv/*\/public/**) also matches files. Without it, nothing passes as an ancestor.
   */
  readonly isDirectory?: (raw: string) => boolean;
  /** Is this pid or tid a process or thread the supervisor traces? */
  readonly isTracee: (id: number) => boolean;
  readonly supervisorPid: number;
  readonly supervisorPgid: number;
  /**
   * Is this tid a thread of the supervisor (its tracer worker, libuv pool...)?
   * kill(tid) signals the whole process the thread belongs to. Defaults to
   * `tid === supervisorPid`.
   */
  readonly isSupervisorThread?: (tid: number) => boolean;
  /** The calling process's process group (from /proc/PID/stat); only asked for kill(0, …). */
  readonly callerPgid?: number | (() => number | Fault);
  /** The pid a pidfd of the caller refers to (/proc/PID/fdinfo/N "Pid:"; -1 once it exited). */
  readonly pidOfPidfd: (fd: number) => number | Fault;
  /** mode: audit — nothing is refused, every would-be refusal is reported. Defaults to the profile's mode. */
  readonly audit?: boolean;
  /**
   * Destinations that are always reachable whatever network.connect says
   * (the bootstrap's Runtime API proxy). Asked for connect and send, never bind.
   */
  readonly alwaysAllowConnect?: (dest: Destination) => boolean;
  /**
   * The names DNS answers bound an address to (lib/dns/bindings.ts): those bound now, and every
   * one remembered (to say where a refused address came from). Absent: no host rule can allow.
   */
  readonly dnsGuard?: {
    /** The sandbox's one name server (syscage's resolver): always reachable on port 53. */
    readonly server: string;
    /** The real name servers: only syscage's resolver talks to them, whatever address rules say. */
    readonly upstreams: readonly string[];
  };
  readonly boundNames?: (family: 4 | 6, addr: bigint) => { readonly live: readonly string[]; readonly ever: readonly string[] };
}

/** Is this pid or tid the supervisor or one of its threads? */
export function isSupervisor(ctx: DecideContext, id: number): boolean {
  return id === ctx.supervisorPid || (ctx.isSupervisorThread?.(id) ?? false);
}
