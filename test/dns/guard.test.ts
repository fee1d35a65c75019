// The name guard (lib/dns/guard.ts) on real sockets: syscage's resolver on port 53 of a loopback
// address, asking a test name server written here (127.0.0.1, another port) in place of the system's
// servers (an injected resolv.conf). The resolv.conf it writes names its server; questions are
// judged by the profile's host rules and recorded; allowAll answers every name; what it learns
// reaches a BindingLog over guard.log; close() stops it and removes its directory.
import t, { type Test } from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { BindingLog, Bindings } from '../../lib/dns/bindings.js';
import { hostRules, startNameGuard, type NameGuard } from '../../lib/dns/guard.js';
import { buildQuery, buildResponse, isBad, parseQuery, parseResponse, RCODE, TYPE, type Answer, type Query, type Response } from '../../lib/dns/message.js';
import { parseResolvConf, sandboxResolvConf, type ResolvConf } from '../../lib/dns/resolv-conf.js';
import { profileFrom } from '../trace/decide/fixtures/fake.js';

const PROFILE = `version: 1
name: guard-test
network:
  connect:
    - api.example.test:443
    - "*.cdn.test:443"
    - 10.0.0.0/8:443
    - unix:/var/run/*.sock
`;
const profile = profileFrom(PROFILE);

// --- a test name server (UDP and TCP on one port of 127.0.0.1) --------------------------------------

interface Upstream {
  readonly port: number;
  readonly seen: string[];
  readonly sent: Map<number, Buffer>;
  close(): Promise<void>;
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

const ZONE: Record<string, Answer[]> = {
  'api.example.test': [{ name: 'api.example.test', type: TYPE.A, ttl: 45, data: '198.51.100.5' }],
  'www.cdn.test': [
    { name: 'www.cdn.test', type: TYPE.AAAA, ttl: 600, data: '2001:db8::7' },
    { name: 'www.cdn.test', type: TYPE.AAAA, ttl: 30, data: '::ffff:192.0.2.7' },
  ],
  'evil.test': [{ name: 'evil.test', type: TYPE.A, ttl: 5, data: '203.0.113.66' }],
};

function answer(q: Query): Buffer {
  const answers = (ZONE[q.question.name] ?? []).filter((a) => a.type === q.question.type);
  return buildResponse(q.id, q.question, answers, { rcode: ZONE[q.question.name] ? RCODE.NOERROR : RCODE.NXDOMAIN });
}

async function startUpstream(): Promise<Upstream> {
  for (let attempt = 0; ; attempt++) {
    const seen: string[] = [];
    const sent = new Map<number, Buffer>();
    const reply = (m: Buffer, transport: string): Buffer | undefined => {
      const q = parseQuery(m);
      if (isBad(q)) return undefined;
      seen.push(`${transport}:${q.question.name}`);
      const r = answer(q);
      sent.set(q.id, r);
      return r;
    };
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    udp.on('message', (m, from) => {
      const r = reply(m, 'udp');
      if (r) udp.send(r, from.port, from.address);
    });
    const conns = new Set<net.Socket>();
    const tcp = net.createServer((c) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
      c.on('error', () => {});
      let pending = Buffer.alloc(0);
      c.on('data', (d) => {
        pending = Buffer.concat([pending, d]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const r = reply(pending.subarray(2, 2 + pending.readUInt16BE(0)), 'tcp');
          pending = pending.subarray(2 + pending.readUInt16BE(0));
          if (r) c.write(frame(r));
        }
      });
    });
    const port = udp.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => resolve());
      });
    } catch (e) {
      udp.close();
      if (attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      continue;
    }
    return {
      port, seen, sent,
      close: () => new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        udp.close();
        tcp.close(() => resolve());
      }),
    };
  }
}

// --- clients of the guard (port 53) -----------------------------------------------------------------

/** A query over UDP to server:53; the reply, or undefined when none came within `ms`. */
async function askUdp(server: string, msg: Buffer, ms = 3000): Promise<Buffer | undefined> {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      s.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      s.on('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      s.send(msg, 53, server);
    });
  } finally {
    s.close();
  }
}

/** A query over TCP to server:53 (two-byte framing); the reply, or an error code. */
function askTcp(server: string, msg: Buffer, ms = 3000): Promise<Buffer | string> {
  return new Promise((resolve) => {
    const c = net.connect({ host: server, port: 53 });
    let pending = Buffer.alloc(0);
    const done = (r: Buffer | string): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('timeout'), ms);
    c.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
    c.on('connect', () => c.write(frame(msg)));
    c.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) done(pending.subarray(2, 2 + pending.readUInt16BE(0)));
    });
  });
}

function parsed(t: Test, m: Buffer | string | undefined): Response {
  if (m === undefined || typeof m === 'string') {
    t.fail(`no reply (${m ?? 'timeout'})`);
    throw new Error('no reply');
  }
  const r = parseResponse(m);
  if (isBad(r)) {
    t.fail(`a bad reply: ${r.bad}`);
    throw new Error(r.bad);
  }
  return r;
}

const CONF: ResolvConf = { nameservers: ['127.0.0.1'], rest: ['search example.test', 'options ndots:1 timeout:1'] };

async function guarded(t: Test, o: { allowAll?: boolean; address?: string } = {}): Promise<{ guard: NameGuard; upstream: Upstream }> {
  const upstream = await startUpstream();
  const guard = await startNameGuard(profile, { conf: CONF, upstreamPort: upstream.port, ...o });
  t.teardown(async () => {
    await guard.close();
    await upstream.close();
  });
  return { guard, upstream };
}

const randomLoopback = (): string => `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

// --- tests ------------------------------------------------------------------------------------------------

t.test('hostRules: the host entries of network.connect, and only those', async (t) => {
  t.same(hostRules(profile).map((r) => r.value.text), ['api.example.test:443', '*.cdn.test:443']);
  t.same(hostRules(profileFrom('version: 1\nnetwork:\n  connect:\n    - 10.0.0.0/8:443\n')), []);
  t.same(hostRules(profileFrom('version: 1\nname: none\n')), [], 'no network section');
});

t.test('it runs on port 53 of a loopback address of its own, and its resolv.conf names it', async (t) => {
  const { guard } = await guarded(t);
  t.match(guard.server, /^127\.(\d+)\.(\d+)\.(\d+)$/, 'in 127.0.0.0/8');
  t.not(guard.server, '127.0.0.1', 'not the system\'s own loopback resolver address');
  t.same(guard.upstreams, ['127.0.0.1'], 'the servers of the resolv.conf it was given');
  const text = readFileSync(guard.resolvConf, 'utf8');
  t.equal(text, sandboxResolvConf(CONF, guard.server), 'the sandbox\'s resolv.conf');
  t.same(parseResolvConf(text).nameservers, [guard.server], 'its one name server is the guard');
  t.ok(text.includes('search example.test\n') && text.includes('options ndots:1 timeout:1\n'), 'search and options kept');
  t.equal(statSync(guard.resolvConf).mode & 0o777, 0o644, 'readable by a command running as another user');
  t.equal(statSync(dirname(guard.resolvConf)).mode & 0o777, 0o755, 'and reachable');
  const r = parsed(t, await askUdp(guard.server, buildQuery(1, 'api.example.test', TYPE.A)));
  t.equal(r.answers[0]?.data, '198.51.100.5', 'it answers on port 53');
});

t.test('questions are judged by the host rules, forwarded or refused, and recorded once per name', async (t) => {
  const { guard, upstream } = await guarded(t);
  const allowed = await askUdp(guard.server, buildQuery(0x0a01, 'API.example.test', TYPE.A));
  t.ok(allowed?.equals(upstream.sent.get(0x0a01)!), 'an allowed name: the upstream\'s answer, byte for byte');
  const refused = parsed(t, await askUdp(guard.server, buildQuery(0x0a02, 'evil.test', TYPE.A)));
  t.equal(refused.rcode, RCODE.NXDOMAIN, 'a name no host rule allows: NXDOMAIN');
  t.same(refused.answers, []);
  const wildcard = parsed(t, await askTcp(guard.server, buildQuery(0x0a03, 'www.cdn.test', TYPE.AAAA)));
  t.same(wildcard.answers.map((a) => a.data), ['2001:db8::7', '::ffff:192.0.2.7'], 'a name a wildcard rule allows, over TCP');
  const bare = parsed(t, await askUdp(guard.server, buildQuery(0x0a04, 'cdn.test', TYPE.A)));
  t.equal(bare.rcode, RCODE.NXDOMAIN, '"*.cdn.test" does not allow cdn.test itself');
  t.same(upstream.seen, ['udp:api.example.test', 'tcp:www.cdn.test'], 'only the allowed names reached the upstream');
  t.same([...guard.questions.values()], [
    { name: 'api.example.test', type: TYPE.A, allowed: true },
    { name: 'evil.test', type: TYPE.A, allowed: false },
    { name: 'www.cdn.test', type: TYPE.AAAA, allowed: true },
    { name: 'cdn.test', type: TYPE.A, allowed: false },
  ]);
  await askUdp(guard.server, buildQuery(0x0a05, 'evil.test', TYPE.AAAA));
  t.same([...guard.questions.keys()], ['api.example.test', 'www.cdn.test', 'cdn.test', 'evil.test'], 'a name asked again is kept once, as the most recent');
  t.same(guard.questions.get('evil.test'), { name: 'evil.test', type: TYPE.AAAA, allowed: false });
});

t.test('what it learns reaches a BindingLog over guard.log, before the answer', async (t) => {
  const { guard } = await guarded(t);
  const log = new BindingLog(guard.log); // the tracer's reader, made before any question
  const before = Date.now();
  await askUdp(guard.server, buildQuery(1, 'api.example.test', TYPE.A));
  const first = log.read(); // read as soon as the answer is in: it was bound before it was sent
  const after = Date.now();
  t.equal(first.lost, 0);
  t.same(first.records.map((r) => ({ ...r, time: 0 })), [{ name: 'api.example.test', address: { family: 4, addr: 0xc6336405n }, ttl: 45, time: 0 }]);
  const time = first.records[0]?.time ?? 0;
  t.ok(time >= before && time <= after, 'stamped with the time it was learned');
  await askTcp(guard.server, buildQuery(2, 'www.cdn.test', TYPE.AAAA));
  await askUdp(guard.server, buildQuery(3, 'evil.test', TYPE.A));
  const second = log.read();
  t.same(second.records.map((r) => [r.name, r.address.family, r.address.addr, r.ttl]), [
    ['www.cdn.test', 6, 0x20010db8_00000000_00000000_00000007n, 600],
    ['www.cdn.test', 6, 0xffff_c0000207n, 30],
  ], 'AAAA addresses (a v4-mapped one as written); nothing for the refused name');
  // The tracer's view: the records in a Bindings.
  const b = new Bindings();
  for (const r of [...first.records, ...second.records]) b.add(r.name, r.address, r.ttl, r.time);
  t.same(b.live({ family: 4, addr: 0xc0000207n }, Date.now()), ['www.cdn.test'], 'the v4-mapped answer binds the IPv4 address');
  t.same(b.live({ family: 4, addr: 0xcb007142n }, Date.now()), [], 'evil.test\'s address is bound to nothing');
});

t.test('allowAll answers every name, and learns from every answer', async (t) => {
  const { guard, upstream } = await guarded(t, { allowAll: true });
  const log = new BindingLog(guard.log);
  const r = parsed(t, await askUdp(guard.server, buildQuery(7, 'evil.test', TYPE.A)));
  t.same(r.answers.map((a) => a.data), ['203.0.113.66'], 'a name no rule names is forwarded');
  const unknown = parsed(t, await askUdp(guard.server, buildQuery(8, 'nowhere.test', TYPE.A)));
  t.equal(unknown.rcode, RCODE.NXDOMAIN, 'the upstream\'s own NXDOMAIN');
  t.same(upstream.seen, ['udp:evil.test', 'udp:nowhere.test'], 'both reached the upstream');
  t.same([...guard.questions.values()].map((q) => [q.name, q.allowed]), [['evil.test', true], ['nowhere.test', true]]);
  t.same(log.read().records.map((x) => [x.name, x.address.addr]), [['evil.test', 0xcb007142n]]);
});

t.test('an address given: it runs there; taken: it fails rather than moving', async (t) => {
  let guard: NameGuard | undefined;
  let address = '';
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  for (let attempt = 0; !guard; attempt++) {
    address = randomLoopback();
    try {
      guard = await startNameGuard(profile, { conf: CONF, upstreamPort: upstream.port, address });
    } catch (e) {
      if (attempt >= 8 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  const g = guard;
  t.teardown(() => g.close());
  t.equal(g.server, address);
  t.equal(parsed(t, await askUdp(address, buildQuery(1, 'api.example.test', TYPE.A))).answers[0]?.data, '198.51.100.5');
  await t.rejects(startNameGuard(profile, { conf: CONF, upstreamPort: upstream.port, address }), { code: 'EADDRINUSE' }, 'port 53 there is taken');
});

t.test('close() stops the resolver and removes its directory', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const guard = await startNameGuard(profile, { conf: CONF, upstreamPort: upstream.port });
  const dir = dirname(guard.resolvConf);
  t.ok(existsSync(guard.resolvConf));
  t.ok(await askUdp(guard.server, buildQuery(1, 'api.example.test', TYPE.A)), 'answering while open');
  await guard.close();
  t.notOk(existsSync(dir), 'the directory is gone');
  t.equal(await askUdp(guard.server, buildQuery(2, 'api.example.test', TYPE.A), 300), undefined, 'no UDP answer');
  t.equal(await askTcp(guard.server, buildQuery(3, 'api.example.test', TYPE.A), 1000), 'ECONNREFUSED', 'no TCP listener');
});
