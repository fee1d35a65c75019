// The /proc readers of the runtime tier's monitor, against real processes on this machine's kernel:
// a process tree (with a child forked by a worker thread), the image a process runs, the files it
// holds and how, a zombie, a vanished pid, and a process that made itself non-dumpable.
//
// Children are started through `env -i` (tap re-adds its loaders to every child it sees spawned;
// env clears them after tap's hooks have run, and execs, so the child's pid is env's).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  descendants, descriptors, exePath, isUnreadable, netNamespace, openFiles, processStat, procfs, socketInodes, startTime, treeSource,
  type Descriptors, type OpenFile,
} from '../../lib/monitor/procfs.js';

const ROOT = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const NODE = process.execPath;
const SLEEP = realpathSync('/bin/sleep');

interface Started {
  readonly child: ChildProcess;
  /** The first line it printed, parsed as JSON. */
  readonly first: Promise<Record<string, number>>;
  /** Further lines, one promise per call. */
  next(): Promise<Record<string, number>>;
}

/** Runs argv through `env -i` with a pipe on stdin and stdout; stdout is read line by line as JSON. */
function start(argv: readonly string[], o: { uid?: number; gid?: number } = {}): Started {
  const child = spawn('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...argv], { stdio: ['pipe', 'pipe', 'inherit'], ...o });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    rest += d;
    for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n')) {
      const line = rest.slice(0, i);
      rest = rest.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = (): Promise<Record<string, number>> => new Promise((resolve, reject) => {
    const line = lines.shift();
    if (line !== undefined) return resolve(JSON.parse(line));
    waiting.push((l) => resolve(JSON.parse(l)));
    child.once('exit', (code, sig) => reject(new Error(`${argv.join(' ')} ended (${code ?? sig}) before printing`)));
  });
  const first = next();
  first.catch(() => undefined); // a child that prints nothing is fine unless asked
  return { child, first, next };
}

const node = (code: string, ...args: string[]): readonly string[] => [NODE, '-e', code, ...args];

function stop(...pids: (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

/** Until `pid` runs `exe` (env has exec()ed it): the spawn event comes before that. */
async function running(pid: number, exe: string): Promise<void> {
  for (let i = 0; i < 300 && exePath(pid) !== exe; i++) await new Promise((r) => setTimeout(r, 10));
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

t.test('descendants: children, grandchildren, and a child forked by a worker thread', async (t) => {
  // The root starts a sleep, a node that starts a sleep (a grandchild), and a worker thread that
  // starts a sleep: that child's parent is the worker's thread, its ppid the root's pid.
  const tree = start(node(`
    const { spawn } = require('node:child_process');
    const { Worker } = require('node:worker_threads');
    const a = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    const b = spawn(process.execPath, ['-e', "const c = require('node:child_process').spawn('/bin/sleep', ['60'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1e6)"], { stdio: ['ignore', 'pipe', 'inherit'] });
    b.stdout.once('data', (d) => {
      const w = new Worker("const { spawn } = require('node:child_process'); const c = spawn('/bin/sleep', ['60'], { stdio: 'ignore' }); require('node:worker_threads').parentPort.postMessage([c.pid, Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())]); setInterval(() => {}, 1e6)", { eval: true });
      w.on('message', ([pid, tid]) => console.log(JSON.stringify({ a: a.pid, b: b.pid, grand: Number(String(d).trim()), fromThread: pid, tid })));
    });
    setInterval(() => {}, 1e6);
  `));
  const root = tree.child.pid!;
  const p = await tree.first;
  t.teardown(() => stop(p.a, p.b, p.grand, p.fromThread, root));
  t.not(p.tid, root, 'the worker is a thread of its own');

  const want = [root, p.a!, p.b!, p.grand!, p.fromThread!].sort((x, y) => x - y);
  const viaStat = descendants(root, 'stat');
  t.same([...viaStat].sort((x, y) => x - y), want, 'via /proc/*/stat: the root and all four below it');
  t.equal(viaStat[0], root, 'root first');
  t.ok(viaStat.indexOf(p.b!) < viaStat.indexOf(p.grand!), 'a parent before its child');
  t.same(descendants(p.b!, 'stat'), [p.b, p.grand], 'a subtree');
  t.same(descendants(p.a!, 'stat'), [p.a], 'a leaf');
  t.equal(processStat(p.fromThread!)?.ppid, root, "the worker's child has the process for parent, not the thread");
  t.equal(processStat(p.grand!)?.ppid, p.b, "the grandchild's parent");

  if (treeSource() === 'children') {
    const viaChildren = descendants(root, 'children');
    t.same([...viaChildren].sort((x, y) => x - y), want, 'via /proc/PID/task/TID/children: the same');
    t.match(readFileSync(`/proc/${root}/task/${p.tid}/children`, 'latin1'), new RegExp(`\\b${p.fromThread}\\b`), "listed under the worker's thread");
    t.same(descendants(root), viaChildren, 'the default');
  } else {
    t.notOk(existsSync(`/proc/${root}/task/${root}/children`), 'this kernel has no children files (CONFIG_PROC_CHILDREN): the scan is the default');
    t.same(descendants(root), viaStat, 'the default');
  }

  // An orphan leaves the tree: end the middle process, its child goes to a reaper outside it.
  stop(p.b);
  for (let i = 0; i < 200 && processStat(p.grand!)?.ppid === p.b; i++) await new Promise((r) => setTimeout(r, 10));
  t.notOk(descendants(root, 'stat').includes(p.grand!), 'the orphaned grandchild is reparented out of the tree');
});

t.test('processStat and startTime: one process, one start time, even with ) and spaces in its name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-procfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // comm is the file name of the image (15 bytes at most): make it "a) b (c) d" via a copy of sleep.
  const odd = join(dir, 'a) b (c) d');
  copyFileSync(SLEEP, odd);
  chmodSync(odd, 0o755);
  const s = start([odd, '60']);
  const pid = s.child.pid!;
  t.teardown(() => stop(pid));
  await running(pid, odd);
  for (let i = 0; i < 200 && !readFileSync(`/proc/${pid}/stat`, 'latin1').includes('(a) b (c) d)'); i++) await new Promise((r) => setTimeout(r, 10));
  t.match(readFileSync(`/proc/${pid}/stat`, 'latin1'), /^\d+ \(a\) b \(c\) d\) [A-Z] /, 'the command name holds ") " and "("');

  const st = processStat(pid);
  t.equal(st?.ppid, process.pid, 'field 4: env exec()ed it, so its parent is us');
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').pop()!.split(' ');
  t.equal(st?.start, Number(fields[22 - 3]), 'field 22');
  t.equal(startTime(pid), st?.start, 'startTime agrees');
  const own = Number(readFileSync('/proc/self/stat', 'latin1').split(') ')[1]!.split(' ')[22 - 3]);
  t.ok(st!.start >= own, 'it started after this process');
  t.equal(exePath(pid), odd, 'exe: the copy');
});

t.test('exePath: the image, " (deleted)" once unlinked', async (t) => {
  const s = start([SLEEP, '60']);
  const pid = s.child.pid!;
  t.teardown(() => stop(pid));
  await running(pid, SLEEP);
  t.equal(exePath(pid), SLEEP, '/bin/sleep as the kernel resolved it');

  const dir = mkdtempSync(join(tmpdir(), 'syscage-procfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, 'gone');
  copyFileSync(SLEEP, copy);
  chmodSync(copy, 0o755);
  const g = start([copy, '60']);
  t.teardown(() => stop(g.child.pid));
  await running(g.child.pid!, copy);
  unlinkSync(copy);
  t.equal(exePath(g.child.pid!), `${copy} (deleted)`);
  t.equal(procfs.exe(g.child.pid!), `${copy} (deleted)`, "the monitor's reader says the same");
});

t.test('descriptors: paths with their access, sockets apart; a reopened fd is seen afresh', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-procfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['r.txt', 'w.txt', 'rw.txt', 'p.txt', 'd.txt']) writeFileSync(join(dir, f), 'x');
  // O_PATH is 010000000 on x86_64 and arm64 alike (asm-generic/fcntl.h).
  const s = start(node(`
    const fs = require('node:fs');
    const net = require('node:net');
    const dir = process.argv[1];
    const r = fs.openSync(dir + '/r.txt', 'r');
    const w = fs.openSync(dir + '/w.txt', 'w');
    const rw = fs.openSync(dir + '/rw.txt', 'r+');
    const p = fs.openSync(dir + '/p.txt', 0o10000000);
    const d = fs.openSync(dir + '/d.txt', 'r');
    fs.unlinkSync(dir + '/d.txt');
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      console.log(JSON.stringify({ r, w, rw, p, d, srv: srv._handle.fd }));
    });
    process.stdin.once('data', () => {
      fs.closeSync(w);
      const again = fs.openSync(dir + '/r.txt', 'r');
      console.log(JSON.stringify({ again }));
    });
  `, dir));
  const pid = s.child.pid!;
  t.teardown(() => stop(pid));
  const fd = await s.first;

  const d = descriptors(pid) as Descriptors;
  t.ok(d && !isUnreadable(d), 'readable');
  const byFd = new Map(d.files.map((f) => [f.fd, f]));
  t.same(byFd.get(fd.r!), { fd: fd.r, target: join(dir, 'r.txt'), access: 'read' });
  t.same(byFd.get(fd.w!), { fd: fd.w, target: join(dir, 'w.txt'), access: 'write' });
  t.same(byFd.get(fd.rw!), { fd: fd.rw, target: join(dir, 'rw.txt'), access: 'readwrite' });
  t.same(byFd.get(fd.p!), { fd: fd.p, target: join(dir, 'p.txt'), access: 'none' }, 'O_PATH: neither read nor write');
  t.same(byFd.get(fd.d!), { fd: fd.d, target: `${join(dir, 'd.txt')} (deleted)`, access: 'read' }, 'an unlinked file');
  t.ok(d.files.every((f) => f.target.startsWith('/')), 'only paths: no pipe:[N], socket:[N], anon_inode:');
  t.ok(!byFd.has(0) && !byFd.has(1), 'stdin and stdout are sockets: not paths');

  // The access from the link's mode agrees with O_ACCMODE in fdinfo (O_PATH aside).
  for (const f of d.files) {
    const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${f.fd}`, 'latin1'))![1]!, 8);
    const want = (flags & 0o10000000) !== 0 ? 'none' : (['read', 'write', 'readwrite', 'none'] as const)[flags & 3];
    t.equal(f.access, want, `fd ${f.fd} ${f.target}: fdinfo flags 0${flags.toString(8)}`);
  }

  // Node's stdio pipes are UNIX socketpairs: stdin, stdout and the listener.
  t.same([...d.sockets.values()].sort((x, y) => x - y), [0, 1, fd.srv], 'the sockets: inode → fd');
  const inode = [...d.sockets].find(([, n]) => n === fd.srv)![0];
  t.match(readFileSync(`/proc/${pid}/net/tcp`, 'latin1'), new RegExp(` ${inode} `), 'the inode is the one /proc/PID/net/tcp lists');
  t.same(socketInodes(pid), d.sockets, 'socketInodes: the same');
  t.same(openFiles(pid), d.files, 'openFiles: the same');

  const policy = procfs.descriptors(pid) as Descriptors;
  t.equal(policy.files.find((f) => f.fd === fd.p)?.access, 'read', "the monitor's reader counts O_PATH as a read");
  t.same(policy.sockets, d.sockets);

  // close(w) then open(r.txt, O_RDONLY) takes the lowest free number: w's. The mode is re-read.
  s.child.stdin!.write('\n');
  const { again } = await s.next();
  t.equal(again, fd.w, 'the same fd number');
  const after = (openFiles(pid) as OpenFile[]).find((f) => f.fd === fd.w);
  t.same(after, { fd: fd.w, target: join(dir, 'r.txt'), access: 'read' }, 'another file, another mode, at once');
});

t.test('a zombie and a vanished pid: undefined or empty, never a throw', async (t) => {
  // sh starts true in the background and execs sleep, which never reaps it.
  const s = start(['/bin/sh', '-c', '/bin/true & exec /bin/sleep 60']);
  const pid = s.child.pid!;
  t.teardown(() => stop(pid));
  let zombie: number | undefined;
  for (let i = 0; i < 300 && zombie === undefined; i++) {
    const below = descendants(pid, 'stat').filter((p) => p !== pid);
    if (below.length && exePath(pid) === SLEEP && readFileSync(`/proc/${below[0]}/stat`, 'latin1').includes(') Z ')) zombie = below[0];
    else await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(zombie, 'a zombie child');
  t.equal(processStat(zombie!)?.ppid, pid, 'a zombie still has its stat');
  t.equal(exePath(zombie!), undefined, 'no mm, no exe');
  t.same(descriptors(zombie!), { files: [], sockets: new Map() }, 'no files table: nothing open');
  t.equal(netNamespace(zombie!), undefined, 'no namespaces');

  const gone = start(['/bin/true']);
  const g = gone.child.pid!;
  await exited(gone.child);
  t.equal(processStat(g), undefined, 'stat');
  t.equal(startTime(g), undefined, 'startTime');
  t.equal(exePath(g), undefined, 'exe');
  t.equal(descriptors(g), undefined, 'descriptors');
  t.equal(openFiles(g), undefined, 'openFiles');
  t.equal(socketInodes(g), undefined, 'socketInodes');
  t.equal(netNamespace(g), undefined, 'netNamespace');
  t.same(descendants(g), [], 'descendants');
  t.same(descendants(g, 'stat'), [], 'descendants via stat');
  t.same(descendants(g, 'children'), [], 'descendants via children');
  t.same([procfs.exe(g), procfs.descriptors(g), (await procfs.inet(g, new Set([1]))).size, procfs.local(g).size, procfs.stat(g)], [undefined, undefined, 0, 0, undefined], "the monitor's reader");
});

t.test('netNamespace: ours and a child\'s are the same', async (t) => {
  const ns = netNamespace(process.pid);
  t.equal(`net:[${ns}]`, readlinkSync('/proc/self/ns/net'), 'the inode of ns/net');
  const s = start([SLEEP, '60']);
  t.teardown(() => stop(s.child.pid));
  await running(s.child.pid!, SLEEP);
  t.equal(netNamespace(s.child.pid!), ns);
});

// A same-uid monitor cannot read a process that is not dumpable. Root can (CAP_SYS_PTRACE), so
// both sides run as nobody: the target runs an image it may execute but not read (a root-owned
// copy of sleep, mode 0711), which makes it non-dumpable (fs/exec.c would_dump); a second, plain
// sleep stays dumpable. The reader is a node child that loads these readers through tap's
// TypeScript loader.
const TS_LOADER = process.execArgv.find((a) => a.includes('@tapjs/typescript'));
const asNobody = process.getuid?.() !== 0 ? 'needs root, to start processes as nobody'
  : !TS_LOADER ? 'not run by tap: no TypeScript loader for the reader child' : false;

t.test('a non-dumpable process of the same user is Unreadable, not gone', { skip: asNobody }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-procfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o711);
  const xonly = join(dir, 'xsleep');
  copyFileSync(SLEEP, xonly);
  chmodSync(xonly, 0o711);
  const nobody = { uid: 65534, gid: 65534 };
  const hidden = start([xonly, '60'], nobody);
  const plain = start(['/bin/sh', '-c', `exec ${SLEEP} 60 </etc/hostname`], nobody);
  t.teardown(() => stop(hidden.child.pid, plain.child.pid));
  await running(plain.child.pid!, SLEEP); // as root we see the non-dumpable one's exe too
  await running(hidden.child.pid!, xonly);
  const code = `
    const m = await import(${JSON.stringify(join(ROOT, 'lib/monitor/procfs.ts'))});
    const s = await import(${JSON.stringify(join(ROOT, 'lib/monitor/sockets.ts'))});
    const look = (pid) => ({ exe: m.exePath(pid), fds: m.descriptors(pid), ns: m.netNamespace(pid), stat: m.processStat(pid), inet: s.inetSockets(pid) instanceof Map, why: m.procfs.exe(pid)?.unreadable, tree: [m.descendants(pid, 'stat'), m.treeSource() === 'children' ? m.descendants(pid, 'children') : m.descendants(pid, 'stat')] });
    console.log(JSON.stringify({ hidden: look(${hidden.child.pid}), plain: look(${plain.child.pid}) }));
  `;
  const reader = start([NODE, TS_LOADER!, '--input-type=module', '-e', code], nobody);
  const seen = (await reader.first) as unknown as Record<'hidden' | 'plain', Record<string, unknown>>;
  t.same(seen.hidden.exe, { unreadable: 'EACCES' }, 'exe: refused');
  t.same(seen.hidden.fds, { unreadable: 'EACCES' }, 'fd/: refused');
  t.same(seen.hidden.ns, { unreadable: 'EACCES' }, 'ns/net: refused');
  t.equal(seen.hidden.why, 'EACCES', "the monitor's reader says why");
  t.match(seen.hidden.stat, { ppid: process.pid }, 'stat: still readable');
  t.equal(seen.hidden.inet, true, 'net/: still readable (0555, no ptrace check)');
  t.same(seen.hidden.tree, [[hidden.child.pid], [hidden.child.pid]], 'the tree: still listed');
  t.equal(seen.plain.exe, SLEEP, 'the dumpable one: exe');
  t.match(seen.plain.fds, { files: [{ fd: 0, target: '/etc/hostname', access: 'read' }] }, 'the dumpable one: files');
  t.equal(seen.plain.why, undefined);
});
