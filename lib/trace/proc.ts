// Small /proc readers for the supervisor: who a task belongs to, who its
// parent is, what it runs. A task can vanish at any moment: every reader
// returns undefined rather than throwing.
import { readFileSync, readlinkSync } from 'node:fs';

function statusField(pid: number, field: string): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${field}:\\s*(-?\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const tgidOf = (tid: number): number | undefined => statusField(tid, 'Tgid');
export const ppidOf = (pid: number): number | undefined => statusField(pid, 'PPid');


export function readlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

export const exeOf = (pid: number): string | undefined => readlink(`/proc/${pid}/exe`);

/**
 * The fields of /proc/ID/stat after the parenthesised command name (which may
 * hold spaces and parentheses itself): [0] is field 3, the state. Undefined when gone.
 */
function statFields(id: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${id}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A task's state letter (/proc/TID/stat field 3: R running, S sleeping, D uninterruptible, t traced...). */
export const stateOf = (tid: number): string | undefined => statFields(tid)?.[0] || undefined;

/** The number of the syscall a task is blocked in (/proc/TID/syscall), undefined when it is running or gone. */
export function blockedIn(tid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${tid}/syscall`, 'latin1').split(' ', 1)[0]!;
    return /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Process group of a process (/proc/PID/stat field 5, after the parenthesised command name). */
export function pgidOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[2]) : undefined;
}

/**
 * The process a pidfd refers to: the "Pid:" line of /proc/PID/fdinfo/FD
 * (pidfd_open(2)). A /proc/<pid> directory fd is a pidfd too.
 */
export function pidOfPidfd(holder: number, fd: number): number | { fault: string; errno?: number } {
  try {
    const info = readFileSync(`/proc/${holder}/fdinfo/${fd}`, 'latin1');
    const m = /^Pid:\s*(-?\d+)/m.exec(info);
    if (m) return Number(m[1]);
  } catch {
    return { fault: `fd ${fd} is not open`, errno: 9 };
  }
  const target = readlink(`/proc/${holder}/fd/${fd}`);
  const dir = target && /^\/proc\/(\d+)$/.exec(target);
  return dir ? Number(dir[1]) : { fault: `fd ${fd} is not a pidfd`, errno: 9 };
}
