// Network destinations of the network section.
//
//   address  := "unix:" PATH-GLOB | "unix:@" NAME-GLOB | HOST ":" PORT | NAME ":" PORT
//   HOST     := "*" | IPV4 ["/" LEN] | "[" IPV6 ["/" LEN] "]" | "[" IPV6 "]/" LEN
//   NAME     := a host name or host pattern (host.ts): "api.stripe.com", "*.amazonaws.com"
//   PORT     := "*" | N | N "-" N                       (0..65535)
//
// IPv4-mapped IPv6 hosts (::ffff:a.b.c.d) are the IPv4 host they carry: a
// rule written either way matches both forms of the destination. A NAME is
// not an address: it allows a lookup of the name, and the addresses its DNS
// answers bind to it (lib/dns), for the rule's ports.
import { checkGlob, compileGlobs } from './glob.js';
import { looksLikeName, parseHostPattern } from './host.js';

export type AddressRule =
  | { readonly kind: 'ip'; readonly family: 4 | 6 | 'any'; readonly lo: bigint; readonly hi: bigint; readonly portLo: number; readonly portHi: number }
  | { readonly kind: 'unix'; readonly abstract: boolean; readonly pattern: string; readonly match: RegExp }
  | {
    readonly kind: 'host';
    /** The name or pattern, normalised (lower-case, no final dot). */
    readonly pattern: string;
    /** Matches a normalised name (host.ts normaliseHost). */
    readonly match: RegExp;
    readonly portLo: number;
    readonly portHi: number;
    /** Too broad to mean much ("*.com"): the loader warns. */
    readonly broad: boolean;
  };

/** What is wrong, and where in the address text when it is one part of it. */
export interface AddressError { readonly message: string; readonly offset?: number; readonly length?: number }

export function parseAddress(text: string): AddressRule | AddressError {
  if (text.startsWith('unix:')) return parseUnix(text.slice(5));
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { message: `"${text}" has no port: write HOST:PORT (PORT may be *)` };
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  if ('message' in port) return { ...port, offset: colon + 1, length: text.length - colon - 1 };
  if (looksLikeName(host)) {
    const name = parseHostPattern(host);
    if ('message' in name) return { ...name, offset: name.offset ?? 0, length: name.length ?? host.length };
    return { kind: 'host', pattern: name.pattern, match: new RegExp(name.source), portLo: port.lo, portHi: port.hi, broad: name.broad };
  }
  const range = parseHost(host);
  if ('message' in range) return { ...range, offset: 0, length: host.length };
  return { kind: 'ip', ...range, portLo: port.lo, portHi: port.hi };
}

function parseUnix(path: string): AddressRule | AddressError {
  if (path.startsWith('@')) {
    if (path.length < 2) return { message: 'an abstract UNIX socket name is empty' };
    // Abstract names are not paths: match them as one "segment" glob under a fake root.
    const body = path.slice(1);
    const bad = checkGlob('/' + body.replace(/\//g, '_'));
    if (bad) return { message: `abstract socket name ${bad.message}` };
    return { kind: 'unix', abstract: true, pattern: path, match: compileGlobs(['/' + body]) };
  }
  const bad = checkGlob(path);
  if (bad) return { message: `UNIX socket path ${bad.message}` };
  return { kind: 'unix', abstract: false, pattern: path, match: compileGlobs([path]) };
}

function parsePort(p: string): { lo: number; hi: number } | AddressError {
  if (p === '*') return { lo: 0, hi: 65535 };
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo > 65535 || hi > 65535) return { message: `port "${p}" must be a number 0-65535, a range a-b, or *` };
  if (lo > hi) return { message: `port range "${p}" runs backwards` };
  return { lo, hi };
}

type HostRange = { family: 4 | 6 | 'any'; lo: bigint; hi: bigint };

function parseHost(host: string): HostRange | AddressError {
  if (host === '*') return { family: 'any', lo: 0n, hi: (1n << 128n) - 1n };
  let addr = host;
  let len: string | undefined;
  const bracket = /^\[([^\]]*)\](?:\/(\d+))?$/.exec(host);
  if (bracket) {
    addr = bracket[1]!;
    len = bracket[2];
    const inner = /^(.*)\/(\d+)$/.exec(addr);
    if (inner) {
      if (len !== undefined) return { message: `"${host}" gives a prefix length twice` };
      addr = inner[1]!;
      len = inner[2];
    }
    const v6 = parseIPv6(addr);
    if (v6 === undefined) return { message: `"${addr}" is not an IPv6 address` };
    return prefixRange(6, v6, len, host);
  }
  const cidr = /^(.*)\/(\d+)$/.exec(host);
  if (cidr) {
    addr = cidr[1]!;
    len = cidr[2];
  }
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) return prefixRange(4, v4, len, host);
  if (parseIPv6(addr) !== undefined) return { message: `an IPv6 host must be in brackets: "[${addr}]:PORT"` };
  return { message: `"${host}" is not an IPv4 address, [IPv6] address, CIDR or *` };
}

const MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

function prefixRange(family: 4 | 6, base: bigint, lenText: string | undefined, host: string): HostRange | AddressError {
  const bits = family === 4 ? 32 : 128;
  const len = lenText === undefined ? bits : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bits) return { message: `prefix length in "${host}" must be 0-${bits}` };
  const hostBits = BigInt(bits - len);
  const mask = (1n << hostBits) - 1n;
  if ((base & mask) !== 0n) return { message: `"${host}" has host bits set below its /${len} prefix` };
  const range = { family, lo: base, hi: base | mask } as HostRange;
  // An IPv4-mapped IPv6 range is an IPv4 range.
  if (family === 6 && len >= 96 && (base >> 32n) === 0xffffn) {
    return { family: 4, lo: range.lo - MAPPED_PREFIX, hi: range.hi - MAPPED_PREFIX };
  }
  return range;
}

/** Dotted-quad IPv4 (four decimal octets, no leading zeros, as inet_pton) → integer. */
export function parseIPv4(a: string): bigint | undefined {
  const parts = a.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** IPv6 text (RFC 4291 2.2: "::" once at most, an IPv4 tail allowed) → 128-bit integer. */
export function parseIPv6(a: string): bigint | undefined {
  let text = a;
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = parseIPv4(tail[1]!);
    if (n === undefined) return undefined;
    text = `${text.slice(0, tail.index + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined) => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const count = head.length + rest.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = [...head, ...Array<string>(8 - count).fill('0'), ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function ipv4ToBigInt(a: string): bigint {
  const n = parseIPv4(a);
  if (n === undefined) throw new Error(`internal: not an IPv4 address: ${a}`);
  return n;
}

export function ipv6ToBigInt(a: string): bigint {
  const n = parseIPv6(a);
  if (n === undefined) throw new Error(`internal: not an IPv6 address: ${a}`);
  return n;
}

/** Does an IP destination match? IPv4-mapped IPv6 destinations are compared as IPv4. */
export function ipMatches(rule: AddressRule, family: 4 | 6, addr: bigint, port: number): boolean {
  if (rule.kind !== 'ip' || port < rule.portLo || port > rule.portHi) return false;
  if (rule.family === 'any') return true;
  const d = unmapped(family, addr);
  return d.family === rule.family && d.addr >= rule.lo && d.addr <= rule.hi;
}

/** An IP address as rules compare it: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it carries. */
export function unmapped(family: 4 | 6, addr: bigint): { readonly family: 4 | 6; readonly addr: bigint } {
  return family === 6 && addr >> 32n === 0xffffn ? { family: 4, addr: addr - MAPPED_PREFIX } : { family, addr };
}

/** Address text (IPv4 dotted quad or IPv6) → family and value; undefined for anything else. */
export function parseIP(text: string): { readonly family: 4 | 6; readonly addr: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, addr: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, addr: v6 };
}
