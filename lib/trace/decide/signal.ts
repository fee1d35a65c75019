// The signal check: who a call signals (man 2 kill, tgkill, rt_sigqueueinfo,
// pidfd_send_signal).
//
//   kill(pid, sig)                      pid > 0: that process (or the process of thread `pid`)
//                                       pid == 0: the caller's process group
//                                       pid == -1: every process the caller may signal
//                                       pid < -1: process group -pid
//   tkill(tid, sig)                     one thread
//   tgkill(tgid, tid, sig)              thread tid of process tgid
//   rt_sigqueueinfo(pid, sig, info)     one process (pid <= 0: ESRCH)
//   rt_tgsigqueueinfo(tgid, tid, ...)   one thread
//   pidfd_send_signal(pidfd, sig, ...)  the process the pidfd refers to
//
// The supervisor — its pid, any of its threads, its process group — is never
// a valid target, whatever process.signal says: a sandboxed process that can
// stop or kill its supervisor is not sandboxed. Beyond that, process.signal
// `tree` (the default) allows only targets the supervisor traces, and `any`
// allows everything else. Signal 0 (an existence probe) follows the same rules:
// an answer about a process outside the sandbox is already information.
// pids are C ints: the low 32 bits of the register, signed.
import type { Detail, RuleRef, Trap } from '../types.js';
import { argInt, argU32, EBADF, EINVAL, ESRCH, isFault } from './args.js';
import { isSupervisor, type DecideContext } from './context.js';
import { broken, passed, refused, type CheckOutcome } from './outcome.js';

const SUPERVISOR: RuleRef = { what: 'built-in', text: 'the supervisor is never a signal target' };

/** linux/pidfd.h (6.9): signal the process group of the pidfd's process. */
const PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2;

export function checkSignal(trap: Trap, ctx: DecideContext, explain: boolean): CheckOutcome {
  const c = new SignalCheck(trap, ctx, explain);
  switch (trap.syscall) {
    case 'kill': return c.kill(argInt(trap, 0), argInt(trap, 1));
    case 'tkill': return c.thread(argInt(trap, 0), undefined, argInt(trap, 1));
    case 'tgkill': return c.thread(argInt(trap, 1), argInt(trap, 0), argInt(trap, 2));
    case 'rt_sigqueueinfo': {
      const pid = argInt(trap, 0);
      // kill_proc_info looks the pid up as one process: 0 and negatives find nothing.
      if (pid <= 0) return broken(c.scopeRule, ESRCH, `rt_sigqueueinfo: ${pid} is not a process id`, c.detail(pid, argInt(trap, 1)));
      return c.process(pid, argInt(trap, 1));
    }
    case 'rt_tgsigqueueinfo': return c.thread(argInt(trap, 1), argInt(trap, 0), argInt(trap, 2));
    case 'pidfd_send_signal': return c.pidfd(argInt(trap, 0), argInt(trap, 1), argU32(trap, 3));
    default:
      return refused(c.scopeRule, `${trap.syscall}: no decoder for its signal target (fail closed)`);
  }
}

class SignalCheck {
  readonly scopeRule: RuleRef;
  private readonly tree: boolean;

  constructor(private readonly trap: Trap, private readonly ctx: DecideContext, private readonly explain: boolean) {
    this.scopeRule = ctx.matchers.signal.rule;
    this.tree = ctx.matchers.signal.scope === 'tree';
  }

  detail(target: number, sig: number): Detail {
    return { signal: { target, sig } };
  }

  private ok(target: number, sig: number): CheckOutcome {
    return passed(this.detail(target, sig), this.explain ? this.scopeRule : undefined);
  }

  private what(sig: number, whom: string): string {
    return `${this.trap.syscall}: signal ${sig} to ${whom}`;
  }

  private outside(target: number, sig: number, whom: string): CheckOutcome {
    return refused(this.scopeRule, `${this.what(sig, whom)}: not a process of the sandbox (process.signal: tree)`, this.detail(target, sig));
  }

  private supervisor(target: number, sig: number, whom: string): CheckOutcome {
    return refused(SUPERVISOR, `${this.what(sig, whom)}: the supervisor is never a signal target`, this.detail(target, sig));
  }

  kill(pid: number, sig: number): CheckOutcome {
    if (pid > 0) return this.process(pid, sig);
    if (pid === 0) {
      const pg = this.callerPgid();
      if (pg === undefined) {
        return refused(SUPERVISOR, `${this.what(sig, 'its own process group')}: cannot tell whether that group is the supervisor's`, this.detail(pid, sig));
      }
      if (pg === this.ctx.supervisorPgid) return this.supervisor(pid, sig, `its own process group ${pg}, which is the supervisor's`);
      return this.ok(pid, sig);
    }
    if (pid === -1) {
      // Every process the caller has permission to signal: the supervisor too.
      if (!this.tree) return this.supervisor(pid, sig, 'every process (-1), the supervisor included');
      return refused(this.scopeRule, `${this.what(sig, 'every process (-1)')}: not confined to the sandbox (process.signal: tree)`, this.detail(pid, sig));
    }
    const pg = -pid;
    if (pg === this.ctx.supervisorPgid) return this.supervisor(pid, sig, `process group ${pg}, the supervisor's`);
    // A group counts as the sandbox's when its leader is traced; groups
    // outlive their leaders, so a stale pgid is refused (fail closed).
    if (this.tree && !this.ctx.isTracee(pg)) return this.outside(pid, sig, `process group ${pg}`);
    return this.ok(pid, sig);
  }

  process(pid: number, sig: number): CheckOutcome {
    if (isSupervisor(this.ctx, pid)) return this.supervisor(pid, sig, `pid ${pid}`);
    if (this.tree && !this.ctx.isTracee(pid)) return this.outside(pid, sig, `pid ${pid}`);
    return this.ok(pid, sig);
  }

  thread(tid: number, tgid: number | undefined, sig: number): CheckOutcome {
    const whom = tgid === undefined ? `thread ${tid}` : `thread ${tid} of process ${tgid}`;
    // do_tkill: non-positive ids are EINVAL.
    if (tid <= 0 || (tgid !== undefined && tgid <= 0)) return broken(this.scopeRule, EINVAL, `${this.what(sig, whom)}: not a thread id`, this.detail(tid, sig));
    if (isSupervisor(this.ctx, tid) || (tgid !== undefined && isSupervisor(this.ctx, tgid))) return this.supervisor(tid, sig, whom);
    if (this.tree && (!this.ctx.isTracee(tid) || (tgid !== undefined && !this.ctx.isTracee(tgid)))) return this.outside(tid, sig, whom);
    return this.ok(tid, sig);
  }

  pidfd(fd: number, sig: number, flags: number): CheckOutcome {
    const pid = this.ctx.pidOfPidfd(fd);
    // Anything but a number is "we do not know": fail closed.
    if (typeof pid !== 'number') return broken(this.scopeRule, EBADF, `${this.what(sig, `pidfd ${fd}`)}: not a pidfd (${isFault(pid) ? pid.fault : 'unknown'})`, this.detail(-1, sig));
    // fdinfo says Pid: -1 once the process is gone (the kernel answers ESRCH)
    // and 0 when it lives in a pid namespace we cannot see into.
    if (pid === -1) return broken(this.scopeRule, ESRCH, `${this.what(sig, `pidfd ${fd}`)}: the process has exited`, this.detail(pid, sig));
    if (pid <= 0) return refused(this.scopeRule, `${this.what(sig, `pidfd ${fd}`)}: its process is outside our pid namespace`, this.detail(pid, sig));
    if ((flags & PIDFD_SIGNAL_PROCESS_GROUP) !== 0) {
      if (isSupervisor(this.ctx, pid)) return this.supervisor(pid, sig, `the process group of pid ${pid}`);
      return refused(this.scopeRule, `${this.what(sig, `the process group of pid ${pid}`)}: PIDFD_SIGNAL_PROCESS_GROUP is not supported (fail closed)`, this.detail(pid, sig));
    }
    return this.process(pid, sig);
  }

  private callerPgid(): number | undefined {
    const g = this.ctx.callerPgid;
    const v = typeof g === 'function' ? g() : g;
    return v === undefined || isFault(v) ? undefined : v;
  }
}
