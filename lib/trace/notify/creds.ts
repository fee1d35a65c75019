// A performed call runs as the caller, not as syscage: the kernel would have checked the caller's
// permissions (a worker that dropped root must not open a root-only file through syscage, nor read
// another process's /proc/PID/mem with syscage's CAP_SYS_PTRACE), what it creates must be its own,
// and the peer of a UNIX connection must see the caller's ids (SO_PEERCRED is taken from whoever
// calls connect; its pid stays syscage's: docs/engine.md).
//
// A syscage that is not root can only serve callers of its own user, with no more rights than its
// own (no capabilities to drop, no other groups to take): one stat of /proc/TID (its owner is the
// task's effective ids) confirms it. A root syscage reads the caller's ids, groups and effective
// capabilities from /proc/TID/status (none for a caller in another user namespace: it holds them
// there only), and where they differ takes them on this
// thread for the call (the raw syscalls change this thread alone), and its own back after: effective
// ids (the fs ids follow; real and saved stay root, so the thread can come back), groups, and the
// effective capabilities of a caller that runs as root with some dropped.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { fdops } from '../../native/index.js';
import { procLink, status } from './status.js';
import { E } from '../../arch/errno.js';

const { EPERM, ESRCH } = E;
interface Creds { readonly euid: number; readonly fsuid: number; readonly egid: number; readonly fsgid: number; readonly groups: readonly number[]; readonly capEff: bigint }

/** The words of a "Name:\tw1\tw2…" line of a status file; undefined when there is none. */
function words(text: string, name: string): string[] | undefined {
  const at = text.indexOf(`\n${name}:`);
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  return text.slice(at + name.length + 2, end < 0 ? undefined : end).split(/\s+/).filter(Boolean);
}

/** The ids, supplementary groups (sorted) and effective capabilities a status file states. */
export function credsFrom(text: string): Creds | undefined {
  const uid = words(text, 'Uid')?.map(Number);
  const gid = words(text, 'Gid')?.map(Number);
  const cap = words(text, 'CapEff')?.[0];
  if (!uid || uid.length < 4 || !gid || gid.length < 4 || !cap) return undefined;
  const groups = (words(text, 'Groups') ?? []).map(Number).sort((a, b) => a - b);
  return { euid: uid[1]!, fsuid: uid[3]!, egid: gid[1]!, fsgid: gid[3]!, groups, capEff: BigInt(`0x${cap}`) };
}


/**
 * This thread's own identity, from the same source as a caller's (/proc/…/status), so that the two
 * compare like for like: process.getgroups() adds the effective gid to the supplementary groups,
 * which made every caller of a root syscage look different and be served through a switch of
 * identity (measured: ~22 extra syscalls, about a third of a performed call's cost).
 */
const ownCreds = credsFrom(readFileSync('/proc/thread-self/status', 'latin1'));
if (!ownCreds) throw new Error('cannot read the notification thread\'s own identity from /proc/thread-self/status');
const own = { uid: ownCreds.euid, gid: ownCreds.egid, groups: ownCreds.groups };
const ownCaps = (() => {
  const c = fdops.capabilities();
  return typeof c === 'number' ? undefined : c;
})();

/**
 * syscage's own user namespace. A caller in another one (clone or unshare with CLONE_NEWUSER) holds
 * its capabilities there only — over what that namespace owns — and /proc/TID/status states them as
 * they are there: a root caller that dropped its capabilities, then made a user namespace, states
 * them whole again. Over syscage's files it holds none: it is served with none.
 */
const ownUserNamespace = readlinkSync('/proc/thread-self/ns/user');

const sameGroups = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((g, i) => g === b[i]);

/**
 * Runs a step of a performed call as the caller: its file walks and opens, its connect. What
 * reaches into the caller from outside (its fds through pidfd_getfd, its /proc entries, its memory)
 * is done as syscage, outside: a caller that dropped root is no longer reachable by its own ids.
 */
export type As = <T>(work: () => T) => T | { readonly errno: number };

/**
 * The caller of a performed call, as its steps reach it: how to act as it, and whether its call still
 * waits. A handle taken through the caller's pid after the call's validity check (pidfd_getfd of
 * its fd, /proc/PID/cwd) could belong to another process that got the pid of a caller killed
 * meanwhile: each such step takes the handle, then asks `waiting()` (SECCOMP_IOCTL_NOTIF_ID_VALID)
 * — a caller still waiting was alive all along, so the pid was its own — and drops the handle if not.
 */
export interface Caller {
  readonly as: As;
  readonly waiting: () => boolean;
}

const asSyscage: As = (work) => work();

/** A step made as the caller: its result, or -errno when the identity could not be taken on. */
export const asNumber = (as: As, work: () => number): number => {
  const r = as(work);
  return typeof r === 'number' ? r : -r.errno;
};

/**
 * How to act as the caller `tid`; an errno when it cannot be known or taken on. `statusOf`: its
 * /proc/TID/status, read when needed (a root syscage reads it; the caller may share the one read).
 */
export function identityOf(tid: number, statusOf: () => string | undefined = () => status(tid)): As | number {
  if (own.uid !== 0) {
    try {
      const st = statSync(`/proc/${tid}`);
      if (st.uid === own.uid && st.gid === own.gid) return asSyscage;
    } catch {
      return ESRCH;
    }
  }
  const text = statusOf();
  const stated = text === undefined ? undefined : credsFrom(text);
  if (!stated) return ESRCH;
  const userNamespace = procLink(`/proc/${tid}/ns/user`);
  if (userNamespace === undefined) return ESRCH;
  const c = userNamespace === ownUserNamespace ? stated : { ...stated, capEff: 0n };
  const capsDiffer = c.euid === 0 && ownCaps !== undefined && c.capEff !== ownCaps.effective;
  if (c.euid === own.uid && c.fsuid === own.uid && c.egid === own.gid && c.fsgid === own.gid && sameGroups(c.groups, own.groups) && !capsDiffer) return asSyscage;
  if (own.uid !== 0) return EPERM; // another user's call: never through this user's rights
  return (work) => {
    try {
      // The groups and the gid first, while this thread still holds CAP_SETGID (the caller's own
      // capabilities may lack it); then the capabilities (a root caller's, with some dropped: its
      // euid stays 0, so the uid steps below need none); then the uid, whose change away from 0
      // clears what is left.
      if (fdops.setGroups(c.groups) < 0 || fdops.setEffectiveGid(c.egid) < 0) return { errno: EPERM };
      fdops.setFsGid(c.fsgid);
      if (capsDiffer && fdops.setEffectiveCapabilities(c.capEff & ownCaps!.permitted, ownCaps!.permitted, ownCaps!.inheritable) < 0) return { errno: EPERM };
      if (fdops.setEffectiveUid(c.euid) < 0) return { errno: EPERM };
      fdops.setFsUid(c.fsuid);
      return work();
    } finally {
      comeBack();
    }
  };
}

/**
 * This thread's own identity again; a thread that cannot get it back must not serve another call.
 * The uid first (back to 0 needs no capability: it is the real and saved uid), then the capabilities
 * (raising the effective set within the permitted one needs none), then what needs them: the gid,
 * the groups.
 */
function comeBack(): void {
  const ok = fdops.setEffectiveUid(own.uid) === 0
    && (ownCaps === undefined || fdops.setEffectiveCapabilities(ownCaps.effective, ownCaps.permitted, ownCaps.inheritable) === 0)
    && fdops.setEffectiveGid(own.gid) === 0
    && fdops.setGroups(own.groups) === 0;
  fdops.setFsUid(own.uid);
  fdops.setFsGid(own.gid);
  if (!ok) throw new Error('the notification thread cannot take back its own identity after a call made as the caller');
}
