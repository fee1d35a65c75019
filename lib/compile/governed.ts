// Which syscalls each profile section governs, derived from the argument
// kinds of lib/arch/syscalls.csv wherever possible so that a syscall gained in
// a table regeneration is covered without anyone remembering to list it.
import type { Arch, Syscall } from '../arch/index.js';
import { syscallTable } from '../arch/index.js';

/**
 * What the supervisor checks at a trap. 'clone3' is not a profile section: clone3 keeps its flags
 * in memory, so the supervisor reads them (to report an untraced child, or a process under
 * process.fork: false) and answers ENOSYS, on which libc uses clone, whose flags the filter sees.
 */
export type Check = 'files' | 'exec' | 'network' | 'signal' | 'clone3';

/** Syscalls that name a file by path: the files section checks each of them. */
export function namesPath(s: Syscall): boolean {
  return s.args.includes('path') || (s.args.includes('dirfd') && !s.args.includes('exec'));
}

/** Syscalls that start a program. */
export const startsProgram = (s: Syscall): boolean => s.args.includes('exec');

/** Syscalls that send to, connect to or bind an address. */
export const namesAddress = (s: Syscall): boolean =>
  s.args.includes('sockaddr') || s.args.includes('msghdr') || s.args.includes('mmsghdr');

/** Syscalls that send a signal to another process or thread. */
export const SIGNAL_SENDERS: ReadonlySet<string> = new Set([
  'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_send_signal',
]);

/** Syscalls that create a process or thread. */
export const PROCESS_CREATORS: ReadonlySet<string> = new Set(['fork', 'vfork', 'clone', 'clone3']);

/**
 * Syscalls refused by the filter unless a profile names them explicitly:
 * - a tracee's own seccomp filter could outrank our RET_TRACE (the kernel runs
 *   every filter and keeps the most severe action; USER_NOTIF beats TRACE);
 * - io_uring performs reads, writes, opens and connects without a syscall per
 *   operation, so no filter or tracer would see them;
 * - legacy AIO (io_setup, io_submit) lets the kernel write a program's memory
 *   after the call that asked for it returned, while the supervisor holds the
 *   sandbox still to check another call (lib/trace/hold.ts);
 * - userfaultfd lets a program stall any read of its memory, the supervisor's
 *   included: one page could freeze every decision;
 * - ptrace, process_vm_readv/writev and pidfd_getfd reach into another
 *   process — a root program could reach the supervisor itself;
 * - open_by_handle_at opens a file by handle, with no name a files rule could judge;
 * - mounts and namespaces change what a path names for the program and not for
 *   the supervisor, which resolves paths in its own mount namespace (a procfs
 *   mounted elsewhere, a private tmpfs with a symlink): path rules would judge
 *   another file than the kernel opens.
 */
export const PROTECTED: ReadonlySet<string> = new Set([
  'seccomp', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'io_setup', 'io_submit', 'userfaultfd',
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd', 'open_by_handle_at',
  'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
]);

/**
 * Syscalls with the same effect. Allowing one member and not another makes a
 * profile break when libc or the runtime switches between them.
 */
export const FAMILIES: readonly (readonly string[])[] = [
  ['open', 'openat', 'openat2', 'creat'],
  ['stat', 'lstat', 'fstat', 'newfstatat', 'statx'],
  ['access', 'faccessat', 'faccessat2'],
  ['execve', 'execveat'],
  ['fork', 'vfork', 'clone', 'clone3'],
  ['rename', 'renameat', 'renameat2'],
  ['unlink', 'unlinkat', 'rmdir'],
  ['mkdir', 'mkdirat'],
  ['link', 'linkat'],
  ['symlink', 'symlinkat'],
  ['readlink', 'readlinkat'],
  ['chmod', 'fchmodat', 'fchmodat2'],
  ['chown', 'lchown', 'fchownat'],
  ['dup2', 'dup3'],
  ['poll', 'ppoll'],
  ['select', 'pselect6'],
  ['epoll_wait', 'epoll_pwait', 'epoll_pwait2'],
  ['pipe', 'pipe2'],
  ['sendto', 'sendmsg', 'sendmmsg'],
  ['recvfrom', 'recvmsg', 'recvmmsg'],
];

/** The checks the supervisor must make for a syscall, given which sections are present. */
export function checksFor(
  s: Syscall,
  present: { files: boolean; exec: boolean; network: boolean; signal: boolean },
): Check[] {
  const out: Check[] = [];
  if (present.files && namesPath(s)) out.push('files');
  if (present.exec && startsProgram(s)) out.push('exec');
  if (present.network && namesAddress(s)) out.push('network');
  if (present.signal && SIGNAL_SENDERS.has(s.name)) out.push('signal');
  return out;
}

/** Every syscall of an arch, sorted by number. */
export function syscallsOf(arch: Arch): { s: Syscall; nr: number }[] {
  return syscallTable().all
    .filter((s) => s.nr[arch] !== undefined)
    .map((s) => ({ s, nr: s.nr[arch]! }))
    .sort((a, b) => a.nr - b.nr);
}
