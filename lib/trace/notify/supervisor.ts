// The notification backend's supervisor: one thread that waits on the seccomp listener (and on
// the sockets of connects and blocking sends in progress) in ppoll, and answers every notified
// call. No thread waits in waitpid for these calls and nothing is held: the caller sleeps in the
// kernel until its answer, and the kernel never reads its memory again — the supervisor decides on
// the bytes it read once and performs the call itself (open.ts, stat.ts, connect.ts, send.ts).
//
// Per notification:
//   RECV → the trap id (the program without USER_NOTIF, run on the call's registers) → read and
//   decide (decide/, as the ptrace tracer does) → ID_VALID (the caller may have gone, and its
//   tid been reused, while we read) → perform: the fd installed with ADDFD (and the answer in the
//   same step where the kernel can), the connect's or send's result, or the refusal.
//
// Until the command runs (the tracer says so at stage-2's exec stop), a notified call of the root
// process is stage-2's own (its exec failed, and it reads the script's #! line to say why): it
// runs as made.
import { compile as compileProgram, decode, SECCOMP_RET_TRACE, type Program } from '../../bpf/index.js';
import { AUDIT_ARCH, syscallTable } from '../../arch/index.js';
import { SIGKILL, signalNumber } from '../../arch/signal.js';
import { fdops, notify, writeMemory } from '../../native/index.js';
import { isAudited, refusal, type DecideContext, type Ruling } from '../decide/index.js';
import { contextFor, decideIn, reporterFor, type ContextFor } from '../deciding.js';
import type { TracerStart } from '../messages.js';
import { exeOf, ppidOf } from '../proc.js';
import { status, tgidOf, umaskFrom } from './status.js';
import type { Verdict } from '../tracer.js';
import type { Detail, Trap } from '../types.js';
import { connectPrepared, finishConnect, prepareConnect } from './connect.js';
import { attempt, prepareSend, release, sendsToPeer, type Sending, type Sent } from './send.js';
import { mayCreate, performOpen, type Opened } from './open.js';
import { performStat } from './stat.js';
import { readOnce, type OnceView } from './view.js';
import { Walks } from './walks.js';
import { inMountNamespace, mountNamespaceOf, OWN_NAMESPACE, procDir } from './namespace.js';
import { identityOf, type Caller } from './creds.js';
import { Callers, type Known, type Learnt } from './callers.js';
import { kernelVersion } from './backend.js';
import { E } from '../../arch/errno.js';

const { EINTR, EINVAL, ENOENT, EPERM } = E;
const SIGPIPE = signalNumber('SIGPIPE')!;

export interface NotifyCounts {
  traps: number;
  allowed: number;
  logged: number;
  denied: number;
  hidden: number;
  killed: number;
  /** Calls the supervisor made itself: opens, stats, connects (allowed, and run here). */
  performed: number;
}

export interface Served {
  readonly counts: NotifyCounts;
  /** The kills of processes this supervisor decided, by pid (the root's makes the run's policy kill). */
  readonly kills: ReadonlyMap<number, Verdict>;
}

/** What the supervisor serves: the listener, its stop pipe, the run, and the root (worker.ts fills it in). */
export interface NotifyDeps {
  readonly listener: number;
  /** Readable when the supervisor must stop (the main thread writes to it). */
  readonly stop: number;
  readonly start: TracerStart;
  /** Stage-2's pid: the command's, once it runs. */
  readonly root: number;
}

/**
 * Wake an open of a FIFO that waits for its other end: open that end here, without blocking (a
 * reader's open always succeeds; a writer's succeeds when a reader waits, as this one does), and
 * close it at once.
 */
function wake(pin: number): void {
  for (const access of [fdops.O.CLOEXEC | 1 /* O_WRONLY */, fdops.O.CLOEXEC /* O_RDONLY */]) {
    const fd = fdops.openAt(procDir(), `self/fd/${pin}`, access | fdops.O.NONBLOCK);
    if (fd >= 0) fdops.closeQuietly(fd);
  }
}

/** The caller of an allowed call, as performing it needs it: how to act as it, its mount namespace (an fd, or OWN_NAMESPACE). */
interface Found {
  readonly as: Caller['as'];
  readonly ns: number;
  /** A call that may create a file: the caller's umask (0o022 when /proc does not say). */
  readonly umask: number;
  /** What to remember of the caller once its call is proven still pending (callers.ts). */
  readonly learnt?: Learnt;
}

/**
 * Take what performing the call needs of its caller by tid — its root and cwd (with syscage's rights:
 * the call is then made as the caller, who may not read its own /proc entries from another process
 * once non-dumpable), its identity (creds.ts), its mount namespace — BEFORE the call's validity check
 * (ID_VALID): a call still waiting after them proves they were its caller's, not those of a process
 * that got the tid of a caller killed meanwhile. Handles taken later go through Caller.waiting().
 * The cwd is left unread when every path the decision read is absolute (performing names the same
 * paths: view.ts): a readlink saved for nearly every open.
 */
function findCaller(trap: Trap, view: OnceView, callers: Callers, known: Known | undefined): Found | { readonly errno: number } {
  const root = view.root();
  if (!view.allAbsolute()) view.cwd();
  // /proc/TID/status (~30 µs: the kernel formats it whole) read at most once, for the identity and a create's umask.
  let text: string | undefined | null = null;
  const statusOf = (): string | undefined => (text === null ? (text = status(trap.tid)) : text);
  const as = known?.as ?? identityOf(trap.tid, statusOf);
  if (typeof as === 'number') return { errno: as };
  const umask = mayCreate(trap) ? umaskFrom(statusOf()) ?? 0o022 : 0o022;
  const ns = known?.ownNamespace ? OWN_NAMESPACE : mountNamespaceOf(trap.tid);
  if (typeof ns !== 'number') return ns;
  const learnt = known ? undefined : callers.learn(trap.tid, { tgid: trap.pid, as, ownNamespace: ns === OWN_NAMESPACE, root: callers.rootToKeep(typeof root === 'string' ? root : undefined) });
  return { as, ns, umask, learnt };
}

/** The process an event names: its pid, parent and program. */
const traceeOf = (pid: number): Verdict['tracee'] => ({ pid, ppid: ppidOf(pid), exe: exeOf(pid) });

function releaseCaller(found: Found | { readonly errno: number }): void {
  if ('ns' in found && found.ns !== OWN_NAMESPACE) fdops.closeQuietly(found.ns);
}

/** What was learnt of the caller, in `found`: kept when its call was still pending after, dropped otherwise. */
function settleCaller(callers: Callers, found: Found | { readonly errno: number } | undefined, pending: boolean): void {
  if (found && 'ns' in found) callers.settle(found.learnt, pending);
}

export class NotifySupervisor {
  readonly counts: NotifyCounts = { traps: 0, allowed: 0, logged: 0, denied: 0, hidden: 0, killed: 0, performed: 0 };
  private readonly kills = new Map<number, Verdict>();
  private readonly ids: Program;
  private readonly launched: Int32Array;
  private readonly callers: Callers;
  /**
   * A caller waits for its answer killable-only (the filter has WAIT_KILLABLE_RECV: Linux 5.19, and
   * stage-2 asks for it): no signal but a fatal one withdraws a call syscage is performing.
   */
  private readonly killable: boolean;
  private readonly contextOf: ContextFor;
  private readonly report: (v: Verdict) => void;
  private readonly names = syscallTable();
  private readonly poll = new notify.PollSet();
  /** Connects in progress: this process's copy of the socket → the notification to answer. */
  private readonly connecting = new Map<number, bigint>();
  /**
   * Sends waiting for room (a blocking caller's): this process's copy of the socket → the
   * notification, its caller, the send; `retryAt` (ms, performance.now) for one whose socket says
   * writable while the send still would block (an unconnected UNIX datagram to a full peer: its
   * POLLOUT is its own buffer's): tried again then, not polled.
   */
  private readonly sending = new Map<number, { readonly id: bigint; readonly trap: Trap; readonly s: Sending; retryAt?: number; backoff: number }>();
  /** When the callers of waiting sends were last asked whether they still wait (performance.now). */
  private swept = 0;
  /** FIFO opens running on the libuv pool, by notification: our pin of the FIFO, and the open's end. */
  private readonly waiting = new Map<bigint, { readonly pin: number; readonly done: Promise<void> }>();
  /** Can ADDFD answer the call in the same step (5.14)? Learnt at the first install. */
  private sendWithFd = true;

  constructor(private readonly d: NotifyDeps) {
    const n = d.start.notify;
    if (!n) throw new Error('internal: the notification supervisor started for a run without it');
    this.ids = compileProgram(decode(n.ids));
    this.launched = new Int32Array(n.launched);
    this.callers = new Callers(n.identityFixed, this.launched, d.start.rootFixed);
    const [major, minor] = kernelVersion();
    this.killable = major > 5 || (major === 5 && minor >= 19);
    // Signals are decided by the ptrace tracer: no notified call asks whether a pid is a tracee.
    this.contextOf = contextFor(d.start, () => false);
    this.report = reporterFor(d.start);
  }

  /** Answer every notification until the sandbox is gone (the listener hangs up) or `stop` is readable. */
  async serve(): Promise<Served> {
    const { listener, stop } = this.d;
    notify.syncWakeUp(listener);
    for (;;) {
      const fds: [number, number][] = [[listener, notify.POLLIN], [stop, notify.POLLIN]];
      for (const socket of this.connecting.keys()) fds.push([socket, notify.POLLOUT]);
      const connects = fds.length;
      for (const [socket, w] of this.sending) if (w.retryAt === undefined) fds.push([socket, notify.POLLOUT]);
      // An open on the pool ends in a callback: look again soon, and let the callback run.
      const ev = this.poll.wait(fds, this.waiting.size > 0 ? 5 : this.sendTimeout());
      if (typeof ev === 'number') {
        if (ev === -EINTR) continue;
        throw new Error(`ppoll on the seccomp listener failed: errno ${-ev}`);
      }
      if (ev[1]) break;
      for (let i = 2; i < connects; i++) if (ev[i]) this.connected(fds[i]![0]);
      for (let i = connects; i < fds.length; i++) if (ev[i]) this.sendAgain(fds[i]![0]);
      if (this.sending.size > 0) this.sweepSends();
      if (ev[0]! & notify.POLLIN) this.next();
      // Every task under the filter is gone (5.9+): nothing more can come.
      else if (ev[0]! & (notify.POLLHUP | notify.POLLERR | notify.POLLNVAL)) break;
      if (this.waiting.size > 0) {
        // A caller that went away leaves its FIFO open waiting on the pool: wake it.
        for (const [id, w] of this.waiting) if (!notify.stillPending(listener, id)) wake(w.pin);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // Nothing may stay blocked on the pool after the run (the process could not end).
    for (const w of this.waiting.values()) wake(w.pin);
    await Promise.race([Promise.all([...this.waiting.values()].map((w) => w.done)), new Promise((r) => setTimeout(r, 2000))]);
    for (const socket of this.connecting.keys()) fdops.closeQuietly(socket);
    for (const w of this.sending.values()) release(w.s);
    this.sending.clear();
    this.callers.clear();
    return { counts: this.counts, kills: this.kills };
  }

  private next(): void {
    const n = notify.receive(this.d.listener);
    if (n === undefined) return; // withdrawn before we took it (a signal): it comes again, or not at all
    if (typeof n === 'number') throw new Error(`SECCOMP_IOCTL_NOTIF_RECV failed: errno ${n}`);
    const known = this.callers.get(n.tid);
    const pid = known?.tgid ?? tgidOf(n.tid) ?? n.tid;
    if (pid === this.d.root && Atomics.load(this.launched, 0) === 0) {
      notify.respond(this.d.listener, n.id, 0n, 0, notify.SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      return;
    }
    const start = this.d.start;
    const ret = this.ids.run({ nr: n.nr, arch: n.arch, ip: n.ip, args: n.args });
    const entry = start.traps[ret & 0xffff];
    if ((ret & 0xffff0000) >>> 0 !== SECCOMP_RET_TRACE || !entry || n.arch >>> 0 !== AUDIT_ARCH[start.arch] >>> 0) {
      // The filter notifies only calls of its own table, for its own arch: anything else is a bug. Fail closed.
      throw new Error(`internal: notified ${n.nr} (arch 0x${n.arch.toString(16)}) has no trap id (0x${ret.toString(16)})`);
    }
    this.counts.traps++;
    const trap: Trap = { tid: n.tid, pid, arch: start.arch, nr: n.nr, syscall: this.names.name(start.arch, n.nr) ?? '(unknown)', args: n.args, entry };
    // A caller known before its call is decided is walked as itself: the decision's pins serve the
    // call (walks.ts). Only in syscage's own namespace and root: a path of another root is walked a
    // component at a time, and never performed.
    const walks = known?.ownNamespace && known.root === '/' ? new Walks(known.as) : undefined;
    try {
      this.answer(n.id, trap, known, walks);
    } finally {
      walks?.close();
    }
  }

  /** Decide call `id` and answer it: refused, run as made, or performed. */
  private answer(id: bigint, trap: Trap, known: Known | undefined, walks: Walks | undefined): void {
    const pid = trap.pid;
    const view = readOnce(trap.tid, pid, known?.root);
    const ctx = this.contextOf(trap, view, walks?.realpath);
    const decision = decideIn(ctx, trap);
    // A sendto with no destination goes where a checked connect pointed the socket, and the kernel
    // reads nothing of it but the payload, which nothing judged: once allowed, it runs as made
    // (send.ts), and nothing of the caller is needed.
    if (decision.action === 'allow' && trap.syscall === 'sendto' && sendsToPeer(trap)) return this.runAsMade(id, trap, decision);
    // What performing the call needs of the caller by its tid, and the process an event will name,
    // taken before the check below too: a call still waiting after it proves they were its caller's.
    const found = decision.action === 'allow' ? findCaller(trap, view, this.callers, known) : undefined;
    const reported = decision.action !== 'allow' || decision.log || isAudited(decision);
    const who = reported ? traceeOf(pid) : undefined;
    const pidfd = decision.action === 'kill' ? notify.pidfdOpen(pid) : -1;
    try {
      // What was read may already be stale: the caller gone (its tid reused), or its call withdrawn.
      const pending = notify.stillPending(this.d.listener, id);
      settleCaller(this.callers, found, pending);
      if (!pending) {
        if (found) releaseCaller(found);
        return;
      }
      if (decision.action !== 'allow') return this.refuse(id, trap, decision, who, pidfd);
    } finally {
      if (pidfd >= 0) fdops.closeQuietly(pidfd);
    }
    try {
      if (reported) {
        this.counts.logged++;
        this.report(this.verdict(trap, decision, who));
      } else {
        this.counts.allowed++;
      }
      this.counts.performed++;
      const caller = found!;
      if ('errno' in caller) return void notify.respond(this.d.listener, id, 0n, caller.errno);
      // Named member by member, not spread: see readOnce (view.ts).
      const waiting = (): boolean => notify.stillPending(this.d.listener, id);
      this.perform(id, trap, ctx, decision.detail, { as: caller.as, ns: caller.ns, umask: caller.umask, learnt: caller.learnt, waiting }, walks);
    } finally {
      releaseCaller(found!);
    }
  }

  /** An allowed call the kernel may make itself (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`): reported when the rules say so. */
  private runAsMade(id: bigint, trap: Trap, decision: Ruling): void {
    if (decision.action === 'allow' && (decision.log || isAudited(decision))) {
      // The process the event names, read while the call is proven to wait (its tid its own).
      const who = traceeOf(trap.pid);
      if (!notify.stillPending(this.d.listener, id)) return;
      this.counts.logged++;
      this.report(this.verdict(trap, decision, who));
    } else {
      this.counts.allowed++;
    }
    notify.respond(this.d.listener, id, 0n, 0, notify.SECCOMP_USER_NOTIF_FLAG_CONTINUE);
  }

  /**
   * Apply a refusal: report it, then fail the call, or kill its process. `who`: the process as read
   * before the call's validity check (a refusal found while performing reads it then).
   */
  private refuse(id: bigint, trap: Trap, decision: Ruling, who?: Verdict['tracee'], pidfd = -1): void {
    if (decision.action === 'deny' && decision.quiet) {
      notify.respond(this.d.listener, id, 0n, decision.errno);
      return;
    }
    if (decision.action === 'deny' && decision.hidden) {
      this.counts.hidden++;
      if (this.d.start.verbose) this.report(this.verdict(trap, decision, who));
      notify.respond(this.d.listener, id, 0n, decision.errno);
      return;
    }
    const verdict = this.verdict(trap, decision, who);
    this.report(verdict);
    if (decision.action === 'deny') {
      this.counts.denied++;
      notify.respond(this.d.listener, id, 0n, decision.errno);
      return;
    }
    // Kill: the event is written (report above), then the whole process dies; the call never runs.
    this.counts.killed++;
    this.kills.set(trap.pid, verdict);
    if (pidfd >= 0) notify.pidfdSignal(pidfd, SIGKILL);
    else this.kill(trap.pid, id);
    notify.respond(this.d.listener, id, 0n, EPERM);
  }

  /**
   * SIGKILL the process of call `id` (a kill found while performing it), through a pidfd taken
   * before checking that the call still waits: never another process that got the pid of a caller
   * killed meanwhile. (A kill decided at once has its pidfd from before the call's first check.) A
   * call no longer waiting was withdrawn (a signal: it comes again, and is refused again) or its
   * caller is gone.
   */
  private kill(pid: number, id: bigint): void {
    const pidfd = notify.pidfdOpen(pid);
    if (pidfd < 0) return; // gone already
    try {
      if (notify.stillPending(this.d.listener, id)) notify.pidfdSignal(pidfd, SIGKILL);
    } finally {
      fdops.closeQuietly(pidfd);
    }
  }

  private perform(id: bigint, trap: Trap, ctx: DecideContext, detail: Detail | undefined, caller: Found & Caller, walks?: Walks): void {
    if (trap.syscall === 'newfstatat' || trap.syscall === 'statx') {
      const s = inMountNamespace(caller.ns, () => performStat(trap, ctx, detail, caller, walks));
      if ('refused' in s) return this.refuse(id, trap, refusal(s.refused, ctx.matchers, false));
      if ('errno' in s) return void notify.respond(this.d.listener, id, 0n, s.errno);
      // Written as syscage (the caller may not be writable by its own ids from another process), and
      // only while the call still waits: its tid could have been reused since the check.
      if (!notify.stillPending(this.d.listener, id)) return;
      notify.respond(this.d.listener, id, 0n, writeMemory(trap.tid, s.to, s.write));
      return;
    }
    if (trap.syscall === 'connect') {
      const p = inMountNamespace(caller.ns, () => prepareConnect(trap, ctx, caller));
      if ('refused' in p) return this.refuse(id, trap, refusal(p.refused, ctx.matchers, false));
      if ('errno' in p) return void notify.respond(this.d.listener, id, 0n, p.errno);
      // Back in syscage's own namespace: the kernel walks the address /proc/self/fd/PIN where the connecting thread is.
      const c = connectPrepared(p, caller);
      if ('pending' in c) {
        this.connecting.set(c.pending, id);
        return;
      }
      notify.respond(this.d.listener, id, 0n, c.errno);
      return;
    }
    if (trap.syscall === 'sendto') return this.sendTo(id, trap, ctx, caller);
    const o: Opened = inMountNamespace(caller.ns, () => performOpen(trap, ctx, caller.umask, caller, walks));
    if ('refused' in o) return this.refuse(id, trap, refusal(o.refused, ctx.matchers, false));
    if ('errno' in o) {
      notify.respond(this.d.listener, id, 0n, o.errno);
      return;
    }
    if ('later' in o) {
      const { pin, open } = o.later;
      this.waiting.set(id, { pin, done: open.then((fd) => {
        this.waiting.delete(id);
        fdops.closeQuietly(pin);
        if (fd < 0) notify.respond(this.d.listener, id, 0n, -fd);
        else this.install(id, fd, o.cloexec);
      }) });
      return;
    }
    this.install(id, o.fd, o.cloexec);
  }

  /** Give the caller `fd` as its new fd and answer its call with the number; ours is closed. */
  private install(id: bigint, fd: number, cloexec: boolean): void {
    const flags = cloexec ? fdops.O.CLOEXEC : 0;
    try {
      if (this.sendWithFd) {
        const r = notify.installFd(this.d.listener, id, fd, flags, true);
        if (r >= 0 || r === -ENOENT) return;
        // An fd the caller cannot take (EMFILE): the call fails with that. (EINVAL: see below.)
        if (r !== -EINVAL) return void notify.respond(this.d.listener, id, 0n, -r);
        this.sendWithFd = false; // before 5.14: install, then answer
      }
      const r = notify.installFd(this.d.listener, id, fd, flags, false);
      if (r === -ENOENT) return; // the call was withdrawn: nothing to answer
      notify.respond(this.d.listener, id, r < 0 ? 0n : BigInt(r), r < 0 ? -r : 0);
    } finally {
      fdops.closeQuietly(fd);
    }
  }

  /**
   * A sendto with a destination, decided and allowed (one without runs as made: next()), is
   * performed (send.ts); a blocking caller whose socket is full waits for POLLOUT in serve()'s poll
   * set.
   */
  private sendTo(id: bigint, trap: Trap, ctx: DecideContext, caller: Found & Caller): void {
    const s = inMountNamespace(caller.ns, () => prepareSend(trap, ctx, caller));
    if ('refused' in s) return this.refuse(id, trap, refusal(s.refused, ctx.matchers, false));
    if ('errno' in s) return void notify.respond(this.d.listener, id, 0n, s.errno);
    // In syscage's own namespace: the kernel walks a UNIX destination /proc/self/fd/PIN where the sending thread is.
    const r = attempt(s, this.killable);
    if ('pending' in r) {
      this.sending.set(s.p.socket, { id, trap, s, backoff: 0 });
      return;
    }
    release(s);
    this.sent(id, trap, r);
  }

  /** A waiting send's socket is writable (or its retry is due): send the rest; answer when done. */
  private sendAgain(socket: number): void {
    const w = this.sending.get(socket);
    if (!w) return;
    if (!notify.stillPending(this.d.listener, w.id)) {
      // The caller is gone (or, before 5.19, its call was withdrawn by a signal: it comes again).
      this.sending.delete(socket);
      release(w.s);
      return;
    }
    const before = w.s.sent;
    const r = attempt(w.s, this.killable);
    if ('pending' in r) {
      // Writable, yet no room: its POLLOUT says nothing of where it sends (an unconnected UNIX
      // datagram to a full peer). Tried again after a while, doubling to 100 ms, not polled.
      if (w.s.sent === before) {
        w.backoff = Math.min(Math.max(1, w.backoff * 2), 100);
        w.retryAt = performance.now() + w.backoff;
      } else {
        w.backoff = 0;
        w.retryAt = undefined;
      }
      return;
    }
    this.sending.delete(socket);
    release(w.s);
    this.sent(w.id, w.trap, r);
  }

  /** How long serve() may wait in ppoll with sends waiting: until the first retry is due, and 250 ms at most (sweepSends). */
  private sendTimeout(): number {
    if (this.sending.size === 0) return -1;
    const now = performance.now();
    let ms = 250;
    for (const w of this.sending.values()) if (w.retryAt !== undefined) ms = Math.min(ms, Math.max(0, w.retryAt - now));
    return Math.ceil(ms);
  }

  /** Retry the waiting sends that are due; every 250 ms, drop those whose caller no longer waits (killed). */
  private sweepSends(): void {
    const now = performance.now();
    for (const [socket, w] of [...this.sending]) if (w.retryAt !== undefined && w.retryAt <= now) this.sendAgain(socket);
    if (now - this.swept < 250) return;
    this.swept = now;
    for (const [socket, w] of [...this.sending]) {
      if (notify.stillPending(this.d.listener, w.id)) continue;
      this.sending.delete(socket);
      release(w.s);
    }
  }

  /** Answer a send: its count, or its error — an EPIPE with SIGPIPE first, to the calling thread, unless it passed MSG_NOSIGNAL. */
  private sent(id: bigint, trap: Trap, r: Exclude<Sent, { pending: true }>): void {
    if ('count' in r) return void notify.respond(this.d.listener, id, BigInt(r.count), 0);
    if (!r.sigpipe) return void notify.respond(this.d.listener, id, 0n, r.errno);
    if (this.killable) {
      // While the call waits (its tid is still the caller's): the caller, waiting killable-only,
      // takes it on its way back, as from the kernel's own send.
      if (notify.stillPending(this.d.listener, id)) notify.threadSignal(trap.pid, trap.tid, SIGPIPE);
      notify.respond(this.d.listener, id, 0n, r.errno);
      return;
    }
    // Before 5.19 the signal would withdraw the call, and the kernel would make it anew — another
    // EPIPE, another SIGPIPE, without end when SIGPIPE is ignored: the answer first, then the signal
    // (tgkill names the thread within its process: nothing else gets it).
    if (notify.respond(this.d.listener, id, 0n, r.errno) === 0) notify.threadSignal(trap.pid, trap.tid, SIGPIPE);
  }

  /** A connect in progress is done: answer its call with the socket's error. */
  private connected(socket: number): void {
    const id = this.connecting.get(socket);
    this.connecting.delete(socket);
    if (id === undefined) return;
    notify.respond(this.d.listener, id, 0n, finishConnect(socket));
  }

  private verdict(trap: Trap, decision: Ruling, who = traceeOf(trap.pid)): Verdict {
    return { trap, decision, tracee: who, enforced: true };
  }
}
