// Which backend a run of the kernel tier gets (docs/engine.md, "Two backends"): the notification
// backend where it is usable and the run enforces, ptrace otherwise. Pure: the facts come from the
// tracer thread's probe (probe.ts) for a run, and from the probes `syscage doctor` shows for doctor
// (seccomp.action.user_notif, process.seccomp, the kernel's release) — no process loads the native
// layer for it that does not already.
//
// Usable: the kernel knows SECCOMP_RET_USER_NOTIF, it is Linux 5.9 or newer
// (SECCOMP_IOCTL_NOTIF_ADDFD, which only a listener can be asked about; pidfd_getfd and openat2
// came in 5.6), and syscage is not under a seccomp filter already (one filter chain has one
// listener, and a second one is refused with EBUSY — a syscage inside another notifying sandbox).
import { release } from 'node:os';
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

/** What the decision rests on. */
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

export type Backend = 'notify' | 'ptrace';

/**
 * The backend for a run: SYSCAGE_BACKEND when set (tests run the kernel-tier suites under each),
 * else the notification backend where `probe` says it is usable and the run enforces; recording
 * and audit runs enforce nothing and stay with ptrace.
 */
export function chooseBackend(
  enforcing: boolean, env: Readonly<Record<string, string | undefined>>, probe: NotifyProbe | (() => NotifyProbe),
): { backend: Backend; why: string } {
  const forced = env.SYSCAGE_BACKEND;
  if (forced === 'notify' || forced === 'ptrace') return { backend: forced, why: 'SYSCAGE_BACKEND' };
  if (forced) throw new SyscageError(`SYSCAGE_BACKEND must be notify or ptrace, not "${forced}"`, 'E_BACKEND', EXIT.invalid);
  if (!enforcing) return { backend: 'ptrace', why: 'nothing is enforced (record, audit)' };
  const p = typeof probe === 'function' ? probe() : probe;
  return p.usable ? { backend: 'notify', why: 'the kernel allows it' } : { backend: 'ptrace', why: p.why! };
}
