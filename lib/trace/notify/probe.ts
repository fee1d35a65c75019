// Can this process use the notification backend? Decided on what `syscage doctor` shows: the
// kernel knows SECCOMP_RET_USER_NOTIF (probe seccomp.action.user_notif), it is Linux 5.9 or newer
// (SECCOMP_IOCTL_NOTIF_ADDFD, which only a listener can be asked about; pidfd_getfd and openat2
// came in 5.6), and this process is not under a seccomp filter already (probe process.seccomp:
// one filter chain has one listener, and a second one is refused with EBUSY — a syscage inside
// another notifying sandbox).
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { SECCOMP_RET_USER_NOTIF } from '../../bpf/index.js';
import { seccompActionAvailable } from '../../native/index.js';
import { EXIT, SyscageError } from '../../errors.js';

export interface NotifyProbe {
  readonly usable: boolean;
  /** Why not, when not (one line). */
  readonly why?: string;
}

/** Linux release "5.10.0-..." → [5, 10]. */
export function kernelVersion(text = release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** What the decision rests on (doctor has each from its probes; probeNotify() asks here). */
export interface NotifyFacts {
  /** SECCOMP_GET_ACTION_AVAIL of SECCOMP_RET_USER_NOTIF; a string: why it could not be asked. */
  readonly userNotif: boolean | string;
  readonly kernel: readonly [number, number];
  /** This process already runs under a seccomp filter (/proc/self/status "Seccomp: 2"). */
  readonly filtered: boolean;
}

export function notifyUsable(f: NotifyFacts): NotifyProbe {
  if (typeof f.userNotif === 'string') return { usable: false, why: `seccomp cannot be asked: ${f.userNotif}` };
  if (!f.userNotif) return { usable: false, why: 'the kernel does not know SECCOMP_RET_USER_NOTIF (Linux 5.0)' };
  const [major, minor] = f.kernel;
  if (major < 5 || (major === 5 && minor < 9)) return { usable: false, why: `Linux ${major}.${minor} has no SECCOMP_IOCTL_NOTIF_ADDFD (5.9)` };
  if (f.filtered) return { usable: false, why: 'syscage itself runs under a seccomp filter (a second listener may be refused)' };
  return { usable: true };
}

export const isFiltered = (status: string): boolean => /^Seccomp:\s*2/m.test(status);

export function probeNotify(): NotifyProbe {
  let userNotif: boolean | string;
  try {
    userNotif = seccompActionAvailable(SECCOMP_RET_USER_NOTIF);
  } catch (e) {
    userNotif = (e as Error).message;
  }
  return notifyUsable({ userNotif, kernel: kernelVersion(), filtered: isFiltered(readFileSync('/proc/self/status', 'latin1')) });
}

export type Backend = 'notify' | 'ptrace';

/**
 * The backend for a run: SYSCAGE_BACKEND when set (tests run every suite under each), else the
 * notification backend where it is usable and the run enforces; recording and audit runs enforce
 * nothing and stay with ptrace.
 */
export function chooseBackend(
  enforcing: boolean, env: Readonly<Record<string, string | undefined>> = process.env, probe: () => NotifyProbe = probeNotify,
): { backend: Backend; why: string } {
  const forced = env.SYSCAGE_BACKEND;
  if (forced === 'notify' || forced === 'ptrace') return { backend: forced, why: 'SYSCAGE_BACKEND' };
  if (forced) throw new SyscageError(`SYSCAGE_BACKEND must be notify or ptrace, not "${forced}"`, 'E_BACKEND', EXIT.invalid);
  if (!enforcing) return { backend: 'ptrace', why: 'nothing is enforced (record, audit)' };
  const p = probe();
  return p.usable ? { backend: 'notify', why: 'the kernel allows it' } : { backend: 'ptrace', why: p.why! };
}
