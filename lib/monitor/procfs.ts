// Reading a process tree through /proc, for the runtime tier's monitor: who is in the tree, what
// each process runs, which files and sockets it holds. Pure data access, no policy. The monitor runs
// as the same user as what it watches and needs no privilege: /proc/PID/{exe,fd} are readable when
// ptrace_may_access(PTRACE_MODE_READ_FSCREDS) passes, i.e. same uid and a dumpable process (Yama's
// ptrace_scope only restricts attaching, not reading).
//
// Everything is synchronous and cheap: the monitor polls every ~10 ms. The readers reuse one
// buffer, parse without splitting, and never throw: undefined means the process is gone,
// Unreadable that /proc refuses us a live one (proc-read.ts). /proc/PID/stat stays world-readable
// either way (the fields that need ptrace access read 0, but not the parent and start time).
//
// Sampling, not tracing: a descriptor opened and closed between two polls, or a child forked and
// gone between two polls, is never seen. An orphan is reparented to the nearest subreaper or to
// init (kernel/exit.c find_new_reaper) and so leaves the tree of `root`: a double fork escapes
// descendants() unless the monitor's process is a subreaper (PR_SET_CHILD_SUBREAPER) and it asks
// for its own descendants.
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { failure, isUnreadable, readProc, type Unreadable } from './proc-read.js';
import type { PolicySocket, ProcReader } from './monitor.js';
import { inetSocketsAsync, localSocketInodes, type InetSocket } from './sockets.js';

export { isUnreadable, type Unreadable } from './proc-read.js';

// ---- /proc/PID/stat --------------------------------------------------------------------------

/**
 * The number in 1-based field `field` (>= 4) of a stat line. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses (any byte but NUL, up to 15 of them): the
 * fields after it start after the *last* ')'. Field 3 is the state letter; 4 is the ppid, 22 the
 * start time.
 */
function statNumber(stat: string, field: number): number | undefined {
  let i = stat.lastIndexOf(')');
  if (i < 0) return undefined;
  i += 2; // ") " — now at field 3
  for (let f = 3; f < field; f++) {
    i = stat.indexOf(' ', i);
    if (i < 0) return undefined;
    i++;
  }
  let v = 0;
  let digits = 0;
  for (; i < stat.length; i++, digits++) {
    const c = stat.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  return digits > 0 ? v : undefined;
}

/** A process's parent and start time, from one read of /proc/PID/stat. */
export interface ProcessStat {
  /** Field 4: the tgid of real_parent, whichever of its threads forked it. */
  readonly ppid: number;
  /**
   * Field 22: when it started, in clock ticks after boot. A pid and its start time name one
   * process for the life of the machine: compare both to tell a process seen at the last poll
   * from a new one that reused its pid. execve keeps both (read exePath() again).
   */
  readonly start: number;
  /**
   * It is ending (a zombie, or PF_EXITING in field 9): its memory may be gone already, and with it
   * the owner of its /proc entries (root then), so that exe and fd/ refuse a same-uid reader.
   */
  readonly exiting: boolean;
}

/** Parent and start time; undefined when gone (stat is world-readable: never Unreadable). */
export function processStat(pid: number): ProcessStat | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (typeof stat !== 'string') return undefined;
  const ppid = statNumber(stat, 4);
  const start = statNumber(stat, 22);
  if (ppid === undefined || start === undefined) return undefined;
  return { ppid, start, exiting: statExiting(stat) };
}

/** A zombie, or a task in do_exit (PF_EXITING in field 9), from a stat line of a process or a thread. */
function statExiting(stat: string): boolean {
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X' || ((statNumber(stat, 9) ?? 0) & PF_EXITING) !== 0;
}

/**
 * Has this thread a SIGKILL pending? exit_group() sends one to every other thread of the process
 * (kernel/signal.c zap_other_threads, into each thread's own pending set) before they set
 * PF_EXITING: between the two, a thread of an exiting process still looks alive.
 */
function killPending(pid: number, tid: string): boolean {
  const status = readProc(`/proc/${pid}/task/${tid}/status`);
  const m = typeof status === 'string' ? /^SigPnd:\s*([0-9a-f]+)$/m.exec(status) : null;
  return m !== null && (BigInt(`0x${m[1]}`) & (1n << 8n)) !== 0n; // bit SIGKILL - 1
}

/** include/linux/sched.h: the task is getting shut down (set at the start of do_exit). */
const PF_EXITING = 0x4;

/** The start time alone (processStat(pid).start). */
export const startTime = (pid: number): number | undefined => processStat(pid)?.start;

// ---- the process tree ------------------------------------------------------------------------

/**
 * Where children are listed. 'children': /proc/PID/task/TID/children, one file per thread listing
 * the children that thread forked (CONFIG_PROC_CHILDREN; CONFIG_CHECKPOINT_RESTORE before 4.2).
 * 'stat': every /proc/N/stat and its ppid: cost grows with every process of the machine (or pid
 * namespace), not just the tree.
 */
export type TreeSource = 'children' | 'stat';

let defaultSource: TreeSource | undefined;

/** 'children' when this kernel has the children files, else 'stat'. Decided once: it is a kernel config. */
export function treeSource(): TreeSource {
  defaultSource ??= existsSync(`/proc/self/task/${process.pid}/children`) ? 'children' : 'stat';
  return defaultSource;
}

/**
 * `root` and every process below it, root first, parents before their children: processes, not
 * threads (a child forked by any thread of a process is that process's child). Empty when root is
 * gone. A process that dies during the walk may or may not be listed; its children then hang under
 * their new reaper, outside the tree.
 */
export function descendants(root: number, via: TreeSource = treeSource(), rootThreads: 'all' | 'leader' = 'all'): number[] {
  return via === 'children' ? viaChildren(root, rootThreads) : viaStat(root);
}

function viaChildren(root: number, rootThreads: 'all' | 'leader'): number[] {
  let tasks: string[];
  try {
    tasks = rootThreads === 'leader' ? (existsSync(`/proc/${root}/task/${root}`) ? [String(root)] : []) : readdirSync(`/proc/${root}/task`);
  } catch {
    return [];
  }
  if (tasks.length === 0) return [];
  const out = [root];
  const seen = new Set(out);
  for (let k = 0; k < out.length; k++) {
    const pid = out[k]!;
    if (k > 0) {
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue; // gone: task/ and its children files need no ptrace access, a non-dumpable process's tree is listed too
      }
    }
    for (const tid of tasks) {
      // "PID PID PID " — the children file reads "<pid> " per child, each in the caller's pid namespace.
      const text = readProc(`/proc/${pid}/task/${tid}/children`);
      if (typeof text !== 'string') continue;
      let v = -1;
      for (let i = 0; i <= text.length; i++) {
        const c = i < text.length ? text.charCodeAt(i) - 48 : -1;
        if (c >= 0 && c <= 9) v = (v < 0 ? 0 : v * 10) + c;
        else if (v >= 0) {
          if (!seen.has(v)) { seen.add(v); out.push(v); }
          v = -1;
        }
      }
    }
  }
  return out;
}

function viaStat(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  // /proc lists thread-group leaders only (threads are reachable as /proc/TID but not listed).
  const kids = new Map<number, number[]>();
  let rootAlive = false;
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 49 || c > 57) continue; // not a pid (pids do not start with 0)
    const pid = Number(name);
    const stat = readProc(`/proc/${name}/stat`);
    if (typeof stat !== 'string') continue;
    if (pid === root) { rootAlive = true; continue; }
    const ppid = statNumber(stat, 4);
    if (ppid === undefined || ppid === 0) continue;
    const list = kids.get(ppid);
    if (list) list.push(pid);
    else kids.set(ppid, [pid]);
  }
  if (!rootAlive) return [];
  const out = [root];
  for (let k = 0; k < out.length; k++) {
    const list = kids.get(out[k]!);
    if (list) for (const c of list) out.push(c);
  }
  return out;
}

// ---- what a process runs ---------------------------------------------------------------------

/**
 * The image the process runs: readlink /proc/PID/exe, an absolute path as of the exec (it follows
 * renames; ends in " (deleted)" once the file is unlinked, or is "/memfd:NAME (deleted)" for an
 * image run from a memfd). Undefined when gone, or a zombie (no mm, so no exe).
 */
export function exePath(pid: number): string | undefined | Unreadable {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch (err) {
    return failure(err);
  }
}

// ---- descriptors -----------------------------------------------------------------------------

/**
 * What a descriptor may do with its file. 'none': neither read nor write — an O_PATH handle, or the
 * ioctl-only open with O_ACCMODE 3 (which the kernel checks as read+write but grants neither).
 */
export type FdAccess = 'read' | 'write' | 'readwrite' | 'none';

/** A descriptor on a path: `target` as readlink /proc/PID/fd/N shows it (see descriptors()). */
export interface OpenFile {
  readonly fd: number;
  readonly target: string;
  readonly access: FdAccess;
}

export interface Descriptors {
  /** The descriptors whose target is a path (starts with '/'), in no particular order. */
  readonly files: OpenFile[];
  /** The sockets: inode (of `socket:[INODE]`) → the first fd found on it. */
  readonly sockets: Map<number, number>;
}

// linux/stat.h
const S_IRUSR = 0o400;
const S_IWUSR = 0o200;
const SOCKET = 'socket:[';

/**
 * One walk of /proc/PID/fd: its files and its sockets. Call this once per process and poll rather
 * than openFiles() and socketInodes() apart (each walks the directory).
 *
 * The target is readlink(2) of the fd: an absolute path (with " (deleted)" appended when unlinked;
 * "/memfd:NAME (deleted)" for a memfd, "/dev/pts/N"...), or a pseudo name that does not start with
 * '/' (socket:[N], pipe:[N], anon_inode:[eventfd]...), which are left out of `files`.
 *
 * The access comes from the mode of the fd's link itself, one lstat(2): procfs sets u+r when the
 * open file has FMODE_READ and u+w when it has FMODE_WRITE, and refreshes them from the file at
 * every lookup (fs/proc/fd.c tid_fd_revalidate → tid_fd_update_inode; proc_fd_instantiate before).
 * That is the same fact as O_ACCMODE in /proc/PID/fdinfo/N `flags:` (0 read, 1 write, 2 both),
 * without the open/read/close of fdinfo and its parse (~4 µs an fd against ~20 µs, measured on
 * Node 20), so every poll sees each fd afresh: no cache
 * is needed, and one keyed by (fd, target) would be wrong — close(fd) then open(same path,
 * O_WRONLY) lands on the same number. O_PATH and O_ACCMODE 3 get neither bit ('none'), where
 * fdinfo would say 0, i.e. "read".
 *
 * Undefined when the process is gone; Unreadable when /proc refuses us (see the header). A
 * descriptor closed during the walk is skipped.
 */
export function descriptors(pid: number): Descriptors | undefined | Unreadable {
  const dir = `/proc/${pid}/fd/`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    return failure(err);
  }
  const files: OpenFile[] = [];
  const sockets = new Map<number, number>();
  for (const name of names) {
    const link = dir + name;
    let target: string;
    try {
      target = readlinkSync(link);
    } catch (err) {
      const f = failure(err);
      if (f) return f;
      continue; // closed since the readdir
    }
    const fd = Number(name);
    if (target.charCodeAt(0) === 47 /* '/' */) {
      let mode: number;
      try {
        const st = lstatSync(link, { throwIfNoEntry: false });
        if (!st) continue;
        mode = st.mode;
      } catch (err) {
        const f = failure(err);
        if (f) return f;
        continue;
      }
      const r = (mode & S_IRUSR) !== 0;
      const w = (mode & S_IWUSR) !== 0;
      files.push({ fd, target, access: r ? (w ? 'readwrite' : 'read') : w ? 'write' : 'none' });
    } else if (target.startsWith(SOCKET)) {
      let inode = 0;
      for (let i = SOCKET.length; i < target.length; i++) {
        const c = target.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        inode = inode * 10 + c;
      }
      if (!sockets.has(inode)) sockets.set(inode, fd);
    }
  }
  return { files, sockets };
}

/** The descriptors of `pid` on paths (descriptors(pid).files). */
export function openFiles(pid: number): OpenFile[] | undefined | Unreadable {
  const d = descriptors(pid);
  return d && !isUnreadable(d) ? d.files : d;
}

/** The sockets of `pid`: inode → fd (descriptors(pid).sockets). */
export function socketInodes(pid: number): Map<number, number> | undefined | Unreadable {
  const d = descriptors(pid);
  return d && !isUnreadable(d) ? d.sockets : d;
}

/**
 * The network namespace of `pid` (the inode of /proc/PID/ns/net): processes that share one see the
 * same /proc/PID/net tables, so inetSockets() need be read once per namespace and poll.
 */
export function netNamespace(pid: number): number | undefined | Unreadable {
  let link: string;
  try {
    link = readlinkSync(`/proc/${pid}/ns/net`);
  } catch (err) {
    return failure(err);
  }
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : { unreadable: `unexpected ns link ${JSON.stringify(link)}` };
}

// ---- the monitor's reader --------------------------------------------------------------------

/**
 * The readers above as the monitor takes them (monitor.ts ProcReader), narrowed to what its
 * policy knows: access 'none' (O_PATH, O_ACCMODE 3) is 'read', as the supervisor's openAccess()
 * counts an O_PATH open; UDP-Lite is 'udp' (RFC 3828: UDP with a partial checksum, reaching any
 * peer UDP can); ping and raw sockets are left out (they have no port to connect to).
 */
export const procfs: ProcReader = {
  // The watcher's own children hang under its leader thread alone: it starts the command from its
  // main thread, and an orphan goes to the first live thread of its subreaper, the leader
  // (kernel/exit.c find_alive_thread). Its other threads' children files (Node has a dozen) are
  // half the cost of a poll.
  descendants: (root) => descendants(root, treeSource(), root === process.pid ? 'leader' : 'all'),
  stat: processStat,
  exe: exePath,
  liveThreads(pid) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return 0;
    }
    let live = 0;
    for (const tid of tids) {
      const stat = readProc(`/proc/${pid}/task/${tid}/stat`);
      if (typeof stat === 'string' && !statExiting(stat) && !killPending(pid, tid)) live++;
    }
    return live;
  },
  descriptors(pid) {
    const d = descriptors(pid);
    if (!d || isUnreadable(d)) return d;
    for (let i = 0; i < d.files.length; i++) {
      const f = d.files[i]!;
      if (f.access === 'none') d.files[i] = { fd: f.fd, target: f.target, access: 'read' };
    }
    return d as ReturnType<ProcReader['descriptors']>;
  },
  async inet(pid, only) {
    const all = await inetSocketsAsync(pid, only);
    const out = new Map<number, PolicySocket>();
    if (!all || isUnreadable(all)) return out;
    for (const [inode, s] of all) {
      if (s.proto === 'tcp' || s.proto === 'udp') out.set(inode, s as PolicySocket);
      else if (s.proto === 'udplite') out.set(inode, { ...s, proto: 'udp' });
    }
    return out;
  },
  local: localSocketInodes,
};
