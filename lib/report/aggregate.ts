// Everything the page shows, gathered in one pass over the logs with bounded memory: counters,
// top-k tables (bounded.ts), the first MAX_INVOCATIONS invocations in detail (their timeline and
// process tree, each capped), and the drift from a profile. No event is kept once counted.
import type { AuditEvent } from '../audit/event.js';
import { Distinct, TimeHistogram, TopK } from './bounded.js';
import { actOf, type Act, type Judge } from './drift.js';
import type { Observed } from './recording.js';
import { ProcTree } from './tree.js';

export interface Limits {
  /** Invocations kept in detail (timeline row and process tree): the first ones seen. */
  readonly invocations: number;
  /** Marks per invocation's timeline row. */
  readonly marks: number;
  /** Distinct keys each top-k table tracks. */
  readonly keys: number;
  /** Distinct invocations counted exactly, before the estimate. */
  readonly distinct: number;
}

export const DEFAULT_LIMITS: Limits = { invocations: 50, marks: 400, keys: 1000, distinct: 20000 };

export type Decision = 'deny' | 'kill' | 'log';
export const DECISIONS: readonly Decision[] = ['deny', 'kill', 'log'];

export interface Mark {
  readonly t: number;
  readonly d: Decision;
}

export interface Invocation {
  readonly id: string;
  /** No request id: the events of one `run --log` file. */
  readonly synthetic: boolean;
  first: number;
  last: number;
  events: number;
  readonly byDecision: Record<Decision, number>;
  restarts: number;
  readonly marks: Mark[];
  readonly tree: ProcTree;
}

/** Where an example came from. */
export interface Example {
  readonly where: string;
  readonly text: string;
}

export interface RuleExtra {
  readonly what: string;
  readonly text?: string;
  readonly at?: string;
}

export interface BadLine {
  readonly where: string;
  readonly why: string;
}

export class Aggregate {
  files = 0;
  lines = 0;
  events = 0;
  bad = 0;
  other = 0;
  emf = 0;
  restarts = 0;
  hidden = 0;
  /** Events with a field cut to its bound (parse.ts: MAX_TEXT, MAX_NAME, MAX_LIST). */
  cut = 0;
  audit = 0;
  recordings = 0;
  recordedEntries = 0;
  /** Recorded acts of a section the profile lacks: a recording names no syscall to judge them by. */
  unjudged = 0;
  readonly byDecision: Record<Decision, number> = { deny: 0, kill: 0, log: 0 };
  first = Infinity;
  last = -Infinity;
  readonly tiers = new Map<string, number>();
  readonly profiles: TopK;
  readonly invocationIds: Distinct;
  readonly busiest: TopK;
  readonly detailed = new Map<string, Invocation>();
  readonly paths: TopK<Example>;
  readonly programs: TopK<Example>;
  readonly destinations: TopK<Example>;
  readonly syscalls: TopK<Example>;
  readonly rules: TopK<RuleExtra>;
  readonly histogram = new TimeHistogram<Decision>(DECISIONS);
  /** Acts the profile does not allow, keyed "kind\tobject". */
  readonly drift: TopK<{ act: Act; why: string; example: Example }>;
  /** What recordings show (when there are some). */
  readonly recorded: TopK<{ kind: string; value: string; example?: string }>;

  constructor(readonly limits: Limits = DEFAULT_LIMITS, readonly judge?: Judge) {
    const k = limits.keys;
    this.profiles = new TopK(64);
    this.invocationIds = new Distinct(limits.distinct);
    this.busiest = new TopK(k);
    this.paths = new TopK(k);
    this.programs = new TopK(k);
    this.destinations = new TopK(k);
    this.syscalls = new TopK(k);
    this.rules = new TopK(k);
    this.drift = new TopK(k);
    this.recorded = new TopK(k);
  }

  invocation(id: string, synthetic: boolean, t: number): Invocation | undefined {
    let inv = this.detailed.get(id);
    if (!inv && this.detailed.size < this.limits.invocations) {
      inv = { id, synthetic, first: t, last: t, events: 0, byDecision: { deny: 0, kill: 0, log: 0 }, restarts: 0, marks: [], tree: new ProcTree() };
      this.detailed.set(id, inv);
    }
    return inv;
  }

  /** An event of FILE:LINE; `fileKey` names the invocation of an event without a request id. */
  event(e: AuditEvent, where: string, fileKey: string): void {
    this.events++;
    const t = Date.parse(e.time);
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    this.byDecision[e.decision]++;
    if (e.hidden) this.hidden++;
    if (!e.enforced && e.decision !== 'log') this.audit++;
    if (e.tier) this.tiers.set(e.tier, (this.tiers.get(e.tier) ?? 0) + 1);
    this.profiles.add(e.profile, () => undefined);
    this.histogram.add(t, e.decision);

    const id = e.requestId ?? fileKey;
    this.invocationIds.add(id);
    this.busiest.add(id, () => undefined);
    const inv = this.invocation(id, e.requestId === undefined, t);
    if (inv) {
      inv.events++;
      inv.byDecision[e.decision]++;
      if (t < inv.first) inv.first = t;
      if (t > inv.last) inv.last = t;
      if (inv.marks.length < this.limits.marks) inv.marks.push({ t, d: e.decision });
      inv.tree.add(e);
    }

    if (e.rule) {
      const r = e.rule;
      this.rules.add(`${r.what}\t${r.text ?? ''}\t${r.at ?? ''}`, () => ({ what: r.what, ...(r.text !== undefined ? { text: r.text } : {}), ...(r.at !== undefined ? { at: r.at } : {}) }));
    }
    const act = actOf(e);
    if (act && e.decision !== 'log') {
      const ex = (): Example => ({ where, text: e.reason ?? `${e.syscall} ${act.object}` });
      const table = act.kind === 'exec' ? this.programs : act.kind === 'connect' || act.kind === 'bind' ? this.destinations : act.kind === 'syscall' ? this.syscalls : this.paths;
      table.add(act.kind === 'connect' && e.name && e.address ? `${e.address} (${e.name})` : act.object, ex);
    }
    if (act && this.judge) this.judgeAct(act, e.name, 1, () => ({ where, text: e.reason ?? `${e.exe ?? 'pid ' + e.pid} ${e.syscall} ${act.object}` }));
  }

  restart(requestId: string | undefined, time: string | undefined, fileKey: string): void {
    this.restarts++;
    const t = time ? Date.parse(time) : NaN;
    const id = requestId ?? fileKey;
    this.invocationIds.add(id);
    const inv = this.invocation(id, requestId === undefined, Number.isNaN(t) ? (Number.isFinite(this.last) ? this.last : 0) : t);
    if (inv) inv.restarts++;
  }

  observed(o: Observed, file: string): void {
    this.recordedEntries++;
    this.recorded.add(`${o.kind}\t${o.value}`, () => ({ kind: o.kind, value: o.value, ...(o.example ? { example: o.example } : {}) }), o.count);
    if (this.judge && !this.judge.hasSection(o.kind)) this.unjudged += o.count;
    else if (this.judge) {
      const act: Act = { kind: o.kind, object: o.example ?? o.value };
      this.judgeAct(act, undefined, o.count, () => ({ where: `${file}:${o.line}`, text: `recorded: ${o.kind} ${o.value}${o.example ? ` (e.g. ${o.example})` : ''}` }));
    }
  }

  private judgeAct(act: Act, name: string | undefined, n: number, example: () => Example): void {
    const why = this.judge!.refuses(act, name);
    if (why === undefined) return;
    this.drift.add(`${act.kind}\t${act.object}`, () => ({ act, why, example: example() }), n);
  }
}
