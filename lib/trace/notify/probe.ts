// The notification backend's facts, asked of the kernel from this process (the tracer thread,
// which has the native layer loaded anyway): backend.ts decides with them.
import { readFileSync } from 'node:fs';
import { SECCOMP_RET_USER_NOTIF } from '../../bpf/index.js';
import { seccompActionAvailable } from '../../native/index.js';
import { isFiltered, kernelVersion, notifyUsable, type NotifyProbe } from './backend.js';

export function probeNotify(): NotifyProbe {
  let userNotif: boolean | string;
  try {
    userNotif = seccompActionAvailable(SECCOMP_RET_USER_NOTIF);
  } catch (e) {
    userNotif = (e as Error).message;
  }
  return notifyUsable({ userNotif, kernel: kernelVersion(), filtered: isFiltered(readFileSync('/proc/self/status', 'latin1')) });
}
