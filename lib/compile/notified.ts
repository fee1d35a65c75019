// The checked calls the notification backend (lib/trace/notify) performs itself, so that the
// kernel never reads the caller's memory a second time: open, creat and openat, whose fd it
// installs in the caller; the stat calls, whose result it writes into the caller's buffer; and
// connect and sendto, which it makes on the caller's socket (a sendto with no destination — a
// NULL address or a zero length — it answers "run as made" once decided: the kernel then reads
// only the payload, nothing the decision judged). Their TRACE verdicts become
// SECCOMP_RET_USER_NOTIF (emit.ts); the ptrace backend's filter is built without this set and
// traces them as before. Everything else the supervisor checks stays with ptrace (and its hold) —
// sendmsg and sendmmsg too: their destinations and control data (SCM_RIGHTS fds) are in memory
// structures the kernel reads itself; bind: the kernel names a UNIX socket by the very bytes bind
// was given (getsockname, and every peer, see them), so a bind made through a pinned directory
// (/proc/self/fd/P/NAME) would change the name, and the filter cannot tell a UNIX path from an IP
// address (it is in memory); and openat2: its flags are in memory, so an O_PATH openat2 (which
// cannot be performed: below) could not be told apart, and answering it with "run as made" would
// let the kernel read the path and flags again after the check.
export const NOTIFIED: ReadonlySet<string> = new Set(['open', 'creat', 'openat', 'newfstatat', 'statx', 'connect', 'sendto']);

/**
 * O_PATH opens stay with ptrace: SECCOMP_IOCTL_NOTIF_ADDFD cannot install an O_PATH file (the
 * kernel's fget() does not return one: EBADF). The filter tests the flags register (the argument
 * at this index) and traces the call when O_PATH is set. (openat2's flags are in memory, out of
 * the filter's reach: it is not notified at all.)
 */
export const OPEN_FLAGS_ARG: Readonly<Record<string, number>> = { open: 1, openat: 2 };
export const O_PATH = 0o10000000;
