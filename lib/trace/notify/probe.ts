// Can this process use the notification backend? The same probes `syscage doctor` shows: the
// kernel knows SECCOMP_RET_USER_NOTIF, pidfd_getfd (5.6) and openat2 (5.6), and is 5.9 or newer
// (SECCOMP_IOCTL_NOTIF_ADDFD, which only a listener can be asked about); and this process is not
// under a seccomp filter already (one filter chain has one listener: a second one is refused
// with EBUSY, as for a syscage inside another notifying sandbox).
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { SECCOMP_RET_USER_NOTIF } from '../../bpf/index.js';
import { rawSyscall, seccompActionAvailable, syscallNumber } from '../../native/index.js';
import { EXIT, SyscageError } from '../../errors.js';

const ENOSYS = 38;

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

const exists = (name: string): boolean => rawSyscall(syscallNumber(name), -1, 0, 0, 0).errno !== ENOSYS;

export function probeNotify(): NotifyProbe {
  try {
    if (!seccompActionAvailable(SECCOMP_RET_USER_NOTIF)) return { usable: false, why: 'the kernel does not know SECCOMP_RET_USER_NOTIF (Linux 5.0)' };
  } catch (e) {
    return { usable: false, why: `seccomp cannot be asked: ${(e as Error).message}` };
  }
  const [major, minor] = kernelVersion();
  if (major < 5 || (major === 5 && minor < 9)) return { usable: false, why: `Linux ${major}.${minor} has no SECCOMP_IOCTL_NOTIF_ADDFD (5.9)` };
  if (!exists('pidfd_getfd')) return { usable: false, why: 'pidfd_getfd is missing (Linux 5.6)' };
  if (!exists('openat2')) return { usable: false, why: 'openat2 is missing (Linux 5.6)' };
  if (/^Seccomp:\s*2/m.test(readFileSync('/proc/self/status', 'latin1'))) {
    return { usable: false, why: 'syscage itself runs under a seccomp filter (a second listener may be refused)' };
  }
  return { usable: true };
}

export type Backend = 'notify' | 'ptrace';

/**
 * The backend for a run: SYSCAGE_BACKEND when set (tests run every suite under each), else the
 * notification backend where it is usable and the run enforces; recording and audit runs enforce
 * nothing and stay with ptrace.
 */
export function chooseBackend(enforcing: boolean, env: NodeJS.ProcessEnv = process.env): { backend: Backend; why: string } {
  const forced = env.SYSCAGE_BACKEND;
  if (forced === 'notify' || forced === 'ptrace') return { backend: forced, why: 'SYSCAGE_BACKEND' };
  if (forced) throw new SyscageError(`SYSCAGE_BACKEND must be notify or ptrace, not "${forced}"`, 'E_BACKEND', EXIT.invalid);
  if (!enforcing) return { backend: 'ptrace', why: 'nothing is enforced (record, audit)' };
  const p = probeNotify();
  return p.usable ? { backend: 'notify', why: 'the kernel allows it' } : { backend: 'ptrace', why: p.why! };
}
