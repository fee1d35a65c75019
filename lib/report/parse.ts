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
  | { readonly kind: 'event'; readonly event: AuditEvent }
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
  if (message.startsWith(RESTART)) return { kind: 'restart', ...(rid ? { requestId: rid } : {}), time, what: message.slice(RESTART.length).split('\t', 1)[0]!.replace(/"$/, '') };
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
    if (o.message.startsWith(RESTART)) {
      return { kind: 'restart', ...(rid ? { requestId: rid } : {}), ...(typeof o.timestamp === 'string' ? { time: o.timestamp } : {}), what: o.message.slice(RESTART.length) };
    }
    return OTHER;
  }
  if ('syscage' in o) return eventOf(o.syscage, undefined);
  // `run --log`: the event itself.
  if ('syscall' in o && 'decision' in o) return eventOf(o, undefined);
  return OTHER;
}

const bad = (why: string): Parsed => ({ kind: 'bad', why });

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
  const event = (requestId && e.requestId === undefined ? { ...e, requestId } : e) as unknown as AuditEvent;
  return { kind: 'event', event };
}
