// What the supervisor remembers of a calling thread from one notified call to the next: its thread
// group, how to act as it (creds.ts), whether its mount namespace is syscage's own, and whether its
// root directory is syscage's. Finding them costs a /proc/TID/status read (~30 µs: the kernel formats
// the whole file), a lookup of /proc/TGID/task/TID and readlinks of /proc/TID/ns/mnt and
// /proc/TID/root — more than a third of a performed call.
//
// Why a remembered answer stays true. A task's credentials and namespaces change only by its own
// calls (the kernel's commit_creds acts on `current`) — setuid and the rest of CHANGES_IDENTITY, and
// exec — and its thread group only by exec. So, only where the profile refuses every call of
// CHANGES_IDENTITY outright (`identityFixed`, decided by the compiler from the plan):
//   - exec: the tracer adds 1 to a shared counter at every exec stop of the sandbox, before the new
//     image runs one instruction; an entry taken under an older count is dropped. (The caller of a
//     pending call cannot exec meanwhile: it waits in the kernel for the answer.)
//   - the thread's end, and its tid given to another task: each entry holds a pidfd of the thread
//     itself, taken while its call was pending (so it names the caller, as the call's validity check
//     then proves); a pidfd names one task, not a number, and polls readable once that task has
//     exited. A tid can only be reused after its task has exited.
// The root directory likewise, where the profile refuses chroot and pivot_root too (`rootFixed`),
// and only a root that /proc shows as "/": no rename can give that one another name.
// A thread pidfd (PIDFD_THREAD) needs Linux 6.9; before it, only thread group leaders are
// remembered, and other threads are read anew at every call, as everything is when the profile
// lets a call change identity.
import { fdops, notify } from '../../native/index.js';
import type { As } from './creds.js';

/** pidfd_open's PIDFD_THREAD (= O_EXCL, the same on x86_64 and aarch64): a pidfd of one thread. */
const PIDFD_THREAD = 0o200;
/** At most this many threads remembered (each holds a pidfd); past it, everything is forgotten. */
const MAX_KNOWN = 256;

export interface Known {
  /** The thread group (the process) of the thread. */
  readonly tgid: number;
  /** How to act as it. */
  readonly as: As;
  /** Its mount namespace is syscage's own (no other is remembered: an fd would have to be kept). */
  readonly ownNamespace: boolean;
  /** Its root directory as /proc/TID/root names it: "/" (rootFixed), or undefined: read it for each call. */
  readonly root?: '/';
}

/** What was learnt of a caller during its pending call, to be kept once the call is proven still pending. */
export interface Learnt {
  readonly tid: number;
  readonly known: Known;
  readonly pidfd: number;
  readonly execs: number;
}

interface Entry extends Known {
  readonly pidfd: number;
  readonly execs: number;
}

export class Callers {
  private readonly known = new Map<number, Entry>();
  private readonly poll = new notify.PollSet();

  /**
   * `enabled`: the profile refuses every other change of identity (fixed-identity.ts); `rootFixed`:
   * and of root directory. `cells`: the tracer's shared cells (messages.ts,
   * TracerStart.notify.launched): cell 1 counts execs.
   */
  constructor(private readonly enabled: boolean, private readonly cells: Int32Array, private readonly rootFixed = false) {}

  /** What may be remembered of a root directory read as `root`. */
  rootToKeep(root: string | undefined): Known['root'] {
    return this.rootFixed && root === '/' ? root : undefined;
  }

  /** What is remembered of thread `tid`, if it still holds. */
  get(tid: number): Known | undefined {
    const e = this.known.get(tid);
    if (!e) return undefined;
    if (e.execs === Atomics.load(this.cells, 1) && !this.ended(e.pidfd)) return e;
    this.forget(tid, e);
    return undefined;
  }

  /**
   * Take what is needed to remember `known` of thread `tid` — called while its call is pending, before
   * the call's validity check. undefined when it will not be remembered.
   */
  learn(tid: number, known: Known): Learnt | undefined {
    if (!this.enabled) return undefined;
    const execs = Atomics.load(this.cells, 1);
    const pidfd = notify.pidfdOpen(tid, tid === known.tgid ? 0 : PIDFD_THREAD);
    return pidfd < 0 ? undefined : { tid, known, pidfd, execs };
  }

  /** Keep what was learnt (its call was still pending after it was taken), or drop it (`keep` false). */
  settle(l: Learnt | undefined, keep: boolean): void {
    if (!l) return;
    if (!keep) return fdops.closeQuietly(l.pidfd);
    if (this.known.size >= MAX_KNOWN) this.clear();
    const old = this.known.get(l.tid);
    if (old) this.forget(l.tid, old);
    this.known.set(l.tid, { ...l.known, pidfd: l.pidfd, execs: l.execs });
  }

  clear(): void {
    for (const [tid, e] of this.known) this.forget(tid, e);
  }

  private forget(tid: number, e: Entry): void {
    this.known.delete(tid);
    fdops.closeQuietly(e.pidfd);
  }

  /** Has the task a pidfd names exited (or is its pidfd unusable)? */
  private ended(pidfd: number): boolean {
    const ev = this.poll.wait([[pidfd, notify.POLLIN]], 0);
    return typeof ev === 'number' || ev[0] !== 0;
  }
}
