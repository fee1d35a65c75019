// The notification supervisor's thread (lib/trace/prepare.ts starts it beside the tracer thread
// when the run uses the notification backend). It loads, then waits for the run and for the
// listener — the tracer takes it from stage-2 at its exec, and the main thread hands it on — then
// serves until the sandbox is gone or the main thread writes to its stop pipe. Its own fs_struct
// (unshare CLONE_FS): a create made for a caller runs under the caller's umask without touching
// this process's, and it can enter a caller's mount namespace alone.
import { parentPort } from 'node:worker_threads';
import { blockSignals, fdops, pipe } from '../../native/index.js';
import { serialiseError } from '../../errors.js';
import type { TracerStart } from '../messages.js';
import { NotifySupervisor, type NotifyCounts } from './supervisor.js';
import type { Verdict } from '../tracer.js';

/** What the main thread sends: the run (once), then the listener (once). */
export type ToNotifier =
  | { readonly type: 'run'; readonly start: TracerStart; /** Stage-2's pid. */ readonly root: number }
  | { readonly type: 'listener'; readonly listener: number };

export type FromNotifier =
  /** Ready for the listener; writing a byte to `stop` ends the thread. */
  | { readonly type: 'ready'; readonly stop: number }
  | { readonly type: 'verdict'; readonly verdict: Verdict; readonly time: number; readonly requestId?: string }
  | { readonly type: 'served'; readonly counts: NotifyCounts; readonly kills: readonly (readonly [number, Verdict])[] }
  | { readonly type: 'error'; readonly error: ReturnType<typeof serialiseError> };

const port = parentPort!;
let listener = -1;
// One listener for the whole life of the port, queueing: a message is never missed between two waits.
const inbox: ToNotifier[] = [];
let waiting: (() => void) | undefined;
port.on('message', (m: ToNotifier) => {
  inbox.push(m);
  waiting?.();
});
async function receive<K extends ToNotifier['type']>(type: K): Promise<Extract<ToNotifier, { type: K }>> {
  for (;;) {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) return inbox.splice(i, 1)[0] as Extract<ToNotifier, { type: K }>;
    await new Promise<void>((resolve) => { waiting = resolve; });
    waiting = undefined;
  }
}
const [stopRead, stopWrite] = pipe();

async function main(): Promise<void> {
  // A signal that interrupts SECCOMP_IOCTL_NOTIF_ADDFD with ADDFD_FLAG_SEND after the kernel took
  // the answer, but before the caller took the fd, answers the call with 0: the caller gets fd 0.
  // (Seen with Node's profiler's SIGPROF; SIGCHLD from every ptrace stop goes to any thread.)
  blockSignals();
  const own = fdops.ownThreadFs();
  if (own < 0) throw new Error(`unshare(CLONE_FS) failed on the notification thread: errno ${-own}`);
  port.postMessage({ type: 'ready', stop: stopWrite } satisfies FromNotifier);
  const run = await receive('run');
  listener = (await receive('listener')).listener;
  const served = await new NotifySupervisor({ listener, stop: stopRead, start: run.start, root: run.root }).serve();
  port.postMessage({ type: 'served', counts: served.counts, kills: [...served.kills] } satisfies FromNotifier);
}

main().catch((e: unknown) => {
  // Fail closed: the main thread ends the run (the tracer thread's end kills every tracee). Until
  // then, with the listener closed, a notified call fails (ENOSYS) rather than wait or run.
  port.postMessage({ type: 'error', error: serialiseError(e) } satisfies FromNotifier);
}).finally(() => {
  if (listener >= 0) fdops.closeQuietly(listener);
  fdops.closeQuietly(stopRead);
  port.close();
});
