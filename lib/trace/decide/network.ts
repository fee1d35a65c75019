// The network check: where a call connects, binds or sends to.
//
//   connect(fd, addr, len)                    network.connect
//   bind(fd, addr, len)                       network.bind
//   sendto(fd, buf, n, flags, addr, len)      network.connect; NULL addr: the connected peer
//                                             (and a TCP Fast Open sendto connects: checked too)
//   sendmsg(fd, msghdr*, flags)               network.connect for msg_name; NULL: the peer
//   sendmmsg(fd, mmsghdr[], vlen, flags)      every message's msg_name must be allowed
//
// A send without a destination goes where an earlier connect() — which was
// checked — pointed the socket. AF_NETLINK is always allowed: it talks to the
// kernel only (getifaddrs and glibc's getaddrinfo use it). AF_UNSPEC on
// connect dissolves an association. Every other family than IPv4, IPv6 and
// UNIX is refused: the rules cannot name its addresses.
import { parseIP, unmapped } from '../../profile/address.js';
import type { Detail, RuleRef, Trap } from '../types.js';
import { argInt, argU32, argU64, EINVAL, faultErrno, hex, isFault, AT_FDCWD } from './args.js';
import type { DecideContext } from './context.js';
import type { AddressList, AddressQuery } from './matchers.js';
import { broken, passed, refused, type CheckOutcome } from './outcome.js';
import { isAnonymous, isProblem, placePath, realPaths } from './paths.js';
import { decodeSockaddr, isBad, SOCKADDR_STORAGE, type Destination, type Use } from './sockaddr.js';

/** struct user_msghdr on 64-bit: msg_name void* @0, msg_namelen int @8, ... 56 bytes. */
const MSGHDR_SIZE = 56;
/** struct mmsghdr: a msghdr, then msg_len u32, padded to 64 bytes. */
const MMSGHDR_SIZE = 64;
/** __sys_sendmmsg caps vlen at UIO_MAXIOV rather than failing. */
const UIO_MAXIOV = 1024;

export function checkNetwork(trap: Trap, ctx: DecideContext, explain: boolean): CheckOutcome {
  const m = ctx.matchers.network;
  if (!m) return passed();
  const rule: RuleRef = { what: 'network', text: 'an address that cannot be checked is refused', loc: m.loc };
  switch (trap.syscall) {
    case 'connect':
    case 'bind': {
      const use: Use = trap.syscall;
      const list = use === 'bind' ? m.bind : m.connect;
      // move_addr_to_kernel: a length outside 0..sizeof(sockaddr_storage) is EINVAL.
      const len = argInt(trap, 2);
      if (len < 0 || len > SOCKADDR_STORAGE) return broken(rule, EINVAL, `${trap.syscall}: address length ${len} is out of range`);
      return one(trap, ctx, argU64(trap, 1), len, use, list, explain, rule);
    }
    case 'sendto': {
      const ptr = argU64(trap, 4);
      const len = argInt(trap, 5);
      if (ptr === 0n) return passed({ address: 'connected peer' });
      if (len < 0 || len > SOCKADDR_STORAGE) return broken(rule, EINVAL, `sendto: address length ${len} is out of range`);
      // A zero length names nobody: UNIX datagrams go to the peer, UDP fails with EINVAL.
      if (len === 0) return passed({ address: 'connected peer' });
      return one(trap, ctx, ptr, len, 'send', m.connect, explain, rule);
    }
    case 'sendmsg': {
      const hdr = ctx.view.readBytes(argU64(trap, 1), MSGHDR_SIZE);
      if (isFault(hdr)) return broken(rule, faultErrno(hdr), `sendmsg: cannot read struct msghdr at ${hex(argU64(trap, 1))}: ${hdr.fault}`);
      return fromMsghdr(trap, ctx, hdr, 0, m.connect, explain, rule);
    }
    case 'sendmmsg': {
      const vlen = Math.min(argU32(trap, 2), UIO_MAXIOV);
      if (vlen === 0) return passed();
      const vec = ctx.view.readBytes(argU64(trap, 1), vlen * MMSGHDR_SIZE);
      if (isFault(vec)) return broken(rule, faultErrno(vec), `sendmmsg: cannot read ${vlen} struct mmsghdr at ${hex(argU64(trap, 1))}: ${vec.fault}`);
      const addresses: string[] = [];
      let allowedBy: RuleRef | undefined;
      for (let i = 0; i < vlen; i++) {
        const out = fromMsghdr(trap, ctx, vec, i * MMSGHDR_SIZE, m.connect, explain && i === 0, rule);
        if (out.refused) return { ...out, reason: `message ${i} of ${vlen}: ${out.reason}` };
        const a = out.detail?.address;
        if (a !== undefined && !addresses.includes(a)) addresses.push(a);
        allowedBy ??= out.rule;
      }
      return passed({ address: addresses.join(', ') }, allowedBy);
    }
    default:
      return refused(rule, `${trap.syscall}: no decoder for its address arguments (fail closed)`);
  }
}

/**
 * The destination of one msghdr. ___sys_sendmsg (copy_msghdr_from_user): a
 * NULL msg_name or a zero msg_namelen names nobody, a negative one is EINVAL,
 * and one larger than sockaddr_storage is cut to it.
 */
function fromMsghdr(trap: Trap, ctx: DecideContext, buf: Buffer, at: number, list: AddressList, explain: boolean, rule: RuleRef): CheckOutcome {
  const name = buf.readBigUInt64LE(at);
  const namelen = buf.readInt32LE(at + 8);
  if (name === 0n) return passed({ address: 'connected peer' });
  if (namelen < 0) return broken(rule, EINVAL, `${trap.syscall}: msg_namelen ${namelen} is negative`);
  if (namelen === 0) return passed({ address: 'connected peer' });
  return one(trap, ctx, name, Math.min(namelen, SOCKADDR_STORAGE), 'send', list, explain, rule);
}

function one(trap: Trap, ctx: DecideContext, ptr: bigint, len: number, use: Use, list: AddressList, explain: boolean, rule: RuleRef): CheckOutcome {
  // move_addr_to_kernel copies nothing for a zero length; every family then fails with EINVAL.
  const buf = len === 0 ? Buffer.alloc(0) : ctx.view.readBytes(ptr, len);
  if (isFault(buf)) return broken(rule, faultErrno(buf), `${trap.syscall}: cannot read the address at ${hex(ptr)}: ${buf.fault}`);
  const dest = decodeSockaddr(buf, len, use);
  if (isBad(dest)) return broken(rule, EINVAL, `${trap.syscall}: ${dest.bad}`);
  return judge(trap, ctx, dest, use, list, explain, rule);
}

function judge(trap: Trap, ctx: DecideContext, dest: Destination, use: Use, list: AddressList, explain: boolean, rule: RuleRef): CheckOutcome {
  const detail: Detail = { address: dest.text };
  const verb = use === 'bind' ? 'bind' : use === 'connect' ? 'connect to' : 'send to';
  switch (dest.kind) {
    case 'unspec':
    case 'netlink':
      return passed(detail);
    case 'other':
      return refused(
        { what: list.what, text: 'only IPv4, IPv6 and UNIX addresses are covered', loc: list.missing.loc },
        `${trap.syscall}: address family ${dest.text} is not covered by network rules`, detail);
    case 'unnamed': {
      // bind() with just the family autobinds to an abstract name the kernel
      // picks ("\0" + 5 hex digits); connect and send fail with EINVAL.
      if (use !== 'bind') return broken(rule, EINVAL, `${trap.syscall}: the unnamed UNIX address names no peer`, detail);
      const any = list.anyAbstract();
      if (any) return passed(detail, explain ? any : undefined);
      return refused(list.missing, `bind: autobind to a kernel-chosen abstract UNIX name needs "unix:@*" in ${list.what}`, detail);
    }
    default:
      break;
  }
  if (use !== 'bind' && dest.kind === 'ip' && dest.port === 53 && ctx.dnsGuard) {
    // Lookups go through syscage's resolver; a question sent around it would leave unjudged.
    if (sameAddress(dest, ctx.dnsGuard.server)) return passed({ address: `syscage's resolver (${dest.text})` }, explain ? { what: 'built-in', text: "syscage's resolver" } : undefined);
    if (ctx.dnsGuard.upstreams.some((u) => sameAddress(dest, u))) {
      return refused({ what: list.what, text: "DNS goes through syscage's resolver", loc: list.missing.loc }, `${trap.syscall}: ${verb} ${dest.text}: the name server is asked by syscage's resolver only`, detail);
    }
  }
  if (use !== 'bind' && ctx.alwaysAllowConnect?.(dest)) return passed(detail, explain ? { what: 'built-in', text: 'always reachable' } : undefined);

  if (dest.kind === 'ip') return decideIp(trap, ctx, dest, verb, list, explain, detail);
  if (dest.abstract) return decide(trap, { kind: 'unix', abstract: true, path: dest.name }, dest.text, verb, list, explain, detail);

  // A UNIX socket path is looked up like a file from the caller's cwd;
  // connect and send follow symlinks to the socket, bind creates the name.
  const t = placePath(dest.path, AT_FDCWD, trap, ctx);
  if (isProblem(t)) return t.errno !== undefined ? broken(rule, t.errno, `${trap.syscall}: ${t.reason}`, detail) : refused(rule, `${trap.syscall}: ${t.reason}`, detail);
  if (t.kind !== 'path') return broken(rule, EINVAL, `${trap.syscall}: empty UNIX socket path`, detail);
  const address = `unix:${t.lexical}`;
  const shown: Detail = { address };
  const lexical = decide(trap, { kind: 'unix', abstract: false, path: t.lexical }, address, verb, list, explain, shown);
  if (lexical.refused) return lexical;
  const reals = realPaths(t, use === 'bind' ? 'nofollow' : 'follow', trap, ctx);
  if (isProblem(reals) && reals.missing) return lexical; // the kernel fails it: ENOENT
  if (isProblem(reals)) return reals.errno !== undefined ? broken(rule, reals.errno, `${trap.syscall}: ${reals.reason}`, shown) : refused(rule, `${trap.syscall}: ${reals.reason}`, shown);
  const resolved: string[] = [];
  for (const real of reals) {
    if (real === t.lexical || isAnonymous(real)) continue;
    const r = decide(trap, { kind: 'unix', abstract: false, path: real }, `${address} (resolves to unix:${real})`, verb, list, false, shown);
    if (r.refused) return r;
    resolved.push(`unix:${real}`);
  }
  // Allowed: the detail also names where symlinks lead (a recording must allow both).
  return resolved.length && !lexical.refused ? { ...lexical, detail: { ...(lexical.detail ?? shown), addresses: [address, ...resolved] } } : lexical;
}

/**
 * An IP destination: allowed by an address rule, or by a host rule for a name that a DNS answer
 * bound the address to (and that rule's ports). A refusal names where the address came from.
 */
function decideIp(trap: Trap, ctx: DecideContext, dest: Destination & { kind: 'ip' }, verb: string, list: AddressList, explain: boolean, detail: Detail): CheckOutcome {
  const q: AddressQuery = { kind: 'ip', family: dest.family, addr: dest.addr, port: dest.port };
  const by = list.which(q);
  if (by) {
    // A name is only asked for here by a recording's resolver (no host rule): it writes names.
    const name = !list.namesHosts ? ctx.boundNames?.(dest.family, dest.addr).live[0] : undefined;
    return passed(name ? { ...detail, name } : detail, explain ? by : undefined);
  }
  const bound = list.namesHosts ? ctx.boundNames?.(dest.family, dest.addr) : undefined;
  if (!bound) return refused(list.missing, `${trap.syscall}: ${verb} ${dest.text}: not in ${list.what}`, detail);
  for (const name of bound.live) {
    const rule = list.whichName(name, dest.port);
    if (rule) return passed({ ...detail, name }, explain ? rule : undefined);
  }
  const from = bound.ever.length ? ` (resolved from ${bound.ever.join(', ')})` : ' (not from a DNS answer for an allowed name)';
  return refused(list.missing, `${trap.syscall}: ${verb} ${dest.text}: not in ${list.what}${from}`, bound.ever.length ? { ...detail, name: bound.ever.join(', ') } : detail);
}

function decide(trap: Trap, q: AddressQuery, text: string, verb: string, list: AddressList, explain: boolean, detail: Detail): CheckOutcome {
  const by = list.which(q);
  if (by) return passed(detail, explain ? by : undefined);
  return refused(list.missing, `${trap.syscall}: ${verb} ${text}: not in ${list.what}`, detail);
}

/** Is the destination this address (text, as resolv.conf writes it)? An IPv4-mapped IPv6 destination is its IPv4 address. */
function sameAddress(dest: Destination & { kind: 'ip' }, text: string): boolean {
  const ip = parseIP(text);
  if (!ip) return false;
  const want = unmapped(ip.family, ip.addr);
  const got = unmapped(dest.family, dest.addr);
  return got.family === want.family && got.addr === want.addr;
}

/**
 * The socket a connect or a send really reached, for the notification backend: it pins the UNIX
 * socket's path itself (O_PATH, following symlinks as connect and send do) and asks again, against
 * network.connect, with the path of what it pinned, so that a symlink swapped after the check
 * reaches nothing the profile refuses.
 */
export function checkReachedSocket(real: string, trap: Trap, ctx: DecideContext, use: 'connect' | 'send' = 'connect'): CheckOutcome {
  const m = ctx.matchers.network;
  if (!m) return passed();
  const address = `unix:${real}`;
  return decide(trap, { kind: 'unix', abstract: false, path: real }, address, use === 'connect' ? 'connect to' : 'send to', m.connect, false, { address });
}
