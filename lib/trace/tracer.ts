// The supervisor's state machine: one waitpid result in, ptrace requests and
// events out. It owns the bookkeeping of every tracee (threads and processes),
// the launch phases of the root, and turns decisions into register writes,
// kills and audit events. All the kernel access goes through `Ops`, so unit
// tests drive it with scripted status words; worker.ts wires the real ones.
//
// Status words are decoded once, into a Stop (lib/arch/stop.ts says what each one is).
import type { Arch } from '../arch/index.js';
import { SIGKILL, SIGSYS, SIGTRAP } from '../arch/signal.js';
import { decodeStatus, isGone, type Stop } from '../arch/stop.js';
import type { TrapEntry } from '../compile/plan.js';
import type { Ruling } from './decide/index.js';
import { backOff, hold as holdStill, Hold, PIECEMEAL, runAlone, type HoldOps, type Taken } from './hold.js';
import type { Trap } from './types.js';

const EINTR = 4;
const INFO_SECCOMP = 3;

/** Does this stop of the hold's owner leave the hold in force? Its checked calls, their exit stops, its new children. */
const keepsHold = (s: Stop): boolean => s.kind === 'seccomp' || s.kind === 'child' || s.kind === 'syscall';
/** The calls that open a path: asleep, they mostly wait on what they opened (a FIFO's other end), their walk done. */
const OPENS: ReadonlySet<string> = new Set(['open', 'openat', 'openat2', 'creat']);

/** What the tracer needs from the kernel; worker.ts implements it with lib/native. */
export interface Ops extends HoldOps {
  /** Set argument `index` of a task stopped at a seccomp stop. */
  setArg(tid: number, arch: Arch, index: number, value: bigint): boolean;
  /** waitpid(-1, __WALL), blocking: the next status, undefined when no child is left. */
  wait(): { pid: number; status: number } | undefined;
  syscallInfo(tid: number): { op: number; arch: number; nr: number; args: bigint[]; retData: number } | undefined;
  /** PTRACE_GETEVENTMSG; undefined when the task is gone or dying. */
  eventMsg(tid: number): number | undefined;
  cont(tid: number, sig?: number): boolean;
  listen(tid: number): boolean;
  deny(tid: number, arch: Arch, errno: number): boolean;
  kill(pid: number, sig: number): boolean;
  /** Thread group id of a task (/proc/TID/status Tgid), undefined when gone. */
  tgid(tid: number): number | undefined;
  /** Parent pid of a process (/proc/PID/status PPid). */
  ppid(pid: number): number | undefined;
  /** readlink /proc/PID/exe. */
  exe(pid: number): string | undefined;
}

export interface TraceeInfo {
  readonly pid: number;
  readonly ppid?: number;
  readonly exe?: string;
}

/** What happened to a call the supervisor decided, for the audit log. */
export interface Verdict {
  readonly trap: Trap;
  readonly decision: Ruling;
  readonly tracee: TraceeInfo;
  /** False in audit mode: reported, not enforced. */
  readonly enforced: boolean;
}

export interface TracerDeps {
  readonly ops: Ops;
  readonly arch: Arch;
  readonly auditArch: number;
  readonly traps: readonly TrapEntry[];
  readonly syscallName: (nr: number) => string;
  readonly decide: (trap: Trap) => Ruling;
  /** Called for every refusal, kill and logged call (the audit event is written here, before a kill). */
  readonly report: (v: Verdict) => void;
  readonly audit: boolean;
  /** Report hidden calls too (ENOENT for a path outside the profile's view: no violation, normally only counted). */
  readonly verbose?: boolean;
  /** Stage-2 is about to exec the command (its execve's seccomp stop; the call has not run yet). */
  readonly onLaunch?: (pid: number) => void;
  /** The command runs: stage-2's exec went through (its exec stop; no instruction of the command has run). */
  readonly onLaunched?: () => void;
  /** A task of the sandbox has exec'd: called at its exec stop, before it runs one instruction of the new image. */
  readonly onExec?: () => void;
}

/** Where the root is in its launch: stage-2 running, its exec trapped, the command running. */
type Phase = 'stage2' | 'launching' | 'running';

interface Task {
  pid: number; // thread group
}

interface Proc {
  ppid?: number;
  exe?: string;
}

export interface RootExit {
  /** Exit code, when it exited. */
  readonly code?: number;
  /** Signal number, when a signal killed it. */
  readonly signal?: number;
  /** The decision that killed it, when syscage did. */
  readonly policyKill?: Verdict;
}

export class Tracer {
  private readonly tasks = new Map<number, Task>();
  private readonly procs = new Map<number, Proc>();
  private phase: Phase = 'stage2';
  private rootExit: RootExit | undefined;
  private readonly policyKills = new Map<number, Verdict>();
  /** Statuses taken from the kernel but not handled yet (while the sandbox was held). */
  private readonly backlog: Taken[] = [];
  /** The hold (hold.ts): none, or in force for one owner, with the other tasks' stops kept. */
  private readonly hold = new Hold();
  /**
   * Tasks on their way to a syscall-exit stop: an allowed open that ran alone (hold.ts) and went
   * to sleep in the kernel, resumed with PTRACE_SYSCALL, whose next stop has not been seen. Such a
   * task runs no user-space instruction before that stop (the kernel reports it before it returns to
   * user space, a signal included), so a hold needs not interrupt it: interrupted, its sleep ended
   * and its call began again — two threads opening the two ends of a FIFO did that to each other
   * without end. It counts as held, and its exit stop is kept like any held stop.
   */
  private readonly toExit = new Set<number>();
  /** Counts by decision, for the summary line. */
  readonly counts = { traps: 0, allowed: 0, logged: 0, denied: 0, hidden: 0, killed: 0, processes: 0, threads: 0 };

  constructor(readonly root: number, private readonly d: TracerDeps) {
    this.tasks.set(root, { pid: root });
    this.procs.set(root, { ppid: d.ops.ppid(root) });
  }

  get exit(): RootExit | undefined {
    return this.rootExit;
  }

  /** Did the command itself start (stage-2's exec went through)? */
  get launched(): boolean {
    return this.phase === 'running';
  }

  /** Live tasks (threads), for killing everything on an internal error. */
  get live(): number[] {
    return [...this.tasks.keys()];
  }

  /** Is this pid or tid a process or thread inside the sandbox? */
  isTracee = (id: number): boolean => this.procs.has(id) || this.tasks.has(id);

  /** One waitpid result (and whatever was taken from the kernel while handling it). */
  handle(tid: number, status: number): void {
    this.backlog.push([tid, status]);
    this.drain();
  }

  /** Handle the backlog in order. Never re-entered: what a step takes from the kernel joins the backlog. */
  private drain(): void {
    for (let next = this.backlog.shift(); next; next = this.backlog.shift()) this.step(next[0], next[1]);
  }

  /**
   * The next status to handle. Blocking, except while a hold is in force:
   * then polled, and the hold ends (the held tasks' stops are handled) once
   * its owner has made no checked call for HOLD_IDLE_MS, after HOLD_MAX_MS in
   * all, or as soon as the owner sleeps (it may wait for a held task) or is gone.
   */
  next(): { pid: number; status: number } | undefined {
    const ops = this.d.ops;
    for (let idle = 0; this.hold.owner !== undefined; idle++) {
      const w = ops.poll(-1);
      if (w === undefined) return undefined;
      if (w !== 'none') return w;
      const owner = this.hold.owner;
      let over = this.hold.expired(ops.now());
      if (!over && idle % 8 === 7) {
        const state = ops.state(owner);
        over = state === undefined || state === 'S';
      }
      if (over) {
        this.release();
        this.drain();
      } else {
        backOff(ops, idle);
      }
    }
    return ops.wait();
  }

  /** End the hold: the held tasks' stops join the backlog, to be handled as if they had just arrived. */
  private release(): void {
    this.backlog.push(...this.hold.end());
  }

  private step(tid: number, status: number): void {
    const stop = decodeStatus(status);
    const owner = this.hold.owner;
    if (stop.kind === 'unknown') return; // not a status of a traced task
    this.toExit.delete(tid); // stopped (or gone): no longer on its way
    if (owner !== undefined && tid !== owner && !isGone(stop)) {
      // Held: a new child's first stop, or a stop that was on its way. It waits for the release.
      this.hold.keep(tid, status);
      return;
    }
    if (tid === owner && !keepsHold(stop)) this.release();
    if (isGone(stop)) return this.gone(tid, stop);
    this.know(tid);
    switch (stop.kind) {
      case 'seccomp': return this.seccompStop(tid, status);
      case 'child': return this.newChild(tid);
      case 'exec': return this.execed(tid);
      // A group stop stays stopped (LISTEN) until SIGCONT.
      case 'group-stop': this.d.ops.listen(tid); return;
      // A new child's first stop, an interrupt, the re-stop after SIGCONT; the exit stop of a call
      // that ran alone (hold.ts); an event syscage does not ask for: nothing to do but go on.
      case 'interrupt': case 'syscall': case 'other-event': this.d.ops.cont(tid, 0); return;
      // Signal-delivery stop: deliver it. (SIGTRAP here is a real one, e.g. from a debugger trap.)
      case 'signal': this.d.ops.cont(tid, stop.signal === SIGTRAP && this.phase === 'stage2' ? 0 : stop.signal); return;
    }
  }

  /** A task we have not seen yet (a new child's first stop can come before its parent's event). */
  private know(tid: number): void {
    if (this.tasks.has(tid)) return;
    this.toExit.delete(tid); // a new task with the tid of one that was (a tid given again)
    const pid = this.d.ops.tgid(tid) ?? tid;
    this.tasks.set(tid, { pid });
    // What the command creates, not stage-2's own Node threads.
    if (this.phase === 'running') {
      if (tid === pid) this.counts.processes++;
      else this.counts.threads++;
    }
    // A new process runs its parent's program until it execs: name it from the start.
    if (!this.procs.has(pid)) this.procs.set(pid, { ppid: this.d.ops.ppid(pid), exe: this.d.ops.exe(pid) });
  }

  private newChild(tid: number): void {
    const child = this.d.ops.eventMsg(tid) ?? 0;
    if (child > 0) this.know(child);
    this.d.ops.cont(tid, 0);
  }

  private execed(tid: number): void {
    this.d.onExec?.();
    // A non-leader thread that execs takes over the leader's tid; its old tid is gone (ptrace(2), "execve(2) under ptrace").
    const former = this.d.ops.eventMsg(tid) ?? tid;
    if (former !== tid) {
      this.tasks.delete(former);
      this.toExit.delete(former);
    }
    const pid = this.tasks.get(tid)?.pid ?? tid;
    const proc = this.procs.get(pid) ?? {};
    proc.exe = this.d.ops.exe(pid);
    this.procs.set(pid, proc);
    if (pid === this.root && this.phase === 'launching') {
      this.phase = 'running';
      this.d.onLaunched?.();
    }
    this.d.ops.cont(tid, 0);
  }

  private gone(tid: number, stop: Extract<Stop, { kind: 'exited' | 'killed' }>): void {
    const task = this.tasks.get(tid);
    this.tasks.delete(tid);
    // A held stop of a task that is gone must not bring it back when the hold ends.
    this.hold.forget(new Set([tid]));
    const pid = task?.pid ?? tid;
    if (tid !== pid) return; // a thread; the process lives on
    const proc = this.procs.get(pid);
    this.procs.delete(pid);
    const killed = this.policyKills.get(pid) ?? this.abiKill(tid, pid, stop, proc);
    this.policyKills.delete(pid);
    if (pid === this.root) {
      this.rootExit = stop.kind === 'exited' ? { code: stop.code } : { signal: stop.signal, policyKill: killed };
      // The command is done: what it left behind does not run on after it.
      this.killAll();
    }
  }

  /**
   * A process killed by SIGSYS that syscage did not kill: the filter's prelude
   * killed it in the kernel for a call through another ABI (int 0x80, x32),
   * which never reaches the supervisor. Reported as the kill it is.
   */
  private abiKill(tid: number, pid: number, stop: Stop, proc: Proc | undefined): Verdict | undefined {
    if (stop.kind !== 'killed' || stop.signal !== SIGSYS || this.phase !== 'running') return undefined;
    const what = 'built-in: the filter kills calls through another ABI (int 0x80, x32)';
    const trap: Trap = {
      tid, pid, arch: this.d.arch, nr: -1, syscall: '(unknown)', args: [],
      entry: { id: -1, checks: [], then: 'allow', refuse: { kind: 'kill' }, origin: { what } },
    };
    const verdict: Verdict = {
      trap,
      decision: { action: 'kill', rule: { what }, reason: 'killed by the filter in the kernel (SIGSYS): a syscall through another ABI than the profile\'s (int 0x80, or an x32 number on x86_64)' },
      tracee: { pid, ppid: proc?.ppid, exe: proc?.exe },
      enforced: true,
    };
    this.counts.killed++;
    this.d.report(verdict);
    return verdict;
  }

  private seccompStop(tid: number, status: number): void {
    const ops = this.d.ops;
    const info = ops.syscallInfo(tid);
    if (!info) return; // gone meanwhile
    if (info.op !== INFO_SECCOMP) {
      ops.cont(tid, 0);
      return;
    }
    const pid = this.tasks.get(tid)?.pid ?? tid;
    // Stage-2 is syscage's own code: everything it does before its exec is allowed;
    // its one exec is the launch.
    if (pid === this.root && this.phase !== 'running') {
      const name = this.d.syscallName(info.nr);
      if (name === 'execve' || name === 'execveat') {
        this.phase = 'launching';
        this.d.onLaunch?.(pid);
      }
      ops.cont(tid, 0);
      return;
    }
    const entry = this.d.traps[info.retData];
    if (!entry || info.arch >>> 0 !== this.d.auditArch >>> 0) {
      // The filter only returns ids of its own table, for its own arch: anything else is a bug. Fail closed.
      throw new Error(`internal: seccomp stop with trap id ${info.retData} (arch 0x${info.arch.toString(16)}) not in the trap table`);
    }
    if (this.hold.owner === tid && this.mustHold(entry) && this.hold.overdue(ops.now())) {
      // The hold has lasted long enough: let the held tasks run, and take this stop again after them.
      this.release();
      this.backlog.push([tid, status]);
      return;
    }
    this.counts.traps++;
    const trap: Trap = { tid, pid, arch: this.d.arch, nr: info.nr, syscall: this.d.syscallName(info.nr), args: info.args, entry };
    // Hold the rest of the sandbox still while this call is read, decided and made (hold.ts).
    let stragglers: number[] = [];
    if (this.mustHold(entry) && this.hold.owner !== tid) {
      this.release();
      const others = this.tasks.size > 1 ? this.others(tid) : [];
      if (others.length > 0) {
        // Those on their way to an exit stop are held already (toExit); their stops are kept.
        const h = holdStill(ops, others.filter((t) => !this.toExit.has(t)));
        stragglers = h.stragglers;
        if (stragglers.length === 0) this.hold.begin(tid, h.taken, ops.now());
        else this.backlog.push(...h.taken);
      }
    }
    const decision = stragglers.length ? this.notHeld(stragglers) : this.d.decide(trap);
    const proc = this.procs.get(pid);
    const verdict: Verdict = { trap, decision, tracee: { pid, ppid: proc?.ppid, exe: proc?.exe }, enforced: !this.d.audit };

    if (decision.action === 'allow') {
      if (decision.log) {
        this.counts.logged++;
        this.d.report(verdict);
      } else {
        this.counts.allowed++;
      }
      if (this.hold.owner === tid && this.mustHold(entry)) {
        const piecemeal = PIECEMEAL[trap.syscall];
        if (piecemeal && BigInt.asUintN(32, trap.args[piecemeal.count] ?? 0n) > 1n) ops.setArg(tid, this.d.arch, piecemeal.count, 1n);
        this.runAlone(tid, pid, OPENS.has(trap.syscall));
      } else {
        ops.cont(tid, 0);
      }
      return;
    }
    if (decision.action === 'deny' && decision.quiet) {
      // A mechanism, not a violation (clone3's ENOSYS): refused, in audit mode too, never reported.
      if (ops.deny(tid, this.d.arch, decision.errno)) ops.cont(tid, 0);
      return;
    }
    if (decision.action === 'deny' && decision.hidden) {
      // Not a violation: the path is not there for this profile (a probe). Counted; reported with --verbose.
      this.counts.hidden++;
      if (this.d.verbose) this.d.report(verdict);
      if (ops.deny(tid, this.d.arch, decision.errno)) ops.cont(tid, 0);
      return;
    }
    this.d.report(verdict);
    if (this.d.audit) {
      this.counts.logged++;
      ops.cont(tid, 0);
      return;
    }
    if (decision.action === 'deny') {
      this.counts.denied++;
      if (ops.deny(tid, this.d.arch, decision.errno)) ops.cont(tid, 0);
      return;
    }
    // Kill: the event is written (report above), then the whole process dies.
    this.counts.killed++;
    this.policyKills.set(pid, verdict);
    ops.kill(pid, SIGKILL);
    this.release();
  }

  /**
   * Run the hold owner's allowed call alone to its exit stop (hold.ts). The
   * hold stays for its next checked call unless the call ended otherwise: it
   * sleeps, it exec'd, it is gone.
   */
  private runAlone(tid: number, pid: number, anOpen: boolean): void {
    const taken = runAlone(this.d.ops, tid, (other) => this.tasks.get(other)?.pid === pid);
    // An open asleep in its call (no status of its own, no exec of its process): on its way to its
    // exit stop. (Not a connect or a send: a UNIX socket's path is looked up again after a sleep, and
    // the interrupt that makes the call begin again also checks it again. An open asleep in its walk,
    // on a FUSE path, walks on while others run — as it did before, once its hold had ended.)
    if (anOpen && this.tasks.has(tid) && !taken.some(([t, s]) => t === tid || decodeStatus(s).kind === 'exec')) this.toExit.add(tid);
    // A held stop is stale once its tid reported again (a non-leader's exec takes the leader's tid).
    this.hold.forget(new Set(taken.map(([t]) => t)));
    const last = taken.at(-1);
    const done = last !== undefined && last[0] === tid && decodeStatus(last[1]).kind === 'syscall';
    if (done && this.hold.owner !== undefined) this.hold.extend(this.d.ops.now());
    else this.release();
    this.backlog.push(...taken);
  }

  /**
   * Must the sandbox hold still for this call? When the decision reads the
   * tracee's memory or the filesystem (files, exec, network checks) and will
   * be enforced. A call the profile refuses outright reads nothing that
   * matters, and signal checks read only registers.
   */
  private mustHold(entry: TrapEntry): boolean {
    return !this.d.audit && !entry.refuse && entry.checks.some((c) => c !== 'signal' && c !== 'clone3');
  }

  /** Every other task that could run: not one already stopped with its status waiting here. */
  private others(tid: number): number[] {
    const waiting = new Set(this.backlog.map(([t]) => t));
    return [...this.tasks.keys()].filter((t) => t !== tid && !waiting.has(t));
  }

  /** Some task did not stop in time: the call cannot be checked safely; refuse it (a retry will do). */
  private notHeld(stragglers: readonly number[]): Ruling {
    return {
      action: 'deny',
      errno: EINTR,
      rule: { what: 'built-in: the sandbox must hold still while a call is checked' },
      reason: `task${stragglers.length > 1 ? 's' : ''} ${stragglers.join(', ')} did not stop within the hold timeout (blocked in the kernel); refused with EINTR`,
    };
  }

  /** The root is gone: nothing else may run on unsupervised. */
  killAll(): void {
    for (const tid of this.tasks.keys()) this.d.ops.kill(tid, SIGKILL);
  }
}
