// Who made a notified call. The notification names the calling thread only; its thread group
// (the process: /proc/self, pidfd_getfd and the audit event are about it) and, for a create, its
// umask come from /proc/TID/status — a read that costs ~20 µs here, because the kernel formats
// the whole file. So the group is remembered per tid and checked again at each use by looking for
// /proc/TGID/task/TID (~2 µs): a tid belongs to one thread group at a time, so if it is there, the
// tid is still that group's (a tid that died and came back in another process is not).
import { fdops } from '../../native/index.js';

const buf = Buffer.alloc(4096);

/** readlink(2) of a /proc entry of the caller's (its root, cwd, namespaces) with a raw syscall — Node's readlinkSync costs twice as much; undefined when gone. */
export function procLink(path: string): string | undefined {
  const r = fdops.readLinkAt(fdops.AT_FDCWD, path);
  return typeof r === 'number' ? undefined : r.toString('utf8');
}
const F_OK = 0;
const groups = new Map<number, number>();

const field = (text: string, name: string, radix: number): number | undefined => {
  const at = text.indexOf(`\n${name}:`);
  if (at < 0) return undefined;
  const v = parseInt(text.slice(at + name.length + 2, text.indexOf('\n', at + 1)).trim(), radix);
  return Number.isNaN(v) ? undefined : v;
};

/** /proc/TID/status, read with raw syscalls (readFileSync costs about twice as much); undefined when gone. */
export function status(tid: number): string | undefined {
  const n = fdops.readFileInto(`/proc/${tid}/status`, buf);
  return n > 0 ? buf.toString('latin1', 0, n) : undefined;
}

/** The thread group of a thread; undefined when it is gone. */
export function tgidOf(tid: number): number | undefined {
  const known = groups.get(tid);
  if (known !== undefined && fdops.accessAt(`/proc/${known}/task/${tid}`, F_OK) === 0) return known;
  const text = status(tid);
  const tgid = text === undefined ? undefined : field(text, 'Tgid', 10);
  if (tgid === undefined) groups.delete(tid);
  else {
    if (groups.size > 4096) groups.clear();
    groups.set(tid, tgid);
  }
  return tgid;
}

/** The umask a status file states ("Umask:", octal; Linux 4.7+); undefined when gone or not said. */
export const umaskFrom = (text: string | undefined): number | undefined => (text === undefined ? undefined : field(text, 'Umask', 8));
