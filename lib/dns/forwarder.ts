// syscage's resolver: the one name server the sandbox knows (its resolv.conf
// names it, lib/dns/resolv-conf.ts). It answers every question itself:
//
//   a name no host rule allows  → NXDOMAIN at once; the question goes nowhere
//   an allowed name             → asked of the real name servers; the answer's
//                                 addresses are bound to the name (the
//                                 `bind` callback) BEFORE the answer goes back,
//                                 so the connect that follows finds them
//   no answer from upstream     → SERVFAIL
//
// UDP and TCP (RFC 1035 4.2.2: a two-byte length before each message), since
// resolvers retry a truncated UDP answer over TCP, and glibc's use-vc option
// asks over TCP from the start. An upstream answer goes back byte for byte:
// the forwarder judges questions and reads answers, it never rewrites them.
import dgram from 'node:dgram';
import net from 'node:net';
import { addressesFor, errorReply, isBad, parseQuery, parseResponse, RCODE, type Query } from './message.js';

export interface LearnedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly ttl: number;
}

export interface ForwarderOptions {
  /** Where to listen (an address of this host; port 53 by default: resolv.conf cannot name another). */
  readonly address: string;
  readonly port?: number;
  /** The real name servers, asked in order. */
  readonly upstreams: readonly string[];
  /** Their port (53; another in tests). */
  readonly upstreamPort?: number;
  /** May this name (normalised: lower-case, no final dot) be looked up? */
  readonly allowed: (name: string) => boolean;
  /** An allowed name's answer carried these addresses (called before the answer is sent). */
  readonly bind: (name: string, addresses: readonly LearnedAddress[]) => void;
  /** Every question, as it is judged. */
  readonly onQuestion?: (q: { readonly name: string; readonly type: number; readonly allowed: boolean; readonly transport: 'udp' | 'tcp' }) => void;
  /** How long one upstream gets to answer (ms). */
  readonly timeoutMs?: number;
}

export interface Forwarder {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_TCP_MESSAGE = 65535;

export async function startForwarder(o: ForwarderOptions): Promise<Forwarder> {
  const port = o.port ?? 53;
  const family = net.isIPv6(o.address) ? 'udp6' : 'udp4';
  const udp = dgram.createSocket({ type: family });
  const clients = new Set<net.Socket>();
  const tcp = net.createServer({ pauseOnConnect: false }, (c) => {
    clients.add(c);
    c.on('close', () => clients.delete(c));
    serveTcp(c, o);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, o.address, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const bound = udp.address().port;
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(bound, o.address, () => {
      tcp.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    udp.close();
    throw e;
  });
  udp.on('message', (msg, from) => {
    answer(msg, o, 'udp').then((reply) => {
      if (reply) udp.send(reply, from.port, from.address);
    }, () => { /* no reply: the client retries or gives up */ });
  });
  // A client that goes away mid-answer is no failure of ours.
  udp.on('error', () => {});
  tcp.on('error', () => {});
  // Neither socket keeps the process alive: the run does.
  udp.unref();
  tcp.unref();
  return {
    address: o.address,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      udp.close();
      tcp.close(() => resolve());
      // A client that keeps its connection open must not keep the resolver (and the run) waiting.
      for (const c of clients) c.destroy();
    }),
  };
}

/** The reply to one message, or undefined to stay silent (not a query at all). */
async function answer(msg: Buffer, o: ForwarderOptions, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
  const q = parseQuery(msg);
  if (isBad(q)) return undefined;
  const name = q.question.name;
  const allowed = o.allowed(name);
  o.onQuestion?.({ name, type: q.question.type, allowed, transport });
  if (!allowed) return errorReply(q, RCODE.NXDOMAIN);
  const upstream = await ask(q, o, transport);
  if (!upstream) return errorReply(q, RCODE.SERVFAIL);
  const r = parseResponse(upstream);
  if (isBad(r) || r.id !== q.id) return errorReply(q, RCODE.SERVFAIL);
  const { addresses } = addressesFor(r, name);
  if (addresses.length) o.bind(name, addresses);
  return upstream;
}

/** The first upstream's answer, over the transport the client used. */
async function ask(q: Query, o: ForwarderOptions, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
  for (const server of o.upstreams) {
    const reply = transport === 'udp' ? await askUdp(q, server, o) : await askTcp(q, server, o);
    if (reply) return reply;
  }
  return undefined;
}

/**
 * One question to one upstream: `start` sends it and calls `done` with the answer (or nothing: a
 * failure). Settled once — by `done`, or with nothing after the timeout — and `close` runs once.
 */
function asking(o: ForwarderOptions, close: () => void, start: (done: (b?: Buffer) => void) => void): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (b?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      resolve(b);
    };
    const timer = setTimeout(() => done(), o.timeoutMs ?? 2000);
    start(done);
  });
}

function askUdp(q: Query, server: string, o: ForwarderOptions): Promise<Buffer | undefined> {
  const s = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
  return asking(o, () => s.close(), (done) => {
    s.on('error', () => done());
    // Connected: the kernel drops datagrams from anyone but the server.
    s.connect(o.upstreamPort ?? 53, server, (e?: Error) => {
      if (e) return done();
      s.send(q.raw, (err) => err && done());
    });
    s.on('message', (m) => {
      if (m.length >= 2 && m.readUInt16BE(0) === q.id) done(m);
    });
  });
}

function askTcp(q: Query, server: string, o: ForwarderOptions): Promise<Buffer | undefined> {
  const c = net.connect({ host: server, port: o.upstreamPort ?? 53 });
  const frames = new Frames();
  return asking(o, () => c.destroy(), (done) => {
    c.on('error', () => done());
    c.on('close', () => done());
    c.on('connect', () => c.write(frame(q.raw)));
    c.on('data', (d) => {
      const m = frames.push(d);
      if (m === 'bad') done();
      else if (m.length) done(m[0]);
    });
  });
}

/** One TCP client: any number of framed questions, each answered in turn. */
function serveTcp(c: net.Socket, o: ForwarderOptions): void {
  const frames = new Frames();
  let queue = Promise.resolve();
  c.on('error', () => c.destroy());
  c.setTimeout(30_000, () => c.destroy());
  c.on('data', (d) => {
    const messages = frames.push(d);
    if (messages === 'bad') return void c.destroy();
    for (const m of messages) {
      queue = queue.then(async () => {
        const reply = await answer(m, o, 'tcp');
        if (reply && !c.destroyed) c.write(frame(reply));
      }).catch(() => void c.destroy());
    }
  });
}

const frame = (m: Buffer): Buffer => {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(m.length);
  return Buffer.concat([len, m]);
};

/** Reassembles length-prefixed messages from a TCP stream. */
class Frames {
  private pending = Buffer.alloc(0);

  push(data: Buffer): Buffer[] | 'bad' {
    this.pending = Buffer.concat([this.pending, data]);
    const out: Buffer[] = [];
    while (this.pending.length >= 2) {
      const n = this.pending.readUInt16BE(0);
      if (n === 0 || n > MAX_TCP_MESSAGE) return 'bad';
      if (this.pending.length < 2 + n) break;
      out.push(this.pending.subarray(2, 2 + n));
      this.pending = this.pending.subarray(2 + n);
    }
    return out;
  }
}
