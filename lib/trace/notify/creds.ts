// A performed call runs with the caller's filesystem identity, not syscage's: the kernel would
// have checked the caller's permissions (a worker that dropped root must not open a root-only file
// through syscage, and what it creates must be its own). The fast case — the caller is syscage's
// own user and group, as a Lambda function is — costs one stat of /proc/TID (its owner is the
// task's effective ids); otherwise the notification thread takes the caller's fsuid, fsgid and
// groups from /proc/TID/status for the call (per thread: the raw syscalls), and its own back after.
// Capabilities are not switched: a caller that runs as root with capabilities dropped is served
// with syscage's (docs/engine.md).
import { readFileSync, statSync } from 'node:fs';
import { fdops } from '../../native/index.js';

const EPERM = 1;
const own = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, groups: process.getgroups?.() ?? [] };

interface Creds { readonly fsuid: number; readonly fsgid: number; readonly groups: readonly number[] }

function credsOf(tid: number): Creds | undefined {
  try {
    const text = readFileSync(`/proc/${tid}/status`, 'latin1');
    const ids = (name: string) => /^\w+:\s*(.*)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[1]?.trim().split(/\s+/).filter(Boolean).map(Number);
    const uid = ids('Uid');
    const gid = ids('Gid');
    if (!uid || uid.length < 4 || !gid || gid.length < 4) return undefined;
    return { fsuid: uid[3]!, fsgid: gid[3]!, groups: ids('Groups') ?? [] };
  } catch {
    return undefined;
  }
}

export function asCaller<T>(tid: number, work: () => T): T | { readonly errno: number } {
  try {
    const st = statSync(`/proc/${tid}`);
    if (st.uid === own.uid && st.gid === own.gid) return work();
  } catch {
    return { errno: 3 /* ESRCH: gone */ };
  }
  const c = credsOf(tid);
  if (!c) return { errno: 3 };
  if (c.fsuid === own.uid && c.fsgid === own.gid && c.groups.length === own.groups.length && c.groups.every((g, i) => g === own.groups[i])) return work();
  // The groups first: setgroups needs CAP_SETGID.
  if (fdops.setGroups(c.groups) < 0) return { errno: EPERM };
  fdops.setFsGid(c.fsgid);
  fdops.setFsUid(c.fsuid);
  try {
    return work();
  } finally {
    fdops.setFsUid(own.uid);
    fdops.setFsGid(own.gid);
    fdops.setGroups(own.groups);
  }
}
