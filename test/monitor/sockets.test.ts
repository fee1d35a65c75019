// The inet tables of the runtime tier's monitor: the decoding of /proc/PID/net/{tcp,udp}[6] by hand,
// then real sockets of a child process on this machine's kernel (TCP and UDP, IPv4 and IPv6),
// joined with its socket descriptors as the monitor does.
//
// Children are started through `env -i` (tap re-adds its loaders to every child it sees spawned;
// env clears them after tap's hooks have run).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { endianness } from 'node:os';
import { descriptors, isUnreadable, procfs, socketInodes, type Descriptors } from '../../lib/monitor/procfs.js';
import { inetSockets, parseTable, type InetSocket } from '../../lib/monitor/sockets.js';

t.test('parseTable: the words are host-order dumps of network-order bytes', { skip: endianness() !== 'LE' && 'a big-endian host' }, async (t) => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:8F1C 0302010A:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 4243 1 0000000000000000 20 4 30 10 -1',
    '   2: 0100007F:8F1D 0302010A:01BB 02 00000000:00000000 01:00000064 00000000  1000        0 0 1 0000000000000000 20 4 30 10 -1',
    '',
  ].join('\n');
  const out = new Map<number, InetSocket>();
  parseTable(tcp, 'tcp', 4, undefined, out);
  t.same(out.get(4242), { proto: 'tcp', family: 4, local: { ip: '127.0.0.1', port: 8080 }, remote: undefined, state: 10 }, '0100007F:1F90 is 127.0.0.1:8080; 00000000:0000 is no peer');
  t.same(out.get(4243), { proto: 'tcp', family: 4, local: { ip: '127.0.0.1', port: 36636 }, remote: { ip: '10.1.2.3', port: 443 }, state: 1 });
  t.same(out.get(0)?.state, 2, 'a socket being torn down or in SYN_SENT may show inode 0');

  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 10 1 0 100 0 0 10 0',
    '   1: 0000000000000000FFFF00000100007F:8F1C B80D0120000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 11 1 0 20 0 0 10 -1',
    '   2: B80D0120000000000000000000000000:0035 000080FE0000000023FEFF01AB896745:0050 01 00000000:00000000 00:00000000 00000000     0        0 12 1 0 20 0 0 10 -1',
  ].join('\n');
  const out6 = new Map<number, InetSocket>();
  parseTable(tcp6, 'tcp', 6, new Set([10, 11, 12]), out6);
  t.same(out6.get(10), { proto: 'tcp', family: 6, local: { ip: '::1', port: 8080 }, remote: undefined, state: 10 }, '::1 is 00000000 00000000 00000000 01000000; [::]:0 is no peer');
  t.same(out6.get(11)?.local, { ip: '::ffff:127.0.0.1', port: 36636 }, 'an IPv4-mapped address, as written');
  t.same(out6.get(11)?.remote, { ip: '2001:db8::1', port: 53 }, 'each word byte-swapped: 2001:0db8 is B80D0120');
  t.same(out6.get(12)?.local, { ip: '2001:db8::', port: 53 });
  t.same(out6.get(12)?.remote, { ip: 'fe80::1ff:fe23:4567:89ab', port: 80 }, 'fe80::1ff:fe23:4567:89ab: 000080FE 00000000 23FEFF01 AB896745');

  const only = new Map<number, InetSocket>();
  parseTable(tcp6, 'tcp', 6, new Set([11]), only);
  t.same([...only.keys()], [11], '`only`: just those inodes');
  const udpHeaderOnly = new Map<number, InetSocket>();
  parseTable('   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n', 'udp', 4, undefined, udpHeaderOnly);
  t.equal(udpHeaderOnly.size, 0, 'a header alone (udp pads it with spaces)');
});

interface Started { readonly child: ChildProcess; readonly first: Promise<Record<string, number>> }

/** Runs argv through `env -i`; its first line of stdout is parsed as JSON. */
function start(argv: readonly string[]): Started {
  const child = spawn('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = new Promise<Record<string, number>>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const i = out.indexOf('\n');
      if (i >= 0) resolve(JSON.parse(out.slice(0, i)));
    });
    child.once('exit', (code, sig) => reject(new Error(`${argv.join(' ')} ended (${code ?? sig}) before printing: ${out}`)));
  });
  first.catch(() => undefined);
  return { child, first };
}

const stop = (child: ChildProcess): void => { child.kill('SIGKILL'); };

const listen = (host: string): Promise<net.Server> => new Promise((resolve, reject) => {
  const s = net.createServer((c) => c.on('error', () => undefined)).listen(0, host, () => resolve(s)).on('error', reject);
});
const bindUdp = (type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> => new Promise((resolve, reject) => {
  const s = dgram.createSocket(type).on('error', reject);
  s.bind(0, host, () => resolve(s));
});
const portOf = (s: net.Server | dgram.Socket): number => ((s as net.Server).address?.() as AddressInfo).port;

/** Is there an IPv6 loopback to listen on? */
const ipv6 = await listen('::1').then((s) => { s.close(); return true; }, () => false);

t.test('a child with TCP and UDP sockets: inetSockets joined with its socket descriptors', async (t) => {
  const tcp4 = await listen('127.0.0.1');
  const udp4 = await bindUdp('udp4', '127.0.0.1');
  const tcp6 = ipv6 ? await listen('::1') : undefined;
  const udp6 = ipv6 ? await bindUdp('udp6', '::1') : undefined;
  t.teardown(() => { tcp4.close(); udp4.close(); tcp6?.close(); udp6?.close(); });
  const ports = { tcp4: portOf(tcp4), udp4: udp4.address().port, tcp6: tcp6 ? portOf(tcp6) : 0, udp6: udp6 ? udp6.address().port : 0 };

  // Each socket prints its local port; the child says when all are up.
  const s = start([process.execPath, '-e', `
    const net = require('node:net');
    const dgram = require('node:dgram');
    const p = JSON.parse(process.argv[1]);
    const jobs = [];
    const tcp = (port, host) => new Promise((ok) => { const c = net.connect(port, host, () => ok(c.localPort)); });
    const udp = (type, port, host) => new Promise((ok) => { const u = dgram.createSocket(type); u.connect(port, host, () => ok(u.address().port)); });
    jobs.push(tcp(p.tcp4, '127.0.0.1'), udp('udp4', p.udp4, '127.0.0.1'));
    jobs.push(p.tcp6 ? tcp(p.tcp6, '::1') : 0, p.udp6 ? udp('udp6', p.udp6, '::1') : 0);
    jobs.push(new Promise((ok) => { const u = dgram.createSocket('udp4'); u.bind(0, '127.0.0.1', () => ok(u.address().port)); }));
    jobs.push(new Promise((ok) => { const l = net.createServer().listen(0, '127.0.0.1', () => ok(l.address().port)); }));
    Promise.all(jobs).then(([tcp4, udp4, tcp6, udp6, loose, listener]) => console.log(JSON.stringify({ tcp4, udp4, tcp6, udp6, loose, listener })));
    setInterval(() => {}, 1e6);
  `, JSON.stringify(ports)]);
  const pid = s.child.pid!;
  t.teardown(() => stop(s.child));
  const local = await s.first;

  const fds = socketInodes(pid) as Map<number, number>;
  t.ok(fds instanceof Map, 'its socket descriptors');
  const seen = inetSockets(pid, fds) as Map<number, InetSocket>;
  t.ok(seen instanceof Map, 'its inet sockets');
  t.ok([...seen.keys()].every((inode) => fds.has(inode)), 'only inodes it holds');
  const mine = (localPort: number): InetSocket | undefined => [...seen.values()].find((x) => x.local.port === localPort);

  t.same(mine(local.tcp4!), { proto: 'tcp', family: 4, local: { ip: '127.0.0.1', port: local.tcp4 }, remote: { ip: '127.0.0.1', port: ports.tcp4 }, state: 1 }, 'TCP over IPv4, ESTABLISHED');
  t.same(mine(local.udp4!), { proto: 'udp', family: 4, local: { ip: '127.0.0.1', port: local.udp4 }, remote: { ip: '127.0.0.1', port: ports.udp4 }, state: 1 }, 'UDP over IPv4, connected');
  t.same(mine(local.loose!), { proto: 'udp', family: 4, local: { ip: '127.0.0.1', port: local.loose }, remote: undefined, state: 7 }, 'UDP, bound, not connected: no remote');
  t.same(mine(local.listener!), { proto: 'tcp', family: 4, local: { ip: '127.0.0.1', port: local.listener }, remote: undefined, state: 10 }, 'a TCP listener');
  if (ipv6) {
    t.same(mine(local.tcp6!), { proto: 'tcp', family: 6, local: { ip: '::1', port: local.tcp6 }, remote: { ip: '::1', port: ports.tcp6 }, state: 1 }, 'TCP over IPv6');
    t.same(mine(local.udp6!), { proto: 'udp', family: 6, local: { ip: '::1', port: local.udp6 }, remote: { ip: '::1', port: ports.udp6 }, state: 1 }, 'UDP over IPv6');
  } else {
    t.comment('IPv6: skipped, no ::1 to listen on');
  }
  t.equal(seen.size, ipv6 ? 6 : 4, 'every inet socket it holds; its stdio socketpair (UNIX) is in no inet table');

  // The whole namespace: our own server's accepted end of its connection is there too.
  const all = inetSockets(pid) as Map<number, InetSocket>;
  t.ok([...all.values()].some((x) => x.proto === 'tcp' && x.local.port === ports.tcp4 && x.remote?.port === local.tcp4), 'without `only`: the namespace, our end included');
  t.same(inetSockets(pid, new Set()), new Map(), 'an empty `only` reads nothing');

  // The monitor's reader: the same for TCP and UDP.
  const p = await procfs.inet(pid, new Set(seen.keys()));
  for (const [inode, x] of seen) t.same(p.get(inode), x, `procfs.inet ${x.proto}${x.family} :${x.local.port}`);
  const d = descriptors(pid) as Descriptors;
  t.ok(!isUnreadable(d) && d.sockets.size === fds.size, 'descriptors() has the same sockets');
});

const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

t.test('what the tables show and do not (python: a socket before connect, IPv4-mapped, UDP-Lite)', { skip: !PYTHON && 'no python3' }, async (t) => {
  const srv = await listen('127.0.0.1');
  const udp = await bindUdp('udp4', '127.0.0.1');
  const srv6 = ipv6 ? await listen('::') : undefined; // dual stack: takes ::ffff:127.0.0.1
  t.teardown(() => { srv.close(); udp.close(); srv6?.close(); });
  const s = start([PYTHON!, '-c', `
import json, socket, sys, time
p = json.loads(sys.argv[1])
fresh = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
out = {'fresh': fresh.fileno()}
if p['srv6']:
    m = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    m.connect(('::ffff:127.0.0.1', p['srv6']))
    out['mapped'] = m.getsockname()[1]
try:
    lite = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)  # IPPROTO_UDPLITE
    lite.connect(('127.0.0.1', p['udp']))
    out['lite'] = lite.getsockname()[1]
except OSError as e:
    out['liteErrno'] = e.errno
print(json.dumps(out), flush=True)
time.sleep(60)
`, JSON.stringify({ srv: portOf(srv), udp: udp.address().port, srv6: srv6 ? portOf(srv6) : 0 })]);
  t.teardown(() => stop(s.child));
  const got = await s.first;
  const pid = s.child.pid!;
  const fds = socketInodes(pid) as Map<number, number>;
  const seen = inetSockets(pid, fds) as Map<number, InetSocket>;
  const freshInode = [...fds].find(([, fd]) => fd === got.fresh)![0];
  t.notOk(seen.has(freshInode), 'a TCP socket neither bound nor connected is in no table');
  if (got.mapped) {
    const m = [...seen.values()].find((x) => x.local.port === got.mapped);
    t.same(m, { proto: 'tcp', family: 6, local: { ip: '::ffff:127.0.0.1', port: got.mapped }, remote: { ip: '::ffff:127.0.0.1', port: portOf(srv6!) }, state: 1 }, 'IPv4-mapped, as written, in tcp6');
  } else t.comment('IPv4-mapped: skipped, no IPv6');
  if (got.lite) {
    const l = [...seen.values()].find((x) => x.local.port === got.lite);
    t.same(l, { proto: 'udplite', family: 4, local: { ip: '127.0.0.1', port: got.lite }, remote: { ip: '127.0.0.1', port: udp.address().port }, state: 1 }, 'UDP-Lite, from /proc/PID/net/udplite');
    t.equal((await procfs.inet(pid, new Set(seen.keys()))).get([...seen].find(([, x]) => x === l)![0])?.proto, 'udp', "the monitor's reader calls it udp");
  } else t.comment(`UDP-Lite: skipped, socket() failed with errno ${got.liteErrno}`);
});
