// Reading one /proc file, and what a failure means. A process can vanish at any point of a read,
// and /proc can refuse us a live one; the monitor's readers tell the two apart and never throw:
//
//   undefined     gone: the process exited before or during the read (ENOENT: its directory or
//                 the fd is no more; ESRCH: the task died while the kernel looked at it).
//   Unreadable    it is there but /proc refuses us (EACCES, EPERM...). The usual cause: the process
//                 is not dumpable — prctl(PR_SET_DUMPABLE, 0), or it exec'd a setuid image or one
//                 it may execute but not read (fs/exec.c would_dump). Its /proc/PID entries then
//                 belong to root (task_dump_owner), and ptrace_may_access refuses the same-uid
//                 monitor exe, fd/, ns/... (CAP_SYS_PTRACE would pass: a test running as root
//                 sees through it). Any program can do this to itself, so "unreadable" is not
//                 "nothing to see".
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** A live process whose /proc entries we may not read; `unreadable` is the errno code (EACCES...). */
export interface Unreadable { readonly unreadable: string }
export const isUnreadable = (x: unknown): x is Unreadable => typeof x === 'object' && x !== null && 'unreadable' in x;

/** undefined when the errno code means "gone", an Unreadable otherwise. */
export const classify = (code: string): Unreadable | undefined => (code === 'ENOENT' || code === 'ESRCH' ? undefined : { unreadable: code });

export const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);

/** classify() of a caught fs error. */
export const failure = (err: unknown): Unreadable | undefined => classify(codeOf(err));

/** One buffer for every read: the monitor reads hundreds of small files per second. */
let buf: Buffer = Buffer.allocUnsafe(64 * 1024);

/** The smallest page size of a Linux arch: seq_file's buffer (m->size) is at least this. */
const PAGE_MIN = 4096;

/**
 * The whole text of a /proc file (latin1: the tables are ASCII, and a command name is bytes), or
 * the errno code that stopped us. seq_file hands a large file out a page or so per read(2), so we
 * read until 0, growing the buffer when it fills.
 *
 * `record`: the longest line the file can print, for a file whose every read(2) is costly (the
 * inet tables: each read walks the whole TCP established hash, 2^18 buckets on a 24 GB machine,
 * ~2 ms; the read that returns 0 walks it again). fs/seq_file.c seq_read_iter fills its buffer
 * (at least a page) record by record and ends a read early only at the end of the file, when the
 * reader's buffer is full, or when the next record would not fit. A read that returned at most
 * PAGE_MIN - record bytes into a larger buffer therefore stopped at the end of the file: we skip
 * the read that would return 0.
 */
/** A buffer twice `b`'s size holding its first `n` bytes: when a read filled `b`. */
function doubled(b: Buffer, n: number): Buffer {
  const bigger = Buffer.allocUnsafe(b.length * 2);
  b.copy(bigger, 0, 0, n);
  return bigger;
}

/** A read that returned `got` bytes into `room` reached the end of the file (see readProc's `record`). */
const atEnd = (got: number, room: number, record: number | undefined): boolean =>
  got === 0 || (record !== undefined && got <= PAGE_MIN - record && got < room);

export function readProc(path: string, record?: number): string | { readonly code: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { code: codeOf(err) };
  }
  try {
    let n = 0;
    for (;;) {
      if (n === buf.length) buf = doubled(buf, n);
      const room = buf.length - n;
      const got = readSync(fd, buf, n, room, null);
      n += got;
      if (atEnd(got, room, record)) break;
    }
    return buf.toString('latin1', 0, n);
  } catch (err) {
    return { code: codeOf(err) };
  } finally {
    closeSync(fd);
  }
}

/**
 * readProc(), on libuv's threadpool: for the inet tables, whose every read(2) is a walk of the
 * kernel's TCP hash, so that no event loop waits for it. Its own buffer (reads may overlap), the
 * same early end after a short read (see readProc).
 */
export async function readProcAsync(path: string, record: number): Promise<string | { readonly code: string }> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    return { code: codeOf(err) };
  }
  try {
    let mine: Buffer = Buffer.allocUnsafe(64 * 1024);
    let n = 0;
    for (;;) {
      if (n === mine.length) mine = doubled(mine, n);
      const room = mine.length - n;
      const { bytesRead } = await file.read(mine, n, room, null);
      n += bytesRead;
      if (atEnd(bytesRead, room, record)) break;
    }
    return mine.toString('latin1', 0, n);
  } catch (err) {
    return { code: codeOf(err) };
  } finally {
    await file.close();
  }
}
