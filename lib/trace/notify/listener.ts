// Taking the listener from stage-2. Stage-2 installs the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER
// and execs; at the seccomp stop of that exec (before it runs) the tracer copies the listener
// into this process with pidfd_getfd. The listener is close-on-exec: the command never holds it
// (a process that held it could answer its own notifications).
import { readdirSync } from 'node:fs';
import { fdops, notify } from '../../native/index.js';
import { readlink } from '../proc.js';

/** What /proc/PID/fd/N says of a listener (kernel/seccomp.c: anon_inode_getfile("seccomp notify", ...)). */
const LISTENER_LINK = 'anon_inode:seccomp notify';

/** A copy of stage-2's listener in this process. Throws when stage-2 has none or it cannot be taken. */
export function takeListener(pid: number): number {
  const fds = readdirSync(`/proc/${pid}/fd`).filter((n) => readlink(`/proc/${pid}/fd/${n}`) === LISTENER_LINK);
  if (fds.length !== 1) throw new Error(`stage-2 (pid ${pid}) holds ${fds.length} seccomp listeners, not one`);
  const pidfd = notify.pidfdOpen(pid);
  if (pidfd < 0) throw new Error(`pidfd_open(${pid}) failed: errno ${-pidfd}`);
  try {
    const fd = notify.pidfdGetfd(pidfd, Number(fds[0]));
    if (fd < 0) throw new Error(`pidfd_getfd(${pid}, ${fds[0]}) failed: errno ${-fd}`);
    return fd;
  } finally {
    fdops.closeQuietly(pidfd);
  }
}
