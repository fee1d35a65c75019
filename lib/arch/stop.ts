// What a waitpid(2) status word means for a ptrace supervisor (PTRACE_SEIZE, __WALL), decoded once,
// here, into a discriminated union the tracer switches on. No koffi: the tests and the tracer's
// unit tests decode the same words the kernel writes.
//
//   exited / killed by a signal            the task is gone
//   0x7f | SIGTRAP<<8 | EVENT<<16          a ptrace event stop (fork, vfork, clone, exec, seccomp, ...)
//   0x7f | SIG<<8 | PTRACE_EVENT_STOP<<16
//       SIG = SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU: a group stop (PTRACE_LISTEN keeps it stopped)
//       any other SIG (SIGTRAP): a new child's first stop, PTRACE_INTERRUPT's stop, the re-stop after LISTEN
//   0x7f | (SIGTRAP|0x80)<<8               a syscall stop (PTRACE_SYSCALL under PTRACE_O_TRACESYSGOOD)
//   0x7f | SIG<<8                          signal-delivery stop: SIG is about to be delivered
import { SIGSTOP, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU } from './signal.js';

// ptrace events, bits 16..23 of a stop status (include/uapi/linux/ptrace.h).
export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_VFORK_DONE = 5;
export const PTRACE_EVENT_EXIT = 6;
export const PTRACE_EVENT_SECCOMP = 7;
export const PTRACE_EVENT_STOP = 128;

/** A new task: fork, vfork or clone (a thread, or a process with clone flags). */
export type ChildEvent = 'fork' | 'vfork' | 'clone';

export type Stop =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: number; readonly core: boolean }
  | { readonly kind: 'seccomp' }
  | { readonly kind: 'child'; readonly event: ChildEvent }
  | { readonly kind: 'exec' }
  /** PTRACE_EVENT_VFORK_DONE, PTRACE_EVENT_EXIT: options syscage does not set, resumed if ever seen. */
  | { readonly kind: 'other-event'; readonly event: number }
  | { readonly kind: 'group-stop'; readonly signal: number }
  /** PTRACE_EVENT_STOP not for a group stop: a new child's first stop, an interrupt, the re-stop after LISTEN. */
  | { readonly kind: 'interrupt' }
  | { readonly kind: 'syscall' }
  | { readonly kind: 'signal'; readonly signal: number }
  /** Not a status a traced task reports (WCONTINUED is never asked for). */
  | { readonly kind: 'unknown'; readonly status: number };

const CHILD: Readonly<Record<number, ChildEvent>> = { [PTRACE_EVENT_FORK]: 'fork', [PTRACE_EVENT_VFORK]: 'vfork', [PTRACE_EVENT_CLONE]: 'clone' };
const GROUP_STOP = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

export function decodeStatus(status: number): Stop {
  const low = status & 0x7f;
  if (low === 0) return { kind: 'exited', code: (status >> 8) & 0xff };
  if ((status & 0xff) !== 0x7f) {
    return low === 0x7f ? { kind: 'unknown', status } : { kind: 'killed', signal: low, core: (status & 0x80) !== 0 };
  }
  const sig = (status >> 8) & 0xff;
  const event = (status >> 16) & 0xff;
  switch (event) {
    case 0:
      return sig === (SIGTRAP | 0x80) ? { kind: 'syscall' } : { kind: 'signal', signal: sig };
    case PTRACE_EVENT_SECCOMP: return { kind: 'seccomp' };
    case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE: return { kind: 'child', event: CHILD[event]! };
    case PTRACE_EVENT_EXEC: return { kind: 'exec' };
    case PTRACE_EVENT_STOP: return GROUP_STOP.has(sig) ? { kind: 'group-stop', signal: sig } : { kind: 'interrupt' };
    default: return { kind: 'other-event', event };
  }
}

/** The task is gone (exited or killed), not stopped. */
export const isGone = (s: Stop): s is Extract<Stop, { kind: 'exited' | 'killed' }> => s.kind === 'exited' || s.kind === 'killed';

/** The signal a PTRACE_CONT from this stop passes on: a signal-delivery stop's own signal, none for any other stop. */
export const resumeSignal = (s: Stop): number => (s.kind === 'signal' ? s.signal : 0);

// The status words themselves, for the tests that script a tracer (and nothing else).
export const statusOf = {
  exited: (code: number): number => (code & 0xff) << 8,
  killed: (signal: number): number => signal & 0x7f,
  event: (event: number, sig = SIGTRAP): number => 0x7f | (sig << 8) | (event << 16),
  signal: (sig: number): number => 0x7f | (sig << 8),
  syscall: (): number => 0x7f | ((SIGTRAP | 0x80) << 8),
};
