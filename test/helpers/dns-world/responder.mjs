// A small authoritative DNS server for tests, UDP and TCP (2-byte length framing, RFC 1035 4.2.2).
// It writes its own DNS bytes (it does not use lib/dns, the codec under test).
//
// The zone is a plain object, one entry per name (lower case, no final dot):
//   { "allowed.test": { "ttl": 5, "A": ["192.0.2.10"] },
//     "cname.test":   { "ttl": 5, "CNAME": "cdn.other.test" },   chased inside the zone
//     "dual.test":    { "A": ["192.0.2.11"], "AAAA": ["2001:db8::10"] },
//     "big.test":     { "A": [...], "tc": true },                 UDP: TC set, no records; TCP: all
//     "fail.test":    { "rcode": "SERVFAIL" },                    this rcode, no records
//     "silent.test":  { "drop": true } }                          no reply at all
// An unknown name gets NXDOMAIN; a known name without records of the type asked gets NOERROR and
// no records. TTL defaults to 5. A UDP reply over 512 bytes goes out truncated (TC, no records).
// Every query received is appended at once to the log file as a JSON line:
//   { "proto": "udp"|"tcp", "name": "allowed.test", "asked": "aLlOwEd.TeSt", "type": "A",
//     "from": "127.0.0.1:40000", "rcode": "NOERROR", "tc": false, "answers": 1, "at": <ms epoch> }
//
// As a module: startResponder({ address, port, zone, log }) → Promise<{ address, port, close(), setZone(zone) }>.
// As a script: node responder.mjs ADDRESS PORT ZONE.json [LOG.jsonl]; prints one line
// {"ready":true,"address":...,"port":...} when listening; SIGUSR1 re-reads ZONE.json; SIGTERM stops it.
import { appendFileSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';

const TYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY' };
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const RCODE_NAMES = Object.fromEntries(Object.entries(RCODES).map(([k, v]) => [v, k]));
const UDP_LIMIT = 512;
const MAX_CHASE = 8;

// --- reading a query --------------------------------------------------------------------------

/** The question of a query, or undefined when it cannot be read. Names are not compressed in queries. */
function readQuery(msg) {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  const labels = [];
  let pos = 12;
  for (;;) {
    if (pos >= msg.length) return undefined;
    const len = msg[pos];
    if (len === 0) break;
    if (len > 63 || pos + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('latin1'));
    pos += 1 + len;
  }
  if (pos + 5 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0), flags, qd: msg.readUInt16BE(4),
    asked: labels.join('.'), type: msg.readUInt16BE(pos + 1), class: msg.readUInt16BE(pos + 3),
    questionBytes: msg.subarray(12, pos + 5),
  };
}

// --- writing a reply --------------------------------------------------------------------------

const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

function wireName(name) {
  const parts = name === '' ? [] : name.split('.').map((l) => Buffer.from(l, 'latin1'));
  return Buffer.concat([...parts.flatMap((p) => [Buffer.from([p.length]), p]), Buffer.from([0])]);
}

function ipv4Bytes(text) {
  return Buffer.from(text.split('.').map(Number));
}

/** IPv6 text → 16 bytes ("::" and an IPv4 tail allowed; the zone is trusted). */
function ipv6Bytes(text) {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const group = (g) => (g.includes('.') ? [ipv4Bytes(g).readUInt16BE(0), ipv4Bytes(g).readUInt16BE(2)] : [parseInt(g, 16)]);
  const groups = (s) => (s ? s.split(':').flatMap(group) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return Buffer.concat(all.map(u16));
}

function record(name, type, ttl, data) {
  return Buffer.concat([wireName(name), u16(type), u16(1), u32(ttl), u16(data.length), data]);
}

/** The records answering (name, type) from the zone, CNAMEs chased inside it; undefined for an unknown name. */
function lookUp(zone, name, type) {
  const records = [];
  let current = name;
  for (let hop = 0; hop <= MAX_CHASE; hop++) {
    const entry = zone[current];
    if (entry === undefined) return hop === 0 ? undefined : records;
    const ttl = entry.ttl ?? 5;
    if (entry.CNAME !== undefined && type !== 5) {
      records.push(record(current, 5, ttl, wireName(entry.CNAME.toLowerCase())));
      current = entry.CNAME.toLowerCase();
      continue;
    }
    if (type === 1 || type === 255) for (const a of entry.A ?? []) records.push(record(current, 1, ttl, ipv4Bytes(a)));
    if (type === 28 || type === 255) for (const a of entry.AAAA ?? []) records.push(record(current, 28, ttl, ipv6Bytes(a)));
    if (type === 5 && entry.CNAME !== undefined) records.push(record(current, 5, ttl, wireName(entry.CNAME.toLowerCase())));
    return records;
  }
  return records;
}

function reply(q, rcode, records, tc) {
  const flags = 0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | (tc ? 0x0200 : 0) | rcode;
  return Buffer.concat([u16(q.id), u16(flags), u16(1), u16(records.length), u16(0), u16(0), q.questionBytes, ...records]);
}

/** What the zone says to a query: { rcode, records }, or undefined to say nothing. */
function decide(zone, q, name) {
  const entry = zone[name];
  if (((q.flags >> 11) & 0xf) !== 0 || q.qd !== 1) return { rcode: RCODES.NOTIMP, records: [] };
  if (q.class !== 1) return { rcode: RCODES.REFUSED, records: [] };
  if (entry?.drop) return undefined;
  if (entry?.rcode !== undefined) return { rcode: typeof entry.rcode === 'number' ? entry.rcode : RCODES[entry.rcode], records: [] };
  const records = lookUp(zone, name, q.type);
  return records === undefined ? { rcode: RCODES.NXDOMAIN, records: [] } : { rcode: RCODES.NOERROR, records };
}

/** The reply to one query (undefined: say nothing) and what to log about it. */
function answer(zone, msg, proto) {
  const q = readQuery(msg);
  if (q === undefined || q.flags & 0x8000) return { out: undefined, note: { bad: true } };
  const name = q.asked.toLowerCase();
  const note = { name, asked: q.asked, type: TYPES[q.type] ?? `TYPE${q.type}` };
  const said = decide(zone, q, name);
  if (said === undefined) return { out: undefined, note: { ...note, dropped: true } };
  let out = reply(q, said.rcode, said.records, false);
  const tc = proto === 'udp' && (zone[name]?.tc === true || out.length > UDP_LIMIT);
  if (tc) out = reply(q, said.rcode, [], true);
  return { out, note: { ...note, rcode: RCODE_NAMES[said.rcode] ?? String(said.rcode), tc, answers: tc ? 0 : said.records.length } };
}

// --- the server -------------------------------------------------------------------------------

const hostPort = (address, port) => (isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`);

function logger(file) {
  return (entry) => {
    if (file !== undefined) appendFileSync(file, `${JSON.stringify({ ...entry, at: Date.now() })}\n`);
  };
}

/** Serve length-framed queries on one TCP connection, as many as it sends. */
function serveTcp(socket, state, log) {
  let pending = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + msg.length);
      const { out, note } = answer(state.zone, msg, 'tcp');
      log({ proto: 'tcp', ...note, from: hostPort(socket.remoteAddress, socket.remotePort) });
      if (out !== undefined) socket.write(Buffer.concat([u16(out.length), out]));
    }
  });
}

function listenUdp(address, port, state, log) {
  const udp = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const { out, note } = answer(state.zone, msg, 'udp');
    log({ proto: 'udp', ...note, from: hostPort(rinfo.address, rinfo.port) });
    if (out !== undefined) udp.send(out, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, address, () => resolve(udp));
  });
}

function listenTcp(address, port, state, log) {
  const tcp = createServer((socket) => serveTcp(socket, state, log));
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, address, () => resolve(tcp));
  });
}

/** Serve `zone` on address:port, UDP and TCP (port 0: one free port for both). */
export async function startResponder({ address = '127.0.0.53', port = 53, zone = {}, log } = {}) {
  const state = { zone };
  const write = logger(log);
  const udp = await listenUdp(address, port, state, write);
  const bound = udp.address().port;
  const tcp = await listenTcp(address, bound, state, write).catch((err) => { udp.close(); throw err; });
  return {
    address,
    port: bound,
    setZone(next) { state.zone = next; },
    close() {
      udp.close();
      return new Promise((resolve) => tcp.close(() => resolve()));
    },
  };
}

async function main([address, port, zoneFile, log]) {
  if (zoneFile === undefined) throw new Error('usage: node responder.mjs ADDRESS PORT ZONE.json [LOG.jsonl]');
  const readZone = () => JSON.parse(readFileSync(zoneFile, 'utf8'));
  const r = await startResponder({ address, port: Number(port), zone: readZone(), log });
  process.on('SIGUSR1', () => {
    try { r.setZone(readZone()); } catch (err) { process.stderr.write(`responder: zone not reloaded: ${err.message}\n`); }
  });
  process.on('SIGTERM', () => { r.close().then(() => process.exit(0)); });
  process.stdout.write(`${JSON.stringify({ ready: true, address: r.address, port: r.port })}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`responder: ${err.message}\n`);
    process.exit(1);
  });
}
