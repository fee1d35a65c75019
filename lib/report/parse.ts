// One line of a log → what it is. The record is found inside the line wherever it is, so that
// the same reader takes:
//   - `syscage run --log` JSON lines (an AuditEvent per line);
//   - the Lambda bootstrap's lines (lib/runtime/log.ts): JSON format, the event under "syscage";
//     Text format, "ISO\tREQUESTID\tLEVEL\tmessage {"syscage":{…}}";
//   - those lines as CloudWatch exports them: a timestamp and a stream name before the message
//     (`aws logs tail`, `filter-log-events --output text`, which also puts columns after it), or a
//     console CSV export that quotes the message.
// A CloudWatch EMF record (an object with "_aws") is recognised and ignored. A line with no
// syscage record is the function's own output: "other". A line that looks like a syscage record
// but does not parse is "bad", with the reason.
import type { AuditEvent } from '../audit/event.js';

export type Parsed =
  /** `cut`: a field was longer than its bound (MAX_TEXT, MAX_NAME, MAX_LIST) and was cut. */
  | { readonly kind: 'event'; readonly event: AuditEvent; readonly cut: boolean }
  | { readonly kind: 'restart'; readonly requestId?: string; readonly time?: string; readonly what: string }
  | { readonly kind: 'emf' }
  | { readonly kind: 'other' }
  | { readonly kind: 'bad'; readonly why: string };

const OTHER: Parsed = { kind: 'other' };
const EMF: Parsed = { kind: 'emf' };
const RESTART = 'syscage: restarting the handler: ';
const TEXT_RECORD = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\t([^\t]*)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t(.*)$/s;
/** Where a JSON record may start: a run --log event, a bootstrap JSON record, an EMF record. */
const JSON_START = /\{"(?:time|timestamp|_aws|syscage)"\s*:/;

export function parseLine(line: string): Parsed {
  // A console CSV export: the message is a quoted field with its quotes doubled.
  // Only a field holding a doubled-quote object ({""…) is taken: a JSON line never has one.
  if (line.includes('{""') && !line.startsWith('{')) {
    for (const f of line.matchAll(/(?:^|,)"((?:[^"]|"")*)"(?=,|$)/g)) {
      if (f[1]!.includes('{""')) return parseLine(f[1]!.replace(/""/g, '"'));
    }
  }
  // (A JSON record has no raw tab: only a line with one can be a Text record.)
  const text = line.includes('\t') ? TEXT_RECORD.exec(line) : null;
  if (text) return parseText(text[1]!, text[2]!, text[4]!);
  const m = JSON_START.exec(line);
  if (m) return parseJsonAt(line, m.index);
  if (/"syscage"\s*:|^\s*\{\s*"(?:time|profile|syscall)"/.test(line)) return bad('a syscage record that is not JSON');
  return OTHER;
}

/** The bootstrap's Text format: the fields' JSON is appended to the message after a space. */
function parseText(time: string, requestId: string, message: string): Parsed {
  const rid = requestId && requestId !== 'undefined' ? requestId : undefined;
  // An export's columns after the message (a tab, a CSV quote) are not part of what happened.
  if (message.startsWith(RESTART)) return restart(rid, time, message.slice(RESTART.length).split('\t', 1)[0]!.replace(/"$/, ''));
  // The event's JSON cannot contain the sequence {"syscage": (quotes inside its strings are
  // escaped), the message before it can: the last one is the record's.
  const at = message.lastIndexOf(' {"syscage":');
  if (at < 0) {
    if (message.startsWith('{"_aws"')) return EMF;
    return message.includes('"syscage"') ? bad('a syscage record that is not JSON') : OTHER;
  }
  const obj = jsonObjectAt(message, at + 1);
  if (typeof obj === 'string') return bad(obj);
  return eventOf((obj as { syscage?: unknown }).syscage, rid);
}

function parseJsonAt(line: string, at: number): Parsed {
  const obj = jsonObjectAt(line, at);
  if (typeof obj === 'string') {
    // A JSON line that is cut or broken: bad only when it claims to be one of ours.
    // (an audit event starts {"time":…,"profile": — auditEvent writes those first).
    return /"syscage"|"syscall"\s*:|"decision"\s*:|"_aws"/.test(line) || /^\{"time":"[^"]*","profile":/.test(line.slice(at)) ? bad(obj) : OTHER;
  }
  const o = obj as Record<string, unknown>;
  if ('_aws' in o) return EMF;
  // The bootstrap's JSON format: {"timestamp","level","requestId","message",…fields}.
  if (typeof o.message === 'string' && 'level' in o) {
    const rid = typeof o.requestId === 'string' ? o.requestId : undefined;
    if ('syscage' in o) return eventOf(o.syscage, rid);
    if (o.message.startsWith(RESTART)) return restart(rid, typeof o.timestamp === 'string' ? o.timestamp : undefined, o.message.slice(RESTART.length));
    return OTHER;
  }
  if ('syscage' in o) return eventOf(o.syscage, undefined);
  // `run --log`: the event itself.
  if ('syscall' in o && 'decision' in o) return eventOf(o, undefined);
  return OTHER;
}

const bad = (why: string): Parsed => ({ kind: 'bad', why });

/** A restart, its strings bounded like an event's; a time outside TIME_WINDOW is left out. */
function restart(requestId: string | undefined, time: string | undefined, what: string): Parsed {
  const c = { n: 0 };
  const rid = requestId === undefined ? undefined : own(bound(requestId, MAX_NAME, c));
  const t = time === undefined ? NaN : Date.parse(time);
  return { kind: 'restart', ...(rid ? { requestId: rid } : {}), ...(time !== undefined && inWindow(t) ? { time } : {}), what: bound(what, MAX_TEXT, c) };
}

// Bounds on what one event may keep: every string of a log is the attacker's and a line may be
// 1 MiB, so a field kept whole (an invocation id in the exact set, a key of a top list, a path in
// a process tree) would let a log of distinct long strings take memory without bound. Each field
// is cut at parse time, its end replaced by '…', and the event counted as cut.

/** Paths, argv elements, exe, addresses, host names, reasons, a rule's entry and position. */
export const MAX_TEXT = 1024;
/** Request ids, profile names, syscall names, errno names, access, a rule's name. */
export const MAX_NAME = 128;
/** Elements of argv and paths; past it the last kept element says how many more there were. */
export const MAX_LIST = 32;

/**
 * At most `max` UTF-16 units, ending in '…' when cut (never splitting a surrogate pair). The cut
 * text is copied: a substring of a long string may keep the whole of it alive in V8.
 */
export function bound(s: string, max: number, cut: { n: number }): string {
  if (s.length <= max) return s;
  cut.n++;
  let end = max - 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  const units = new Array<number>(end + 1);
  for (let i = 0; i < end; i++) units[i] = s.charCodeAt(i);
  units[end] = 0x2026;
  return String.fromCharCode(...units);
}

/** A fresh copy of a bounded string (one taken out of a line by a regexp is a slice of the line). */
function own(s: string): string {
  if (s.length < 13) return s;
  let out = '';
  for (let i = 0; i < s.length; i += 4096) out += String.fromCharCode(...Array.from({ length: Math.min(4096, s.length - i) }, (_, j) => s.charCodeAt(i + j)));
  return out;
}

function boundList(l: readonly string[], cut: { n: number }): string[] {
  const out = l.slice(0, MAX_LIST).map((x) => bound(x, MAX_TEXT, cut));
  if (l.length > MAX_LIST) {
    cut.n++;
    out[MAX_LIST - 1] = `… (${l.length - MAX_LIST + 1} more)`;
  }
  return out;
}

/** Events outside this window are bad lines: no syscage ran then, and the page could not date them. */
export const TIME_WINDOW = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2200, 0, 1) } as const;
const inWindow = (t: number): boolean => t >= TIME_WINDOW.from && t < TIME_WINDOW.to;

/**
 * The JSON object that starts at `at`: its end found by scanning (strings and escapes
 * respected), so that columns after it (an export's timestamp, event id) are left out.
 * A string is the reason it is not one.
 */
export function jsonObjectAt(s: string, at: number): unknown {
  // Most records end the line: the native parser takes them whole; only when something follows
  // (an export's columns) is the end found by scanning.
  if (s.charCodeAt(s.length - 1) === 125 /* } */) {
    try {
      return JSON.parse(at === 0 ? s : s.slice(at)) as unknown;
    } catch { /* scanned below */ }
  }
  let depth = 0;
  let inString = false;
  for (let i = at; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth === 0) {
        try {
          return JSON.parse(s.slice(at, i + 1)) as unknown;
        } catch (e) {
          return `not JSON: ${(e as Error).message}`;
        }
      }
    }
  }
  return 'not JSON: the record is cut short';
}

const DECISIONS = new Set(['deny', 'kill', 'log']);
const TIERS = new Set(['kernel', 'bpf', 'runtime']);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const strList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

/** An AuditEvent, checked field by field: wrong types make the line bad, never a crash later. */
function eventOf(v: unknown, requestId: string | undefined): Parsed {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('the syscage field is not an object');
  const e = v as Record<string, unknown>;
  const wrong = (field: string): Parsed => bad(`an audit event whose "${field}" is missing or of the wrong type`);
  if (!isStr(e.time) || Number.isNaN(Date.parse(e.time))) return wrong('time');
  if (!inWindow(Date.parse(e.time))) return bad('an audit event whose "time" is outside 1970-01-01 … 2200-01-01');
  if (!isStr(e.profile)) return wrong('profile');
  if (!isInt(e.pid)) return wrong('pid');
  if (!isStr(e.syscall)) return wrong('syscall');
  if (!isStr(e.decision) || !DECISIONS.has(e.decision)) return wrong('decision');
  if (typeof e.enforced !== 'boolean') return wrong('enforced');
  for (const f of ['tid', 'ppid'] as const) if (e[f] !== undefined && !isInt(e[f])) return wrong(f);
  for (const f of ['exe', 'errno', 'path', 'access', 'address', 'name', 'reason', 'requestId'] as const) if (e[f] !== undefined && !isStr(e[f])) return wrong(f);
  for (const f of ['paths', 'argv'] as const) if (e[f] !== undefined && !strList(e[f])) return wrong(f);
  if (e.hidden !== undefined && typeof e.hidden !== 'boolean') return wrong('hidden');
  if (e.tier !== undefined && !(isStr(e.tier) && TIERS.has(e.tier))) return wrong('tier');
  if (e.rule !== undefined) {
    const r = e.rule as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || !isStr(r.what) || (r.text !== undefined && !isStr(r.text)) || (r.at !== undefined && !isStr(r.at))) return wrong('rule');
  }
  if (e.signal !== undefined) {
    const s = e.signal as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || !isInt(s.target) || !isInt(s.sig)) return wrong('signal');
  }
  // Only the known fields, each bounded; the time as an ISO string of its own.
  const c = { n: 0 };
  const out: Record<string, unknown> = { time: new Date(Date.parse(e.time)).toISOString(), pid: e.pid, decision: e.decision, enforced: e.enforced };
  for (const f of ['tid', 'ppid', 'hidden', 'tier'] as const) if (e[f] !== undefined) out[f] = e[f];
  const rid = requestId && e.requestId === undefined ? own(bound(requestId, MAX_NAME, c)) : e.requestId;
  if (rid !== undefined) out.requestId = rid;
  out.profile = e.profile;
  out.syscall = e.syscall;
  for (const f of ['errno', 'access'] as const) if (e[f] !== undefined) out[f] = e[f];
  for (const f of ['profile', 'syscall', 'errno', 'access', 'requestId'] as const) if (isStr(out[f])) out[f] = bound(out[f], MAX_NAME, c);
  for (const f of ['exe', 'path', 'address', 'name', 'reason'] as const) if (isStr(e[f])) out[f] = bound(e[f], MAX_TEXT, c);
  for (const f of ['paths', 'argv'] as const) if (strList(e[f])) out[f] = boundList(e[f], c);
  if (e.rule !== undefined) {
    const r = e.rule as { what: string; text?: string; at?: string };
    out.rule = { what: bound(r.what, MAX_NAME, c), ...(r.text !== undefined ? { text: bound(r.text, MAX_TEXT, c) } : {}), ...(r.at !== undefined ? { at: bound(r.at, MAX_TEXT, c) } : {}) };
  }
  if (e.signal !== undefined) {
    const sg = e.signal as { target: number; sig: number };
    out.signal = { target: sg.target, sig: sg.sig };
  }
  return { kind: 'event', event: out as unknown as AuditEvent, cut: c.n > 0 };
}
