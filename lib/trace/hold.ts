// Holding the sandbox still while one call is checked and made (TOCTOU).
//
// The supervisor reads a path or an address from the tracee's memory at the
// seccomp stop; the kernel reads it again when the call goes on. Anything
// else in the sandbox that runs in between could rewrite that memory (another
// thread, or a process sharing the page) or swap a symlink on the path. So,
// for a call whose decision rests on such memory or on the filesystem:
//
//   1. hold: every other task of the sandbox is stopped (PTRACE_INTERRUPT) and
//      seen stopped (waitpid) before the supervisor reads anything;
//   2. the call is decided on what cannot change any more;
//   3. run alone: an allowed call is resumed to its syscall-exit stop
//      (PTRACE_SYSCALL) while the others stay stopped — by then the kernel
//      has copied the path or address and finished the walk;
//   4. release: the others' stops are handled as if they had just arrived —
//      not at once: the hold lasts while its owner makes checked calls in quick
//      succession (a program loading its modules), see HOLD_IDLE_MS.
//
// A stopped task runs no instruction and makes no syscall progress, and a
// stop only happens at a syscall boundary or signal delivery, where a task
// holds no kernel lock: the held tasks cannot block the call that runs alone.
//
// Two waits end the hold early, both after the kernel has taken the
// arguments: the call sleeping interruptibly (state S: a FIFO waiting for its
// writer, a connect waiting for the handshake, a send waiting for room),
// because one of the held tasks may be what it waits for; and, for execve,
// the new image's first stop. A task blocked in vfork until its child execs
// cannot be stopped meanwhile; it is interrupted like the others, and counted
// as held once it is seen blocked there: the interrupt is pending, so it stops
// before it runs another user-space instruction, whenever the vfork ends.
// A task whose own call ran alone and went to sleep (on its way to its exit
// stop) is not interrupted at all: it runs nothing before that stop, which is
// kept like the others' (tracer.ts, toExit). Interrupted, its call would begin
// again, checked under a hold of its own that interrupts the first task: two
// threads opening the two ends of a FIFO did that to each other without end.
//
// Cost: one interrupt, one wait and one resume per other task, plus the
// caller's exit stop — only for checked calls, and only when the sandbox has
// more than one task. See bench/ for the numbers.

import { decodeStatus } from '../arch/stop.js';

/** The kernel access holding needs (worker.ts: lib/native; tests: a script). */
export interface HoldOps {
  /** PTRACE_INTERRUPT; false when the task is gone. */
  interrupt(tid: number): boolean;
  /** PTRACE_SYSCALL: resume to the syscall-exit stop; false when the task is gone. */
  resumeToExit(tid: number): boolean;
  /** waitpid(tid or -1, WNOHANG|__WALL): a status, 'none' when nothing changed, undefined when no such child. */
  poll(tid: number): { pid: number; status: number } | 'none' | undefined;
  /** The task's state letter (/proc/TID/stat: R, S, D, t...), undefined when it is gone. */
  state(tid: number): string | undefined;
  /**
   * Is the task blocked inside fork, vfork or clone (/proc/TID/syscall), or in a call the
   * notification backend is performing? A vfork parent waits there until its child execs or
   * exits, a notified caller until its answer, and neither can stop meanwhile.
   */
  inFork(tid: number): boolean;
  /** Let another task have this CPU (sched_yield). */
  yield(): void;
  /** Sleep this many milliseconds (fractions allowed). */
  pause(ms: number): void;
  now(): number;
}

/**
 * Calls whose arguments the kernel does not take all at once: sendmmsg reads
 * message i's header and destination only when it gets to it, after message
 * i-1 may have blocked — and a sleeping caller ends the hold. Under a hold such
 * a call is cut to its first message (argument `count` set to 1): sendmmsg may
 * always send fewer than asked and says how many, and the caller sends the
 * rest with another call, checked anew.
 */
export const PIECEMEAL: Readonly<Record<string, { readonly count: number }>> = { sendmmsg: { count: 2 } };

/** A status taken from the kernel while holding, to be handled as if it had just arrived. */
export type Taken = readonly [tid: number, status: number];

export interface Held {
  /** Statuses of the held tasks (their stops, or their deaths), in the order they were taken. */
  readonly taken: Taken[];
  /** Tasks that did not stop in time; the call must not go on. */
  readonly stragglers: number[];
}

/** How long a task may take to stop before the call is refused (a task stuck in D state: NFS, disk). */
export const HOLD_TIMEOUT_MS = 2000;

/**
 * A hold lasts across its owner's checked calls (loading 300 modules is 900
 * checked calls in a row from one thread: one hold, not 900) while they come
 * within HOLD_IDLE_MS of each other, and HOLD_MAX_MS at most, so that the
 * held tasks get to run; it ends at once if the owner sleeps.
 */
export const HOLD_IDLE_MS = 2;
export const HOLD_MAX_MS = 20;

const isExecStop = (s: number): boolean => decodeStatus(s).kind === 'exec';

/** Stop every task in `others` and wait until each is seen stopped (or gone). */
export function hold(ops: HoldOps, others: readonly number[]): Held {
  const taken: Taken[] = [];
  const pending = new Set<number>();
  for (const tid of others) if (ops.interrupt(tid)) pending.add(tid);
  const deadline = ops.now() + HOLD_TIMEOUT_MS;
  let idle = 0;
  while (pending.size > 0) {
    let progress = false;
    for (const tid of pending) {
      const w = ops.poll(tid);
      if (w === 'none') continue;
      pending.delete(tid);
      progress = true;
      if (w) taken.push([tid, w.status]); // a stop, or its death: either way it runs no more
    }
    if (pending.size === 0) break;
    idle = progress ? 0 : idle + 1;
    if (idle === 8 || idle % 64 === 0) for (const tid of pending) if (ops.inFork(tid)) pending.delete(tid);
    if (pending.size === 0) break;
    if (ops.now() > deadline) return { taken, stragglers: [...pending] };
    backOff(ops, idle);
  }
  return { taken, stragglers: [] };
}

/**
 * Resume `tid` to the end of its call and wait until the kernel is done with
 * its arguments: its next status (its exit stop, its exec, its death), its
 * process's exec (a non-leader's exec is reported by the leader), or an
 * interruptible sleep. Statuses taken meanwhile are returned, in order.
 */
export function runAlone(ops: HoldOps, tid: number, sameProcess: (other: number) => boolean): Taken[] {
  const taken: Taken[] = [];
  if (!ops.resumeToExit(tid)) return taken;
  let idle = 0;
  for (;;) {
    const w = ops.poll(-1);
    if (w === undefined) return taken;
    if (w !== 'none') {
      taken.push([w.pid, w.status]);
      // Its own status, or its process's exec: a non-leader's exec is reported by the leader's tid.
      // (Not any stop of a sibling thread: a held thread blocked in vfork stops when its child
      // exits — ending here then let the held threads go before the call had run.)
      if (w.pid === tid || (sameProcess(w.pid) && isExecStop(w.status))) return taken;
      idle = 0;
      continue;
    }
    idle++;
    // Most calls end within microseconds; look at the task's state only when it takes longer.
    if (idle >= SPINS / 4 && idle % 4 === 0) {
      const state = ops.state(tid);
      if (state === undefined || state === 'S') return taken;
    }
    backOff(ops, idle);
  }
}

/** Polls that yield the CPU before the waits start to sleep (a task stops or ends a call in microseconds). */
const SPINS = 64;

/** Yield first (the task we wait for may need this CPU), then sleep, growing to 1 ms. */
export function backOff(ops: HoldOps, idle: number): void {
  if (idle < SPINS) ops.yield();
  else ops.pause(Math.min(1, 0.05 * 2 ** Math.min(idle - SPINS, 5)));
}

/**
 * The hold in force, as one object with two states: none, or held — its owner runs alone while
 * every other task is stopped, their stops kept here until the release. It lasts across the
 * owner's checked calls while they come in quick succession (HOLD_IDLE_MS apart, HOLD_MAX_MS in
 * all). Every change of state goes through a method of this class.
 */
export class Hold {
  private state:
    | { readonly kind: 'none' }
    | { readonly kind: 'held'; readonly owner: number; readonly began: number; last: number; held: Taken[] } = { kind: 'none' };

  /** The task the hold is for, while one is in force. */
  get owner(): number | undefined {
    return this.state.kind === 'held' ? this.state.owner : undefined;
  }

  /** Begin a hold for `owner`: `taken` are the stops of the tasks it stopped (hold()). */
  begin(owner: number, taken: readonly Taken[], now: number): void {
    if (this.state.kind === 'held') throw new Error(`internal: a hold for ${owner} began while ${this.state.owner}'s is in force`);
    this.state = { kind: 'held', owner, began: now, last: now, held: [...taken] };
  }

  /**
   * A stop of another task while the hold is in force (a new child's first stop, one on its way):
   * kept for the release, in place of a stop of the same tid kept before (a non-leader's exec
   * takes the leader's tid).
   */
  keep(tid: number, status: number): void {
    if (this.state.kind !== 'held') throw new Error('internal: a stop kept with no hold in force');
    this.state.held = this.state.held.filter(([t]) => t !== tid);
    this.state.held.push([tid, status]);
  }

  /** Drop the kept stops of these tasks: gone, or reported again (their kept stop is stale). */
  forget(tids: ReadonlySet<number>): void {
    if (this.state.kind === 'held') this.state.held = this.state.held.filter(([t]) => !tids.has(t));
  }

  /** The owner's call ran alone and ended: the hold lasts HOLD_IDLE_MS from now. */
  extend(now: number): void {
    if (this.state.kind === 'held') this.state.last = now;
  }

  /** Has it lasted HOLD_MAX_MS (the held tasks must get to run)? */
  overdue(now: number): boolean {
    return this.state.kind === 'held' && now - this.state.began > HOLD_MAX_MS;
  }

  /** Is it over by time: no checked call of its owner for HOLD_IDLE_MS, or overdue? */
  expired(now: number): boolean {
    return this.state.kind === 'held' && (now - this.state.last > HOLD_IDLE_MS || this.overdue(now));
  }

  /** End it (if one is in force): the kept stops, in order, to be handled as if they had just arrived. */
  end(): Taken[] {
    if (this.state.kind !== 'held') return [];
    const { held } = this.state;
    this.state = { kind: 'none' };
    return held;
  }
}
