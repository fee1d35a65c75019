// The runtime tier's monitor (lib/monitor/monitor.ts) against a /proc of the test's making: what it
// checks, whom it kills, what it reports once, and what it leaves alone. The real /proc readers are
// tested in procfs.test.ts and sockets.test.ts, the whole run end to end in test/platform/.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Monitor, type PolicySocket, type PolicyFile, type ProcReader } from '../../lib/monitor/index.js';
import type { Finding } from '../../lib/monitor/index.js';
import { loadProfile } from '../../lib/profile/load.js';
import { alwaysReachable } from '../../lib/monitor/run.js';
import { compileMatchers } from '../../lib/trace/decide/index.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-monitor-'));
const matchers = (lines: string[]) => {
  const p = join(dir, `p${Math.random()}.yaml`);
  writeFileSync(p, ['version: 1', 'name: m', ...lines].join('\n') + '\n');
  return compileMatchers(loadProfile(p).profile);
};

interface FakeProc {
  ppid: number;
  start?: number;
  exe: string | { unreadable: string } | undefined;
  files?: PolicyFile[];
  sockets?: number[];
  unreadableFds?: boolean;
  exiting?: boolean;
  threads?: number;
}

/** A /proc: processes by pid (the watcher is pid 1), the namespace's sockets, and what was read. */
class FakeReader implements ProcReader {
  procs = new Map<number, FakeProc>();
  inetTable = new Map<number, PolicySocket>();
  localSockets = new Set<number>();
  inetReads = 0;
  descendants(root: number): number[] {
    const out = [root];
    for (let i = 0; i < out.length; i++) for (const [pid, p] of this.procs) if (p.ppid === out[i] && !out.includes(pid)) out.push(pid);
    return out;
  }
  stat(pid: number) {
    const p = this.procs.get(pid);
    return p ? { ppid: p.ppid, start: p.start ?? 0, exiting: !!p.exiting } : pid === 1 ? { ppid: 0, start: 0, exiting: false } : undefined;
  }
  exe(pid: number) {
    return this.procs.get(pid)?.exe;
  }
  liveThreads(pid: number) {
    const p = this.procs.get(pid);
    return p ? p.threads ?? (p.exiting ? 0 : 1) : 0;
  }
  descriptors(pid: number) {
    const p = this.procs.get(pid);
    if (!p) return undefined;
    if (p.unreadableFds) return { unreadable: 'EACCES' };
    return { files: p.files ?? [], sockets: new Map((p.sockets ?? []).map((inode, i) => [inode, 100 + i])) };
  }
  async inet(_pid: number, only: ReadonlySet<number>) {
    this.inetReads++;
    return new Map([...this.inetTable].filter(([inode]) => only.has(inode)));
  }
  localReads = 0;
  local() {
    this.localReads++;
    return this.localSockets;
  }
}

interface Seen { finding: Finding; pid: number; killed: string }

function setup(lines: string[], opts: { audit?: boolean; inherited?: string[]; always?: string[] } = {}) {
  const proc = new FakeReader();
  const seen: Seen[] = [];
  const kills: number[] = [];
  const root = 10;
  proc.procs.set(root, { ppid: 1, exe: '/usr/bin/node' });
  const monitor = new Monitor({
    matchers: matchers(lines),
    proc,
    watch: 1,
    before: new Map([[1, 0]]),
    root,
    inherited: new Set(opts.inherited ?? []),
    always: new Set(opts.always ?? []),
    audit: !!opts.audit,
    onFinding: (finding, who, killed) => seen.push({ finding, pid: who.pid, killed }),
    kill: (pid) => { kills.push(pid); proc.procs.delete(pid); },
  });
  return { proc, seen, kills, monitor, root };
}

t.test('programs: the launch\'s own and a fork\'s copy pass; a program exec.allow does not name is killed', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['exec: { allow: [/usr/bin/python3] }']);
  await monitor.poll();
  t.same(seen, [], 'the command itself, whatever exec.allow says');
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node' });
  proc.procs.set(12, { ppid: root, exe: '/usr/bin/python3' });
  await monitor.poll();
  t.same(seen, [], 'a fork (its parent\'s program) and an allowed program pass');
  proc.procs.set(13, { ppid: 11, exe: '/bin/sh' });
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act, s.finding.rule.what, s.killed]), [[13, 'exec', 'exec.allow', 'process']]);
  t.same(kills, [13], 'only the offender (violation: deny)');
  t.equal(monitor.ended, undefined, 'the command goes on');
  proc.procs.get(11)!.exe = '/usr/bin/curl';
  await monitor.poll();
  t.same(kills, [13, 11], 'a process that execs a refused program after it was first seen');
  proc.procs.get(root)!.exe = '/bin/bash';
  await monitor.poll();
  t.same(kills, [13, 11, root], 'the command itself, when it execs one');
  t.equal(monitor.ended?.who.pid, root, 'and that ends the command for the finding');
  t.equal(monitor.killed, 3);
});

t.test('violation: kill ends every process of the command at the first finding', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['violation: kill', 'exec: { allow: [] }']);
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node' });
  await monitor.poll();
  proc.procs.set(12, { ppid: 11, exe: '/bin/sh' });
  await monitor.poll();
  t.equal(seen[0]?.killed, 'all');
  t.same(new Set(kills), new Set([root, 11, 12]), 'the whole tree, not the watcher');
  t.notOk(kills.includes(1));
  t.equal(monitor.ended?.who.pid, 12, 'the finding that ended it');
});

t.test('audit: reported once, nothing killed', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['exec: { allow: [] }'], { audit: true });
  proc.procs.set(11, { ppid: root, exe: '/bin/sh' });
  for (let i = 0; i < 3; i++) await monitor.poll();
  t.equal(seen.length, 1, 'one report for one process and program, however many polls');
  t.equal(seen[0]?.killed, 'none');
  t.same(kills, []);
  t.equal(monitor.ended, undefined);
});

t.test('process.fork: false: any second process is a finding; a reused pid is a new process', async (t) => {
  const { proc, seen, monitor, root } = setup(['process: { fork: false }']);
  await monitor.poll();
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node', start: 5 });
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.rule.what]), [[11, 'process.fork']]);
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node', start: 9 });
  await monitor.poll();
  t.equal(seen.length, 2, 'the same pid with another start time: reported again');
});

t.test('files: held descriptors against the files rules; inherited ones and /proc/self pass', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['files:', '  read: [/var/task/**, /proc/self, /proc/self/**]', '  write: [/tmp/**]', '  deny: [/var/task/.env]'], { inherited: ['/dev/pts/3'] });
  const files = (list: [number, string, PolicyFile['access']][]) => { proc.procs.get(root)!.files = list.map(([fd, target, access]) => ({ fd, target, access })); };
  files([[2, '/dev/pts/3', 'readwrite'], [3, '/var/task/index.js', 'read'], [4, `/proc/${root}/status`, 'read'], [5, `/proc/${root}`, 'read'], [6, '/tmp/x (deleted)', 'write']]);
  await monitor.poll();
  t.same(seen, [], 'inherited stdio, a granted read, its own /proc entry and directory, a deleted temp file');
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node', files: [{ fd: 3, target: '/var/task/index.js', access: 'write' }] });
  proc.procs.set(12, { ppid: root, exe: '/usr/bin/node', files: [{ fd: 3, target: '/var/task/.env', access: 'read' }] });
  proc.procs.set(13, { ppid: root, exe: '/usr/bin/node', files: [{ fd: 3, target: '/etc/passwd', access: 'read' }] });
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act, s.finding.rule.what, s.finding.detail.access]), [
    [11, 'open', 'files.write', 'write'],
    [12, 'open', 'files.deny', 'read'],
    [13, 'open', 'files.read', 'read'],
  ]);
  t.same(kills, [11, 12, 13]);
  t.match(seen[1]?.finding.rule, { text: '/var/task/.env', loc: { line: 6 } }, 'the rule, file:line');
  files([[7, '/dev/pts/3', 'read']]);
  await monitor.poll();
  t.same(seen.slice(3).map((s) => [s.pid, s.finding.rule.what]), [[root, 'files.read']], 'the stdio exemption is for fds 0-2: the same file opened again is a file like any');
});

t.test('sockets: UNIX ones settle, a connection not in the tables yet is looked up again, a refused peer is killed', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['network: { connect: ["10.0.0.0/8:443"] }'], { always: ['127.0.0.1:9001'] });
  const tcp = (port: number, remote?: [string, number], state = 1, family: 4 | 6 = 4): PolicySocket => ({ proto: 'tcp', family, local: { ip: family === 4 ? '127.0.0.1' : '::1', port }, ...(remote ? { remote: { ip: remote[0], port: remote[1] } } : {}), state });
  proc.localSockets.add(500);
  proc.procs.get(root)!.sockets = [500, 501, 502, 503];
  proc.inetTable.set(501, tcp(40000, ['127.0.0.1', 9001]));
  proc.inetTable.set(502, tcp(8080, undefined, 10));
  await monitor.poll();
  t.same(seen, [], 'a UNIX socket, the Runtime API proxy, a listener, and a socket not bound yet');
  const reads = proc.inetReads;
  proc.inetTable.set(503, tcp(40001, ['10.1.2.3', 443]));
  await monitor.poll();
  t.same(seen, [], 'the late one connected to an allowed peer');
  await monitor.poll();
  t.equal(proc.inetReads, reads + 1, 'settled sockets are not looked up again: the tables are not read');
  proc.procs.set(11, { ppid: root, exe: '/usr/bin/node', sockets: [504, 505] });
  proc.inetTable.set(504, tcp(40002, ['2001:db8::1', 443], 2, 6));
  proc.inetTable.set(505, { proto: 'udp', family: 4, local: { ip: '0.0.0.0', port: 5353 }, state: 7 });
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act, s.finding.detail.address]), [[11, 'connect', '[2001:db8::1]:443']], 'a refused IPv6 peer, mid-handshake');
  t.same(kills, [11]);
});

t.test('a UDP socket is checked again when it connects elsewhere', async (t) => {
  const { proc, seen, monitor, root } = setup(['network: { connect: ["10.0.0.1:53"] }']);
  proc.procs.get(root)!.sockets = [600];
  const udp = (ip: string): PolicySocket => ({ proto: 'udp', family: 4, local: { ip: '0.0.0.0', port: 5000 }, remote: { ip, port: 53 }, state: 1 });
  proc.inetTable.set(600, udp('10.0.0.1'));
  await monitor.poll();
  t.same(seen, []);
  const localReads = proc.localReads;
  await monitor.poll();
  t.equal(proc.localReads, localReads, 'a socket once found in the UDP table needs no look at the UNIX ones again');
  proc.inetTable.set(600, udp('8.8.8.8'));
  await monitor.poll();
  t.equal(seen[0]?.finding.detail.address, '8.8.8.8:53');
});

t.test('a process /proc will not show is ended: the monitor cannot vouch for it', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['exec: { allow: ["/**"] }', 'files: { read: ["/**"] }']);
  proc.procs.set(11, { ppid: root, exe: { unreadable: 'EACCES' } });
  proc.procs.set(12, { ppid: root, exe: '/usr/bin/node', unreadableFds: true });
  await monitor.poll();
  proc.procs.set(13, { ppid: root, exe: { unreadable: 'EACCES' }, exiting: true });
  proc.procs.set(14, { ppid: root, exe: '/usr/bin/node', unreadableFds: true, exiting: true });
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act, s.finding.rule.what]), [[11, 'unreadable', 'monitor'], [12, 'unreadable', 'monitor']],
    'not one that is ending: its /proc entries turn root\'s as its memory goes');
  t.match(seen[0]?.finding.reason, /EACCES/);
  t.same(kills, [11, 12]);
});

t.test('memfds are anonymous memory, not paths: no files rule applies, as in the kernel tier', async (t) => {
  const { proc, seen, monitor, root } = setup(['files: { read: [/var/task/**] }']);
  proc.procs.get(root)!.files = [{ fd: 3, target: '/memfd:buf (deleted)', access: 'readwrite' }];
  await monitor.poll();
  t.same(seen, []);
});

t.test('a process whose main thread exited while others run on cannot be watched: ended', async (t) => {
  const { proc, seen, kills, monitor, root } = setup(['files: { read: ["/**"] }']);
  proc.procs.set(11, { ppid: root, exe: undefined, threads: 1 });
  proc.procs.set(12, { ppid: root, exe: undefined, threads: 0 });
  await monitor.poll();
  t.same(seen, [], 'once may be a process on its way out');
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act]), [[11, 'unreadable']], 'twice is a headless process; a plain zombie is not');
  t.match(seen[0]?.finding.reason, /main thread has exited/);
  t.same(kills, [11]);
});

t.test('a fork may run its parent\'s program only when the monitor let the parent run it', async (t) => {
  const { proc, seen, monitor, root } = setup(['exec: { allow: [/usr/bin/python3] }']);
  proc.procs.set(11, { ppid: root, exe: '/bin/sh' });
  // The parent execs a refused program and forks within one poll: the parent is killed, the child
  // (the same program) must not pass as "its parent's".
  proc.procs.set(12, { ppid: 11, exe: '/bin/sh' });
  await monitor.poll();
  t.same(seen.map((s) => s.pid).sort(), [11, 12]);
});

t.test('fileless programs are refused whatever exec.allow says; a path that merely starts with /memfd: is a path', async (t) => {
  const { proc, seen, monitor, root } = setup(['exec: { allow: ["/**"] }', 'files: { read: [/var/task/**] }']);
  proc.procs.set(11, { ppid: root, exe: '/memfd:payload (deleted)' });
  proc.procs.set(12, { ppid: root, exe: '/tmp/dropper (deleted)' });
  proc.procs.get(root)!.files = [{ fd: 3, target: '/memfd:x', access: 'read' }];
  await monitor.poll();
  t.same(seen.map((s) => [s.pid, s.finding.act, s.finding.rule.what]), [[root, 'open', 'files.read'], [11, 'exec', 'exec'], [12, 'exec', 'exec']]);
});

t.test('a connected TCP socket is looked at again now and then: it can be disconnected and reconnected', async (t) => {
  const { proc, seen, monitor, root } = setup(['network: { connect: ["10.0.0.1:443"] }']);
  proc.procs.get(root)!.sockets = [700];
  const tcp = (ip: string): PolicySocket => ({ proto: 'tcp', family: 4, local: { ip: '10.0.0.9', port: 40000 }, remote: { ip, port: 443 }, state: 1 });
  proc.inetTable.set(700, tcp('10.0.0.1'));
  await monitor.poll();
  proc.inetTable.set(700, tcp('203.0.113.7'));
  for (let i = 0; i < 10 && seen.length === 0; i++) await monitor.poll();
  t.equal(seen[0]?.finding.detail.address, '203.0.113.7:443', 'within RECHECK_EVERY polls');
});

t.test('what ran before the command is not the command\'s', async (t) => {
  const { proc, seen, kills, monitor } = setup(['exec: { allow: [] }']);
  proc.procs.set(2, { ppid: 1, exe: '/usr/bin/other' });
  // `before` was {1 (start 0)}: pid 2 is new, so it is the command's (an orphan reparented to the watcher).
  await monitor.poll();
  t.same(kills, [2], 'an orphan of the command reparented to the watcher is still watched');
  t.equal(seen.length, 1);
});

t.test('host rules checked by name: a lookup\'s socket to a name server is no finding (glibc connects one for the while it takes)', async (t) => {
  const rules = ['network: { connect: ["allowed.test:443"] }'];
  const always = alwaysReachable(['127.0.0.1:9001'], ['127.0.0.53', 'fd00::53']);
  t.same([...always], ['127.0.0.1:9001', '127.0.0.53:53', '[fd00::53]:53'], 'the caller\'s destinations, and each name server on port 53');
  const lookup = (ip: string, family: 4 | 6): PolicySocket => ({ proto: 'udp', family, local: { ip: family === 4 ? '0.0.0.0' : '::', port: 40000 }, remote: { ip, port: 53 }, state: 1 });
  const seenWith = async (list: readonly string[]) => {
    const { proc, seen, monitor, root } = setup(rules, { always: [...list] });
    proc.procs.get(root)!.sockets = [700, 701, 702];
    proc.inetTable.set(700, lookup('127.0.0.53', 4));
    proc.inetTable.set(701, lookup('fd00::53', 6));
    proc.inetTable.set(702, lookup('192.0.2.99', 4));
    await monitor.poll();
    return seen.map((x) => x.finding.detail.address);
  };
  t.same(await seenWith([...always]), ['192.0.2.99:53'], 'the name servers pass; another server on port 53 is still a finding');
  t.same(await seenWith(['127.0.0.1:9001']), ['127.0.0.53:53', '[fd00::53]:53', '192.0.2.99:53'], 'without them, the lookup itself was killed');
});
