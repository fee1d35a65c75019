// How the syscage process ends: always, in bounded time, with one line when it fails.
//
// Every command cleans up after itself (its tracer, its proxy, its emulator), but a security tool
// cannot rest on every path having been foreseen: an exception nobody caught, on any thread, or
// something left running after the command returned, must not leave syscage hanging — in CI or
// in a Lambda init that is a hang until a timeout. So the process ends: an uncaught exception is
// one line and exit 70 at once; after the command's status, whatever still holds the event loop
// gets GRACE_MS. Ending the process ends the tracer thread, and PTRACE_O_EXITKILL kills every
// tracee with it; an unseized stage-2 reads the end of its pipe and exits.
//
// The end is exit_group(2), not process.exit(): that one first joins every worker thread, and
// the tracer thread may be blocked in waitpid for as long as its tracees do nothing (a handler
// waiting for its next event): process.exit() would hang there.
import { faultPoint } from '../fault.js';
import { lastWords } from '../last-words.js';
import { EXIT, type Io } from './io.js';

/** How long the process may outlive its command's status. */
export const GRACE_MS = 2000;

/** The one line for a failure syscage did not foresee (the stack only with SYSCAGE_DEBUG). */
export function internalErrorLine(e: unknown): string {
  const err = e as Error | undefined;
  const message = String(err?.message ?? e).split('\n', 1)[0];
  const debug = process.env.SYSCAGE_DEBUG ? `\n${err?.stack ?? ''}` : '';
  return `syscage: internal error: ${message} (a bug in syscage: rerun with SYSCAGE_DEBUG=1 for details, and please report it)${debug}\n`;
}

/** An exception or rejection that nothing caught, on the main thread: one line, exit 70, now. */
export function exitOnUncaught(io: Io): void {
  let dying = false;
  const die = (e: unknown) => {
    if (dying) return;
    dying = true;
    io.err(internalErrorLine(e));
    exitNow(EXIT.internal);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

/**
 * A reader of stdout or stderr that has gone (`syscage run … 2>&1 | head`) is no failure of
 * syscage's: what it would have read is dropped, and the command runs on (its own writes to the
 * same pipe are its business). Without this the stream's EPIPE is an uncaught 'error': exit 70,
 * and the command killed with its tracer.
 */
export function toleratePipeEnd(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
}

/** The command returned its status: exit with it, once the event loop is empty or GRACE_MS have passed. */
export function exitWith(status: number, io: Io): void {
  process.exitCode = status;
  faultPoint('cli.exit');
  setTimeout(() => {
    if (process.env.SYSCAGE_DEBUG) io.err(`syscage: still running ${GRACE_MS} ms after the command's status; exiting\n`);
    exitNow(status);
  }, GRACE_MS).unref();
}

/** Ends the process now, with every thread: exit_group where the native layer loads, process.exit() where it cannot (no tracer thread can exist there). */
export function exitNow(status: number): void {
  // What would outlive this process otherwise (the runtime tier's commands: no PTRACE_O_EXITKILL).
  lastWords();
  import('../native/index.js')
    .then((native) => native.exitProcess(status), () => process.exit(status))
    // exit_group itself failed (it cannot, short of a seccomp policy refusing it): end hard.
    .catch(() => process.kill(process.pid, 'SIGKILL'));
}
