// A performed call runs as the caller, not as syscage: the kernel would have checked the caller's
// permissions (a worker that dropped root must not open a root-only file through syscage, nor read
// another process's /proc/PID/mem with syscage's CAP_SYS_PTRACE), what it creates must be its own,
// and the peer of a UNIX connection must see the caller's ids (SO_PEERCRED is taken from whoever
// calls connect; its pid stays syscage's: docs/engine.md).
//
// A syscage that is not root can only serve callers of its own user, with no more rights than its
// own (no capabilities to drop, no other groups to take): one stat of /proc/TID (its owner is the
// task's effective ids) confirms it. A root syscage reads the caller's ids, groups and effective
// capabilities from /proc/TID/status for every call, and where they differ takes them on this
// thread for the call (the raw syscalls change this thread alone), and its own back after: effective
// ids (the fs ids follow; real and saved stay root, so the thread can come back), groups, and the
// effective capabilities of a caller that runs as root with some dropped.
import { statSync } from 'node:fs';
import { fdops } from '../../native/index.js';
import { status } from './status.js';

const EPERM = 1;
const ESRCH = 3;
const own = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, groups: process.getgroups?.() ?? [] };
const ownCaps = (() => {
  const c = fdops.capabilities();
  return typeof c === 'number' ? undefined : c;
})();

interface Creds { readonly euid: number; readonly fsuid: number; readonly egid: number; readonly fsgid: number; readonly groups: readonly number[]; readonly capEff: bigint }

function credsOf(tid: number): Creds | undefined {
  const text = status(tid);
  if (text === undefined) return undefined;
  const line = (name: string): string[] | undefined => /^(\S+):\s*(.*)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2]?.trim().split(/\s+/).filter(Boolean);
  const uid = line('Uid')?.map(Number);
  const gid = line('Gid')?.map(Number);
  const cap = line('CapEff')?.[0];
  if (!uid || uid.length < 4 || !gid || gid.length < 4 || !cap) return undefined;
  return { euid: uid[1]!, fsuid: uid[3]!, egid: gid[1]!, fsgid: gid[3]!, groups: (line('Groups') ?? []).map(Number), capEff: BigInt(`0x${cap}`) };
}

const sameGroups = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && [...a].sort().every((g, i) => g === [...b].sort()[i]);

/**
 * Runs a step of a performed call as the caller: its file walks and opens, its connect. What
 * reaches into the caller from outside (its fds through pidfd_getfd, its /proc entries, its memory)
 * is done as syscage, outside: a caller that dropped root is no longer reachable by its own ids.
 */
export type As = <T>(work: () => T) => T | { readonly errno: number };

const asSyscage: As = (work) => work();

/** How to act as the caller `tid`; an errno when it cannot be known or taken on. */
export function identityOf(tid: number): As | number {
  if (own.uid !== 0) {
    try {
      const st = statSync(`/proc/${tid}`);
      if (st.uid === own.uid && st.gid === own.gid) return asSyscage;
    } catch {
      return ESRCH;
    }
  }
  const c = credsOf(tid);
  if (!c) return ESRCH;
  const capsDiffer = c.euid === 0 && ownCaps !== undefined && c.capEff !== ownCaps.effective;
  if (c.euid === own.uid && c.fsuid === own.uid && c.egid === own.gid && c.fsgid === own.gid && sameGroups(c.groups, own.groups) && !capsDiffer) return asSyscage;
  if (own.uid !== 0) return EPERM; // another user's call: never through this user's rights
  return (work) => {
    let switched = false;
    try {
      // While still root: the capabilities, the groups and the gid (each needs a capability the uid change drops).
      if (capsDiffer && fdops.setEffectiveCapabilities(c.capEff & ownCaps!.permitted, ownCaps!.permitted, ownCaps!.inheritable) < 0) return { errno: EPERM };
      switched = true;
      if (fdops.setGroups(c.groups) < 0 || fdops.setEffectiveGid(c.egid) < 0) return { errno: EPERM };
      fdops.setFsGid(c.fsgid);
      if (fdops.setEffectiveUid(c.euid) < 0) return { errno: EPERM };
      fdops.setFsUid(c.fsuid);
      return work();
    } finally {
      if (switched) comeBack();
    }
  };
}

/** This thread's own identity again; a thread that cannot get it back must not serve another call. */
function comeBack(): void {
  const ok = fdops.setEffectiveUid(own.uid) === 0
    && fdops.setEffectiveGid(own.gid) === 0
    && fdops.setGroups(own.groups) === 0
    && (ownCaps === undefined || fdops.setEffectiveCapabilities(ownCaps.effective, ownCaps.permitted, ownCaps.inheritable) === 0);
  fdops.setFsUid(own.uid);
  fdops.setFsGid(own.gid);
  if (!ok) throw new Error('the notification thread cannot take back its own identity after a call made as the caller');
}
