// The tracing half of the tracer thread (worker.ts is the launching half,
// kept light so that stage-2 is spawned before this loads): decide every
// trapped call of every tracee in a blocking waitpid loop.
import { existsSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { AUDIT_ARCH, hostArch, syscallTable } from '../arch/index.js';
import { auditEvent, eventLine } from '../audit/event.js';
import { closeFd, ptrace, sleepMs, waitAny, waitFor, yieldCpu } from '../native/index.js';
import { WNOHANG, __WALL, __WNOTHREAD } from '../native/wait.js';
import { encodeRequest } from '../launch/request.js';
import { InjectedFault, faultArmed, faultPoint } from '../fault.js';
import { emptyObservation, noteFile, type Observation } from './observation.js';
import { observe } from './observe.js';
import { compileMatchers, decide } from './decide/index.js';
import type { FromTracer, TracerStart } from './messages.js';
import { blockedIn, exeOf, pgidOf, pidOfPidfd, ppidOf, stateOf, tgidOf } from './proc.js';
import { Tracer, type Ops } from './tracer.js';
import { SharedText } from './shared-text.js';
import { BindingLog, Bindings } from '../dns/bindings.js';
import { exists, forgetRoot, isDirectory, realpath, traceeView } from './view.js';

const post = (m: FromTracer): void => parentPort!.postMessage(m);

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
    return nr !== undefined && FORKS.has(nr);
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

/** fork, vfork, clone and clone3 on this machine's arch (where a vfork parent waits for its child). */
const FORKS: ReadonlySet<number> = new Set(
  ['fork', 'vfork', 'clone', 'clone3'].map((n) => syscallTable().byName(n)?.nr[hostArch()]).filter((nr): nr is number => nr !== undefined),
);

/** Calls after which a process's root directory may have changed. */
const CHANGES_ROOT: ReadonlySet<string> = new Set(['chroot', 'pivot_root', 'setns', 'unshare']);

/**
 * The names an address is bound to, from the resolver's log: read up to date at every question
 * (the resolver binds before it answers, so a connect never runs ahead of its binding).
 */
function namesFromLog(log: BindingLog): (family: 4 | 6, addr: bigint) => { live: string[]; ever: string[] } {
  const bindings = new Bindings();
  return (family, addr) => {
    const { records, lost } = log.read();
    if (lost) {
      try {
        writeSync(2, `syscage: dns: ${lost} bindings were lost (more answers than the log holds); their addresses are refused until looked up again\n`);
      } catch {
        // stderr's reader has gone, or the pipe is full: the note is not worth the sandbox.
      }
    }
    for (const r of records) bindings.add(r.name, r.address, r.ttl, r.time);
    const now = Date.now();
    return { live: bindings.live({ family, addr }, now), ever: bindings.names({ family, addr }) };
  };
}

/** Launch the command in the waiting stage-2 and trace everything until it is done. */
export function trace(
  start: TracerStart,
  stage2: { pid: number; writeEnd: number; supervised: boolean },
  onTracer: (t: Tracer) => void,
): void {
  const table = syscallTable();
  const matchers = compileMatchers(start.profile);
  const supervisorPid = process.pid;
  const supervisorPgid = pgidOf(process.pid) ?? process.pid;
  const pid = stage2.pid;
  const request = encodeRequest(start.dns ? { ...start.command, resolvConf: start.dns.resolvConf } : start.command, Buffer.from(start.filter));
  let off = 0;
  while (off < request.length) off += writeSync(stage2.writeEnd, request, off);
  closeFd(stage2.writeEnd);
  post({ type: 'started' });
  faultPoint('tracer.launch');
  const decideFault = faultArmed('tracer.decide');

  const observation = start.record ? emptyObservation(start.arch) : undefined;
  const requestIdCell = start.requestId ? new SharedText(start.requestId) : undefined;
  const always = new Set(start.alwaysConnect ?? []);
  const boundNames = start.dns ? namesFromLog(new BindingLog(start.dns.log)) : undefined;
  const dnsGuard = start.dns && { server: start.dns.server, upstreams: start.dns.upstreams };
  let lastSnapshot = Date.now();
  const t: Tracer = new Tracer(pid, {
    ops: observation ? recordingOps(observation) : ops,
    arch: start.arch,
    auditArch: AUDIT_ARCH[start.arch],
    traps: start.traps,
    syscallName: (nr) => table.name(start.arch, nr) ?? '(unknown)',
    audit: start.audit,
    verbose: start.verbose,
    decide: (trap) => {
      if (decideFault) throw new InjectedFault('tracer.decide');
      const d = decide(trap, {
        matchers,
        view: traceeView(trap.tid, trap.pid),
        realpath,
        exists,
        isDirectory,
        notesMissing: !!start.record,
        isTracee: (id: number): boolean => t.isTracee(id),
        supervisorPid,
        supervisorPgid,
        isSupervisorThread: (tid: number) => existsSync(`/proc/${supervisorPid}/task/${tid}`),
        callerPgid: () => pgidOf(trap.pid) ?? { fault: 'the caller is gone' },
        pidOfPidfd: (fd: number) => pidOfPidfd(trap.tid, fd),
        audit: start.audit,
        alwaysAllowConnect: always.size ? (dest) => always.has(dest.text) : undefined,
        dnsGuard,
        boundNames,
      });
      // The call has not happened yet: forget the root after deciding, so the next trap reads it anew.
      if (CHANGES_ROOT.has(trap.syscall)) forgetRoot(trap.pid);
      return d;
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
      const time = Date.now();
      const requestId = requestIdCell?.get() || undefined;
      if (start.events) {
        const e = auditEvent(verdict, time, { profile: start.events.profile, requestId, tier: start.events.tier });
        writeSync(start.events.fd, eventLine(e, start.events.human));
      }
      post({ type: 'verdict', verdict, time, requestId });
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

