// Drift: what the logs and recordings show the function doing that a profile does not allow.
// Each act (a file read or written, a program started, a destination, a syscall) is judged with
// the profile's compiled matchers (lib/trace/decide/matchers.ts), the same ones the supervisor
// uses; what a profile leaves to its syscall lists (an absent section) is judged by those lists,
// through the compiler's own plan of the profile (lib/compile/plan.ts) for one arch. An event
// names its syscall; a recording does not, so a recorded act of a section the profile lacks is
// left unjudged (and the page says how many were).
import type { Arch } from '../arch/index.js';
import type { AuditEvent } from '../audit/event.js';
import { planProfile, type FilterAction, type Origin, type Plan, type SyscallPlan } from '../compile/index.js';
import { locText, type SourceLoc } from '../profile/diagnostic.js';
import type { Profile } from '../profile/types.js';
import { compileMatchers, addressQuery, type Matchers } from '../trace/decide/matchers.js';
import type { ObservedKind } from './recording.js';

export type ActKind = ObservedKind | 'syscall';

export interface Act {
  readonly kind: ActKind;
  /** The path, program, destination or syscall. */
  readonly object: string;
  /** The syscall that did it (an event's; a recording names none): judged by the syscall lists when the profile has no section for the act. */
  readonly syscall?: string;
}

/** Why the profile does not allow an act: the rule, with its file:line when it has one. */
export type Refusal = string;

const at = (loc: SourceLoc | undefined): string => (loc ? ` at ${locText(loc)}` : '');

/** What an event shows the function doing; undefined when it shows nothing to judge (a look, a signal). */
export function actOf(e: AuditEvent): Act | undefined {
  if (e.hidden) return undefined;
  const syscall = e.syscall;
  if (e.argv || e.access === 'exec') return { kind: 'exec', object: e.path ?? e.paths?.[0] ?? e.argv?.[0] ?? '?', syscall };
  const path = e.path ?? e.paths?.[0];
  if (path !== undefined) return { kind: e.access?.includes('write') ? 'write' : 'read', object: path, syscall };
  if (e.address !== undefined) return { kind: e.syscall === 'bind' ? 'bind' : 'connect', object: e.address, syscall };
  if (e.name !== undefined) return { kind: 'connect', object: e.name, syscall };
  if (e.signal) return undefined;
  return { kind: 'syscall', object: e.syscall };
}

/** Events do not say their arch: `syscage report --arch`, x86_64 by default. */
export const DEFAULT_ARCH: Arch = 'x86_64';

/** A verdict with the supervisor's trap resolved: does the call end refused when its checks pass? */
function refusedBy(plan: Plan, v: FilterAction): boolean {
  if (v.kind === 'trace') return plan.traps[v.id]?.refuse !== undefined;
  return v.kind === 'errno' || v.kind === 'kill';
}

export class Judge {
  private readonly m: Matchers;
  private plan: Plan | undefined;
  private byName: Map<string, SyscallPlan> | undefined;

  constructor(readonly profile: Profile, readonly arch: Arch = DEFAULT_ARCH) {
    this.m = compileMatchers(profile);
  }

  /** Whether the profile has the section that governs an act (else only its syscall lists do). */
  hasSection(kind: ActKind): boolean {
    switch (kind) {
      case 'read': case 'write': return !!this.m.files;
      case 'exec': return !!this.m.exec;
      case 'connect': case 'bind': return !!this.m.network?.[kind];
      case 'syscall': return true;
    }
  }

  /** Why the profile refuses the act; undefined when it allows it (or cannot tell). */
  refuses(act: Act, name?: string): Refusal | undefined {
    const m = this.m;
    switch (act.kind) {
      case 'read':
      case 'write': {
        const f = m.files;
        if (!f) return this.bySyscall(act);
        const deny = f.deny.which(act.object);
        if (deny) return `files.deny "${deny.text}"${at(deny.loc)}`;
        if (act.kind === 'read' ? f.readable.test(act.object) : f.write.test(act.object)) return undefined;
        const list = act.kind === 'read' ? f.read : f.write;
        return `${list.missing.text}${at(list.missing.loc)}`;
      }
      case 'exec': {
        const x = m.exec;
        if (!x) return this.bySyscall(act);
        if (x.allow.test(act.object)) return undefined;
        return `${x.allow.missing.text}${at(x.allow.missing.loc)}`;
      }
      case 'connect':
      case 'bind': {
        const list = m.network?.[act.kind];
        if (!list) return this.bySyscall(act);
        const q = addressQuery(act.object);
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

  /** An act whose section the profile lacks: by its syscall, when the act names one (an event's does, a recording's not). */
  private bySyscall(act: Act): Refusal | undefined {
    return act.syscall === undefined ? undefined : this.syscall(act.syscall);
  }

  /**
   * By the compiler's plan for this arch: the syscall lists, rules, `default`, the built-in
   * refusals (PROTECTED syscalls unless named, process.fork) exactly as the filter applies them.
   * Refused when every way through its plan refuses; a rule on its arguments that may allow it
   * (the log does not carry them) counts as allowing. A name this arch does not have: cannot tell.
   */
  private syscall(name: string): Refusal | undefined {
    if (!this.byName) {
      this.plan = planProfile(this.profile, this.arch, { supervised: true, traceExec: true });
      this.byName = new Map(this.plan.syscalls.map((s) => [s.name, s]));
    }
    const sp = this.byName.get(name);
    if (!sp) return undefined;
    const plan = this.plan!;
    for (const st of sp.steps) {
      if (!refusedBy(plan, st.verdict)) return undefined;
      if (st.conditions.length === 0) return this.why(name, st.origin);
    }
    return refusedBy(plan, sp.fallback) ? this.why(name, sp.origin) : undefined;
  }

  private why(name: string, o: Origin): Refusal {
    if (o.what === 'default') return `default: ${this.profile.default.value} ("${name}" not named in syscalls)${at(o.loc)}`;
    if (o.what === 'syscalls.deny' || o.what === 'syscalls.kill') return `${o.what} "${name}"${at(o.loc)}`;
    if (o.what.startsWith('built-in')) return `"${name}": ${o.what}`;
    return `${o.what}${at(o.loc)}`;
  }
}
