// Raw header helpers for the Runtime API proxy. Headers travel as Node's flat
// `rawHeaders` arrays ([name, value, name, value, ...]) so names keep their case
// and repeated headers keep their order: the proxy forwards them verbatim.

/** Hop-by-hop headers the proxy owns on each side (RFC 9110 §7.6.1); everything else passes. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'host']);

/** Copy `raw` without hop-by-hop headers, then append `extra` pairs. */
export function forwardable(raw: readonly string[], extra?: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (HOP.has(name.toLowerCase())) continue;
    out.push(name, raw[i + 1] as string);
  }
  if (extra) out.push(...extra);
  return out;
}

/** First value of header `lower` (lower-case name) in a raw array, or undefined. */
export function rawGet(raw: readonly string[], lower: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

/** Raw trailers as the [name, value] tuples `addTrailers` takes. */
export function trailerPairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}
