// What a recording saw: the raw material of a recorded profile. Built by the
// tracer thread from every trapped call (all of them are trapped while
// recording), posted to the main thread, turned into YAML by lib/record/profile-text.ts.
// Plain objects of counts, so it crosses threads and merges trivially.

export interface Observation {
  /** The arch it was recorded on ('x86_64' | 'aarch64'). */
  arch: string;
  /** Syscall name → number of calls. */
  syscalls: Record<string, number>;
  /**
   * Absolute, normalised path → how often it was read and written. Paths
   * under /proc/<pid of a traced process>/ are already written /proc/self/.
   */
  files: Record<string, FileUse>;
  /** Programs started (execve/execveat targets, the launch excluded) → count. */
  exec: Record<string, number>;
  /** Destinations connected or sent to: "127.0.0.1:8080", "[::1]:443", "unix:/run/x.sock", "unix:@name" → count. */
  connect: Record<string, number>;
  /** Addresses bound: same forms → count. */
  bind: Record<string, number>;
  /** Processes created (fork, vfork, clone without CLONE_THREAD). */
  forks: number;
  /** Threads created. */
  threads: number;
}

/** How a path was used. `looks` and `missing` count among the reads and writes, when not 0. */
export interface FileUse {
  read: number;
  write: number;
  /** Calls that only looked at it (stat, access, readlink, statfs, chdir). */
  looks?: number;
  /** Calls that found it missing (ENOENT from the kernel). */
  missing?: number;
}

export function emptyObservation(arch: string): Observation {
  return { arch, syscalls: {}, files: {}, exec: {}, connect: {}, bind: {}, forks: 0, threads: 0 };
}

const bump = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};

export function noteFile(o: Observation, path: string, access: 'read' | 'write', how: { looks?: boolean; missing?: boolean } = {}): void {
  const e = (o.files[path] ??= { read: 0, write: 0 });
  e[access]++;
  if (how.looks) e.looks = (e.looks ?? 0) + 1;
  if (how.missing) e.missing = (e.missing ?? 0) + 1;
}

export const noteSyscall = (o: Observation, name: string): void => bump(o.syscalls, name);
export const noteExec = (o: Observation, path: string): void => bump(o.exec, path);
export const noteConnect = (o: Observation, dest: string): void => bump(o.connect, dest);
export const noteBind = (o: Observation, addr: string): void => bump(o.bind, addr);
