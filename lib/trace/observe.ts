// The tracer thread's side of a recording: every trapped call (while
// recording, all of them are trapped and allowed, under lib/record/recording.ts's
// profile) adds to an Observation, which lib/record turns into a profile.
import type { Ruling } from './decide/index.js';
import type { Trap } from './types.js';
import { noteBind, noteConnect, noteExec, noteFile, noteSyscall, type Observation } from './observation.js';

/** Destinations that are not places a profile names. */
const NOT_A_DESTINATION = /^(connected peer|netlink|AF_UNSPEC|syscage's resolver)/;

export function observe(o: Observation, trap: Trap, d: Ruling): void {
  noteSyscall(o, trap.syscall);
  const detail = d.detail;
  if (!detail) return;
  if (detail.exec) {
    // The program as named and where its symlinks lead: exec.allow must hold both.
    for (const p of new Set([detail.exec.path, ...(detail.paths ?? [])])) if (p.startsWith('/')) noteExec(o, p);
  } else if (detail.paths && (detail.access === 'read' || detail.access === 'write')) {
    const how = { looks: detail.looks, missing: detail.missing };
    for (const p of detail.paths) if (p.startsWith('/')) noteFile(o, p, detail.access, how);
  }
  for (const a of detail.addresses ?? (detail.address ? [detail.address] : [])) {
    if (NOT_A_DESTINATION.test(a)) continue;
    if (trap.syscall === 'bind') noteBind(o, a);
    // An address a DNS answer gave for a name is written as that name (lib/dns).
    else noteConnect(o, detail.name && !detail.name.includes(',') ? `${detail.name}:${a.slice(a.lastIndexOf(':') + 1)}` : a);
  }
}
