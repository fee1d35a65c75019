// syscage's resolver (lib/dns/forwarder.ts) on real loopback sockets, against a small UDP+TCP name
// server written here (on another loopback port): an allowed name is forwarded and its answer comes
// back byte for byte, bound BEFORE it is sent (CNAME chains, smallest TTL along the chain); a refused
// name gets NXDOMAIN and goes nowhere; a truncated answer passes through and the TCP retry works
// (two-byte framing, several questions on one connection, split across writes); a silent upstream
// gives SERVFAIL after timeoutMs, and the next upstream is asked; garbage gets no reply and the
// forwarder keeps serving; onQuestion sees every question.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { startForwarder, type Forwarder, type ForwarderOptions, type LearnedAddress } from '../../lib/dns/forwarder.js';
import {
  buildQuery, buildResponse, FLAG, isBad, parseQuery, parseResponse, RCODE, TYPE, type Answer, type Bad, type Query, type Response,
} from '../../lib/dns/message.js';

// --- a test name server -------------------------------------------------------------------------

type Transport = 'udp' | 'tcp';
/** What the test server does with a query: a reply, or nothing at all. */
type Handler = (q: Query, transport: Transport) => Buffer | undefined;

interface Upstream {
  readonly address: string;
  readonly port: number;
  /** Every query it received. */
  readonly seen: { readonly name: string; readonly type: number; readonly id: number; readonly transport: Transport }[];
  /** Every reply it sent, by query id and transport ("udp:4660"). */
  readonly sent: Map<string, Buffer>;
  close(): Promise<void>;
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

/** Splits a TCP stream into its two-byte-length framed messages. */
function deframer(): (d: Buffer) => Buffer[] {
  let pending = Buffer.alloc(0);
  return (d) => {
    pending = Buffer.concat([pending, d]);
    const out: Buffer[] = [];
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      out.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      pending = pending.subarray(2 + pending.readUInt16BE(0));
    }
    return out;
  };
}

/** A UDP and TCP name server on `address`, on `port` (0: one the kernel picks, the same for both). */
async function startUpstream(address: string, handler: Handler, port = 0): Promise<Upstream> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tryUpstream(address, handler, port);
    } catch (e) {
      if (port !== 0 || attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}

async function tryUpstream(address: string, handler: Handler, port: number): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const sent = new Map<string, Buffer>();
  const respond = (msg: Buffer, transport: Transport): Buffer | undefined => {
    const q = parseQuery(msg);
    if (isBad(q)) throw new Error(`the test name server got a bad query: ${q.bad}`);
    seen.push({ name: q.question.name, type: q.question.type, id: q.id, transport });
    const reply = handler(q, transport);
    if (reply) sent.set(`${transport}:${q.id}`, reply);
    return reply;
  };
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, address, () => resolve());
  });
  udp.on('message', (m, from) => {
    const reply = respond(m, 'udp');
    if (reply) udp.send(reply, from.port, from.address);
  });
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
    c.on('error', () => {});
    const split = deframer();
    c.on('data', (d) => {
      for (const m of split(d)) {
        const reply = respond(m, 'tcp');
        if (reply) c.write(frame(reply));
      }
    });
  });
  const bound = udp.address().port;
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(bound, address, () => resolve());
  }).catch((e: unknown) => {
    udp.close();
    throw e;
  });
  return {
    address,
    port: bound,
    seen,
    sent,
    close: () => new Promise<void>((resolve) => {
      for (const c of conns) c.destroy();
      udp.close();
      tcp.close(() => resolve());
    }),
  };
}

// The zone the test server serves.
const A = (name: string, data: string, ttl: number): Answer => ({ name, type: TYPE.A, ttl, data });
const AAAA = (name: string, data: string, ttl: number): Answer => ({ name, type: TYPE.AAAA, ttl, data });
const CNAME = (name: string, data: string, ttl: number): Answer => ({ name, type: TYPE.CNAME, ttl, data });
const BIG = Array.from({ length: 40 }, (_, i) => `192.0.2.${100 + i}`);

const zone: Handler = (q, transport) => {
  const { name, type } = q.question;
  const reply = (answers: Answer[], opts: { rcode?: number; truncated?: boolean } = {}) => buildResponse(q.id, q.question, answers, opts);
  switch (name) {
    case 'www.example.test':
      return type === TYPE.AAAA
        ? reply([CNAME(name, 'edge.cdn.test', 600), AAAA('edge.cdn.test', '2001:db8::1', 120), AAAA('edge.cdn.test', '::ffff:192.0.2.7', 500)])
        : reply([CNAME(name, 'edge.cdn.test', 60), A('edge.cdn.test', '192.0.2.1', 300), A('edge.cdn.test', '192.0.2.2', 30)]);
    case 'api.example.test':
      return reply([A(name, '198.51.100.5', 45)]);
    case 'big.example.test':
      // Too big for UDP: TC and no records; the whole answer over TCP.
      return transport === 'udp' ? reply([], { truncated: true }) : reply(BIG.map((a) => A(name, a, 90)));
    case 'gone.example.test':
      return reply([], { rcode: RCODE.NXDOMAIN });
    case 'silent.example.test':
      return undefined;
    case 'wrong-id.example.test':
      return buildResponse((q.id + 1) & 0xffff, q.question, [A(name, '192.0.2.66', 60)]);
    case 'unparsable.example.test': {
      // The right id and QR, then an answer record that runs past the end.
      const r = buildResponse(q.id, q.question, [A(name, '192.0.2.67', 60)]);
      return r.subarray(0, r.length - 3);
    }
    default:
      return reply([], { rcode: RCODE.NXDOMAIN });
  }
};

// --- clients --------------------------------------------------------------------------------------

/** Send `msg` over UDP; every datagram that comes back within `ms`. */
async function udpExchange(port: number, msg: Buffer, ms: number, until = 1): Promise<Buffer[]> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  try {
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      s.on('message', (m) => {
        got.push(m);
        if (got.length >= until) {
          clearTimeout(timer);
          resolve();
        }
      });
      s.send(msg, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
  return got;
}

/** One query over UDP and its one reply (failing the test when none comes within `ms`). */
async function udpAsk(t: Test, port: number, msg: Buffer, ms = 3000): Promise<Buffer> {
  const [reply] = await udpExchange(port, msg, ms);
  if (!reply) {
    t.fail(`no UDP reply within ${ms} ms`);
    throw new Error('no reply');
  }
  return reply;
}

interface TcpClient {
  /** Resolves with the next `n` framed replies (or what came before `ms` passed). */
  next(n: number, ms?: number): Promise<Buffer[]>;
  write(b: Buffer): Promise<void>;
  readonly closed: Promise<void>;
  destroy(): void;
}

async function tcpClient(port: number): Promise<TcpClient> {
  const c = net.connect({ host: '127.0.0.1', port });
  c.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', reject);
  });
  const split = deframer();
  const queue: Buffer[] = [];
  let wake: (() => void) | undefined;
  c.on('data', (d) => {
    queue.push(...split(d));
    wake?.();
  });
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  c.on('error', () => {});
  return {
    async next(n, ms = 3000) {
      const deadline = Date.now() + ms;
      while (queue.length < n && Date.now() < deadline && !c.destroyed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(1, deadline - Date.now()));
        });
      }
      return queue.splice(0, n);
    },
    write: (b) => new Promise<void>((resolve) => c.write(b, () => resolve())),
    closed,
    destroy: () => c.destroy(),
  };
}

const ok = (t: Test, v: Response | Bad): Response => {
  if (isBad(v)) {
    t.fail(`unexpected bad message: ${v.bad}`);
    throw new Error(v.bad);
  }
  return v;
};

// --- the forwarder under test ----------------------------------------------------------------------

interface Bench {
  readonly upstream: Upstream;
  readonly forwarder: Forwarder;
  readonly binds: { name: string; addresses: readonly LearnedAddress[] }[];
  readonly questions: Parameters<NonNullable<ForwarderOptions['onQuestion']>>[0][];
  /** What happened, in order: "upstream:NAME", "bind:NAME", "client:ID". */
  readonly events: string[];
}

const TIMEOUT_MS = 300;

async function bench(t: Test, more: Partial<ForwarderOptions> = {}, handler: Handler = zone): Promise<Bench> {
  const events: string[] = [];
  const upstream = await startUpstream('127.0.0.1', (q, tr) => {
    events.push(`upstream:${q.question.name}`);
    return handler(q, tr);
  });
  const binds: Bench['binds'] = [];
  const questions: Bench['questions'] = [];
  const forwarder = await startForwarder({
    address: '127.0.0.1',
    port: 0,
    upstreams: ['127.0.0.1'],
    upstreamPort: upstream.port,
    allowed: (name) => name.endsWith('.example.test'),
    bind: (name, addresses) => {
      events.push(`bind:${name}`);
      binds.push({ name, addresses });
    },
    onQuestion: (q) => questions.push(q),
    timeoutMs: TIMEOUT_MS,
    ...more,
  });
  t.teardown(async () => {
    await forwarder.close();
    await upstream.close();
  });
  return { upstream, forwarder, binds, questions, events };
}

t.test('it listens where it is told, on the port the kernel picks for port 0, UDP and TCP alike', async (t) => {
  const b = await bench(t);
  t.equal(b.forwarder.address, '127.0.0.1');
  t.ok(b.forwarder.port > 0 && b.forwarder.port !== 53 && b.forwarder.port !== b.upstream.port, `port ${b.forwarder.port}`);
  const c = await tcpClient(b.forwarder.port);
  c.destroy();
  t.pass('TCP connects on the same port');
});

t.test('an allowed name is forwarded, bound before the answer goes back, and answered byte for byte', async (t) => {
  const b = await bench(t);
  const query = buildQuery(0x1234, 'WWW.Example.TEST', TYPE.A); // 0x20 case: the binding is for the normalised name
  const reply = await udpAsk(t, b.forwarder.port, query);
  b.events.push(`client:${reply.readUInt16BE(0)}`);
  t.same(b.upstream.seen, [{ name: 'www.example.test', type: TYPE.A, id: 0x1234, transport: 'udp' }], 'the upstream was asked, with the client\'s id');
  t.ok(reply.equals(b.upstream.sent.get('udp:4660')!), 'the upstream\'s bytes, unchanged');
  const r = ok(t, parseResponse(reply));
  t.equal(r.rcode, RCODE.NOERROR);
  t.equal(r.answers.length, 3, 'the CNAME and both addresses');
  t.same(b.binds, [{
    name: 'www.example.test',
    // The chain's CNAME has TTL 60: no address outlives it.
    addresses: [{ address: '192.0.2.1', family: 4, ttl: 60 }, { address: '192.0.2.2', family: 4, ttl: 30 }],
  }], 'the addresses at the end of the CNAME chain, bound to the name asked, each with the smallest TTL along its chain');
  t.same(b.events, ['upstream:www.example.test', 'bind:www.example.test', 'client:4660'], 'bound before the client had its answer');
  t.same(b.questions, [{ name: 'www.example.test', type: TYPE.A, allowed: true, transport: 'udp' }]);

  const reply6 = await udpAsk(t, b.forwarder.port, buildQuery(0x2222, 'www.example.test', TYPE.AAAA));
  t.ok(reply6.equals(b.upstream.sent.get('udp:8738')!), 'AAAA answer unchanged too');
  t.same(b.binds[1], {
    name: 'www.example.test',
    addresses: [{ address: '2001:db8::1', family: 6, ttl: 120 }, { address: '::ffff:192.0.2.7', family: 6, ttl: 500 }],
  }, 'AAAA addresses; here the records\' TTLs are the smaller');
});

t.test('an answer with no addresses binds nothing and still goes back as it came', async (t) => {
  const b = await bench(t);
  const reply = await udpAsk(t, b.forwarder.port, buildQuery(7, 'gone.example.test', TYPE.A));
  t.ok(reply.equals(b.upstream.sent.get('udp:7')!), 'the upstream\'s NXDOMAIN, unchanged');
  t.equal(ok(t, parseResponse(reply)).rcode, RCODE.NXDOMAIN);
  t.same(b.binds, []);
});

t.test('a refused name gets NXDOMAIN at once and the upstream sees nothing', async (t) => {
  const b = await bench(t);
  const query = buildQuery(0x4321, 'Evil.TEST', TYPE.A);
  const reply = await udpAsk(t, b.forwarder.port, query);
  const r = ok(t, parseResponse(reply));
  t.equal(r.id, 0x4321);
  t.equal(r.rcode, RCODE.NXDOMAIN);
  t.same(r.answers, []);
  t.ok(reply.readUInt16BE(2) & FLAG.QR, 'a response');
  t.ok(reply.subarray(12).equals(query.subarray(12)), 'the question echoed as it was asked (case kept)');
  // The same over TCP.
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  await c.write(frame(buildQuery(0x4322, 'evil.test', TYPE.AAAA)));
  const [tcpReply] = await c.next(1);
  t.equal(tcpReply && ok(t, parseResponse(tcpReply)).rcode, RCODE.NXDOMAIN, 'NXDOMAIN over TCP');
  t.same(b.upstream.seen, [], 'the question went nowhere');
  t.same(b.binds, []);
  t.same(b.questions, [
    { name: 'evil.test', type: TYPE.A, allowed: false, transport: 'udp' },
    { name: 'evil.test', type: TYPE.AAAA, allowed: false, transport: 'tcp' },
  ]);
});

t.test('a truncated answer passes through, and the retry over TCP is answered in full', async (t) => {
  const b = await bench(t);
  const udpReply = await udpAsk(t, b.forwarder.port, buildQuery(1, 'big.example.test', TYPE.A));
  t.ok(udpReply.equals(b.upstream.sent.get('udp:1')!), 'the TC answer, unchanged');
  const r = ok(t, parseResponse(udpReply));
  t.ok(r.truncated, 'TC still set');
  t.same(b.binds, [], 'no addresses in it: nothing bound');

  // The client's retry: TCP, several questions on one connection, the bytes split anyhow.
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  const queries = [
    buildQuery(1, 'big.example.test', TYPE.A),
    buildQuery(2, 'www.example.test', TYPE.A),
    buildQuery(3, 'refused.test', TYPE.A),
    buildQuery(4, 'api.example.test', TYPE.A),
  ];
  const stream = Buffer.concat(queries.map(frame));
  // 1 byte (half a length), then the rest of the first length and part of the message, the rest of
  // the first message with the second whole and the third begun, and so on.
  const cuts = [1, 2, 20, frame(queries[0]!).length + frame(queries[1]!).length + 5, stream.length - 3, stream.length];
  let from = 0;
  for (const to of cuts) {
    await c.write(stream.subarray(from, to));
    await new Promise((resolve) => setTimeout(resolve, 20)); // each piece its own segment
    from = to;
  }
  const replies = await c.next(4);
  t.equal(replies.length, 4, 'four answers on the one connection');
  t.same(replies.map((m) => m.readUInt16BE(0)), [1, 2, 3, 4], 'in the order asked');
  t.ok(replies[0]?.equals(b.upstream.sent.get('tcp:1')!), 'the full answer, unchanged');
  const big = ok(t, parseResponse(replies[0]!));
  t.notOk(big.truncated);
  t.same(big.answers.map((a) => a.data), BIG);
  t.ok(replies[1]?.equals(b.upstream.sent.get('tcp:2')!));
  t.equal(ok(t, parseResponse(replies[2]!)).rcode, RCODE.NXDOMAIN, 'the refused one on the same connection');
  t.ok(replies[3]?.equals(b.upstream.sent.get('tcp:4')!));
  t.same(b.binds.map((x) => [x.name, x.addresses.length]), [['big.example.test', 40], ['www.example.test', 2], ['api.example.test', 1]]);
  t.same(b.binds[0]!.addresses[0], { address: '192.0.2.100', family: 4, ttl: 90 });
  t.same(b.upstream.seen.filter((s) => s.transport === 'tcp').map((s) => s.name), ['big.example.test', 'www.example.test', 'api.example.test'],
    'asked upstream over TCP, as the client asked');
  t.same(b.questions.map((q) => q.transport), ['udp', 'tcp', 'tcp', 'tcp', 'tcp']);
});

t.test('an upstream that stays silent: SERVFAIL after timeoutMs, over UDP and TCP', async (t) => {
  const b = await bench(t);
  let start = Date.now();
  const reply = await udpAsk(t, b.forwarder.port, buildQuery(9, 'silent.example.test', TYPE.A));
  const udpMs = Date.now() - start;
  const r = ok(t, parseResponse(reply));
  t.equal(r.rcode, RCODE.SERVFAIL);
  t.equal(r.id, 9);
  t.ok(udpMs >= TIMEOUT_MS - 20 && udpMs < 1500, `answered after ${udpMs} ms (timeoutMs ${TIMEOUT_MS}, default 2000)`);
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  start = Date.now();
  await c.write(frame(buildQuery(10, 'silent.example.test', TYPE.A)));
  const [tcpReply] = await c.next(1);
  const tcpMs = Date.now() - start;
  t.equal(tcpReply && ok(t, parseResponse(tcpReply)).rcode, RCODE.SERVFAIL);
  t.ok(tcpMs >= TIMEOUT_MS - 20 && tcpMs < 1500, `answered after ${tcpMs} ms`);
  t.same(b.upstream.seen.map((s) => s.transport), ['udp', 'tcp'], 'it was asked each time');
  t.same(b.binds, []);
});

t.test('upstreams are asked in order: a silent first one, then the next answers', async (t) => {
  // The answering server on 127.0.0.1:P, a silent one on 127.0.0.2:P (upstreamPort is one port for all).
  let good: Upstream | undefined;
  let silent: Upstream | undefined;
  for (let attempt = 0; !silent; attempt++) {
    good = await startUpstream('127.0.0.1', zone);
    try {
      silent = await startUpstream('127.0.0.2', () => undefined, good.port);
    } catch (e) {
      await good.close();
      if (attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  const up = good!;
  const quiet = silent;
  const binds: string[] = [];
  const f = await startForwarder({
    address: '127.0.0.1', port: 0, upstreams: ['127.0.0.2', '127.0.0.1'], upstreamPort: up.port,
    allowed: () => true, bind: (name) => binds.push(name), timeoutMs: TIMEOUT_MS,
  });
  t.teardown(async () => {
    await f.close();
    await up.close();
    await quiet.close();
  });
  const start = Date.now();
  const reply = await udpAsk(t, f.port, buildQuery(5, 'api.example.test', TYPE.A));
  const ms = Date.now() - start;
  t.ok(reply.equals(up.sent.get('udp:5')!), 'the second upstream\'s answer');
  t.same(quiet.seen.map((s) => s.name), ['api.example.test'], 'the first was asked first');
  t.ok(ms >= TIMEOUT_MS - 20, `and given timeoutMs (${ms} ms)`);
  t.same(binds, ['api.example.test']);
});

t.test('an upstream answer with the wrong id or that does not parse: SERVFAIL, nothing bound', async (t) => {
  const b = await bench(t);
  const wrongUdp = ok(t, parseResponse(await udpAsk(t, b.forwarder.port, buildQuery(11, 'wrong-id.example.test', TYPE.A))));
  t.equal(wrongUdp.rcode, RCODE.SERVFAIL, 'UDP: an answer with another id is not taken (then the time runs out)');
  t.equal(wrongUdp.id, 11);
  const bad = ok(t, parseResponse(await udpAsk(t, b.forwarder.port, buildQuery(12, 'unparsable.example.test', TYPE.A))));
  t.equal(bad.rcode, RCODE.SERVFAIL, 'an answer cut short');
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  await c.write(frame(buildQuery(13, 'wrong-id.example.test', TYPE.A)));
  await c.write(frame(buildQuery(14, 'unparsable.example.test', TYPE.A)));
  const replies = await c.next(2);
  t.same(replies.map((m) => [m.readUInt16BE(0), ok(t, parseResponse(m)).rcode]), [[13, RCODE.SERVFAIL], [14, RCODE.SERVFAIL]], 'the same over TCP');
  t.same(b.binds, [], 'an answer that is not the answer binds nothing');
});

t.test('garbage from a client gets no reply, and the forwarder keeps serving', async (t) => {
  const b = await bench(t);
  const query = buildQuery(0x0101, 'api.example.test', TYPE.A);
  const twoQuestions = Buffer.from(query);
  twoQuestions.writeUInt16BE(2, 4);
  const notQuery = Buffer.from(query);
  notQuery.writeUInt16BE(FLAG.RD | (2 << 11), 2); // opcode 2 (STATUS)
  const garbage: [string, Buffer][] = [
    ['text', Buffer.from('hello, resolver')],
    ['shorter than a header', Buffer.from([0x01, 0x02, 0x03])],
    ['an empty datagram', Buffer.alloc(0)],
    ['a response, not a query', buildResponse(0x0102, { name: 'api.example.test', type: TYPE.A, class: 1 }, [A('api.example.test', '192.0.2.9', 60)])],
    ['two questions', twoQuestions],
    ['another opcode', notQuery],
    ['a name that runs past the end', query.subarray(0, 20)],
    ['a compression loop', Buffer.concat([query.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])])],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) & 0xff))],
  ];
  for (const [what, msg] of garbage) {
    const replies = await udpExchange(b.forwarder.port, msg, 150);
    t.same(replies, [], `UDP, ${what}: no reply`);
  }
  const after = ok(t, parseResponse(await udpAsk(t, b.forwarder.port, query)));
  t.equal(after.answers[0]?.data, '198.51.100.5', 'then a real question over UDP is answered');

  // TCP: garbage in a well-formed frame is not answered, the connection stays and serves on.
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  await c.write(frame(Buffer.from('not dns at all')));
  t.same(await c.next(1, 200), [], 'TCP, garbage in a frame: no reply');
  await c.write(frame(buildQuery(0x0103, 'api.example.test', TYPE.A)));
  const [tcpReply] = await c.next(1);
  t.equal(tcpReply?.readUInt16BE(0), 0x0103, 'the same connection answers the next question');
  t.same(b.questions.map((q) => `${q.transport}:${q.name}`), ['udp:api.example.test', 'tcp:api.example.test'], 'garbage is no question');
});

t.test('a zero-length frame closes the TCP connection; a new one is served', async (t) => {
  const b = await bench(t);
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  await c.write(Buffer.from([0, 0]));
  const closed = await Promise.race([c.closed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2000))]);
  t.ok(closed, 'the forwarder hung up: a stream with a zero length cannot be trusted after it');
  t.same(await c.next(1, 50), [], 'without a reply');
  const c2 = await tcpClient(b.forwarder.port);
  t.teardown(() => c2.destroy());
  await c2.write(frame(buildQuery(0x0104, 'api.example.test', TYPE.A)));
  t.equal((await c2.next(1))[0]?.readUInt16BE(0), 0x0104, 'a new connection is served');
});

t.test('onQuestion sees every question, allowed or not, UDP and TCP, with its type', async (t) => {
  const b = await bench(t);
  const asked: [string, number][] = [['api.example.test', TYPE.A], ['API.example.test.', TYPE.AAAA], ['nope.test', TYPE.A], ['www.example.test', TYPE.HTTPS], ['', TYPE.NS]];
  let id = 100;
  for (const [name, type] of asked) await udpAsk(t, b.forwarder.port, buildQuery(id++, name, type));
  const c = await tcpClient(b.forwarder.port);
  t.teardown(() => c.destroy());
  await c.write(Buffer.concat([frame(buildQuery(id++, 'nope.test', TYPE.TXT)), frame(buildQuery(id++, 'api.example.test', TYPE.MX))]));
  t.equal((await c.next(2)).length, 2);
  t.same(b.questions, [
    { name: 'api.example.test', type: TYPE.A, allowed: true, transport: 'udp' },
    { name: 'api.example.test', type: TYPE.AAAA, allowed: true, transport: 'udp' },
    { name: 'nope.test', type: TYPE.A, allowed: false, transport: 'udp' },
    { name: 'www.example.test', type: TYPE.HTTPS, allowed: true, transport: 'udp' },
    { name: '', type: TYPE.NS, allowed: false, transport: 'udp' },
    { name: 'nope.test', type: TYPE.TXT, allowed: false, transport: 'tcp' },
    { name: 'api.example.test', type: TYPE.MX, allowed: true, transport: 'tcp' },
  ]);
});

t.test('after close() nothing answers', async (t) => {
  const upstream = await startUpstream('127.0.0.1', zone);
  t.teardown(() => upstream.close());
  const f = await startForwarder({
    address: '127.0.0.1', port: 0, upstreams: ['127.0.0.1'], upstreamPort: upstream.port, allowed: () => true, bind: () => {}, timeoutMs: TIMEOUT_MS,
  });
  t.equal(ok(t, parseResponse(await udpAsk(t, f.port, buildQuery(1, 'api.example.test', TYPE.A)))).answers.length, 1, 'answers while open');
  await f.close();
  t.same(await udpExchange(f.port, buildQuery(2, 'api.example.test', TYPE.A), 200), [], 'no UDP answer');
  const refused = await new Promise<string | undefined>((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port: f.port });
    c.once('connect', () => {
      c.destroy();
      resolve(undefined);
    });
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
  t.equal(refused, 'ECONNREFUSED', 'no TCP listener');
});

// Known defect, reported: close() is net.Server.close(), which waits for every open connection; an
// idle TCP client keeps it pending until the 30 s idle timeout destroys the connection.
t.test('close() does not wait for an idle TCP client', async (t) => {
  const upstream = await startUpstream('127.0.0.1', zone);
  t.teardown(() => upstream.close());
  const f = await startForwarder({
    address: '127.0.0.1', port: 0, upstreams: ['127.0.0.1'], upstreamPort: upstream.port, allowed: () => true, bind: () => {}, timeoutMs: TIMEOUT_MS,
  });
  const c = await tcpClient(f.port);
  await c.write(frame(buildQuery(1, 'api.example.test', TYPE.A)));
  t.equal((await c.next(1)).length, 1, 'a client that asked once and keeps its connection');
  const closed = await Promise.race([f.close().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000))]);
  t.ok(closed, 'close() resolved within 1 s');
  c.destroy();
  await c.closed;
});
