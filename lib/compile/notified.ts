// The checked calls the notification backend (lib/trace/notify) performs itself, so that the
// kernel never reads the caller's memory a second time: open, creat and openat, whose fd it
// installs in the caller; the stat calls, whose result it writes into the caller's buffer; and
// connect, which it makes on the caller's socket. Their TRACE verdicts become
// SECCOMP_RET_USER_NOTIF (emit.ts). Everything else the supervisor checks stays with ptrace (and
// its hold) — openat2 too: its flags are in memory, so an O_PATH openat2 (which cannot be
// performed: below) could not be told apart, and answering it with "run as made" would let the
// kernel read the path and flags again after the check.
export const NOTIFIED: ReadonlySet<string> = new Set(['open', 'creat', 'openat', 'newfstatat', 'statx', 'connect']);

/**
 * O_PATH opens stay with ptrace: SECCOMP_IOCTL_NOTIF_ADDFD cannot install an O_PATH file (the
 * kernel's fget() does not return one: EBADF). The filter tests the flags register (the argument
 * at this index) and traces the call when O_PATH is set. (openat2's flags are in memory, out of
 * the filter's reach: it is not notified at all.)
 */
export const OPEN_FLAGS_ARG: Readonly<Record<string, number>> = { open: 1, openat: 2 };
export const O_PATH = 0o10000000;
