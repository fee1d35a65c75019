// The tracer thread. ptrace is per thread: the thread that seizes a tracee is
// the only one that may make ptrace requests for it and must be the one that
// waits, so all of it happens here, in a blocking waitpid loop, while the
// main thread stays free (the Lambda bootstrap serves HTTP there).
//
// Launch: spawn stage-2 (Node, with a minimal environment) reading fd 3 → seize
// it → send it the command and the filter → it installs the filter and execs.
// PTRACE_O_EXITKILL: if this thread dies, every tracee dies with it.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AUDIT_ARCH, syscallTable } from '../arch/index.js';
import { closeFd, isNativeError, pipe, ptrace, spawn, waitAny } from '../native/index.js';
import { encodeRequest, REQUEST_FD } from '../launch/request.js';
import { compileMatchers, decide } from './decide-stub.js';
import type { FromTracer, TracerStart } from './messages.js';
import { exeOf, pgidOf, ppidOf, tgidOf } from './proc.js';
import { Tracer, type Ops } from './tracer.js';
import { realpath, traceeView } from './view.js';

const start = workerData as TracerStart;
const post = (m: FromTracer): void => parentPort!.postMessage(m);
const EPERM = 1;

const ops: Ops = {
  syscallInfo: (tid) => ptrace.syscallInfo(tid),
  eventMsg: (tid) => ptrace.eventMsg(tid),
  cont: (tid, sig = 0) => ptrace.cont(tid, sig),
  listen: (tid) => ptrace.listen(tid),
  deny: (tid, arch, errno) => ptrace.denySyscall(tid, arch, errno),
  kill: (pid, sig) => ptrace.sendSignal(pid, sig),
  tgid: tgidOf,
  ppid: ppidOf,
  exe: exeOf,
};

function launch(): { pid: number; supervised: boolean; note?: string } {
  const [readEnd, writeEnd] = pipe();
  let pid: number;
  try {
    pid = spawn({
      path: start.node,
      argv: [start.node, start.stage2],
      // Stage-2 is Node: nothing from the command's environment (NODE_OPTIONS!) may reach it.
      env: [],
      fds: [[0, 0], [1, 1], [2, 2], [readEnd, REQUEST_FD]],
    });
  } finally {
    closeFd(readEnd);
  }
  let supervised = true;
  let note: string | undefined;
  try {
    ptrace.seize(pid);
  } catch (e) {
    if (!isNativeError(e, EPERM)) throw e;
    supervised = false;
    note = 'ptrace is not permitted here: running in BPF-only mode (checked rules fall back to deny)';
  }
  const request = encodeRequest(start.command, Buffer.from(supervised ? start.filter : start.unsupervisedFilter));
  let off = 0;
  while (off < request.length) off += writeSync(writeEnd, request, off);
  closeFd(writeEnd);
  return { pid, supervised, note };
}

let tracer: Tracer | undefined;

function main(): void {
  const table = syscallTable();
  const matchers = compileMatchers(start.profile);
  const supervisorPid = process.pid;
  const supervisorPgid = pgidOf(process.pid) ?? process.pid;
  const { pid, supervised, note } = launch();
  post({ type: 'started', pid, mode: supervised ? 'supervised' : 'bpf-only', note });
  const t = new Tracer(pid, {
    ops,
    arch: start.arch,
    auditArch: AUDIT_ARCH[start.arch],
    traps: start.traps,
    syscallName: (nr) => table.name(start.arch, nr) ?? '(unknown)',
    audit: start.audit,
    decide: (trap) => decide(trap, {
      matchers,
      view: traceeView(trap.tid),
      realpath,
      isTracee: (p: number) => t.isTracee(p),
      supervisorPid,
      supervisorPgid,
      pidOfPidfd: () => undefined,
      audit: start.audit,
    }),
    report: (verdict) => post({ type: 'verdict', verdict, time: Date.now() }),
  });
  tracer = t;
  for (;;) {
    const w = waitAny();
    if (!w) break;
    t.handle(w.pid, w.status);
    // The command is done: what it left behind does not run on after it.
    if (t.exit && w.pid === pid) t.killAll();
  }
  post({ type: 'exit', ...(t.exit ?? { signal: 9 }), counts: t.counts });
}

try {
  main();
} catch (e) {
  // Fail closed: an internal error must not leave tracees running unsupervised.
  // Returning from this thread ends the tracer; PTRACE_O_EXITKILL kills every tracee.
  tracer?.killAll();
  post({ type: 'error', message: (e as Error).stack ?? String(e) });
}
