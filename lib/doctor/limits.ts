// Known limits of the current design, as `syscage doctor` states them. One
// entry per limit; `status: 'open'` means the work to close it is planned and
// whoever closes it updates (or removes) the entry here, in the same change.
//
// Sources: DESIGN.md ("Decisions on trapped syscalls"), lib/trace/decide/index.ts (TOCTOU),
// lib/trace/decide/files.ts (fds), docs/profile.md ("Built-in protections").

export interface Limit {
  /** Stable id (a key for scripts reading --json). */
  readonly id: string;
  /** 'open': to be closed by planned work; 'by design': how syscage works, to know when writing profiles. */
  readonly status: 'open' | 'by design';
  readonly text: string;
}

export const LIMITS: readonly Limit[] = Object.freeze([
  {
    id: 'toctou',
    status: 'by design',
    text: 'A path or address is never read twice (TOCTOU closed). The notification backend performs a checked open, stat or connect itself from what it read and checked; every other checked call (exec, and the rest of the files and network calls) and every call under the ptrace backend is checked with the rest of the sandbox stopped and runs alone until the kernel has used it: it costs one stop per other thread or process. A call that sleeps interruptibly during its path walk (a FUSE or autofs mount) ends that hold early.',
  },
  {
    id: 'outside-writers',
    status: 'by design',
    text: 'The hold stops only the sandbox: a process outside it that can write a directory the sandbox uses can still swap a symlink between the check and the use. Do not give a sandbox rules over directories other users\' processes write.',
  },
  {
    id: 'root-no-files',
    status: 'by design',
    text: 'A program running as root under a profile with no files section can open the supervisor\'s /proc/PID/mem (opens are not trapped without a files section, and root overrides the supervisor\'s non-dumpable flag). Give such profiles a files section, or run the command as another user.',
  },
  {
    id: 'open-fds',
    status: 'by design',
    text: 'Files rules are checked when a call names a path: reads and writes through a descriptor the program already holds (inherited, or received over a UNIX socket) are not checked.',
  },
  {
    id: 'io-uring',
    status: 'by design',
    text: 'io_uring is refused unless a profile names it; a profile that allows it lets the program do file and network I/O that no rule checks.',
  },
  {
    id: 'own-seccomp',
    status: 'by design',
    text: 'A sandboxed program cannot install seccomp filters of its own (seccomp and prctl(PR_SET_SECCOMP) are refused unless the profile allows seccomp by name): programs that sandbox themselves with seccomp, such as Chromium, must have that turned off.',
  },
  {
    id: 'one-tracer',
    status: 'by design',
    text: 'A process has one tracer: strace or gdb cannot attach to a program that syscage supervises.',
  },
]);
