// The tracer thread. ptrace is per thread: the thread that seizes a tracee is
// the only one that may make ptrace requests for it and must be the one that
// waits, so all of it happens here, in a blocking waitpid loop, while the
// main thread stays free (the Lambda bootstrap serves HTTP there).
//
// Launch: spawn stage-2 (Node, with a minimal environment) reading fd 3 → seize
// it → (once the main thread has loaded the profile) arm it and send it the
// command and the filter → it installs the filter and execs. Stage-2 is spawned
// as soon as this thread boots, so its Node start-up overlaps the main thread's
// work. PTRACE_O_EXITKILL: if this thread dies, every tracee dies with it.
//
// Seized with PTRACE_O_EXITKILL alone, stage-2 starts untroubled: with the
// supervisor's options every thread its Node start creates would stop twice
// (the clone event, the new thread's first stop), and wait for this thread,
// itself busy loading the tracing code. It is armed — interrupted, given every
// option, resumed — just before the request is written, so everything from the
// filter's installation on is seen. The threads it started before are not
// traced: they are syscage's own, run nothing of the command's, and end at its
// exec.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SIGKILL } from '../arch/signal.js';
import { decodeStatus, isGone, resumeSignal } from '../arch/stop.js';
import { closeFd, isNativeError, pipe, ptrace, setNotDumpable, spawn, waitFor } from '../native/index.js';
import { REQUEST_FD } from '../launch/request.js';
import { EXIT, serialiseError, SyscageError } from '../errors.js';
import { FAULT_VARIABLE, faultPoint } from '../fault.js';
import type { FromTracer, TracerBoot, TracerStart } from './messages.js';
import type { Tracer } from './tracer.js';
import { probeNotify } from './notify/probe.js';

faultPoint('tracer.module');
const boot = workerData as TracerBoot;
const post = (m: FromTracer): void => parentPort!.postMessage(m);
const EPERM = 1;

/** Spawn stage-2 waiting on fd 3 and seize it; returns the write end of its pipe. */
function spawnStage2(): { pid: number; writeEnd: number; supervised: boolean; note?: string } {
  const [readEnd, writeEnd] = pipe();
  let pid: number;
  try {
    pid = spawn({
      path: boot.node,
      argv: [boot.node, boot.stage2],
      // Stage-2 is Node: nothing from the command's environment (NODE_OPTIONS!) may reach it,
      // except where the dynamic linker finds Node's own libraries (a Node from a Lambda layer)
      // (and, in the tests only, the fault to inject: lib/fault.ts), and the code cache's place.
      env: [
        ...['LD_LIBRARY_PATH', FAULT_VARIABLE].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`),
        // The code cache bin/syscage keeps: stage-2 is syscage's own code, compiled once.
        ...(boot.compileCache ? [`NODE_COMPILE_CACHE=${boot.compileCache}`] : []),
      ],
      fds: [[0, 0], [1, 1], [2, 2], [readEnd, REQUEST_FD]],
    });
  } finally {
    closeFd(readEnd);
  }
  try {
    ptrace.seize(pid, ptrace.PTRACE_O_EXITKILL);
    return { pid, writeEnd, supervised: true };
  } catch (e) {
    if (!isNativeError(e, EPERM)) throw e;
    return { pid, writeEnd, supervised: false, note: 'ptrace is not permitted here: running in BPF-only mode (checked rules fall back to deny)' };
  }
}

/**
 * Wait for the main thread to post the run (or undefined: cancelled), asleep on the wake cell the
 * main thread sets after posting (prepare.ts) — this thread, busy in no event loop, would not
 * otherwise hear the message. Meanwhile stage-2 boots. A signal it gets stops it (a
 * signal-delivery-stop) until arm(), which delivers it: boot waits for the run only then, and
 * stage-2 dying of the signal is seen there ("ended before the launch").
 */
function waitForStart(): TracerStart | undefined {
  const port = parentPort!;
  const wake = new Int32Array(boot.wake);
  faultPoint('tracer.wait');
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as TracerStart | undefined;
    Atomics.wait(wake, 0, 0);
  }
}

/**
 * Give the waiting stage-2 the supervisor's options (they can only be set in a ptrace-stop):
 * interrupt it (its read of fd 3 restarts after), set them, resume it.
 */
function arm(pid: number): void {
  ptrace.interrupt(pid);
  for (;;) {
    const w = waitFor(pid);
    const stop = w && decodeStatus(w.status);
    if (!stop || isGone(stop)) throw new Error(`stage-2 ended before the launch (status 0x${(w?.status ?? 0).toString(16)})`);
    if (stop.kind === 'interrupt' || stop.kind === 'group-stop') break;
    // A signal that came first: delivered, and the interrupt's stop follows.
    ptrace.cont(pid, resumeSignal(stop));
  }
  ptrace.setOptions(pid, ptrace.SEIZE_OPTIONS);
  ptrace.cont(pid);
}

let tracer: Tracer | undefined;
/** Stage-2 (then the command), while no Tracer owns it. */
let stage2Pid: number | undefined;

async function main(): Promise<void> {
  // The sandboxed program may run as this process's user: keep it out of our memory and /proc.
  setNotDumpable();
  faultPoint('tracer.boot');
  const stage2 = spawnStage2();
  stage2Pid = stage2.pid;
  // Whether the notification backend can run here (this thread has the native layer loaded; the main thread need not).
  const notify = stage2.supervised ? probeNotify() : undefined;
  post({ type: 'ready', pid: stage2.pid, mode: stage2.supervised ? 'supervised' : 'bpf-only', note: stage2.note, ...(notify ? { notify } : {}) });
  // The tracing code loads while stage-2 boots.
  const { trace } = await import('./loop.js');
  const start = waitForStart();
  if (!start) {
    // Cancelled: stage-2 must not be left waiting (if it was not seized, EXITKILL does not cover it),
    // nor unreaped (a signal-delivery-stop of its boot may be reported first).
    ptrace.sendSignal(stage2.pid, SIGKILL);
    for (let w = waitFor(stage2.pid); w && !isGone(decodeStatus(w.status)); w = waitFor(stage2.pid));
    return;
  }
  if (stage2.supervised) {
    try {
      arm(stage2.pid);
    } catch (e) {
      if (!isNativeError(e)) throw e; // stage-2 ended: said as it is
      // Seized, but not to be armed (a platform that allows PTRACE_SEIZE and refuses PTRACE_INTERRUPT or
      // PTRACE_SETOPTIONS): the command is not started, and not in a weaker tier either.
      throw new SyscageError(`ptrace: stage-2 was seized but cannot be given the supervisor's options (${(e as Error).message}): the command is not started`, 'E_ARM', EXIT.unavailable);
    }
  }

  trace(start, stage2, (t) => { tracer = t; });
}

main().catch((e: unknown) => {
  // Fail closed: an internal error must not leave tracees running unsupervised.
  // Returning from this thread ends the tracer; PTRACE_O_EXITKILL kills every tracee.
  tracer?.killAll();
  // Before the Tracer exists (and in BPF-only mode, where nothing is traced and PTRACE_O_EXITKILL
  // does not apply), stage-2 or the command it became is killed here.
  if (!tracer && stage2Pid !== undefined) {
    try {
      ptrace.sendSignal(stage2Pid, SIGKILL);
    } catch { /* already gone */ }
  }
  post({ type: 'error', error: serialiseError(e) });
});
