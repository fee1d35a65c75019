// Host rules in network.connect ("api.example.test:443"): a connect or send to an IP address is
// allowed when a DNS answer for a name a host rule allows bound the address to that name, for that
// rule's ports. The bindings are a real Bindings (lib/dns/bindings.ts) on an injected clock, behind
// the DecideContext's boundNames. Also: refusals say where the address came from, no boundNames
// fails closed, address rules still win, IPv4-mapped destinations are IPv4, syscage's resolver is
// reachable on :53 and the real name servers are not, a recording's detail names the address's
// most recent name; and the runtime tier's monitor (checkPeer) with and without BoundNames.
import t from 'tap';
import { Bindings, type BoundAddress } from '../../../lib/dns/bindings.js';
import { checkPeer, type BoundNames } from '../../../lib/monitor/policy.js';
import { compileMatchers, decide, type DecideContext } from '../../../lib/trace/decide/index.js';
import { expectDecision, type Want } from './fixtures/expect.js';
import { fixture, lineOf, makeTrap, profileFrom, type FakeTracee } from './fixtures/fake.js';

const HOSTS = `version: 1
name: hosts-test
errno: EACCES
network:
  connect:
    - api.example.test:443
    - "*.cdn.test:8000-8100"
    - 10.0.0.0/8:443
  bind:
    - 127.0.0.1:8080
`;
const hosts = profileFrom(HOSTS);
const EACCES = 13;
const API_LINE = lineOf(HOSTS, 'api.example.test:443');
const CDN_LINE = lineOf(HOSTS, '*.cdn.test');

const T0 = 1_700_000_000_000;
const MAPPED = 0xffffn << 32n;

/** The address as a number: "192.0.2.10" → 0xc000020a. */
const ip4 = (s: string): bigint => s.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);

/** struct sockaddr_in / sockaddr_in6, as a caller lays them out. */
function sockaddrIn(ip: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE(Number(ip4(ip)), 4);
  return b;
}
function sockaddrIn6(addr: bigint, port: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  b.writeBigUInt64BE(addr >> 64n, 8);
  b.writeBigUInt64BE(addr & ((1n << 64n) - 1n), 16);
  return b;
}

/** Bindings on a clock the test moves, and the boundNames a DecideContext gets from them. */
function names() {
  const clock = { now: T0 };
  const b = new Bindings(60_000, 64); // a 60 s floor
  const asked: BoundAddress[] = [];
  const boundNames = (family: 4 | 6, addr: bigint) => {
    asked.push({ family, addr });
    return { live: b.live({ family, addr }, clock.now), ever: b.names({ family, addr }) };
  };
  const bind = (name: string, ip: string | bigint, ttl = 30): void => {
    const address: BoundAddress = typeof ip === 'bigint' ? { family: 6, addr: ip } : { family: 4, addr: ip4(ip) };
    b.add(name, address, ttl, clock.now);
  };
  return { clock, bind, boundNames, asked };
}

type Call = (v: FakeTracee) => { syscall: string; args: (bigint | number)[] };
const connect4 = (ip: string, port: number): Call => (v) => ({ syscall: 'connect', args: [3, v.map(sockaddrIn(ip, port)), 16] });
const connect6 = (addr: bigint, port: number): Call => (v) => ({ syscall: 'connect', args: [3, v.map(sockaddrIn6(addr, port)), 28] });
const sendto4 = (ip: string, port: number): Call => (v) => ({ syscall: 'sendto', args: [3, 0x1000, 10, 0, v.map(sockaddrIn(ip, port)), 16] });
const sendto6 = (addr: bigint, port: number): Call => (v) => ({ syscall: 'sendto', args: [3, 0x1000, 10, 0, v.map(sockaddrIn6(addr, port)), 28] });
const sendmsg4 = (ip: string, port: number): Call => (v) => {
  const hdr = Buffer.alloc(56);
  hdr.writeBigUInt64LE(v.map(sockaddrIn(ip, port)), 0);
  hdr.writeInt32LE(16, 8);
  return { syscall: 'sendmsg', args: [3, v.map(hdr), 0] };
};

/** Decide `call` in a context with these extras; `log` asks for the allowing rule (explain mode). */
function decideIn(more: Partial<DecideContext>, call: Call, log = false, profile = hosts) {
  const { view, ctx } = fixture(profile, {}, more);
  const { syscall, args } = call(view);
  return decide(makeTrap(syscall, args, log ? { entry: { then: 'log' } } : {}), ctx);
}

const refusedHere = (reason: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'network.connect', text: 'not in network.connect', line: API_LINE, reason });

t.test('allowed through a live binding, for the rule\'s port; explain mode names the host rule', async (t) => {
  const n = names();
  n.bind('api.example.test', '192.0.2.10');
  const quiet = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.10', 443));
  expectDecision(t, quiet, { action: 'allow', log: false, address: '192.0.2.10:443' });
  t.equal(quiet.detail?.name, 'api.example.test', 'the detail names the name the address was given for');
  t.equal(quiet.rule, undefined, 'no rule looked for when nothing is logged');
  const logged = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.10', 443), true);
  expectDecision(t, logged, { action: 'allow', log: true, what: 'network.connect', text: 'api.example.test:443', line: API_LINE, address: '192.0.2.10:443' });
  t.equal(logged.detail?.name, 'api.example.test');
  t.same(n.asked, [{ family: 4, addr: ip4('192.0.2.10') }, { family: 4, addr: ip4('192.0.2.10') }], 'asked about the destination address');
});

t.test('a wildcard host rule with a port range, for connect, sendto and sendmsg', async (t) => {
  const n = names();
  n.bind('edge.cdn.test', '192.0.2.20');
  for (const [what, call] of [['connect', connect4('192.0.2.20', 8053)], ['sendto', sendto4('192.0.2.20', 8000)], ['sendmsg', sendmsg4('192.0.2.20', 8100)]] as const) {
    const d = decideIn({ boundNames: n.boundNames }, call, true);
    expectDecision(t, d, { action: 'allow', text: '*.cdn.test:8000-8100', line: CDN_LINE }, what);
    t.equal(d.detail?.name, 'edge.cdn.test', `${what}: named`);
  }
  expectDecision(t, decideIn({ boundNames: n.boundNames }, sendto4('192.0.2.20', 8101)), refusedHere(/sendto: send to 192\.0\.2\.20:8101: not in network\.connect \(resolved from edge\.cdn\.test\)/),
    'one past the range');
});

t.test('refused on a port the name\'s rule does not give: detail.name and "resolved from"', async (t) => {
  const n = names();
  n.bind('api.example.test', '192.0.2.10');
  const d = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.10', 80));
  expectDecision(t, d, refusedHere(/^connect: connect to 192\.0\.2\.10:80: not in network\.connect \(resolved from api\.example\.test\)$/));
  t.equal(d.detail?.name, 'api.example.test');
  t.equal(d.detail?.address, '192.0.2.10:80');
});

t.test('several names for one address: the first live name whose rule gives the port', async (t) => {
  const n = names();
  n.bind('edge.cdn.test', '192.0.2.30');
  n.clock.now += 1000;
  n.bind('api.example.test', '192.0.2.30');
  const on443 = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.30', 443), true);
  expectDecision(t, on443, { action: 'allow', text: 'api.example.test:443' });
  t.equal(on443.detail?.name, 'api.example.test');
  const on8080 = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.30', 8080), true);
  expectDecision(t, on8080, { action: 'allow', text: '*.cdn.test:8000-8100' });
  t.equal(on8080.detail?.name, 'edge.cdn.test', 'the older name, the one whose rule allows 8080');
  const on22 = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.30', 22));
  expectDecision(t, on22, refusedHere(/\(resolved from (edge\.cdn\.test, api\.example\.test|api\.example\.test, edge\.cdn\.test)\)$/));
  t.same(on22.detail?.name?.split(', ').sort(), ['api.example.test', 'edge.cdn.test'], 'every name it came from');
});

t.test('an expired binding no longer allows, but the refusal still says where the address came from', async (t) => {
  const n = names();
  n.bind('api.example.test', '192.0.2.10', 120); // 120 s > the 60 s floor
  n.clock.now = T0 + 119_999;
  expectDecision(t, decideIn({ boundNames: n.boundNames }, connect4('192.0.2.10', 443)), { action: 'allow' }, 'just before expiry');
  n.clock.now = T0 + 120_000;
  const d = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.10', 443));
  expectDecision(t, d, refusedHere(/connect to 192\.0\.2\.10:443: not in network\.connect \(resolved from api\.example\.test\)$/));
  t.equal(d.detail?.name, 'api.example.test');
});

t.test('an address no DNS answer gave is refused, and says so', async (t) => {
  const n = names();
  n.bind('api.example.test', '192.0.2.10');
  const d = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.99', 443));
  expectDecision(t, d, refusedHere(/^connect: connect to 192\.0\.2\.99:443: not in network\.connect \(not from a DNS answer for an allowed name\)$/));
  t.equal(d.detail?.name, undefined, 'no name to give');
  expectDecision(t, decideIn({ boundNames: n.boundNames }, sendto6(0x20010db8_00000000_00000000_00000099n, 443)),
    refusedHere(/send to \[2001:db8::99\]:443: not in network\.connect \(not from a DNS answer for an allowed name\)/));
});

t.test('without boundNames no host rule can allow: fail closed', async (t) => {
  const d = decideIn({}, connect4('192.0.2.10', 443));
  expectDecision(t, d, refusedHere(/^connect: connect to 192\.0\.2\.10:443: not in network\.connect$/));
  t.equal(d.detail?.name, undefined);
  expectDecision(t, decideIn({}, sendto4('192.0.2.20', 8050)), refusedHere(/^sendto: send to 192\.0\.2\.20:8050: not in network\.connect$/),
    'not held to the host rules\' ports either');
  expectDecision(t, decideIn({}, connect4('10.1.2.3', 443)), { action: 'allow', address: '10.1.2.3:443' }, 'address rules still work');
});

t.test('an address rule still wins, whatever the address is bound to', async (t) => {
  const n = names();
  n.bind('api.example.test', '10.1.2.3');
  const d = decideIn({ boundNames: n.boundNames }, connect4('10.1.2.3', 443), true);
  expectDecision(t, d, { action: 'allow', log: true, text: '10.0.0.0/8:443', line: lineOf(HOSTS, '10.0.0.0/8:443'), address: '10.1.2.3:443' });
  t.equal(d.detail?.name, undefined, 'a governed run names an address only when a host rule decided');
  const unbound = decideIn({ boundNames: names().boundNames }, connect4('10.9.9.9', 443), true);
  expectDecision(t, unbound, { action: 'allow', text: '10.0.0.0/8:443' }, 'unbound: the address rule alone');
  expectDecision(t, decideIn({ boundNames: n.boundNames }, connect4('10.1.2.3', 8443)), refusedHere(/\(resolved from api\.example\.test\)/),
    'neither the address rule nor the name\'s rule gives 8443');
});

t.test('an IPv4-mapped IPv6 destination is its IPv4 address, whichever form was bound', async (t) => {
  const n = names();
  n.bind('api.example.test', '192.0.2.10'); // bound from an A record
  n.bind('edge.cdn.test', MAPPED + ip4('192.0.2.40')); // bound from an AAAA record ::ffff:192.0.2.40
  const mapped = decideIn({ boundNames: n.boundNames }, connect6(MAPPED + ip4('192.0.2.10'), 443), true);
  expectDecision(t, mapped, { action: 'allow', text: 'api.example.test:443', address: '[::ffff:192.0.2.10]:443' });
  t.equal(mapped.detail?.name, 'api.example.test');
  const plain = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.40', 8080), true);
  expectDecision(t, plain, { action: 'allow', text: '*.cdn.test:8000-8100', address: '192.0.2.40:8080' });
  expectDecision(t, decideIn({ boundNames: n.boundNames }, connect6(MAPPED + ip4('192.0.2.10'), 80)), refusedHere(/\[::ffff:192\.0\.2\.10\]:80: not in network\.connect \(resolved from api\.example\.test\)/));
  // A real IPv6 answer binds the IPv6 address.
  n.bind('api.example.test', 0x20010db8_00000000_00000000_00000007n);
  expectDecision(t, decideIn({ boundNames: n.boundNames }, connect6(0x20010db8_00000000_00000000_00000007n, 443)), { action: 'allow', address: '[2001:db8::7]:443' });
  expectDecision(t, decideIn({ boundNames: n.boundNames }, connect6(ip4('192.0.2.10'), 443)), refusedHere(/not from a DNS answer/),
    '::192.0.2.10 (IPv4-compatible) is not the IPv4 address');
});

t.test('bind is not governed by host rules', async (t) => {
  const n = names();
  n.bind('api.example.test', '127.0.0.1');
  const { view, ctx } = fixture(hosts, {}, { boundNames: n.boundNames });
  const d = decide(makeTrap('bind', [3, view.map(sockaddrIn('127.0.0.1', 443)), 16]), ctx);
  expectDecision(t, d, { action: 'deny', what: 'network.bind', reason: /bind: bind 127\.0\.0\.1:443: not in network\.bind$/ });
});

// --- syscage's resolver and the real name servers ------------------------------------------------------

const GUARD = `version: 1
name: guard-test
errno: EACCES
network:
  connect:
    - api.example.test:443
    - "*:53"
`;
const guardProfile = profileFrom(GUARD);
const dnsGuard = { server: '127.77.0.53', upstreams: ['192.0.2.53', '2001:db8::53'] };
const STAR53_LINE = lineOf(GUARD, '"*:53"');

t.test('syscage\'s resolver is reachable on :53, even where no rule names it', async (t) => {
  for (const profile of [guardProfile, hosts]) {
    for (const call of [connect4('127.77.0.53', 53), sendto4('127.77.0.53', 53)]) {
      const d = decideIn({ dnsGuard, boundNames: names().boundNames }, call, true, profile);
      expectDecision(t, d, { action: 'allow', log: true, what: 'built-in', text: 'syscage\'s resolver', address: 'syscage\'s resolver (127.77.0.53:53)' }, profile.name);
    }
  }
  expectDecision(t, decideIn({ dnsGuard, boundNames: names().boundNames }, connect4('127.77.0.53', 5353)), refusedHere(/127\.77\.0\.53:5353: not in network\.connect/),
    'on another port it is an address like any other');
});

t.test('the real name servers on :53 are refused, even when an address rule ("*:53") allows them', async (t) => {
  const upstreamRefused = (reason: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'network.connect', text: 'DNS goes through syscage\'s resolver', line: lineOf(GUARD, 'api.example.test'), reason });
  const ctx = { dnsGuard, boundNames: names().boundNames };
  expectDecision(t, decideIn(ctx, connect4('192.0.2.53', 53), false, guardProfile),
    upstreamRefused(/^connect: connect to 192\.0\.2\.53:53: the name server is asked by syscage's resolver only$/), 'connect, IPv4');
  expectDecision(t, decideIn(ctx, sendto4('192.0.2.53', 53), false, guardProfile), upstreamRefused(/^sendto: send to 192\.0\.2\.53:53:/), 'sendto, IPv4');
  expectDecision(t, decideIn(ctx, sendmsg4('192.0.2.53', 53), false, guardProfile), upstreamRefused(/^sendmsg: send to 192\.0\.2\.53:53:/), 'sendmsg');
  expectDecision(t, decideIn(ctx, sendto6(0x20010db8_00000000_00000000_00000053n, 53), false, guardProfile), upstreamRefused(/send to \[2001:db8::53\]:53/), 'IPv6');
  const other = decideIn(ctx, connect4('198.51.100.1', 53), true, guardProfile);
  expectDecision(t, other, { action: 'allow', text: '*:53', line: STAR53_LINE }, 'a server that is not one of the upstreams: the rules decide');
  // Without the guard the same destination is just an address.
  expectDecision(t, decideIn({}, connect4('192.0.2.53', 53), true, guardProfile), { action: 'allow', text: '*:53' }, 'no dnsGuard: "*:53" allows it');
});

// The upstream check compares addresses, not their text: another spelling of the same address, or
// its IPv4-mapped form, is the same name server (a text comparison let them past, found by these tests).

t.test('the real name servers are refused in every spelling of their address', async (t) => {
  const ctx = { dnsGuard, boundNames: names().boundNames };
  const mapped = decideIn(ctx, connect6(MAPPED + ip4('192.0.2.53'), 53), false, guardProfile);
  t.equal(mapped.action, 'deny', 'connect to [::ffff:192.0.2.53]:53 (a dual-stack socket reaches 192.0.2.53)', { decision: mapped });
  const long = decideIn({ ...ctx, dnsGuard: { server: dnsGuard.server, upstreams: ['192.0.2.53', '2001:DB8:0:0:0:0:0:53'] } }, sendto6(0x20010db8_00000000_00000000_00000053n, 53), false, guardProfile);
  t.equal(long.action, 'deny', 'an upstream written "2001:DB8:0:0:0:0:0:53" in resolv.conf, sent to as [2001:db8::53]:53', { decision: long });
});

// --- a recording (no host rules): the detail names the address ----------------------------------------

const RECORDING = `version: 1
name: recording
network:
  connect:
    - "*:*"
`;

t.test('a recording profile (no host rules): the detail carries the most recent live name', async (t) => {
  const recording = profileFrom(RECORDING);
  const n = names();
  n.bind('old.example.test', '192.0.2.50');
  n.clock.now += 1000;
  n.bind('new.example.test', '192.0.2.50');
  const d = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.50', 443), false, recording);
  expectDecision(t, d, { action: 'allow', address: '192.0.2.50:443' });
  t.equal(d.detail?.name, 'new.example.test', 'the name it was most recently given for');
  const mapped = decideIn({ boundNames: n.boundNames }, sendto6(MAPPED + ip4('192.0.2.50'), 53), false, recording);
  t.equal(mapped.detail?.name, 'new.example.test', 'asked in its v4-mapped form');
  const unbound = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.51', 443), false, recording);
  expectDecision(t, unbound, { action: 'allow' });
  t.equal(unbound.detail?.name, undefined, 'no name for an address no answer gave');
  n.clock.now += 10 * 60_000;
  const expired = decideIn({ boundNames: n.boundNames }, connect4('192.0.2.50', 443), false, recording);
  t.equal(expired.detail?.name, undefined, 'only a live binding names the address');
  const none = decideIn({}, connect4('192.0.2.50', 443), false, recording);
  expectDecision(t, none, { action: 'allow' });
  t.equal(none.detail?.name, undefined, 'no boundNames: no name, still allowed');
});

// --- the monitor (runtime tier) -----------------------------------------------------------------------

t.test('checkPeer with BoundNames: a host rule allows the addresses bound to its names, on its ports', async (t) => {
  const m = compileMatchers(hosts);
  const n = names();
  n.bind('api.example.test', '192.0.2.10');
  n.bind('edge.cdn.test', 0x20010db8_00000000_00000000_00000020n);
  const bound: BoundNames = n.boundNames;
  const none = new Set<string>();
  t.equal(checkPeer(m, 4, '192.0.2.10', 443, none, bound), undefined, 'bound to api.example.test, port 443');
  t.equal(checkPeer(m, 6, '::ffff:192.0.2.10', 443, none, bound), undefined, 'the same in its v4-mapped form');
  t.equal(checkPeer(m, 6, '2001:db8::20', 8080, none, bound), undefined, 'IPv6, a wildcard rule\'s port range');
  t.equal(checkPeer(m, 4, '10.1.2.3', 443, none, bound), undefined, 'an address rule');
  const wrongPort = checkPeer(m, 4, '192.0.2.10', 80, none, bound);
  t.match(wrongPort, {
    act: 'connect',
    rule: { what: 'network.connect', text: 'not in network.connect' },
    reason: 'a socket is connected to 192.0.2.10:80 (resolved from api.example.test), which network.connect does not allow',
    detail: { address: '192.0.2.10:80' },
  });
  const unbound = checkPeer(m, 4, '192.0.2.99', 443, none, bound);
  t.equal(unbound?.reason, 'a socket is connected to 192.0.2.99:443, which network.connect does not allow', 'never bound: nothing to say where from');
  n.clock.now += 10 * 60_000;
  t.match(checkPeer(m, 4, '192.0.2.10', 443, none, bound)?.reason, /\(resolved from api\.example\.test\)/, 'expired: refused, and says where it came from');
  t.equal(checkPeer(m, 4, '192.0.2.99', 22, new Set(['192.0.2.99:22']), bound), undefined, 'an always-reachable destination');
  t.equal(checkPeer(m, 6, '2001:db8::99', 22, new Set(['[2001:db8::99]:22']), bound), undefined, 'and in its bracketed form');
});

t.test('checkPeer without BoundNames: a host rule can only be held to its ports', async (t) => {
  const m = compileMatchers(hosts);
  const none = new Set<string>();
  t.equal(checkPeer(m, 4, '192.0.2.99', 443, none), undefined, 'any address on 443 (api.example.test:443)');
  t.equal(checkPeer(m, 6, '2001:db8::99', 8050, none), undefined, 'any address in 8000-8100 (*.cdn.test)');
  const refused = checkPeer(m, 4, '192.0.2.99', 22, none);
  t.equal(refused?.reason, 'a socket is connected to 192.0.2.99:22, which network.connect does not allow', 'a port no rule gives');
  t.equal(refused?.rule.loc?.line, API_LINE, 'pointing at network.connect');
  t.equal(checkPeer(m, 4, '10.1.2.3', 443, none), undefined, 'an address rule');
  const noHosts = compileMatchers(profileFrom('version: 1\nnetwork:\n  connect:\n    - 10.0.0.0/8:443\n'));
  t.match(checkPeer(noHosts, 4, '192.0.2.99', 443, none), { act: 'connect' }, 'without host rules, 443 is not given to every address');
  t.equal(checkPeer(compileMatchers(profileFrom('version: 1\nname: open\n')), 4, '192.0.2.99', 22, none), undefined, 'no network section: not checked');
});
