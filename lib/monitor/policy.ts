// What the runtime tier's monitor checks, one observed fact at a time: the
// program a process runs, a socket's peer, a file a descriptor holds, a process
// that should not exist. The same matchers as the supervisor's (lib/trace/decide),
// so a rule means the same thing in every tier; only the moment differs: the
// monitor sees a fact after the act, and can only end the process.
import { ipv4ToBigInt, ipv6ToBigInt } from '../profile/address.js';
import { isFileless, type Matchers } from '../trace/decide/index.js';
import type { Detail, RuleRef } from '../trace/types.js';

/** The act a finding is about (audit events of the runtime tier name it where a syscall would be). */
export type Act = 'exec' | 'connect' | 'open' | 'fork' | 'unreadable' | 'bind' | 'native' | 'resolve' | 'other';

/** A rule broken, as seen in /proc. */
export interface Finding {
  readonly act: Act;
  readonly rule: RuleRef;
  readonly reason: string;
  readonly detail: Detail;
  /** Refused inside the process by its seatbelt, before the act (lib/seatbelt), rather than seen in /proc after it. */
  readonly seatbelt?: 'node' | 'python';
}

/** What readlink(2) of /proc/PID/{exe,fd/N} appends to a file that was unlinked. */
export const DELETED = ' (deleted)';
export const stripDeleted = (p: string): string => (p.endsWith(DELETED) ? p.slice(0, -DELETED.length) : p);

/**
 * The program a process runs: allowed when it is what the command was launched as, its parent's,
 * or exec.allow names it; never a fileless one (a memfd, an unlinked file), as in the kernel tier.
 */
export function checkProgram(m: Matchers, exe: string, inherited: boolean): Finding | undefined {
  if (!m.exec || inherited) return undefined;
  const fileless = isFileless(exe);
  const path = stripDeleted(exe);
  if (!fileless && m.exec.allow.test(path)) return undefined;
  return {
    act: 'exec',
    rule: fileless ? { what: 'exec', text: 'a program without a file is refused', loc: m.exec.loc } : m.exec.allow.missing,
    reason: fileless ? `the process runs ${exe}, a program without a file (a memfd or an unlinked file)` : `the process runs ${exe}, which exec.allow does not allow`,
    detail: { exec: { path, argv: [path] } },
  };
}

/** A second process where process.fork is false. */
export function checkFork(m: Matchers): Finding | undefined {
  if (m.fork.allowed) return undefined;
  return { act: 'fork', rule: m.fork.rule, reason: 'a new process, and process.fork is false', detail: {} };
}

/** A file held open: its path (as /proc shows it) and how it was opened. */
export function checkFile(m: Matchers, path: string, access: 'read' | 'write' | 'readwrite'): Finding | undefined {
  const f = m.files;
  if (!f) return undefined;
  const denied = f.deny.which(path);
  const writes = access !== 'read';
  const allowed = writes ? f.write.test(path) : f.readable.test(path);
  if (!denied && allowed) return undefined;
  const rule = denied ?? (writes ? f.write.missing : f.read.missing);
  const how = access === 'readwrite' ? 'read-write' : access;
  return {
    act: 'open',
    rule,
    reason: denied ? `a descriptor is open on ${path} (${how}), which files.deny names` : `a descriptor is open on ${path} (${how}), which the files rules do not grant`,
    detail: { paths: [path], access: writes ? 'write' : 'read' },
  };
}

/** "10.0.0.1:443", "[::1]:80": how events write a destination. */
export const formatDestination = (family: 4 | 6, ip: string, port: number): string => (family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * The names an address is bound to (lib/dns/bindings.ts), from the seatbelt's lookups; absent
 * where no seatbelt runs, and the monitor, which sees connections but never names, can then only
 * hold a host rule to its ports.
 */
export type BoundNames = (family: 4 | 6, addr: bigint) => { readonly live: readonly string[]; readonly ever: readonly string[] };

/** A socket connected to a peer (TCP or UDP). `always` are the destinations the caller reaches whatever the profile says. */
export function checkPeer(m: Matchers, family: 4 | 6, ip: string, port: number, always: ReadonlySet<string>, bound?: BoundNames): Finding | undefined {
  if (!m.network) return undefined;
  const address = formatDestination(family, ip, port);
  if (always.has(address) || always.has(`${ip}:${port}`)) return undefined;
  const addr = family === 4 ? ipv4ToBigInt(ip) : ipv6ToBigInt(ip);
  const list = m.network.connect;
  if (list.which({ kind: 'ip', family, addr, port })) return undefined;
  let from = '';
  if (list.namesHosts) {
    if (!bound) {
      if (list.hostPorts(port)) return undefined;
    } else {
      const names = bound(family, addr);
      if (names.live.some((n) => list.whichName(n, port))) return undefined;
      if (names.ever.length) from = ` (resolved from ${names.ever.join(', ')})`;
    }
  }
  return {
    act: 'connect',
    rule: list.missing,
    reason: `a socket is connected to ${address}${from}, which network.connect does not allow`,
    detail: { address },
  };
}
