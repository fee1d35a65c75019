// The network check: sockaddr decoding for every family and length, connect
// vs bind lists, sends with and without a destination, sendmmsg, and the
// bootstrap's always-reachable hook.
import t from 'tap';
import { decide, decodeSockaddr, formatIPv6 } from '../../../lib/trace/decide/index.js';
import type { Destination } from '../../../lib/trace/decide/index.js';
import { expectDecision, type Want } from './fixtures/expect.js';
import { fixture, lineOf, makeTrap, PROFILE, profileFrom, type Arg, type FakeTracee } from './fixtures/fake.js';

const profile = profileFrom(PROFILE);
const EACCES = 13;
const EFAULT = 14;
const EINVAL = 22;

function sin(ip: string, port: number, family = 2): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(family, 0);
  b.writeUInt16BE(port, 2);
  ip.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  return b;
}

function sin6(addr: bigint, port: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  b.writeBigUInt64BE(addr >> 64n, 8);
  b.writeBigUInt64BE(addr & 0xffff_ffff_ffff_ffffn, 16);
  return b;
}

/** sockaddr_un; `nul` adds the terminator that most callers include in the length. */
function sun(path: string, nul = true): Buffer {
  const p = Buffer.from(path, 'utf8');
  const b = Buffer.alloc(2 + p.length + (nul ? 1 : 0));
  b.writeUInt16LE(1, 0);
  p.copy(b, 2);
  return b;
}

function abstract(name: string): Buffer {
  const p = Buffer.from(name, 'utf8');
  const b = Buffer.alloc(3 + p.length);
  b.writeUInt16LE(1, 0);
  p.copy(b, 3);
  return b;
}

const family = (f: number, len = 16): Buffer => {
  const b = Buffer.alloc(len);
  b.writeUInt16LE(f, 0);
  return b;
};

function msghdr(v: FakeTracee, name: bigint, namelen: number): bigint {
  const b = Buffer.alloc(56);
  b.writeBigUInt64LE(name, 0);
  b.writeInt32LE(namelen, 8);
  return v.map(b);
}

function mmsghdrs(v: FakeTracee, names: readonly [bigint, number][]): bigint {
  const b = Buffer.alloc(64 * names.length);
  names.forEach(([p, len], i) => {
    b.writeBigUInt64LE(p, i * 64);
    b.writeInt32LE(len, i * 64 + 8);
  });
  return v.map(b);
}

const LINKS = { '/var/run/evil.sock': '/tmp/other.sock', '/var/run/ok.sock': '/var/run/real.sock' };

function world(more: Parameters<typeof fixture>[2] = {}, p = profile) {
  return fixture(p, LINKS, more);
}

const CONNECT_LINE = lineOf(PROFILE, '- 10.0.0.0/8:443');
const allow = (address: string): Want => ({ action: 'allow', address });
const notConnect = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'network.connect', text: 'not in network.connect', line: CONNECT_LINE, reason });
const notBind = (reason?: RegExp): Want => ({ action: 'deny', errno: EACCES, what: 'network.bind', text: 'not in network.bind', line: lineOf(PROFILE, '- 127.0.0.1:8080'), reason });
const broken = (errno: number, reason?: RegExp): Want => ({ action: 'deny', errno, what: 'network', reason });

const at = (v: FakeTracee, b: Buffer): [bigint, number] => [v.map(b), b.length];

const rows: { name: string; syscall: string; args: (v: FakeTracee) => readonly Arg[]; want: Want }[] = [
  // --- IPv4, IPv6 ---------------------------------------------------------------------
  { name: 'IPv4 in a CIDR rule', syscall: 'connect', args: (v) => [3, ...at(v, sin('10.1.2.3', 443))], want: allow('10.1.2.3:443') },
  { name: 'IPv4, wrong port', syscall: 'connect', args: (v) => [3, ...at(v, sin('10.1.2.3', 80))], want: notConnect(/connect: connect to 10.1.2.3:80: not in network.connect/) },
  { name: 'IPv4 outside the rules', syscall: 'connect', args: (v) => [3, ...at(v, sin('8.8.8.8', 443))], want: notConnect() },
  { name: 'IPv6 in a prefix rule', syscall: 'connect', args: (v) => [3, ...at(v, sin6(0x20010db8_00000000_00000000_00000001n, 53))], want: allow('[2001:db8::1]:53') },
  { name: 'IPv6 loopback', syscall: 'connect', args: (v) => [3, ...at(v, sin6(1n, 80))], want: notConnect(/\[::1\]:80/) },
  { name: 'IPv4-mapped IPv6 matches the IPv4 rule', syscall: 'connect', args: (v) => [3, ...at(v, sin6(0xffff_0a000001n, 443))], want: allow('[::ffff:10.0.0.1]:443') },
  { name: 'IPv4-mapped IPv6 outside', syscall: 'connect', args: (v) => [3, ...at(v, sin6(0xffff_08080808n, 443))], want: notConnect() },
  { name: 'IPv6 without scope_id (24 bytes)', syscall: 'connect', args: (v) => [3, v.map(sin6(0x20010db8_00000000_00000000_00000001n, 53)), 24], want: allow('[2001:db8::1]:53') },
  { name: 'the fd argument is not looked at; the socklen high half is ignored', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), 0x7_00000010n], want: allow('10.1.2.3:443') },

  // --- UNIX ---------------------------------------------------------------------------------
  { name: 'a UNIX path', syscall: 'connect', args: (v) => [3, ...at(v, sun('/var/run/docker.sock'))], want: allow('unix:/var/run/docker.sock') },
  { name: 'a UNIX path without NUL in its length', syscall: 'connect', args: (v) => [3, ...at(v, sun('/var/run/docker.sock', false))], want: allow('unix:/var/run/docker.sock') },
  { name: 'a UNIX path relative to the cwd', syscall: 'connect', args: (v) => [3, ...at(v, sun('../run/app.sock'))], want: allow('unix:/var/run/app.sock') },
  { name: 'a UNIX path outside the rules', syscall: 'connect', args: (v) => [3, ...at(v, sun('/run/dbus/system_bus_socket'))], want: notConnect(/unix:\/run\/dbus/) },
  { name: 'a symlinked UNIX socket leading elsewhere', syscall: 'connect', args: (v) => [3, ...at(v, sun('/var/run/evil.sock'))], want: notConnect(/resolves to unix:\/tmp\/other.sock/) },
  { name: 'a symlinked UNIX socket leading to an allowed one', syscall: 'connect', args: (v) => [3, ...at(v, sun('/var/run/ok.sock'))], want: allow('unix:/var/run/ok.sock') },
  { name: 'an abstract name', syscall: 'connect', args: (v) => [3, ...at(v, abstract('agent-1'))], want: allow('unix:@agent-1') },
  { name: 'an abstract name outside the rules', syscall: 'connect', args: (v) => [3, ...at(v, abstract('other'))], want: notConnect(/unix:@other/) },
  { name: 'an abstract name is not a path', syscall: 'connect', args: (v) => [3, ...at(v, abstract('/var/run/docker.sock'))], want: notConnect() },
  { name: 'the unnamed address names no peer', syscall: 'connect', args: (v) => [3, ...at(v, family(1, 2))], want: broken(EINVAL, /unnamed/) },
  { name: 'a UNIX address longer than sockaddr_un', syscall: 'connect', args: (v) => [3, v.map(family(1, 128)), 111], want: broken(EINVAL) },

  // --- other families ----------------------------------------------------------------------
  { name: 'AF_UNSPEC dissolves the association', syscall: 'connect', args: (v) => [3, ...at(v, family(0))], want: allow('AF_UNSPEC') },
  { name: 'AF_NETLINK talks to the kernel', syscall: 'connect', args: (v) => [3, ...at(v, family(16, 12))], want: allow('netlink') },
  { name: 'AF_PACKET', syscall: 'connect', args: (v) => [3, ...at(v, family(17, 20))],
    want: { action: 'deny', errno: EACCES, what: 'network.connect', reason: /address family AF_PACKET \(17\) is not covered by network rules/ } },
  { name: 'AF_VSOCK', syscall: 'connect', args: (v) => [3, ...at(v, family(40))], want: { action: 'deny', errno: EACCES, reason: /AF_VSOCK \(40\)/ } },
  { name: 'an unknown family', syscall: 'bind', args: (v) => [3, ...at(v, family(99))], want: { action: 'deny', errno: EACCES, what: 'network.bind', reason: /address family 99/ } },

  // --- lengths and pointers ----------------------------------------------------------------
  { name: 'AF_INET in 8 bytes', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), 8], want: broken(EINVAL, /AF_INET address needs 16 bytes, got 8/) },
  { name: 'AF_INET6 in 20 bytes', syscall: 'connect', args: (v) => [3, v.map(sin6(1n, 1)), 20], want: broken(EINVAL, /needs 24 bytes/) },
  { name: 'one byte', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), 1], want: broken(EINVAL, /shorter than its family/) },
  { name: 'zero bytes', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), 0], want: broken(EINVAL) },
  { name: 'more than sockaddr_storage', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), 129], want: broken(EINVAL, /out of range/) },
  { name: 'a negative length', syscall: 'connect', args: (v) => [3, v.map(sin('10.1.2.3', 443)), -1], want: broken(EINVAL) },
  { name: 'a bad pointer', syscall: 'connect', args: () => [3, 0xdead0000n, 16], want: broken(EFAULT, /cannot read the address at 0xdead0000/) },

  // --- bind ---------------------------------------------------------------------------------
  { name: 'bind to an allowed address', syscall: 'bind', args: (v) => [3, ...at(v, sin('127.0.0.1', 8080))], want: allow('127.0.0.1:8080') },
  { name: 'bind to all interfaces', syscall: 'bind', args: (v) => [3, ...at(v, sin('0.0.0.0', 8080))], want: notBind(/bind: bind 0.0.0.0:8080: not in network.bind/) },
  { name: 'bind uses network.bind, not connect', syscall: 'bind', args: (v) => [3, ...at(v, sin('10.1.2.3', 443))], want: notBind() },
  { name: 'bind AF_UNSPEC is AF_INET to inet_bind', syscall: 'bind', args: (v) => [3, ...at(v, sin('0.0.0.0', 8080, 0))], want: notBind(/0.0.0.0:8080/) },
  { name: 'bind AF_UNSPEC, short', syscall: 'bind', args: (v) => [3, ...at(v, family(0, 4))], want: broken(EINVAL) },
  { name: 'bind a UNIX path', syscall: 'bind', args: (v) => [3, ...at(v, sun('/tmp/app.sock'))], want: allow('unix:/tmp/app.sock') },
  { name: 'bind creates the name: a symlink there is not followed', syscall: 'bind', args: (v) => [3, ...at(v, sun('/tmp/x.sock'))], want: allow('unix:/tmp/x.sock') },
  { name: 'bind the unnamed address (autobind) needs unix:@*', syscall: 'bind', args: (v) => [3, ...at(v, family(1, 2))], want: notBind(/autobind/) },
  { name: 'bind AF_NETLINK', syscall: 'bind', args: (v) => [3, ...at(v, family(16, 12))], want: allow('netlink') },

  // --- sendto --------------------------------------------------------------------------------
  { name: 'sendto without a destination', syscall: 'sendto', args: () => [3, 0x1000, 10, 0, 0, 0], want: allow('connected peer') },
  { name: 'sendto with a zero length', syscall: 'sendto', args: (v) => [3, 0x1000, 10, 0, v.map(sin('8.8.8.8', 53)), 0], want: allow('connected peer') },
  { name: 'sendto an allowed destination', syscall: 'sendto', args: (v) => [3, 0x1000, 10, 0, ...at(v, sin('10.9.9.9', 443))], want: allow('10.9.9.9:443') },
  { name: 'sendto a refused destination (UDP to a DNS server)', syscall: 'sendto', args: (v) => [3, 0x1000, 10, 0, ...at(v, sin('8.8.8.8', 53))], want: notConnect(/sendto: send to 8.8.8.8:53/) },
  { name: 'sendto AF_UNSPEC: udp_sendmsg sends to the address it carries', syscall: 'sendto', args: (v) => [3, 0x1000, 10, 0, ...at(v, sin('8.8.8.8', 53, 0))], want: notConnect(/8.8.8.8:53/) },
  { name: 'sendto AF_UNSPEC, short: the connected peer', syscall: 'sendto', args: (v) => [3, 0x1000, 10, 0, ...at(v, family(0, 8))], want: allow('AF_UNSPEC') },
  { name: 'sendto a bad pointer', syscall: 'sendto', args: () => [3, 0x1000, 10, 0, 0xdead0000n, 16], want: broken(EFAULT) },

  // --- sendmsg -------------------------------------------------------------------------------
  { name: 'sendmsg without a name', syscall: 'sendmsg', args: (v) => [3, msghdr(v, 0n, 16), 0], want: allow('connected peer') },
  { name: 'sendmsg with a zero namelen', syscall: 'sendmsg', args: (v) => [3, msghdr(v, v.map(sin('8.8.8.8', 53)), 0), 0], want: allow('connected peer') },
  { name: 'sendmsg to an allowed name', syscall: 'sendmsg', args: (v) => [3, msghdr(v, v.map(sin('10.0.0.2', 443)), 16), 0], want: allow('10.0.0.2:443') },
  { name: 'sendmsg to a refused name', syscall: 'sendmsg', args: (v) => [3, msghdr(v, v.map(sin('1.1.1.1', 53)), 16), 0], want: notConnect(/sendmsg: send to 1.1.1.1:53/) },
  { name: 'sendmsg namelen beyond sockaddr_storage is cut to it', syscall: 'sendmsg', args: (v) => [3, msghdr(v, v.map(sin('10.0.0.2', 443)), 100000), 0], want: allow('10.0.0.2:443') },
  { name: 'sendmsg negative namelen', syscall: 'sendmsg', args: (v) => [3, msghdr(v, v.map(sin('10.0.0.2', 443)), -5), 0], want: broken(EINVAL) },
  { name: 'sendmsg an unreadable msghdr', syscall: 'sendmsg', args: () => [3, 0xdead0000n, 0], want: broken(EFAULT, /struct msghdr/) },
  { name: 'sendmsg an unreadable name', syscall: 'sendmsg', args: (v) => [3, msghdr(v, 0xdead0000n, 16), 0], want: broken(EFAULT) },

  // --- sendmmsg ------------------------------------------------------------------------------
  { name: 'sendmmsg: every destination allowed', syscall: 'sendmmsg',
    args: (v) => [3, mmsghdrs(v, [at(v, sin('10.0.0.2', 443)), [0n, 0], at(v, sin('10.0.0.3', 443))]), 3, 0], want: allow('10.0.0.2:443, connected peer, 10.0.0.3:443') },
  { name: 'sendmmsg: one bad destination among good ones', syscall: 'sendmmsg',
    args: (v) => [3, mmsghdrs(v, [at(v, sin('10.0.0.2', 443)), at(v, sin('9.9.9.9', 53)), at(v, sin('10.0.0.3', 443))]), 3, 0],
    want: notConnect(/message 1 of 3: sendmmsg: send to 9.9.9.9:53/) },
  { name: 'sendmmsg: vlen 0', syscall: 'sendmmsg', args: () => [3, 0xdead0000n, 0, 0], want: { action: 'allow' } },
  { name: 'sendmmsg: an unreadable vector', syscall: 'sendmmsg', args: () => [3, 0xdead0000n, 2, 0], want: broken(EFAULT, /mmsghdr/) },
  { name: 'sendmmsg: vlen is capped at UIO_MAXIOV like the kernel does', syscall: 'sendmmsg',
    args: (v) => [3, mmsghdrs(v, Array.from({ length: 1024 }, (): [bigint, number] => [0n, 0])), 5000, 0], want: allow('connected peer') },
];

for (const r of rows) {
  t.test(`${r.syscall}: ${r.name}`, async (t) => {
    const { view, ctx } = world();
    view.cwdPath = '/var/task';
    expectDecision(t, decide(makeTrap(r.syscall, r.args(view)), ctx), r.want);
  });
}

t.test('bind of the unnamed address with unix:@* allowed', async (t) => {
  const p = profileFrom(PROFILE.replace('    - unix:/tmp/*.sock', '    - unix:/tmp/*.sock\n    - "unix:@*"'));
  const { view, ctx } = world({}, p);
  const d = decide(makeTrap('bind', [3, view.map(family(1, 2)), 2], { entry: { then: 'log' } }), ctx);
  expectDecision(t, d, { action: 'allow', log: true, what: 'network.bind', text: 'unix:@*', address: 'unix:' });
});

t.test('the always-reachable hook (the Runtime API proxy) works for connect and send, not bind', async (t) => {
  const seen: Destination[] = [];
  const { view, ctx } = world({
    alwaysAllowConnect: (d) => {
      seen.push(d);
      return d.kind === 'ip' && d.family === 4 && d.addr === 0x7f000001n && d.port === 9001;
    },
  });
  const proxy = () => view.map(sin('127.0.0.1', 9001));
  expectDecision(t, decide(makeTrap('connect', [3, proxy(), 16]), ctx), allow('127.0.0.1:9001'));
  expectDecision(t, decide(makeTrap('sendto', [3, 0, 0, 0, proxy(), 16]), ctx), allow('127.0.0.1:9001'));
  expectDecision(t, decide(makeTrap('bind', [3, proxy(), 16]), ctx), notBind());
  expectDecision(t, decide(makeTrap('connect', [3, view.map(sin('127.0.0.1', 9002)), 16]), ctx), notConnect());
  t.equal(seen.length, 3, 'asked for connect and send only');
});

t.test('a logged connect names the address rule', async (t) => {
  const { view, ctx } = world();
  const d = decide(makeTrap('connect', [3, view.map(sin('10.1.2.3', 443)), 16], { entry: { then: 'log' } }), ctx);
  expectDecision(t, d, { action: 'allow', log: true, what: 'network.connect', text: '10.0.0.0/8:443', line: lineOf(PROFILE, '10.0.0.0/8:443') });
});

t.test('an empty network section refuses every destination (no-network preset)', async (t) => {
  const { view, ctx } = world({}, profileFrom('version: 1\nnetwork:\n  connect: []\n  bind: []\n'));
  expectDecision(t, decide(makeTrap('connect', [3, view.map(sin('10.1.2.3', 443)), 16]), ctx), { action: 'deny', errno: 1, what: 'network.connect' });
  expectDecision(t, decide(makeTrap('sendto', [3, 0, 0, 0, 0, 0]), ctx), allow('connected peer'));
});

t.test('decodeSockaddr and IPv6 text', async (t) => {
  t.same(decodeSockaddr(sun('/a'), 5, 'connect'), { kind: 'unix', abstract: false, path: '/a', text: 'unix:/a' });
  t.same(decodeSockaddr(abstract('a\0b'), 6, 'connect'), { kind: 'unix', abstract: true, name: 'a\0b', text: 'unix:@a\\0b' }, 'NULs are part of an abstract name');
  t.same(decodeSockaddr(sun('/abc\0junk', false), 11, 'connect'), { kind: 'unix', abstract: false, path: '/abc', text: 'unix:/abc' }, 'a path stops at its NUL');
  const cases: [bigint, string][] = [
    [0n, '::'], [1n, '::1'], [0x20010db8_00000000_00000000_00000001n, '2001:db8::1'],
    [0x20010db8_00000001_00000000_00000001n, '2001:db8:0:1::1'], [0x20010db8_0000_0000_0001_0000_0000_0001n, '2001:db8::1:0:0:1'],
    [0x20010db8_1234_5678_9abc_def0_1234_5678n, '2001:db8:1234:5678:9abc:def0:1234:5678'],
    [0x20010db8_0000_1111_2222_3333_4444_5555n, '2001:db8:0:1111:2222:3333:4444:5555'],
    [0xffff_c0a80001n, '::ffff:192.168.0.1'], [0xfe80_0000_0000_0000_0000_0000_0000_0001n, 'fe80::1'],
  ];
  for (const [n, s] of cases) t.equal(formatIPv6(n), s);
});
