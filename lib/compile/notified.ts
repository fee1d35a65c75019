// The checked calls the notification backend (lib/trace/notify) performs itself, so that the
// kernel never reads the caller's memory a second time: the open family, whose fd it installs in
// the caller; the stat calls, whose result it writes into the caller's buffer; and connect, which
// it makes on the caller's socket. Their TRACE verdicts become SECCOMP_RET_USER_NOTIF (emit.ts).
// Everything else the supervisor checks stays with ptrace (and its hold).
export const NOTIFIED: ReadonlySet<string> = new Set(['open', 'creat', 'openat', 'openat2', 'newfstatat', 'statx', 'connect']);

/**
 * O_PATH opens stay with ptrace: SECCOMP_IOCTL_NOTIF_ADDFD cannot install an O_PATH file (the
 * kernel's fget() does not return one: EBADF). The filter tests the flags register (the argument
 * at this index) and traces the call when O_PATH is set. openat2's flags are in memory, out of
 * the filter's reach: the notification supervisor lets an O_PATH openat2 run as made, after its
 * own check (docs/engine.md, "What the notification backend does not perform").
 */
export const OPEN_FLAGS_ARG: Readonly<Record<string, number>> = { open: 1, openat: 2 };
export const O_PATH = 0o10000000;
