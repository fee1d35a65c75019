// TraceeView over the real kernel: process_vm_readv for memory, /proc for the
// working directory and fds. Paths are bytes to the kernel; they are decoded
// as UTF-8 here, and the decision code refuses a path that does not decode
// (a lossy name could reach another file than the one checked).
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { readCString, readMemory } from '../native/index.js';
import { errnoName } from '../arch/errno.js';
import { readlink } from './proc.js';
import type { Fault, TraceeView } from './types.js';

const fault = (what: string, errno?: number): Fault =>
  errno ? { fault: `${what}: ${errnoName(errno) ?? errno}`, errno } : { fault: what };

/**
 * The root directory of each process, read once where no task of the sandbox can change it
 * (TracerStart.rootFixed: chroot, pivot_root, setns and unshare refused, and enforced), and forgotten
 * at a new image. Where a call may change it, it is read for every decision: a chroot changes the
 * root of every process that shares the caller's fs_struct (clone with CLONE_FS), and a root
 * forgotten when the chroot was decided could be read again, old, before it ran (an audit run lets
 * other tasks go on; a chroot asleep on a FUSE path ends the hold). A readlink costs ~1.3 µs a trap.
 */
const roots = new Map<number, string>();
export const forgetRoot = (pid: number): boolean => roots.delete(pid);

/** The view of task `tid` of process `pid`; `rememberRoot`: its root is read once (see roots above). */
export function traceeView(tid: number, pid = tid, rememberRoot = false): TraceeView {
  return {
    readString(addr, max) {
      const r = readCString(tid, addr, max);
      return typeof r === 'number' ? fault(`cannot read a string at 0x${addr.toString(16)}`, r) : r.toString('utf8');
    },
    readBytes(addr, len) {
      const r = readMemory(tid, addr, len);
      return typeof r === 'number' ? fault(`cannot read ${len} bytes at 0x${addr.toString(16)}`, r) : r;
    },
    cwd: () => readlink(`/proc/${tid}/cwd`) ?? fault('no working directory (process gone?)'),
    fdPath: (fd) => readlink(`/proc/${tid}/fd/${fd}`) ?? fault(`fd ${fd} is not open`),
    root: () => {
      const known = rememberRoot ? roots.get(pid) : undefined;
      if (known !== undefined) return known;
      const r = readlink(`/proc/${tid}/root`);
      if (r === undefined) return fault('no root directory (process gone?)');
      if (rememberRoot) roots.set(pid, r);
      return r;
    },
  };
}

const MAXSYMLINKS = 40; // include/linux/namei.h: the kernel's limit before ELOOP

/**
 * Resolve a path the way the kernel walks it: component by component, a
 * symlink replaced by its target before the next component (so "link/.."
 * is the parent of link's target), a dangling symlink followed to its
 * target, and a last component that does not exist yet appended as
 * written. A missing component with more after it is ENOENT, as in the
 * kernel ("missing/../x" too: the walk fails at "missing"). Not Node's realpath: that normalises
 * "link/.." away before looking at the disk.
 */
export function realpath(path: string): string | Fault {
  // Fast path: glibc's realpath(3) walks in the kernel's order too (no lexical
  // ".." first), in one native call; it fails when the path does not exist
  // (yet), and then the walk below appends the missing part.
  try {
    return realpathSync.native(path);
  } catch {
    return walk(path);
  }
}

/** Is there anything at `raw` (ENOENT and ENOTDIR: no; anything else, EACCES included: yes, the safe answer)? */
export function exists(raw: string, follow: boolean): boolean {
  try {
    if (follow) statSync(raw);
    else lstatSync(raw);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** Does `raw` lead to a directory (following symlinks)? */
export function isDirectory(raw: string): boolean {
  try {
    return statSync(raw).isDirectory();
  } catch {
    return false;
  }
}

/** The kernel's walk by hand, one lstat per component: realpath's way when glibc's fails (a missing part). */
export function walk(path: string): string | Fault {
  const todo = path.split('/').filter((c) => c !== '').reverse(); // a stack: next component last
  const done: string[] = [];
  let links = 0;
  let missing = false; // once a component does not exist, the rest is only text
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    done.push(c);
    if (missing) continue;
    const here = '/' + done.join('/');
    let st;
    try {
      st = lstatSync(here);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // The kernel fails the walk here unless this is the last component (a file to create).
        if (todo.length > 0) return { fault: `cannot resolve ${path}: ENOENT (${here} does not exist)`, errno: 2 };
        missing = true;
        continue;
      }
      if (code === 'ENOTDIR') return { fault: `cannot resolve ${path}: ENOTDIR`, errno: 20 };
      return { fault: `cannot resolve ${path}: ${code}` };
    }
    if (!st.isSymbolicLink()) continue;
    if (++links > MAXSYMLINKS) return { fault: `cannot resolve ${path}: ELOOP`, errno: 40 };
    let target: string;
    try {
      target = readlinkSync(here);
    } catch {
      return { fault: `cannot resolve ${path}: the symlink ${here} vanished` };
    }
    done.pop();
    if (target.startsWith('/')) done.length = 0;
    for (const t of target.split('/').filter((x) => x !== '').reverse()) todo.push(t);
  }
  return '/' + done.join('/');
}
