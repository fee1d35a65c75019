// Audit events: one per refused, killed or logged call (and, in audit mode,
// per call that would have been refused). JSON lines for machines, a compact
// line for people at a terminal.
//
// {"time":"2026-11-26T07:01:02.345Z","profile":"orders-api","pid":4242,"ppid":4241,
//  "exe":"/usr/bin/cat","syscall":"openat","decision":"deny","enforced":true,"errno":"EACCES",
//  "path":"/etc/shadow","access":"read","rule":{"what":"files.deny","text":"/etc/shadow","at":"p.yaml:12:5"},
//  "reason":"..."}
import { basename } from 'node:path';
import { errnoName } from '../arch/errno.js';
import { locText, type SourceLoc } from '../profile/diagnostic.js';
import type { Tier } from '../profile/types.js';

/**
 * A decided call, as the supervisor reports it: what an event is made of. lib/trace's Verdict
 * has this shape; it is written here, below trace in the stack, so that audit depends on
 * nothing above it.
 */
export interface Reported {
  readonly trap: { readonly tid: number; readonly syscall: string };
  readonly tracee: { readonly pid: number; readonly ppid?: number; readonly exe?: string };
  /** False in audit mode: reported, not enforced. */
  readonly enforced: boolean;
  readonly decision: {
    readonly action: 'allow' | 'deny' | 'kill';
    readonly errno?: number;
    readonly hidden?: boolean;
    readonly reason?: string;
    readonly rule?: { readonly what: string; readonly text?: string; readonly loc?: SourceLoc };
    readonly detail?: {
      readonly paths?: readonly string[];
      readonly access?: string;
      readonly exec?: { readonly path: string; readonly argv: readonly string[] };
      readonly address?: string;
      readonly name?: string;
      readonly signal?: { readonly target: number; readonly sig: number };
    };
    /** mode: audit: what enforce mode would have done. */
    readonly wouldHave?: { readonly action: 'deny' | 'kill'; readonly errno?: number; readonly hidden?: boolean };
  };
}

export interface AuditEvent {
  readonly time: string;
  readonly profile: string;
  readonly pid: number;
  readonly tid?: number;
  readonly ppid?: number;
  readonly exe?: string;
  readonly syscall: string;
  /** What the profile decided. */
  readonly decision: 'deny' | 'kill' | 'log';
  /** False in audit mode: reported, not enforced. */
  readonly enforced: boolean;
  readonly errno?: string;
  readonly path?: string;
  readonly paths?: readonly string[];
  readonly access?: string;
  readonly argv?: readonly string[];
  readonly address?: string;
  /** The host name: a refused lookup's, or the names DNS answers bound the address to. */
  readonly name?: string;
  readonly signal?: { readonly target: number; readonly sig: number };
  readonly rule?: { readonly what: string; readonly text?: string; readonly at?: string };
  readonly reason?: string;
  /** ENOENT because the path is outside the profile's view: no violation (reported in audit mode and with --verbose). */
  readonly hidden?: boolean;
  /** The Lambda invocation being served, when there is one. */
  readonly requestId?: string;
  /** The enforcement tier that saw it (kernel, bpf, runtime: lib/doctor/tier.ts). */
  readonly tier?: Tier;
}

/** What an event says besides the call: the profile, the invocation being served, the tier. */
export interface EventContext {
  readonly profile: string;
  readonly requestId?: string;
  readonly tier?: Tier;
}

export function auditEvent(v: Reported, time: number, { profile, requestId, tier }: EventContext): AuditEvent {
  const d = v.decision;
  const detail = d.detail;
  const rule = d.rule;
  // mode: audit: the call went through; the event says what enforce mode would have done.
  const would = d.wouldHave;
  const action = would?.action ?? (d.action === 'allow' ? 'log' : d.action);
  const errno = would?.action === 'deny' ? would.errno : d.action === 'deny' ? d.errno : undefined;
  const reason = d.reason;
  const paths = detail?.paths ?? (detail?.exec ? [detail.exec.path] : undefined);
  return {
    time: new Date(time).toISOString(),
    profile,
    pid: v.tracee.pid,
    ...(v.trap.tid !== v.tracee.pid ? { tid: v.trap.tid } : {}),
    ...(v.tracee.ppid !== undefined ? { ppid: v.tracee.ppid } : {}),
    ...(v.tracee.exe ? { exe: v.tracee.exe } : {}),
    syscall: v.trap.syscall,
    decision: action,
    enforced: !would && v.enforced && d.action !== 'allow',
    ...(errno !== undefined ? { errno: errnoName(errno) ?? String(errno) } : {}),
    ...(paths?.length === 1 ? { path: paths[0] } : paths && paths.length > 1 ? { paths } : {}),
    ...(detail?.access ? { access: detail.access } : {}),
    ...(detail?.exec ? { argv: detail.exec.argv } : {}),
    ...(detail?.address ? { address: detail.address } : {}),
    ...(detail?.name ? { name: detail.name } : {}),
    ...(detail?.signal ? { signal: detail.signal } : {}),
    ...(rule ? { rule: { what: rule.what, ...(rule.text ? { text: rule.text } : {}), ...(rule.loc ? { at: locText(rule.loc) } : {}) } } : {}),
    ...(reason ? { reason } : {}),
    ...((would ?? d).hidden ? { hidden: true } : {}),
    ...(requestId ? { requestId } : {}),
    ...(tier ? { tier } : {}),
  };
}

/** The object of a call, for people: a path, an address, a program. */
function object(e: AuditEvent): string {
  if (e.argv) return e.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
  if (e.path) return e.path;
  if (e.paths) return e.paths.join(' -> ');
  if (e.address) return e.name ? `${e.address} (${e.name})` : e.address;
  if (e.name) return e.name;
  if (e.signal) return `signal ${e.signal.sig} to pid ${e.signal.target}`;
  return '';
}

/** An event as written to a log: a JSON line, or the readable line for a terminal. */
export const eventLine = (e: AuditEvent, human: boolean): string => (human ? humanLine(e) : JSON.stringify(e)) + '\n';

/** One line for a terminal: what, to whom, by which rule. */
export function humanLine(e: AuditEvent): string {
  const verb = e.decision === 'log' ? 'logged' : !e.enforced ? `would ${e.decision === 'kill' ? 'kill' : 'deny'}` : e.decision === 'kill' ? 'killed' : 'denied';
  const who = `${e.exe ? basename(e.exe) : 'pid'}[${e.pid}]`;
  const what = object(e);
  const access = e.access && e.access !== 'exec' ? ` (${e.access})` : '';
  const rule = e.rule ? ` — ${e.rule.what}${e.rule.text ? ` "${e.rule.text}"` : ''}${e.rule.at ? ` at ${e.rule.at}` : ''}` : '';
  const errno = e.errno && e.enforced ? ` → ${e.errno}` : '';
  return `syscage: ${verb} ${who} ${e.syscall}${what ? ` ${what}` : ''}${access}${errno}${rule}`;
}
