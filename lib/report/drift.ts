// Drift: what the logs and recordings show the function doing that a profile does not allow.
// Each act (a file read or written, a program started, a destination, a syscall) is judged with
// the profile's compiled matchers (lib/trace/decide/matchers.ts), the same ones the supervisor
// uses; what a profile leaves to its syscall lists (an absent section) is judged by those lists.
import type { AuditEvent } from '../audit/event.js';
import { parseAddress } from '../profile/address.js';
import { locText, type SourceLoc } from '../profile/diagnostic.js';
import type { Profile } from '../profile/types.js';
import { compileMatchers, type AddressQuery, type Matchers } from '../trace/decide/matchers.js';
import type { ObservedKind } from './recording.js';

export type ActKind = ObservedKind | 'syscall';

export interface Act {
  readonly kind: ActKind;
  /** The path, program, destination or syscall. */
  readonly object: string;
}

/** Why the profile does not allow an act: the rule, with its file:line when it has one. */
export type Refusal = string;

const at = (loc: SourceLoc | undefined): string => (loc ? ` at ${locText(loc)}` : '');

/** What an event shows the function doing; undefined when it shows nothing to judge (a look, a signal). */
export function actOf(e: AuditEvent): Act | undefined {
  if (e.hidden) return undefined;
  if (e.argv || e.access === 'exec') return { kind: 'exec', object: e.path ?? e.paths?.[0] ?? e.argv?.[0] ?? '?' };
  const path = e.path ?? e.paths?.[0];
  if (path !== undefined) return { kind: e.access?.includes('write') ? 'write' : 'read', object: path };
  if (e.address !== undefined) return { kind: e.syscall === 'bind' ? 'bind' : 'connect', object: e.address };
  if (e.name !== undefined) return { kind: 'connect', object: e.name };
  if (e.signal) return undefined;
  return { kind: 'syscall', object: e.syscall };
}

/** A destination text → what the address rules match. */
function query(text: string): AddressQuery | undefined {
  if (text.startsWith('unix:@')) return { kind: 'unix', abstract: true, path: text.slice(6).replace(/\\0/g, '\0') };
  if (text.startsWith('unix:')) return { kind: 'unix', abstract: false, path: text.slice(5) };
  const r = parseAddress(text);
  if ('message' in r || r.kind !== 'ip' || r.family === 'any') return undefined;
  return { kind: 'ip', family: r.family, addr: r.lo, port: r.portLo };
}

export class Judge {
  private readonly m: Matchers;

  constructor(readonly profile: Profile) {
    this.m = compileMatchers(profile);
  }

  /** Why the profile refuses the act; undefined when it allows it (or cannot tell). */
  refuses(act: Act, name?: string): Refusal | undefined {
    const m = this.m;
    switch (act.kind) {
      case 'read':
      case 'write': {
        const f = m.files;
        if (!f) return undefined;
        const deny = f.deny.which(act.object);
        if (deny) return `files.deny "${deny.text}"${at(deny.loc)}`;
        if (act.kind === 'read' ? f.readable.test(act.object) : f.write.test(act.object)) return undefined;
        const list = act.kind === 'read' ? f.read : f.write;
        return `${list.missing.text}${at(list.missing.loc)}`;
      }
      case 'exec': {
        const x = m.exec;
        if (!x || x.allow.test(act.object)) return undefined;
        return `${x.allow.missing.text}${at(x.allow.missing.loc)}`;
      }
      case 'connect':
      case 'bind': {
        const list = m.network?.[act.kind];
        if (!list) return undefined;
        const q = query(act.object);
        if (q && list.which(q)) return undefined;
        // A name (a refused lookup, or the name an address was bound to) allowed by a host rule.
        const host = name ?? (q ? undefined : act.object.replace(/:\d+$/, ''));
        const port = q?.kind === 'ip' ? q.port : /:(\d+)$/.exec(act.object)?.[1];
        if (host && list.whichName(host.toLowerCase(), port === undefined ? undefined : Number(port))) return undefined;
        if (!q && !host) return undefined;
        return `${list.missing.text}${at(list.missing.loc)}`;
      }
      case 'syscall':
        return this.syscall(act.object);
    }
  }

  /** By the syscall lists (any arch): deny and kill win, then rules and allow/log, then default. */
  private syscall(name: string): Refusal | undefined {
    const s = this.profile.syscalls;
    const lists = [s, ...Object.values(s.arch)];
    for (const l of lists) {
      for (const k of ['kill', 'deny'] as const) {
        const hit = l?.[k].find((x) => x.value === name);
        if (hit) return `syscalls.${k} "${name}"${at(hit.loc)}`;
      }
    }
    if (lists.some((l) => l && [...l.allow, ...l.log].some((x) => x.value === name))) return undefined;
    if (s.rules.some((r) => r.syscalls.some((x) => x.value === name))) return undefined;
    const d = this.profile.default;
    return d.value === 'allow' || d.value === 'log' ? undefined : `default: ${d.value} (not named in syscalls)${at(d.loc)}`;
  }
}
