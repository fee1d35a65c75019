// The tracing half of the tracer thread (worker.ts is the launching half,
// kept light so that stage-2 is spawned before this loads): decide every
// trapped call of every tracee in a blocking waitpid loop.
import { writeSync } from 'node:fs';
import { AUDIT_ARCH, hostArch, syscallTable } from '../arch/index.js';
import { closeFd, ptrace, sleepMs, waitAny, waitFor, yieldCpu } from '../native/index.js';
import { WNOHANG, __WALL, __WNOTHREAD } from '../native/wait.js';
import { encodeRequest } from '../launch/request.js';
import { InjectedFault, faultArmed, faultPoint } from '../fault.js';
import { emptyObservation, noteFile, type Observation } from './observation.js';
import { observe } from './observe.js';
import { contextFor, decideIn, post, reporterFor } from './deciding.js';
import type { TracerStart } from './messages.js';
import { blockedIn, exeOf, ppidOf, stateOf, tgidOf } from './proc.js';
import { Tracer, type Ops, type TracerDeps } from './tracer.js';
import { takeListener } from './notify/listener.js';
import { NOTIFIED } from '../compile/index.js';
import { forgetRoot } from './view.js';

/** Is this run's filter notifying (set at the launch)? */
let notifying = false;

const ops: Ops = {
  syscallInfo: (tid) => ptrace.syscallInfo(tid),
  eventMsg: (tid) => ptrace.eventMsg(tid),
  cont: (tid, sig = 0) => ptrace.cont(tid, sig),
  listen: (tid) => ptrace.listen(tid),
  deny: (tid, arch, errno) => ptrace.denySyscall(tid, arch, errno),
  setArg: (tid, arch, index, value) => ptrace.setSyscallArg(tid, arch, index, value),
  kill: (pid, sig) => ptrace.sendSignal(pid, sig),
  tgid: tgidOf,
  ppid: ppidOf,
  // A new image may come with a new root (a setuid helper that chroots): read it anew.
  exe: (pid) => {
    forgetRoot(pid);
    return exeOf(pid);
  },
  interrupt: (tid) => ptrace.interrupt(tid),
  resumeToExit: (tid) => ptrace.resumeToExit(tid),
  poll: (tid) => {
    const w = waitFor(tid, WNOHANG | __WALL | __WNOTHREAD);
    return w === undefined ? undefined : w.pid === 0 ? 'none' : w;
  },
  state: stateOf,
  inFork: (tid) => {
    const nr = blockedIn(tid);
    return nr !== undefined && (FORKS.has(nr) || (notifying && NOTIFIED_NRS.has(nr)));
  },
  wait: () => waitAny(),
  yield: yieldCpu,
  pause: sleepMs,
  now: () => performance.now(),
};

/**
 * While recording: each program image a process runs (the real path, from /proc/PID/exe) is noted
 * as read. A program may read its own executable, and some do only depending on timing (Node
 * opens its binary from a thread, in some runs only): its recorded profile grants it.
 */
function recordingOps(observation: Observation): Ops {
  return {
    ...ops,
    exe: (pid) => {
      const image = ops.exe(pid);
      if (image?.startsWith('/')) noteFile(observation, image, 'read');
      return image;
    },
  };
}

const numbers = (names: Iterable<string>): Set<number> =>
  new Set([...names].map((n) => syscallTable().byName(n)?.nr[hostArch()]).filter((nr): nr is number => nr !== undefined));

/** fork, vfork, clone and clone3 on this machine's arch (where a vfork parent waits for its child). */
const FORKS: ReadonlySet<number> = numbers(['fork', 'vfork', 'clone', 'clone3']);
/**
 * The calls the notification backend performs: a task the supervisor has taken one from waits for
 * the answer killable-only (WAIT_KILLABLE_RECV) and cannot stop meanwhile — a FIFO open, a
 * handshake may take long. Like a vfork parent, it counts as held: the interrupt is pending, and it
 * stops before its next user-space instruction.
 */
const NOTIFIED_NRS: ReadonlySet<number> = numbers(NOTIFIED);

/**
 * The notification backend's two moments in the launch: the listener is taken from stage-2 at its
 * exec's stop (and handed to the notification supervisor through the main thread), and the
 * supervisor learns that the command runs (until then the notified calls are stage-2's own). And
 * every exec, counted before the new image runs: what the supervisor remembers of a task's identity
 * holds only until the next one (notify/callers.ts).
 */
function notifyHooks(launched: SharedArrayBuffer): Pick<TracerDeps, 'onLaunch' | 'onLaunched' | 'onExec'> {
  const cell = new Int32Array(launched);
  return {
    onLaunch: (pid) => post({ type: 'listener', fd: takeListener(pid) }),
    onLaunched: () => {
      Atomics.store(cell, 0, 1);
    },
    onExec: () => {
      Atomics.add(cell, 1, 1);
    },
  };
}

/** Launch the command in the waiting stage-2 and trace everything until it is done. */
export function trace(
  start: TracerStart,
  stage2: { pid: number; writeEnd: number; supervised: boolean },
  onTracer: (t: Tracer) => void,
): void {
  const table = syscallTable();
  const pid = stage2.pid;
  notifying = !!start.notify;
  const request = encodeRequest({
    ...start.command,
    ...(start.dns ? { resolvConf: start.dns.resolvConf } : {}),
    ...(start.notify ? { notify: true } : {}),
  }, Buffer.from(start.filter));
  let off = 0;
  while (off < request.length) off += writeSync(stage2.writeEnd, request, off);
  closeFd(stage2.writeEnd);
  post({ type: 'started' });
  faultPoint('tracer.launch');
  const decideFault = faultArmed('tracer.decide');

  const observation = start.record ? emptyObservation(start.arch) : undefined;
  const contextOf = contextFor(start, (id) => t.isTracee(id));
  const reportVerdict = reporterFor(start);
  let lastSnapshot = Date.now();
  const t: Tracer = new Tracer(pid, {
    ops: observation ? recordingOps(observation) : ops,
    arch: start.arch,
    auditArch: AUDIT_ARCH[start.arch],
    traps: start.traps,
    syscallName: (nr) => table.name(start.arch, nr) ?? '(unknown)',
    audit: start.audit,
    verbose: start.verbose,
    ...(start.notify ? notifyHooks(start.notify.launched) : {}),
    decide: (trap) => {
      if (decideFault) throw new InjectedFault('tracer.decide');
      // A root directory is remembered only where no call can change it (view.ts).
      return decideIn(contextOf(trap), trap);
    },
    report: (verdict) => {
      if (observation) {
        observe(observation, verdict.trap, verdict.decision);
        const now = Date.now();
        if (now - lastSnapshot > 1000) {
          lastSnapshot = now;
          post({ type: 'observation', observation });
        }
        return;
      }
      reportVerdict(verdict);
    },
  });
  onTracer(t);
  for (;;) {
    const w = t.next();
    if (!w) break;
    t.handle(w.pid, w.status);
  }
  if (observation) {
    observation.forks = t.counts.processes ?? 0;
    observation.threads = t.counts.threads ?? 0;
  }
  post({ type: 'exit', ...(t.exit ?? { signal: 9 }), counts: t.counts, observation, launched: t.launched });
}

