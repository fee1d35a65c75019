// Decoding a struct sockaddr from tracee memory (man 7 ip, ipv6, unix, netlink).
// Both supported arches are little-endian: sa_family is a u16 LE at offset 0;
// ports and IPv4/IPv6 addresses are in network order (big-endian).
//
//   sockaddr_in   family u16 | port be16 @2 | addr 4 bytes @4 | zero[8]     (16 bytes)
//   sockaddr_in6  family u16 | port be16 @2 | flowinfo u32 @4 | addr 16 @8 | scope u32 @24
//                 (the kernel accepts 24 bytes: SIN6_LEN_RFC2133, without scope_id)
//   sockaddr_un   family u16 | sun_path[108] @2
//                 path: up to the first NUL within the length, or the whole length
//                       (unix_mkname_bsd terminates it at addr_len);
//                 abstract: sun_path[0] == 0, the name is the remaining len-3 bytes,
//                       NULs included; len == 2 is the unnamed address.
//   sockaddr_nl   family u16 | pad | pid u32 | groups u32
import { constantNames, constantValue } from '../../arch/constants.js';

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

/** sizeof(struct sockaddr_storage): the kernel's bound on an address length. */
export const SOCKADDR_STORAGE = 128;
const SOCKADDR_IN = 16;
const SIN6_LEN_RFC2133 = 24;
const SOCKADDR_UN = 110;

/** A socket destination, decoded. */
export type Destination =
  | { readonly kind: 'ip'; readonly family: 4 | 6; readonly addr: bigint; readonly port: number; readonly text: string }
  /** A filesystem UNIX socket; `path` as written (possibly relative to the cwd). */
  | { readonly kind: 'unix'; readonly abstract: false; readonly path: string; readonly text: string }
  /** An abstract UNIX socket: `name` without the leading NUL. */
  | { readonly kind: 'unix'; readonly abstract: true; readonly name: string; readonly text: string }
  /** The unnamed UNIX address (length 2): bind() autobinds to a kernel-chosen abstract name. */
  | { readonly kind: 'unnamed'; readonly text: string }
  /** AF_UNSPEC: connect() dissolves the association; a send goes to the connected peer. */
  | { readonly kind: 'unspec'; readonly text: string }
  | { readonly kind: 'netlink'; readonly text: string }
  | { readonly kind: 'other'; readonly family: number; readonly text: string };

/** An address the kernel would reject (EINVAL), with why. */
export interface BadAddress { readonly bad: string }
export const isBad = (x: unknown): x is BadAddress => typeof x === 'object' && x !== null && 'bad' in x;

/** What the address is for: bind and connect read AF_UNSPEC differently from a send. */
export type Use = 'connect' | 'bind' | 'send';

/**
 * Decode `len` bytes of a sockaddr (`buf` holds at least that many). The
 * kernel's own length checks come first, so that what we decide on is what
 * the kernel would use.
 */
export function decodeSockaddr(buf: Buffer, len: number, use: Use): Destination | BadAddress {
  if (len < 2) return { bad: `address length ${len} is shorter than its family field` };
  const family = buf.readUInt16LE(0);
  switch (family) {
    case AF_INET: return inet(buf, len);
    case AF_INET6: return inet6(buf, len);
    case AF_UNIX: return unix(buf, len);
    case AF_NETLINK: return { kind: 'netlink', text: 'netlink' };
    case AF_UNSPEC:
      // connect(AF_UNSPEC) dissolves the association (inet_stream_connect,
      // inet_dgram_connect, unix_dgram_connect): it reaches nobody.
      if (use === 'connect') return { kind: 'unspec', text: 'AF_UNSPEC' };
      // But AF_UNSPEC is AF_INET to inet_bind ("compatibility games", INADDR_ANY
      // only) and to udp_sendmsg, which then sends to the address it carries.
      // Shorter, bind fails with EINVAL, and udpv6_sendmsg takes it as "the
      // connected peer".
      if (len >= SOCKADDR_IN) return inet(buf, len);
      if (use === 'bind') return { bad: `an AF_UNSPEC (AF_INET) address needs ${SOCKADDR_IN} bytes, got ${len}` };
      return { kind: 'unspec', text: 'AF_UNSPEC' };
    default:
      return { kind: 'other', family, text: familyName(family) };
  }
}

function inet(buf: Buffer, len: number): Destination | BadAddress {
  if (len < SOCKADDR_IN) return { bad: `an AF_INET address needs ${SOCKADDR_IN} bytes, got ${len}` };
  const port = buf.readUInt16BE(2);
  const a = buf.readUInt32BE(4);
  return { kind: 'ip', family: 4, addr: BigInt(a), port, text: `${formatIPv4(a)}:${port}` };
}

function inet6(buf: Buffer, len: number): Destination | BadAddress {
  if (len < SIN6_LEN_RFC2133) return { bad: `an AF_INET6 address needs ${SIN6_LEN_RFC2133} bytes, got ${len}` };
  const port = buf.readUInt16BE(2);
  const addr = (buf.readBigUInt64BE(8) << 64n) | buf.readBigUInt64BE(16);
  return { kind: 'ip', family: 6, addr, port, text: `[${formatIPv6(addr)}]:${port}` };
}

function unix(buf: Buffer, len: number): Destination | BadAddress {
  if (len > SOCKADDR_UN) return { bad: `an AF_UNIX address is at most ${SOCKADDR_UN} bytes, got ${len}` };
  if (len === 2) return { kind: 'unnamed', text: 'unix:' };
  if (buf[2] === 0) {
    const name = buf.toString('utf8', 3, len);
    return { kind: 'unix', abstract: true, name, text: `unix:@${name.replace(/\0/g, '\\0')}` };
  }
  const nul = buf.indexOf(0, 2);
  const path = buf.toString('utf8', 2, nul < 0 || nul > len ? len : nul);
  return { kind: 'unix', abstract: false, path, text: `unix:${path}` };
}

export function formatIPv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIPv6(addr: bigint): string {
  if (addr >> 32n === 0xffffn) return `::ffff:${formatIPv4(Number(addr & 0xffffffffn))}`;
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

let families: Map<number, string> | undefined;

/** "AF_PACKET (17)", or "257" for a number without a name; AF_UNIX over AF_LOCAL, AF_NETLINK over AF_ROUTE. */
export function familyName(n: number): string {
  if (!families) {
    families = new Map();
    for (const name of constantNames('x86_64')) {
      if (!name.startsWith('AF_')) continue;
      const v = Number(constantValue('x86_64', name));
      if (!families.has(v) || name === 'AF_UNIX' || name === 'AF_NETLINK') families.set(v, name);
    }
  }
  const name = families.get(n);
  return name ? `${name} (${n})` : String(n);
}
