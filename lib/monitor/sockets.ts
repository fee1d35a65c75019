// The IPv4 and IPv6 sockets of a network namespace, as its /proc/PID/net tables show them: for each
// socket inode, the protocol and both ends. Pure data access, no policy; the monitor joins these
// with the `socket:[INODE]` descriptors of each process (procfs.ts descriptors()).
//
// The tables (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock,
// net/ipv4/udp.c udp4_format_sock, net/ipv6/datagram.c __ip6_dgram_sock_seq_show — the ping and
// raw tables print the same columns as udp):
//
//      sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ...
//   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 823654 ...
//   token 1 local, 2 remote, 3 state (hex), 9 inode (decimal); a header line first.
//
// An address is printed "%08X" per 32-bit word *as the word sits in memory*: the bytes are in
// network order, so on a little-endian machine (x86_64, aarch64) each word reads byte-swapped:
// 127.0.0.1 is 0100007F, ::1 is 00000000000000000000000001000000. The port is ntohs'd first and
// reads as is (1F90 = 8080). The state is the TCP state (1 ESTABLISHED, 2 SYN_SENT, 7 CLOSE,
// 10 LISTEN); a datagram socket is 1 once connect()ed, else 7.
//
// What the tables cannot show: the destination of a sendto() on an unconnected datagram socket
// (its remote stays 0), and a socket not yet bound nor connected (it is in no table at all). A TCP
// connect() shows its remote from SYN_SENT on, before the handshake completes.
import { endianness } from 'node:os';
import { formatIPv4, formatIPv6 } from '../trace/decide/index.js';
import { classify, readProc, readProcAsync, type Unreadable } from './proc-read.js';

/** 'icmp' is a ping socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6: net.ipv4.ping_group_range); 'raw' needs CAP_NET_RAW. */
export type Proto = 'tcp' | 'udp' | 'udplite' | 'icmp' | 'raw';

export interface Endpoint {
  /** Dotted quad, or RFC 5952 IPv6 (an IPv4-mapped address as ::ffff:a.b.c.d, as the socket holds it). */
  readonly ip: string;
  /** For a ping socket, the ICMP echo identifier; for a raw socket, the protocol number. */
  readonly port: number;
}

export interface InetSocket {
  readonly proto: Proto;
  readonly family: 4 | 6;
  readonly local: Endpoint;
  /** Undefined when not connected: the table shows 0.0.0.0:0 or [::]:0. */
  readonly remote: Endpoint | undefined;
  /** The state column: TCP_ESTABLISHED 1, TCP_SYN_SENT 2, TCP_CLOSE 7, TCP_LISTEN 10... (include/net/tcp_states.h). */
  readonly state: number;
}

/** The tables, most likely first: reading stops once every wanted inode is found. */
const TABLES: readonly { readonly file: string; readonly proto: Proto; readonly family: 4 | 6 }[] = [
  // UDP first: its tables cost ~30 µs, TCP's a walk of the whole established hash, and a UDP
  // socket that never connects is looked up at every poll.
  { file: 'udp', proto: 'udp', family: 4 },
  { file: 'udp6', proto: 'udp', family: 6 },
  { file: 'tcp', proto: 'tcp', family: 4 },
  { file: 'tcp6', proto: 'tcp', family: 6 },
  { file: 'udplite', proto: 'udplite', family: 4 },
  { file: 'udplite6', proto: 'udplite', family: 6 },
  { file: 'icmp', proto: 'icmp', family: 4 },
  { file: 'icmp6', proto: 'icmp', family: 6 },
  { file: 'raw', proto: 'raw', family: 4 },
  { file: 'raw6', proto: 'raw', family: 6 },
];

const LITTLE = endianness() === 'LE';

/**
 * Longer than any line of the tables: tcp pads its lines to 149 bytes (TMPSZ - 1); udp6 and raw6,
 * the widest, reach ~190 with every counter at its widest (inode, ref, pointer, drops).
 */
const LINE_MAX = 256;

/** A set of inodes to look for: a Set, or the Map socketInodes() returns. */
export interface Wanted { has(inode: number): boolean; readonly size: number }

/**
 * The IPv4/IPv6 sockets in the network namespace of `pid` (its /proc/PID/net/{tcp,tcp6,udp,udp6,
 * udplite,udplite6,icmp,icmp6,raw,raw6}), by inode. With `only`, just those inodes, and the tables
 * are read only until all of them are found: a poll whose sockets are all TCP over IPv4 reads one
 * file. An inode of `only` missing from the result is no IP socket with an address (a UNIX or
 * netlink socket...) *or one neither bound nor connected yet*: it may show up at the next poll.
 *
 * Cost: every read(2) of tcp or tcp6 walks the whole TCP established hash, whose size the kernel
 * sets from the memory size (2^18 buckets, ~2 ms a walk, on a 24 GB machine; "TCP established
 * hash table entries" at boot); the udp tables are ~30 µs. Read them when a socket is still to be
 * looked at, not at every poll.
 *
 * Every process of a namespace sees the same tables (procfs.ts netNamespace()): ask once per
 * namespace with the union of its processes' inodes. Undefined when the process is gone; a table
 * the kernel does not have (ipv6.disable=1, no UDP-Lite) is skipped.
 */
export function inetSockets(pid: number, only?: Wanted): Map<number, InetSocket> | undefined | Unreadable {
  const out = new Map<number, InetSocket>();
  if (only && only.size === 0) return out;
  let first = true;
  for (const table of TABLES) {
    const text = readProc(`/proc/${pid}/net/${table.file}`, LINE_MAX);
    if (typeof text !== 'string') {
      // The first table (udp: always there with IPv4) tells gone or refused; a later one missing
      // is a protocol this kernel lacks.
      if (first) return classify(text.code);
      continue;
    }
    first = false;
    parseTable(text, table.proto, table.family, only, out);
    if (only && out.size === only.size) break;
  }
  return out;
}

/**
 * inetSockets(), read on libuv's threadpool: the kernel's walk of the TCP hash (milliseconds on a
 * machine with much memory) then blocks no event loop — the Lambda bootstrap's serves the Runtime
 * API proxy. Tables are read one after the other, and no further than `only` needs.
 */
export async function inetSocketsAsync(pid: number, only: Wanted): Promise<Map<number, InetSocket> | undefined | Unreadable> {
  const out = new Map<number, InetSocket>();
  if (only.size === 0) return out;
  let first = true;
  for (const table of TABLES) {
    const text = await readProcAsync(`/proc/${pid}/net/${table.file}`, LINE_MAX);
    if (typeof text !== 'string') {
      if (first) return classify(text.code);
      continue;
    }
    first = false;
    parseTable(text, table.proto, table.family, only, out);
    if (out.size === only.size) break;
  }
  return out;
}

/**
 * Adds the sockets of one table (its text) to `out`, those in `only` when given. Exported for
 * tests that feed it a table by hand.
 */
export function parseTable(text: string, proto: Proto, family: 4 | 6, only: Wanted | undefined, out: Map<number, InetSocket>): void {
  const addrLen = family === 4 ? 8 : 32;
  let i = text.indexOf('\n') + 1; // past the header
  const n = text.length;
  while (i > 0 && i < n) {
    const eol = text.indexOf('\n', i);
    const end = eol < 0 ? n : eol;
    // Token starts of this line: 1 local, 2 remote, 3 state, 9 inode.
    let local = -1;
    let remote = -1;
    let state = -1;
    let inodeAt = -1;
    let tok = -1;
    for (let j = i; j < end; j++) {
      if (text.charCodeAt(j) === 32) continue;
      tok++;
      if (tok === 1) local = j;
      else if (tok === 2) remote = j;
      else if (tok === 3) state = j;
      else if (tok === 9) { inodeAt = j; break; }
      while (j < end && text.charCodeAt(j) !== 32) j++;
    }
    i = end + 1;
    if (inodeAt < 0 || end - local < addrLen + 5) continue; // not a socket line
    let inode = 0;
    for (let j = inodeAt; j < end; j++) {
      const c = text.charCodeAt(j) - 48;
      if (c < 0 || c > 9) break;
      inode = inode * 10 + c;
    }
    if (only && !only.has(inode)) continue;
    if (out.has(inode)) continue; // a socket is in one table; keep the first sight
    const r = endpoint(text, remote, family);
    out.set(inode, {
      proto,
      family,
      local: endpoint(text, local, family) ?? { ip: family === 4 ? '0.0.0.0' : '::', port: 0 },
      remote: r,
      state: hex(text, state, 2),
    });
  }
}

/** ADDR:PORT at `at` → an Endpoint; undefined when both are zero. */
function endpoint(text: string, at: number, family: 4 | 6): Endpoint | undefined {
  if (family === 4) {
    const a = word(text, at);
    const port = hex(text, at + 9, 4);
    return a === 0 && port === 0 ? undefined : { ip: formatIPv4(a), port };
  }
  const w0 = word(text, at);
  const w1 = word(text, at + 8);
  const w2 = word(text, at + 16);
  const w3 = word(text, at + 24);
  const port = hex(text, at + 33, 4);
  if ((w0 | w1 | w2 | w3) === 0 && port === 0) return undefined;
  const addr = (BigInt(w0) << 96n) | (BigInt(w1) << 64n) | (BigInt(w2) << 32n) | BigInt(w3);
  return { ip: formatIPv6(addr), port };
}

/** The 32-bit word printed at `at`, in network order (first byte most significant). */
function word(text: string, at: number): number {
  const w = hex(text, at, 8);
  return LITTLE ? (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0 : w;
}

function hex(text: string, at: number, len: number): number {
  let v = 0;
  for (let j = at; j < at + len; j++) {
    const c = text.charCodeAt(j);
    v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return v;
}

/**
 * The columns of /proc/PID/net/{unix,netlink,packet} that hold a socket's inode: the sockets that
 * are neither TCP nor UDP, to which no address rule of the monitor applies.
 */
const LOCAL_TABLES: readonly { readonly file: string; readonly column: number }[] = [
  { file: 'unix', column: 6 },
  { file: 'netlink', column: 9 },
  { file: 'packet', column: 8 },
];

/** The inodes of the UNIX, netlink and packet sockets of `pid`'s network namespace. */
export function localSocketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  for (const t of LOCAL_TABLES) {
    const text = readProc(`/proc/${pid}/net/${t.file}`);
    if (typeof text !== 'string') continue;
    let line = text.indexOf('\n') + 1; // past the heading
    while (line > 0 && line < text.length) {
      const next = text.indexOf('\n', line);
      const fields = text.slice(line, next < 0 ? text.length : next).trim().split(/\s+/);
      const inode = Number(fields[t.column]);
      if (Number.isInteger(inode) && inode > 0) out.add(inode);
      line = next + 1;
    }
  }
  return out;
}
