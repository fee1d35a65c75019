// A line on the report channel, read by the bootstrap: checked for shape (the
// handler's own code can write to the channel too). The channel is the run's
// own: whatever is written on it is about that run, and the pid it claims must
// be one of the run's processes (lib/monitor/seatbelt.ts checks it in /proc).
import type { SeatbeltBinding, SeatbeltReport } from './types.js';

const ACTS = new Set(['open', 'exec', 'fork', 'connect', 'bind', 'resolve', 'native', 'other']);
const RULES = new Set(['files.deny', 'files.read', 'files.write', 'exec.allow', 'network.connect', 'network.bind', 'process.fork', 'seatbelts.native', 'seatbelts']);
const MAX_TEXT = 4096;

const str = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;

/** A binding line (a lookup of an allowed name and its addresses), or why it is not one. */
function parseBinding(v: Record<string, unknown>): SeatbeltBinding | { readonly bad: string } {
  if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return { bad: 'no pid' };
  if (v.runtime !== 'node' && v.runtime !== 'python') return { bad: 'unknown runtime' };
  if (!str(v.name) || !str(v.api)) return { bad: 'no name' };
  const a = v.addresses;
  if (!Array.isArray(a) || a.length > 1024 || !a.every((x) => typeof x === 'string' && x.length <= 64)) return { bad: 'bad addresses' };
  return v as unknown as SeatbeltBinding;
}

/** A report line, or why it is not one. */
export function parseReport(line: string): SeatbeltReport | SeatbeltBinding | { readonly bad: string } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { bad: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null) return { bad: 'not an object' };
  if (v.act === 'resolved') return parseBinding(v);
  if (!ACTS.has(v.act as string)) return { bad: `unknown act ${JSON.stringify(v.act)}` };
  if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return { bad: 'no pid' };
  if (v.runtime !== 'node' && v.runtime !== 'python') return { bad: 'unknown runtime' };
  if (!str(v.api)) return { bad: 'no api' };
  const r = v.rule as Record<string, unknown> | undefined;
  if (typeof r !== 'object' || r === null || !RULES.has(r.what as string)) return { bad: 'unknown rule' };
  if ((r.text !== undefined && !str(r.text)) || (r.loc !== undefined && !str(r.loc))) return { bad: 'bad rule' };
  const target = v.act === 'open' || v.act === 'exec' || v.act === 'native' ? v.path : v.act === 'connect' || v.act === 'bind' ? v.address : v.act === 'resolve' ? v.name : v.act === 'other' ? v.what : '';
  if (!str(target)) return { bad: `no target for ${v.act as string}` };
  if (v.act === 'open' && v.access !== 'read' && v.access !== 'write') return { bad: 'bad access' };
  return v as unknown as SeatbeltReport;
}
