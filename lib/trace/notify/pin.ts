// Pinning a path as the caller would walk it: an O_PATH fd of what the path reaches, with no side
// effect and no blocking, whose object is then judged (checkReached) before anything is opened for
// real.
//
// syscage walks from its own process, so a magic link (/proc/PID/fd/N, /proc/PID/cwd, /root, /exe)
// and /proc/self would be syscage's, not the caller's: a symlink swapped to /proc/<syscage>/fd/N
// after the decision must not hand the caller one of syscage's own files. So the walk refuses magic
// links (RESOLVE_NO_MAGICLINKS). A path that needs one (/dev/stdin, /dev/fd/N, /proc/self/fd/N,
// /proc/self/cwd/x) is walked again by hand, with /proc/self meaning the caller, up to the magic
// link; only the caller's own magic links are followed (opening /proc/<caller>/fd/N reaches the
// caller's object), and the rest is walked from there, again without magic links.
import { lstatSync, readlinkSync } from 'node:fs';
import { fdops, notify } from '../../native/index.js';
import type { Trap } from '../types.js';
import { procDir } from './namespace.js';
import { asNumber, type As, type Caller } from './creds.js';
import { E } from '../../arch/errno.js';

const { O, AT_FDCWD } = fdops;
const { EACCES, ELOOP, ESRCH } = E;
const MAXSYMLINKS = 40;
const RESOLVE_NO_MAGICLINKS = 0x02n;

/** A magic link of /proc: what it names is an object, not a path. */
const MAGIC = /^\/proc\/(\d+)\/(?:task\/\d+\/)?(?:fd\/\d+|cwd|root|exe)$/;

export type Pinned =
  /** `callersFd`: reached through one of the caller's magic links (its fd, cwd...): an anonymous object (a pipe) is then the caller's own. */
  | { readonly fd: number; readonly callersFd: boolean }
  | { readonly errno: number };

/**
 * One walk of a pin: `p` from `from`, O_PATH with the lookup flags in `lookup` (O_NOFOLLOW,
 * O_DIRECTORY), no magic link, as the caller (its search permissions; its own fds are reached as
 * syscage: creds.ts). The fd, or -errno.
 */
export function pinStep(as: As, from: number, p: string, lookup = 0): number {
  return asNumber(as, () => fdops.openAt2(from, p, O.PATH | O.CLOEXEC | (lookup & (O.NOFOLLOW | O.DIRECTORY)), 0, RESOLVE_NO_MAGICLINKS));
}

/**
 * Pin `path` (absolute, or relative to `base`) with O_PATH and the lookup flags in `lookup`
 * (O_NOFOLLOW, O_DIRECTORY).
 */
export function pinPath(path: string, lookup: number, trap: Trap, caller: Caller, base = AT_FDCWD): Pinned {
  const walk = (from: number, p: string): number => pinStep(caller.as, from, p, lookup);
  const fd = walk(base, path);
  if (fd >= 0) return { fd, callersFd: false };
  if (fd !== -ELOOP || base !== AT_FDCWD || !path.startsWith('/')) return { errno: -fd };
  // A magic link on the way (or a symlink loop): walk it as the caller.
  const at = splitAtMagic(path, trap.pid, trap.tid);
  if (!at) return { errno: ELOOP };
  const m = MAGIC.exec(at.link)!;
  if (Number(m[1]) !== trap.pid) return { errno: EACCES }; // another process's fd or cwd: never through syscage's rights
  if (at.rest === '' && (lookup & O.NOFOLLOW) !== 0) return { errno: ELOOP };
  // The caller's fd itself (pidfd_getfd: checked against syscage's real ids, so it works while the
  // thread is the caller: creds.ts); its cwd or root through syscage's own /proc (a caller may have
  // mounted its own over /proc in its namespace).
  const n = /\/fd\/(\d+)$/.exec(at.link);
  const link = n ? callersFd(caller, trap.pid, Number(n[1])) : callersLink(caller, at.link.slice('/proc/'.length));
  if (link < 0) return { errno: -link };
  if (at.rest === '') return { fd: link, callersFd: true };
  const rest = walk(link, at.rest);
  fdops.closeQuietly(link);
  return rest >= 0 ? { fd: rest, callersFd: true } : { errno: -rest };
}

/**
 * Walk `path` by hand as the kernel would for the caller (/proc/self is the caller, symlinks read
 * from here) up to the first magic link: its path, and what follows it. undefined when there is
 * none (or the walk fails: then the pin's own error stands).
 */
export function splitAtMagic(path: string, pid: number, tid: number): { link: string; rest: string } | undefined {
  const todo = path.split('/').filter((c) => c !== '').reverse();
  let done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    done.push(c);
    const here = '/' + done.join('/');
    if (here === '/proc/self') {
      done = ['proc', String(pid)];
      continue;
    }
    if (here === '/proc/thread-self') {
      done = ['proc', String(pid), 'task', String(tid)];
      continue;
    }
    if (MAGIC.test(here)) return { link: here, rest: [...todo].reverse().join('/') };
    let link: string;
    try {
      if (!lstatSync(here).isSymbolicLink()) continue;
      link = readlinkSync(here);
    } catch {
      return undefined;
    }
    if (++links > MAXSYMLINKS) return undefined;
    done.pop();
    if (link.startsWith('/')) done = [];
    for (const x of link.split('/').filter((y) => y !== '').reverse()) todo.push(x);
  }
  return undefined;
}

/** What a pin (an fd of this process) names: /proc/self/fd/N read through syscage's own /proc; undefined when it cannot be read. */
export function pinnedPath(fd: number): string | undefined {
  const link = fdops.readLinkAt(procDir(), `self/fd/${fd}`);
  return typeof link === 'number' ? undefined : link.toString('utf8');
}

/** A handle taken through the caller's pid: kept only if its call still waits (creds.ts, Caller). */
function ifWaiting(caller: Caller, fd: number): number {
  if (fd < 0 || caller.waiting()) return fd;
  fdops.closeQuietly(fd);
  return -ESRCH;
}

/** A copy of the caller's fd `fd` (pidfd_getfd), or -errno. */
export function callersFd(caller: Caller, pid: number, fd: number): number {
  const pidfd = notify.pidfdOpen(pid);
  if (pidfd < 0) return pidfd;
  const dup = notify.pidfdGetfd(pidfd, fd);
  fdops.closeQuietly(pidfd);
  return ifWaiting(caller, dup);
}

/** One of the caller's magic links other than an fd (`PID/cwd`, `PID/task/TID/root`…: relative to syscage's own /proc), as an O_PATH fd, or -errno. */
export function callersLink(caller: Caller, link: string): number {
  return ifWaiting(caller, fdops.openAt(procDir(), link, O.PATH | O.CLOEXEC));
}
