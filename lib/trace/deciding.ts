// What both backends decide and report with: the decision code wired to the real kernel and the
// run (its profile, DNS answers, the Runtime API proxy), and the audit event of a verdict —
// written by this thread when the run logs to a regular file, and posted to the main thread.
// The ptrace tracer (loop.ts) and the notification supervisor (notify/) each build theirs here.
import { existsSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { auditEvent, eventLine } from '../audit/event.js';
import { BindingLog, Bindings } from '../dns/bindings.js';
import { compileMatchers, decide, type DecideContext, type Ruling } from './decide/index.js';
import type { FromTracer, TracerStart } from './messages.js';
import { pgidOf, pidOfPidfd } from './proc.js';
import { SharedText } from './shared-text.js';
import type { Verdict } from './tracer.js';
import type { Trap, TraceeView } from './types.js';
import { exists, isDirectory, realpath, traceeView } from './view.js';

export const post = (m: FromTracer): void => parentPort!.postMessage(m);

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

/** The decision context of a run, but for the trap's view of the tracee (and, where given, how symlinks are resolved). */
export type ContextFor = (trap: Trap, view?: TraceeView, resolve?: DecideContext['realpath']) => DecideContext;

/** Build the decision context of this run, once per thread. */
export function contextFor(start: TracerStart, isTracee: (id: number) => boolean): ContextFor {
  const matchers = compileMatchers(start.profile);
  const supervisorPid = process.pid;
  const supervisorPgid = pgidOf(process.pid) ?? process.pid;
  const always = new Set(start.alwaysConnect ?? []);
  const boundNames = start.dns ? namesFromLog(new BindingLog(start.dns.log)) : undefined;
  const dnsGuard = start.dns && { server: start.dns.server, upstreams: start.dns.upstreams };
  return (trap, view = traceeView(trap.tid, trap.pid, start.rootFixed), resolve = realpath) => ({
    matchers,
    view,
    realpath: resolve,
    exists,
    isDirectory,
    notesMissing: !!start.record,
    isTracee,
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
}

export const decideIn = (ctx: DecideContext, trap: Trap): Ruling => decide(trap, ctx);

/**
 * Report a verdict: its audit event written to the run's log file by this thread first (before
 * the decision is applied, so a kill is on record before it happens), then posted to the main thread.
 */
export function reporterFor(start: TracerStart): (verdict: Verdict) => void {
  const requestIdCell = start.requestId ? new SharedText(start.requestId) : undefined;
  return (verdict) => {
    const time = Date.now();
    const requestId = requestIdCell?.get() || undefined;
    if (start.events) {
      const e = auditEvent(verdict, time, { profile: start.events.profile, requestId, tier: start.events.tier });
      writeSync(start.events.fd, eventLine(e, start.events.human));
    }
    post({ type: 'verdict', verdict, time, requestId });
  };
}
