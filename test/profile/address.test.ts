import t from 'tap';
import { ipMatches, ipv4ToBigInt, ipv6ToBigInt, parseAddress, type AddressRule } from '../../lib/profile/address.js';

const ok = (text: string): AddressRule => {
  const r = parseAddress(text);
  if ('message' in r) throw new Error(`${text}: ${r.message}`);
  return r;
};
const v4 = (a: string) => ipv4ToBigInt(a);
const v6 = (a: string) => ipv6ToBigInt(a);

t.test('parses and matches', async (t) => {
  const cases: [string, 4 | 6, bigint, number, boolean][] = [
    ['127.0.0.1:9001', 4, v4('127.0.0.1'), 9001, true],
    ['127.0.0.1:9001', 4, v4('127.0.0.1'), 9002, false],
    ['127.0.0.1:9001', 6, v6('::ffff:127.0.0.1'), 9001, true],   // IPv4-mapped destination
    ['10.0.0.0/8:443', 4, v4('10.255.1.2'), 443, true],
    ['10.0.0.0/8:443', 4, v4('11.0.0.1'), 443, false],
    ['10.0.0.0/8:443', 6, v6('::ffff:10.1.1.1'), 443, true],
    ['[::1]:*', 6, v6('::1'), 1, true],
    ['[::1]:*', 4, v4('127.0.0.1'), 1, false],
    ['[2001:db8::/32]:80-90', 6, v6('2001:db8:ffff::1'), 85, true],
    ['[2001:db8::]/32:80-90', 6, v6('2001:db8::1'), 91, false],
    ['[::ffff:192.168.0.0/112]:53', 4, v4('192.168.3.4'), 53, true],  // an IPv4-mapped rule is an IPv4 rule
    ['*:443', 4, v4('8.8.8.8'), 443, true],
    ['*:443', 6, v6('2001:db8::1'), 443, true],
    ['*:443', 6, v6('2001:db8::1'), 80, false],
    ['0.0.0.0/0:*', 6, v6('2001:db8::1'), 80, false],               // IPv4 rules do not match IPv6
  ];
  for (const [text, fam, addr, port, want] of cases) {
    t.equal(ipMatches(ok(text), fam, addr, port), want, `${text} ${want ? 'matches' : 'does not match'} ${fam === 4 ? 'v4' : 'v6'} ${addr.toString(16)}:${port}`);
  }
});

t.test('unix sockets', async (t) => {
  const r = ok('unix:/tmp/*.sock');
  t.equal(r.kind, 'unix');
  if (r.kind === 'unix') {
    t.equal(r.match.test('/tmp/app.sock'), true);
    t.equal(r.match.test('/tmp/a/app.sock'), false);
    t.equal(r.abstract, false);
  }
  const a = ok('unix:@dbus-*');
  t.equal(a.kind === 'unix' && a.abstract, true, 'abstract names');
});

t.test('refused', async (t) => {
  const bad: [string, RegExp][] = [
    ['127.0.0.1', /no port/],
    ['127.0.0.256:80', /not an IPv4/],
    ['10.0.0.0/33:80', /prefix length/],
    ['10.0.0.1/8:80', /host bits/],
    ['1.2.3.4:65536', /0-65535/],
    ['1.2.3.4:90-80', /backwards/],
    ['1.2.3.4:http', /port/],
    ['api..example.com:443', /empty label/],
    ['.example.com:443', /empty label/],
    ['example.*:443', /top-level domain/],
    ['**.example.com:443', /"\*\*" is not a host pattern/],
    ['exa$mple.com:443', /not an IPv4/],
    [`${'a'.repeat(64)}.com:443`, /63 characters/],
    [`${'abc.'.repeat(64)}com:443`, /at most 253/],
    ['::1:80', /brackets/],
    ['[::1/129]:80', /prefix length/],
    ['[zz::1]:80', /not an IPv6/],
    ['unix:relative.sock', /absolute/],
    ['unix:@', /empty/],
  ];
  for (const [text, msg] of bad) {
    const r = parseAddress(text);
    t.match('message' in r ? r.message : 'accepted', msg, `${text}: ${'message' in r ? r.message : 'accepted'}`);
  }
});

t.test('host names and patterns', async (t) => {
  const host = (text: string) => {
    const r = ok(text);
    if (r.kind !== 'host') throw new Error(`${text} is not a host rule`);
    return r;
  };
  const cases: [string, string[], string[]][] = [
    ['api.stripe.com:443', ['api.stripe.com'], ['stripe.com', 'xapi.stripe.com', 'api.stripe.com.evil.test', 'api-stripe.com']],
    // A leading "*." spans labels; it never matches the suffix itself.
    ['*.amazonaws.com:443', ['sts.amazonaws.com', 'dynamodb.eu-west-1.amazonaws.com', 'a.b.c.amazonaws.com'], ['amazonaws.com', 'amazonaws.com.evil.test', 'xamazonaws.com']],
    // "*" anywhere else is one label; inside a label, part of one.
    ['*.s3.*.amazonaws.com:443', ['bucket.s3.eu-west-1.amazonaws.com', 'my.dotted.bucket.s3.us-east-1.amazonaws.com'], ['bucket.s3.amazonaws.com', 'bucket.s3.a.b.amazonaws.com']],
    ['s3-*.example.com:443', ['s3-eu.example.com', 's3-.example.com'], ['s3.example.com', 'x.s3-eu.example.com']],
    ['API.Example.COM.:443', ['api.example.com'], ['api.example.co']],
    // A name from DNS with bytes outside a label's alphabet is escaped (\DDD), and matches nothing.
    ['*.example.com:443', ['a-b_c.example.com'], ['a\\046b.example.com', 'a b.example.com']],
  ];
  for (const [text, yes, no] of cases) {
    const r = host(text);
    for (const n of yes) t.ok(r.match.test(n), `${text} matches ${n}`);
    for (const n of no) t.notOk(r.match.test(n), `${text} does not match ${n}`);
  }
  t.same([host('a.b:1-2').portLo, host('a.b:1-2').portHi], [1, 2], 'ports as for addresses');
  t.equal(host('API.Example.COM.:443').pattern, 'api.example.com', 'normalised: lower-case, no final dot');
  t.equal(host('*.com:443').broad, true, '*.com is broad');
  t.equal(host('*.*.com:443').broad, true, '*.*.com is broad');
  t.equal(host('*.example.com:443').broad, false, '*.example.com is not');
  t.equal(host('localhost:80').broad, false, 'a bare name is not a pattern');
  t.equal(ok('*:443').kind, 'ip', '"*" alone is still any address');
});

t.test('IPv4 and IPv6 text', async (t) => {
  const { parseIPv4, parseIPv6 } = await import('../../lib/profile/address.js');
  t.equal(parseIPv4('10.0.0.1'), 0x0a000001n);
  for (const bad of ['10.0.0', '10.0.0.1.2', '010.0.0.1', '256.0.0.1', '1.2.3.-4', '']) t.equal(parseIPv4(bad), undefined, `refuses ${bad}`);
  t.equal(parseIPv6('::'), 0n);
  t.equal(parseIPv6('::1'), 1n);
  t.equal(parseIPv6('1::'), 1n << 112n);
  t.equal(parseIPv6('2001:db8::8:800:200c:417a'), 0x20010db8000000000008080020_0c417an);
  t.equal(parseIPv6('::ffff:1.2.3.4'), 0xffff01020304n);
  t.equal(parseIPv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3.256', 'g::', ':1', '1:2:3:4:5:6:7::8']) {
    t.equal(parseIPv6(bad), undefined, `refuses ${bad}`);
  }
});
