// TraceeView over the real kernel: process_vm_readv for memory, /proc for the
// working directory and fds. Paths are bytes to the kernel; they are decoded
// as UTF-8 here (invalid sequences become U+FFFD and so match no glob but
// `*`/`**`).
import { realpathSync } from 'node:fs';
import { readCString, readMemory } from '../native/index.js';
import { errnoName } from '../arch/errno.js';
import { readlink } from './proc.js';
import type { Fault, TraceeView } from './types.js';

const fault = (what: string, errno?: number): Fault => ({ fault: errno ? `${what}: ${errnoName(errno) ?? errno}` : what });

export function traceeView(tid: number): TraceeView {
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
    root: () => readlink(`/proc/${tid}/root`) ?? fault('no root directory (process gone?)'),
  };
}

/** Symlinks of the existing part of a path resolved, the rest appended (the path need not exist yet). */
export function realpath(path: string): string | Fault {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync.native(head);
      return tail.length === 0 ? real : `${real === '/' ? '' : real}/${tail.reverse().join('/')}`;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return fault(`cannot resolve ${path}: ${code}`);
      const cut = head.lastIndexOf('/');
      if (cut <= 0) return tail.length === 0 ? path : `/${[head.slice(1), ...tail.reverse()].filter(Boolean).join('/')}`;
      tail.push(head.slice(cut + 1));
      head = head.slice(0, cut);
    }
  }
}
