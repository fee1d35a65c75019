// The DNS wire codec (lib/dns/message.ts): round trips, names and their escapes, compression
// pointers good and hostile, every prefix of a message, CNAME chains, EDNS and 0x20 case.
import t, { type Test } from 'tap';
import {
  addressesFor, buildQuery, buildResponse, errorReply, FLAG, formatIPv6, isBad, normaliseName, parseIPv6,
  parseQuery, parseResponse, RCODE, TYPE, type Answer, type Query, type Response,
} from '../../lib/dns/message.js';
import { Rng } from '../helpers/random.js';

// --- hand-made messages -----------------------------------------------------------------------

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const label = (s: string | Buffer): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
/** Uncompressed wire name from plain labels. */
const wireName = (...labels: (string | Buffer)[]): Buffer => Buffer.concat([...labels.map(label), Buffer.from([0])]);
const pointer = (to: number): Buffer => u16(0xc000 | to);
/** A header: id 0x1234, these flags and counts. */
const header = (flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer => Buffer.concat([u16(0x1234), u16(flags), u16(qd), u16(an), u16(ns), u16(ar)]);
const question = (name: Buffer, type: number = TYPE.A): Buffer => Buffer.concat([name, u16(type), u16(1)]);
const rr = (name: Buffer, type: number, ttl: number, data: Buffer, cls = 1): Buffer => Buffer.concat([name, u16(type), u16(cls), u32(ttl), u16(data.length), data]);
/** An EDNS OPT pseudo-record (RFC 6891): root owner, class = UDP payload size. */
const opt = (): Buffer => rr(Buffer.from([0]), TYPE.OPT, 0, Buffer.alloc(0), 1232);
const RESPONSE = FLAG.QR | FLAG.RD | FLAG.RA;

/** The value parsed, failing the test (and throwing) on a bad. */
function ok<T extends object>(t: Test, v: T | { bad: string }): T {
  if (isBad(v)) {
    t.fail(`unexpected bad: ${v.bad}`);
    throw new Error(v.bad);
  }
  return v;
}

// --- queries ----------------------------------------------------------------------------------

t.test('a query round trip: id, flags, name lower-cased, type, class', async (t) => {
  const q = ok<Query>(t, parseQuery(buildQuery(0xbeef, 'Allowed.Test.', TYPE.AAAA)));
  t.same([q.id, q.flags, q.question], [0xbeef, FLAG.RD, { name: 'allowed.test', type: TYPE.AAAA, class: 1 }]);
  t.same(ok<Query>(t, parseQuery(buildQuery(1, '', TYPE.NS))).question.name, '', 'the root is ""');
  t.same(ok<Query>(t, parseQuery(buildQuery(1, '.', TYPE.NS))).question.name, '', '"." is the root too');
});

t.test('0x20: a mixed-case query parses lower-cased, and its reply echoes the case as sent', async (t) => {
  const raw = buildQuery(7, 'aLlOwEd.TeSt', TYPE.A);
  const q = ok<Query>(t, parseQuery(raw));
  t.equal(q.question.name, 'allowed.test');
  const reply = errorReply(q, RCODE.NXDOMAIN);
  t.ok(reply.includes(Buffer.from('aLlOwEd')), 'the case of the question is kept');
  t.same(reply.subarray(12), raw.subarray(12), 'the question bytes are echoed');
});

t.test('errorReply: same id, QR, RD copied, RA, the rcode, the question and nothing else', async (t) => {
  const q = ok<Query>(t, parseQuery(buildQuery(0x4242, 'denied.test', TYPE.A)));
  const r = errorReply(q, RCODE.NXDOMAIN);
  t.same([r.readUInt16BE(0), r.readUInt16BE(2), r.readUInt16BE(4), r.readUInt16BE(6), r.readUInt16BE(8), r.readUInt16BE(10)],
    [0x4242, FLAG.QR | FLAG.RD | FLAG.RA | RCODE.NXDOMAIN, 1, 0, 0, 0]);
  t.same(ok<Response>(t, parseResponse(r)), { id: 0x4242, rcode: RCODE.NXDOMAIN, truncated: false, question: q.question, answers: [] });
  const noRd = ok<Query>(t, parseQuery(Buffer.concat([header(0, 1), question(wireName('x', 'test'))])));
  t.equal(errorReply(noRd, RCODE.SERVFAIL).readUInt16BE(2), FLAG.QR | FLAG.RA | RCODE.SERVFAIL, 'RD clear stays clear');
  const withOpt = ok<Query>(t, parseQuery(Buffer.concat([header(FLAG.RD, 1, 0, 0, 1), question(wireName('x', 'test')), opt()])));
  t.equal(errorReply(withOpt, RCODE.SERVFAIL).length, 12 + 8 + 4, 'the OPT record is not echoed');
  const handMade: Query = { id: 9, flags: FLAG.RD, question: { name: 'made.test', type: TYPE.A, class: 1 }, raw: Buffer.alloc(0) };
  t.same(ok<Response>(t, parseResponse(errorReply(handMade, RCODE.REFUSED))).question, handMade.question, 'a query without raw bytes: its question is encoded');
});

t.test('parseQuery refuses what is not one plain query', async (t) => {
  const q = question(wireName('a', 'test'));
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /shorter than a DNS header/],
    ['a response', Buffer.concat([header(FLAG.QR, 1), q]), /QR set/],
    ['opcode 2 (STATUS)', Buffer.concat([header(2 << 11, 1), q]), /opcode 2/],
    ['no question', header(0, 0), /0 questions/],
    ['two questions', Buffer.concat([header(0, 2), q, q]), /2 questions/],
    ['a question without type and class', Buffer.concat([header(0, 1), wireName('a', 'test')]), /cut off after its name/],
  ];
  for (const [what, m, re] of cases) {
    const r = parseQuery(m);
    t.ok(isBad(r) && re.test(r.bad), `${what}: ${isBad(r) ? r.bad : 'accepted'}`);
  }
});

t.test('EDNS: an OPT record in the additional section is tolerated (query and response)', async (t) => {
  const q = ok<Query>(t, parseQuery(Buffer.concat([header(FLAG.RD, 1, 0, 0, 1), question(wireName('edns', 'test')), opt()])));
  t.equal(q.question.name, 'edns.test');
  const name = wireName('edns', 'test');
  const resp = Buffer.concat([header(RESPONSE, 1, 1, 0, 1), question(name), rr(pointer(12), TYPE.A, 60, Buffer.from([192, 0, 2, 1])), opt()]);
  t.same(ok<Response>(t, parseResponse(resp)).answers, [{ name: 'edns.test', type: TYPE.A, ttl: 60, data: '192.0.2.1' }]);
});

// --- responses --------------------------------------------------------------------------------

const Q = { name: 'www.example.test', type: TYPE.A, class: 1 };

t.test('a response round trip: A, AAAA, CNAME, an unknown type; compressed names', async (t) => {
  const answers: Answer[] = [
    { name: 'www.example.test', type: TYPE.CNAME, ttl: 300, data: 'cdn.example.test' },
    { name: 'cdn.example.test', type: TYPE.A, ttl: 60, data: '192.0.2.10' },
    { name: 'cdn.example.test', type: TYPE.AAAA, ttl: 30, data: '2001:DB8::10' },
    { name: 'cdn.example.test', type: TYPE.HTTPS, ttl: 30, data: '\x00\x01\x00' },
  ];
  const m = buildResponse(0x55aa, Q, answers, { truncated: true });
  t.ok(m.includes(pointer(12)), 'owner names point at the question');
  const r = ok<Response>(t, parseResponse(m));
  t.same(r, {
    id: 0x55aa, rcode: RCODE.NOERROR, truncated: true, question: Q,
    answers: [answers[0], answers[1], { ...answers[2], data: '2001:db8::10' }, { ...answers[3], data: '' }],
  });
  t.equal(ok<Response>(t, parseResponse(buildResponse(1, Q, [], { rcode: RCODE.NXDOMAIN }))).rcode, RCODE.NXDOMAIN);
});

t.test('parseResponse refuses malformed answers', async (t) => {
  const qn = question(wireName('a', 'test'));
  const cases: [string, Buffer, RegExp][] = [
    ['a query', Buffer.concat([header(0, 1), qn]), /QR clear/],
    ['two questions', Buffer.concat([header(RESPONSE, 2), qn, qn]), /2 questions/],
    ['more answers counted than present', Buffer.concat([header(RESPONSE, 1, 2), qn, rr(pointer(12), TYPE.A, 1, Buffer.from([1, 2, 3, 4]))]), /runs past the end/],
    ['an A record of 5 bytes', Buffer.concat([header(RESPONSE, 1, 1), qn, rr(pointer(12), TYPE.A, 1, Buffer.alloc(5))]), /5 bytes of data \(4 expected\)/],
    ['an AAAA record of 4 bytes', Buffer.concat([header(RESPONSE, 1, 1), qn, rr(pointer(12), TYPE.AAAA, 1, Buffer.alloc(4))]), /16 expected/],
    ['a CNAME target shorter than its data', Buffer.concat([header(RESPONSE, 1, 1), qn, rr(pointer(12), TYPE.CNAME, 1, Buffer.concat([wireName('b'), Buffer.from([0])]))]), /does not fill its data/],
    ['a CNAME target running out of its data', Buffer.concat([header(RESPONSE, 1, 1), qn, rr(pointer(12), TYPE.CNAME, 1, label('bbbb')), Buffer.from([0])]), /runs past the end/],
    ['rdlength past the end', Buffer.concat([header(RESPONSE, 1, 1), qn, rr(pointer(12), TYPE.TXT, 1, Buffer.alloc(9)).subarray(0, -1)]), /runs past the end/],
  ];
  for (const [what, m, re] of cases) {
    const r = parseResponse(m);
    t.ok(isBad(r) && re.test(r.bad), `${what}: ${isBad(r) ? r.bad : 'accepted'}`);
  }
});

t.test('records: no question is fine, other classes are left out, a TTL with its top bit set is 0', async (t) => {
  const a = (ttl: number, cls = 1): Buffer => rr(wireName('a', 'test'), TYPE.A, ttl, Buffer.from([192, 0, 2, 7]), cls);
  const r = ok<Response>(t, parseResponse(Buffer.concat([header(RESPONSE, 0, 3), a(10), a(10, 3), a(0x80000000)])));
  t.equal(r.question, undefined);
  t.same(r.answers.map((x) => x.ttl), [10, 0], 'the CHAOS record is left out; 2^31 counts as 0');
});

t.test('AAAA text is RFC 5952', async (t) => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['FE80::ABCD', 'fe80::abcd'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ];
  for (const [input, want] of cases) t.equal(formatIPv6(parseIPv6(input)), want, input);
  for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::g', '1:2:3:4:5:6:7::8']) t.throws(() => parseIPv6(bad), bad);
});

// --- names ------------------------------------------------------------------------------------

t.test('labels with dots, backslashes and other bytes are escaped as \\DDD; ASCII lower-cased', async (t) => {
  const name = wireName(Buffer.from('a.b'), Buffer.from([0x61, 0x5c, 0x20, 0xff, 0x2a, 0x5f, 0x2d]), 'test');
  const q = ok<Query>(t, parseQuery(Buffer.concat([header(0, 1), question(name)])));
  t.equal(q.question.name, 'a\\046b.a\\092\\032\\255\\042_-.test', 'the dot inside a label cannot pass for a separator');
  t.equal(ok<Query>(t, parseQuery(Buffer.concat([header(0, 1), question(wireName('MiXeD', 'Test'))]))).question.name, 'mixed.test', 'ASCII upper case is lowered');
  t.same(buildQuery(0, q.question.name, TYPE.A).subarray(12), Buffer.concat([header(0, 1), question(name)]).subarray(12), 'and the escapes build back to the same bytes');
  t.equal(ok<Query>(t, parseQuery(buildQuery(0, 'a\\.b.test', TYPE.A))).question.name, 'a\\046b.test', '\\. escapes a dot when building');
});

t.test('name limits: 63-byte labels, 255-byte names, no extended label types', async (t) => {
  const l63 = 'x'.repeat(63);
  const atMost = wireName(l63, l63, l63, 'y'.repeat(61)); // 3 * 64 + 62 + 1 = 255
  t.equal(atMost.length, 255);
  t.notOk(isBad(parseQuery(Buffer.concat([header(0, 1), question(atMost)]))), 'a 255-byte name is fine');
  const over = wireName(l63, l63, l63, 'y'.repeat(62));
  t.match(parseQuery(Buffer.concat([header(0, 1), question(over)])), { bad: /longer than 255/ });
  const ext = Buffer.concat([header(0, 1), Buffer.from([0x41]), Buffer.alloc(70)]);
  t.match(parseQuery(ext), { bad: /unknown label type 0x40/ }, 'a 64-byte "label" is an extended label type');
  t.throws(() => buildQuery(0, `${'x'.repeat(64)}.test`, TYPE.A), /too long/);
  t.throws(() => buildQuery(0, 'a..test', TYPE.A), /empty/);
  t.throws(() => buildQuery(0, 'caf\u20ac.test', TYPE.A), /not bytes/);
});

t.test('normaliseName: lower-case, one final dot dropped, an escaped final dot kept', async (t) => {
  t.equal(normaliseName('Allowed.TEST.'), 'allowed.test');
  t.equal(normaliseName('allowed.test'), 'allowed.test');
  t.equal(normaliseName('.'), '');
  t.equal(normaliseName('a\\.'), 'a\\.');
  t.equal(normaliseName('a\\\\.'), 'a\\\\');
});

// --- compression pointers ---------------------------------------------------------------------

t.test('compression pointers: backwards ones are followed, hostile ones refused', async (t) => {
  const qn = question(wireName('www', 'example', 'test')); // at 12: www at 12, example at 16, test at 24
  const resp = (...answers: Buffer[]): Response | { bad: string } => parseResponse(Buffer.concat([header(RESPONSE, 1, answers.length), qn, ...answers]));
  const a = Buffer.from([192, 0, 2, 1]);
  const good = ok<Response>(t, resp(rr(Buffer.concat([label('mail'), pointer(16)]), TYPE.A, 5, a), rr(pointer(24), TYPE.A, 5, a)));
  t.same(good.answers.map((x) => x.name), ['mail.example.test', 'test'], 'a pointer after labels, a pointer into the middle of a name');
  // A pointer to a pointer, each going further back.
  const chained = Buffer.concat([header(RESPONSE, 1, 2), qn, rr(Buffer.concat([label('m'), pointer(16)]), TYPE.A, 5, a)]);
  const at = 12 + qn.length; // where the first answer's owner begins: "m" then a pointer to 16
  t.same(ok<Response>(t, parseResponse(Buffer.concat([chained, rr(Buffer.concat([label('n'), pointer(at)]), TYPE.A, 5, a)]))).answers[1]!.name, 'n.m.example.test');

  const end = 12 + qn.length;
  const cases: [string, Buffer, RegExp][] = [
    ['a pointer to itself', rr(pointer(end), TYPE.A, 5, a), /does not point backwards/],
    ['a forward pointer', rr(pointer(end + 2), TYPE.A, 5, Buffer.concat([a, Buffer.from([1, 0])])), /does not point backwards/],
    ['a pointer past the end', rr(pointer(0x3fff), TYPE.A, 5, a), /does not point backwards/],
    ['a pointer into the header', rr(pointer(4), TYPE.A, 5, a), /into the header/],
    ['a cut-off pointer', Buffer.from([0xc0]), /cut off/],
  ];
  for (const [what, ans, re] of cases) {
    const r = resp(ans);
    t.ok(isBad(r) && re.test(r.bad), `${what}: ${isBad(r) ? r.bad : 'accepted'}`);
  }
});

t.test('a loop through labels read forward is refused (the pointer may not reach its own piece)', async (t) => {
  // The question name: "a" then a pointer back to the start of "a": the jump lands before the
  // pointer, but not before where the name began, so it would loop for ever.
  const m = Buffer.concat([header(FLAG.RD, 1), label('a'), pointer(12), u16(1), u16(1)]);
  t.match(parseQuery(m), { bad: /does not point backwards/ });
  // Two answers: the second name's labels lead into a pointer back to its own start.
  const qn = question(wireName('q'));
  const at = 12 + qn.length;
  const looping = Buffer.concat([header(RESPONSE, 1, 1), qn, label('x'), label('y'), pointer(at), u16(1), u16(1), u32(1), u16(4), Buffer.alloc(4)]);
  t.match(parseResponse(looping), { bad: /does not point backwards/ });
});

t.test('a long chain of backward pointers is cut off', async (t) => {
  // 40 names, each a label then a pointer to the one before: within limits by length, not by jumps.
  const parts: Buffer[] = [header(RESPONSE, 1, 40), question(Buffer.from([0]))];
  let prev = 12; // the root question name
  let at = 12 + 5;
  for (let i = 0; i < 40; i++) {
    const owner = Buffer.concat([label('z'), pointer(prev)]);
    parts.push(rr(owner, TYPE.TXT, 1, Buffer.alloc(0)));
    prev = at;
    at += owner.length + 10;
  }
  t.match(parseResponse(Buffer.concat(parts)), { bad: /more than 32 compression pointers/ });
});

// --- hostile input: every prefix, random damage ----------------------------------------------

const samples = (): Buffer[] => [
  buildQuery(1, 'aLlOwEd.TeSt', TYPE.A),
  Buffer.concat([header(FLAG.RD, 1, 0, 0, 1), question(wireName('edns', 'test')), opt()]),
  buildResponse(2, Q, [
    { name: Q.name, type: TYPE.CNAME, ttl: 9, data: 'b.example.test' },
    { name: 'b.example.test', type: TYPE.CNAME, ttl: 9, data: 'c.other.test' },
    { name: 'c.other.test', type: TYPE.A, ttl: 9, data: '192.0.2.1' },
    { name: 'c.other.test', type: TYPE.AAAA, ttl: 9, data: '2001:db8::1' },
  ]),
];

t.test('every prefix of a valid message parses to a value or a bad, never a throw', async (t) => {
  let bad = 0;
  for (const m of samples()) {
    for (let n = 0; n <= m.length; n++) {
      const prefix = Buffer.from(m.subarray(0, n)); // a copy: nothing past the end to read
      for (const parse of [parseQuery, parseResponse]) {
        const r = parse(prefix);
        if (isBad(r)) bad++;
      }
    }
    t.notOk(isBad(m[2]! & 0x80 ? parseResponse(m) : parseQuery(m)), 'the whole message parses');
  }
  t.ok(bad > 0, `${bad} prefixes refused, none threw`);
});

t.test('random damage never throws (seeded; SEED=n reruns one)', async (t) => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  const rng = new Rng(seed);
  const base = samples();
  let parsed = 0;
  for (let i = 0; i < 5000; i++) {
    const m = Buffer.from(rng.pick(base));
    for (let k = 1 + rng.int(4); k > 0; k--) m[rng.int(m.length)] = rng.chance(0.3) ? 0xc0 | rng.int(64) : rng.int(256);
    try {
      for (const r of [parseQuery(m), parseResponse(m)]) {
        if (!isBad(r)) parsed++;
        if (!isBad(r) && 'answers' in r) addressesFor(r, Q.name);
      }
    } catch (err) {
      t.fail(`seed ${seed}, case ${i}: threw ${String(err)} on ${m.toString('hex')}`);
      return;
    }
  }
  t.pass(`seed ${seed}: 5000 damaged messages, ${parsed} still parsed, none threw`);
});

// --- CNAME chains -----------------------------------------------------------------------------

const response = (answers: Answer[]): Response => ({ id: 1, rcode: 0, truncated: false, answers });
const cname = (name: string, data: string, ttl = 300): Answer => ({ name, type: TYPE.CNAME, ttl, data });
const a = (name: string, data: string, ttl = 300): Answer => ({ name, type: TYPE.A, ttl, data });

t.test('addressesFor: a direct answer, both families, duplicates merged', async (t) => {
  const r = response([a('dual.test', '192.0.2.1', 60), { name: 'dual.test', type: TYPE.AAAA, ttl: 30, data: '2001:db8::1' }, a('dual.test', '192.0.2.1', 20), a('other.test', '192.0.2.9')]);
  t.same(addressesFor(r, 'Dual.Test.'), {
    addresses: [{ address: '192.0.2.1', family: 4, ttl: 20 }, { address: '2001:db8::1', family: 6, ttl: 30 }],
    chain: ['dual.test'],
  });
  t.same(addressesFor(r, 'nothere.test'), { addresses: [], chain: ['nothere.test'] });
});

t.test('addressesFor: a CNAME chain, in any order, the smallest TTL along it', async (t) => {
  const r = response([a('c.test', '192.0.2.3', 100), cname('b.test', 'c.test', 7), cname('a.test', 'b.test', 50), a('b.test', '192.0.2.66')]);
  t.same(addressesFor(r, 'a.test'), { addresses: [{ address: '192.0.2.3', family: 4, ttl: 7 }], chain: ['a.test', 'b.test', 'c.test'] },
    'only the end of the chain gives addresses');
  t.same(addressesFor(response([cname('a.test', 'b.test', 900), a('b.test', '192.0.2.3', 5)]), 'a.test').addresses[0]!.ttl, 5);
});

t.test('addressesFor: loops and chains over 16 links give nothing', async (t) => {
  t.same(addressesFor(response([cname('a.test', 'b.test'), cname('b.test', 'a.test'), a('a.test', '192.0.2.1')]), 'a.test'), { addresses: [], chain: ['a.test', 'b.test'] });
  t.same(addressesFor(response([cname('a.test', 'a.test')]), 'a.test').addresses, []);
  const links = (n: number): Answer[] => [...Array.from({ length: n }, (_, i) => cname(`n${i}.test`, `n${i + 1}.test`)), a(`n${n}.test`, '192.0.2.16')];
  t.same(addressesFor(response(links(16)), 'n0.test').addresses.map((x) => x.address), ['192.0.2.16'], '16 links are followed');
  t.same(addressesFor(response(links(17)), 'n0.test').addresses, [], '17 are not');
});

t.test('addressesFor on a parsed response with a compressed CNAME chain', async (t) => {
  const m = buildResponse(3, { name: 'WWW.Example.TEST', type: TYPE.A, class: 1 }, [
    cname('www.example.test', 'edge.example.test', 40), a('edge.example.test', '192.0.2.44', 90),
  ]);
  t.same(addressesFor(ok<Response>(t, parseResponse(m)), 'www.example.test'), {
    addresses: [{ address: '192.0.2.44', family: 4, ttl: 40 }], chain: ['www.example.test', 'edge.example.test'],
  });
});
