// The engine on the real aarch64 kernel: `syscage run --profile P -- CMD` with the layer's node,
// koffi and syscage. The aarch64 counterpart of test/run/{forbidden,audit,programs,lifecycle}.
//
// The command is c/attempt.c, a static program that makes one call after another and prints what
// each returned, so every check is the kernel's effect as the sandboxed program saw it. Under
// emulation each syscage start costs seconds, so one run carries many operations:
//
//   enforce   files / exec / network refused and their allowed twins, threads, forks, exit 7:
//             a refused open is EPERM inside (the tracer's arm64 deny path: NT_ARM_SYSTEM_CALL -1,
//             then x0 = -EPERM), the audit log names the syscall, the path or address, the rule
//   kill      violation: kill: the run ends at the refused call with status 100
//   errno     errno: EXDEV: the tracee sees the profile's errno (x0 holds what the profile says),
//             then SIGKILL to syscage: no process of the command survives (PTRACE_O_EXITKILL)
//   nofork    process.fork: false, decided in the filter on clone's flags (argument 0): threads
//             still start (glibc's clone3 gets ENOSYS and it retries with clone(CLONE_THREAD)),
//             fork and posix_spawn (clone without CLONE_THREAD) fail with EPERM
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  check as checkAs, clip, config, descendants, equal as equalAs, events, identity, inParallel, launch, lineOf, matches as matchesAs, opLines, prog, readIf, seen, stillRunning,
  syscage, tempDir, until, write,
} from './helpers.mjs';

async function tcpListener() {
  const l = { port: 0, hits: 0 };
  l.server = createServer((s) => { l.hits++; s.destroy(); });
  await new Promise((resolve, reject) => l.server.once('error', reject).listen(0, '127.0.0.1', resolve));
  l.port = l.server.address().port;
  return l;
}

async function udpListener() {
  const l = { port: 0, hits: 0, socket: createSocket('udp4') };
  l.socket.on('message', () => { l.hits++; });
  await new Promise((resolve) => l.socket.bind(0, '127.0.0.1', resolve));
  l.port = l.socket.address().port;
  return l;
}

// arm64's own open flags (asm/fcntl.h): its O_LARGEFILE is x86_64's O_NOFOLLOW.
const O_LARGEFILE = '0x20000';
const O_NOFOLLOW = '0x8000';
const THREADS = 4;
const ROUNDS = 20; // c/attempt.c
const FORKS = 4;

/**
 * Every check, under each backend of the kernel tier (docs/engine.md, "Two backends"): seccomp user
 * notification (Debian's 6.1 kernel has ADDFD and WAIT_KILLABLE_RECV), then ptrace, whose arm64 deny
 * path (NT_ARM_SYSTEM_CALL + x0) the mutation check breaks.
 */
export default async function runChecks() {
  for (const backend of ['notify', 'ptrace']) await runUnder(backend);
}

async function runUnder(backend) {
  const said = (name) => name.replace(/^run: /, `run (${backend}): `);
  const check = (name, ...rest) => checkAs(said(name), ...rest);
  const equal = (name, ...rest) => equalAs(said(name), ...rest);
  const matches = (name, ...rest) => matchesAs(said(name), ...rest);
  const denyPath = backend === 'ptrace' ? 'arm64 deny: NT_ARM_SYSTEM_CALL + x0' : 'the notification\'s answer';
  const W = tempDir(`run-${backend}`);
  for (const d of ['pub', 'private', 'out']) mkdirSync(join(W, d));
  write(join(W, 'pub', 'readme.txt'), 'public\n');
  write(join(W, 'pub', 'secret.txt'), 'denied by name\n');
  write(join(W, 'private', 'key.txt'), 'private key\n');
  write(join(W, 'out', 'from.txt'), 'to be moved\n');
  // Symlinks planted in an allowed directory: to a private file, and to an allowed one.
  symlinkSync(join(W, 'private', 'key.txt'), join(W, 'pub', 'to-key'));
  symlinkSync(join(W, 'pub', 'readme.txt'), join(W, 'pub', 'to-readme'));
  // A program exec.allow does not list (a copy of the allowed one).
  const other = join(W, 'private', 'hello');
  copyFileSync(prog('hello'), other);
  chmodSync(other, 0o755);
  const BIN = config.bin;

  const [tcpOk, tcpNo, udpOk, udpNo, udpMm] = await Promise.all([tcpListener(), tcpListener(), udpListener(), udpListener(), udpListener()]);
  const closeAll = () => {
    for (const l of [tcpOk, tcpNo]) l.server.close();
    for (const l of [udpOk, udpNo, udpMm]) l.socket.close();
  };

  const profile = (name, extra = '') => {
    const text = [
      `# test-arm64/run.mjs: ${name}`,
      'version: 1',
      `name: ${name}`,
      'default: allow',
      extra.trimEnd(),
      'files:',
      `  read: [/usr/**, /lib/**, /etc/**, /proc/**, /dev/**, /sys/**, /opt/**, ${BIN}/**, ${W}/pub/**]`,
      `  write: [${W}/out/**, /dev/null]`,
      `  deny: [${W}/pub/secret.txt]`,
      'exec:',
      `  allow: [${prog('attempt')}, ${prog('hello')}]`,
      'network:',
      `  connect: ["127.0.0.1:${tcpOk.port}", "127.0.0.1:${udpOk.port}", "127.0.0.1:${udpMm.port}"]`,
      '',
    ].filter((l) => l !== '').join('\n') + '\n';
    const path = write(join(W, `${name}.yaml`), text);
    return { path, text, line: (needle) => lineOf(text, needle) };
  };

  try {
    const enforce = profile('enforce');
    const kill = profile('kill', 'violation: kill');
    const exdev = profile('exdev', 'errno: EXDEV');
    const nofork = profile('nofork', 'process:\n  fork: false');
    const pub = `${W}/pub`;
    const ENV = { PATH: '/usr/bin:/bin', HOME: W, SYSCAGE_BACKEND: backend };

    const ops = [
      'read', `${pub}/readme.txt`,
      'read', `${pub}/secret.txt`,
      'read', `${W}/private/key.txt`,
      'openat', pub, '../private/key.txt',
      'openat', pub, 'readme.txt',
      'write', `${W}/out/new.txt`,
      'write', `${pub}/new.txt`,
      'rename', `${W}/out/from.txt`, `${pub}/moved.txt`,
      'rename', `${W}/out/from.txt`, `${W}/out/to.txt`,
      'exec', prog('hello'), 'exec-allowed',
      'exec', other, 'exec-refused',
      'spawn', prog('hello'), 'spawn-allowed',
      'spawn', other, 'spawn-refused',
      'connect', '127.0.0.1', String(tcpNo.port),
      'connect', '127.0.0.1', String(tcpOk.port),
      'sendto', '127.0.0.1', String(udpNo.port),
      'sendto', '127.0.0.1', String(udpOk.port),
      'mmsg', '127.0.0.1', String(udpMm.port),
      'read', `${pub}/to-key`,
      'openflags', `${pub}/to-key`, O_LARGEFILE,
      'openflags', `${pub}/to-readme`, O_LARGEFILE,
      'openflags', `${pub}/to-key`, O_NOFOLLOW,
      'threads', String(THREADS), `${pub}/readme.txt`, `${pub}/secret.txt`,
      'fork', String(FORKS), `${pub}/readme.txt`, `${pub}/secret.txt`,
      'exit', '7',
    ];
    const pidfile = join(W, 'out', 'sleepers.pids'); // in files.write

    // The four runs are independent: at most two at a time (2 vCPUs, and three Node processes each).
    const logs = { enforce: join(W, 'enforce.log'), kill: join(W, 'kill.log'), exdev: join(W, 'exdev.log'), nofork: join(W, 'nofork.log') };
    const sigkill = async () => {
      const run = launch(['run', '--profile', exdev.path, '--log', logs.exdev, '--', prog('attempt'),
        'read', `${pub}/secret.txt`, 'sleepers', '2', pidfile, 'ready', 'sleep', '120'], { env: ENV, cwd: W, timeoutMs: 300_000 });
      let ready = true;
      try {
        await run.waitStdout(/^ready$/m, 180_000);
      } catch (e) {
        ready = false;
        check('run: SIGKILL: the command got ready', false, { error: e.message });
      }
      const below = descendants(run.child.pid);
      const written = readIf(pidfile).split(/\s+/).filter(Boolean).map(Number);
      const ids = [...new Set([...below, ...written])].map(identity).filter((x) => x !== undefined);
      run.child.kill('SIGKILL');
      const r = await run.done;
      const gone = await until(() => ids.every((id) => !stillRunning(id)), 15_000);
      return { r, ready, below, written, ids, gone };
    };
    const [enf, killed, sk, nf] = await inParallel(2, [
      () => syscage(['run', '--profile', enforce.path, '--log', logs.enforce, '--', prog('attempt'), ...ops], { env: ENV, cwd: W, timeoutMs: 300_000 }),
      () => syscage(['run', '--profile', kill.path, '--log', logs.kill, '--', prog('attempt'),
        'read', `${pub}/readme.txt`, 'read', `${pub}/secret.txt`, 'read', `${pub}/readme.txt`], { env: ENV, cwd: W, timeoutMs: 300_000 }),
      sigkill,
      () => syscage(['run', '--profile', nofork.path, '--log', logs.nofork, '--', prog('attempt'),
        'threads', '2', `${pub}/readme.txt`, `${pub}/secret.txt`, 'fork', '1', `${pub}/readme.txt`, `${pub}/secret.txt`,
        'spawn', prog('hello'), 'nofork', 'exit', '3'], { env: ENV, cwd: W, timeoutMs: 300_000 }),
    ]);

    // ---- enforce ----------------------------------------------------------------------------
    const out = enf.stdout;
    const log = readIf(logs.enforce);
    const evs = events(log);
    const diag = seen(enf, { log });
    /** The i-th report line of attempt (not the output of the programs it started). */
    const line = (i) => out.split('\n').filter((l) => /^[a-z]+ (ok|err)( |$)/.test(l))[i];
    equal('run: the command\'s exit status passes through (exit 7)', enf.status, 7, diag);

    const ev = (pred) => evs.filter(pred);
    const one = (what, list) => check(`run: ${what}: one audit event`, list.length === 1, { events: list, log: clip(log) }) ? list[0] : undefined;
    const eventIs = (what, e, want) => {
      if (!e) return;
      for (const [k, v] of Object.entries(want)) {
        const got = k.includes('.') ? k.split('.').reduce((o, p) => o?.[p], e) : e[k];
        check(`run: ${what}: event ${k} = ${JSON.stringify(v)}`, JSON.stringify(got) === JSON.stringify(v), { event: e });
      }
    };
    const base = { decision: 'deny', enforced: true, errno: 'EPERM', exe: prog('attempt') };

    // reading files
    equal('run: open of an allowed file works (read 7 bytes)', line(0), 'read ok 7 bytes', diag);
    equal(`run: open of a file in files.deny is refused with EPERM inside the command (${denyPath})`, line(1), 'read err EPERM 1', diag);
    equal('run: open of a file outside files.read is refused with EPERM', line(2), 'read err EPERM 1', diag);
    equal('run: openat(dirfd of an allowed dir, "../private/…") is refused with EPERM', line(3), 'openat err EPERM 1', diag);
    equal('run: openat(dirfd, "readme.txt") of an allowed file works', line(4), 'openat ok 7 bytes', diag);
    // The command's own pid: the first event is its refused open of secret.txt (op 2).
    const cmdPid = evs[0]?.pid;
    const secretMain = one('open of a file in files.deny', ev((e) => e.path === `${pub}/secret.txt` && e.pid === cmdPid && e.tid === undefined));
    eventIs('files.deny open', secretMain, { ...base, syscall: 'openat', path: `${pub}/secret.txt`, access: 'read', 'rule.what': 'files.deny', 'rule.text': `${pub}/secret.txt` });
    // Shown relative to syscage's cwd (here the profile's directory).
    matches('run: files.deny open: the event gives the rule\'s file:line', secretMain?.rule?.at, new RegExp(`(^|/)enforce\\.yaml:${enforce.line('  deny:')}:\\d+$`), { event: secretMain });
    const keyEvs = ev((e) => e.path === `${W}/private/key.txt`);
    check('run: the two refused opens of private/key.txt (by path, by dirfd + "..") each have an event naming openat and the resolved path', keyEvs.length === 2 && keyEvs.every((e) => e.syscall === 'openat' && e.rule?.what === 'files.read'), { keyEvs, log: clip(log) });

    // symlinks and arm64's open flags
    equal('run: a symlink in an allowed directory to a private file: the open is refused with EPERM', opLines(out, 'read')[3], 'read err EPERM 1', diag);
    const linkEvs = ev((e) => e.path === `${pub}/to-key`);
    check('run: … both refused opens of the link (plain, O_LARGEFILE) have an event naming openat and the link', linkEvs.length === 2
      && linkEvs.every((e) => e.syscall === 'openat' && e.decision === 'deny' && e.rule?.what === 'files.read'), { linkEvs });
    equal('run: the same open with arm64\'s O_LARGEFILE (0x20000, x86_64\'s O_NOFOLLOW) is refused too: the kernel follows the link',
      opLines(out, 'openflags')[0], 'openflags err EPERM 1', diag);
    equal('run: … and a link to an allowed file with O_LARGEFILE works', opLines(out, 'openflags')[1], 'openflags ok 7 bytes', diag);
    equal('run: with arm64\'s O_NOFOLLOW (0x8000) the link itself is checked (allowed) and the kernel refuses to follow it: ELOOP',
      opLines(out, 'openflags')[2], 'openflags err ELOOP 40', diag);

    // writing files
    equal('run: a write in files.write works', line(5), 'write ok', diag);
    check('run: … and the file is there', readIf(`${W}/out/new.txt`) === 'written\n');
    equal('run: a write outside files.write is refused with EPERM', line(6), 'write err EPERM 1', diag);
    check('run: … and no file was created', !existsSync(`${pub}/new.txt`));
    eventIs('write outside files.write', one('write outside files.write', ev((e) => e.path === `${pub}/new.txt`)), { ...base, syscall: 'openat', access: 'write', 'rule.what': 'files.write' });

    // rename (glibc: renameat on aarch64, two paths in arguments 1 and 3)
    equal('run: rename into a directory outside files.write is refused with EPERM (renameat)', line(7), 'rename err EPERM 1', diag);
    equal('run: rename inside files.write works', line(8), 'rename ok', diag);
    check('run: … the refused rename moved nothing, the allowed one did', !existsSync(`${pub}/moved.txt`) && existsSync(`${W}/out/to.txt`) && !existsSync(`${W}/out/from.txt`));
    const ren = one('refused rename', ev((e) => e.syscall === 'renameat'));
    check('run: refused rename: the event names renameat and both paths (arguments 1 and 3)', JSON.stringify(ren?.paths) === JSON.stringify([`${W}/out/from.txt`, `${pub}/moved.txt`]) && ren?.rule?.what === 'files.write', { event: ren });

    // exec
    matches('run: exec of a program in exec.allow runs it', out, /^hello exec-allowed$/m, diag);
    matches('run: … and its status comes back', out, /^exec ok exit 0$/m, diag);
    matches('run: execve of a program not in exec.allow is refused with EPERM', out, /^exec err EPERM 1$/m, diag);
    check('run: … and it never ran', !/hello exec-refused/.test(out), diag);
    matches('run: posix_spawn (clone CLONE_VFORK, then execve) of an allowed program runs it', out, /^hello spawn-allowed$/m, diag);
    matches('run: posix_spawn of a program not in exec.allow fails with EPERM', out, /^spawn err EPERM 1$/m, diag);
    check('run: … and it never ran', !/hello spawn-refused/.test(out), diag);
    const execEvs = ev((e) => e.syscall === 'execve' && e.path === other);
    check('run: the two refused execs each have an event naming execve and the program', execEvs.length === 2 && execEvs.every((e) => e.rule?.what === 'exec.allow' && e.decision === 'deny'), { execEvs, log: clip(log) });
    check('run: … made by child processes of the command (ppid is the command)', execEvs.every((e) => e.ppid === cmdPid), { execEvs, cmdPid });

    // network
    equal('run: connect to an address outside network.connect is refused with EPERM', opLines(out, 'connect')[0], 'connect err EPERM 1', diag);
    equal('run: connect to an allowed address works', opLines(out, 'connect')[1], 'connect ok', diag);
    check('run: … the refused listener saw no connection, the allowed one did', tcpNo.hits === 0 && tcpOk.hits === 1, { no: tcpNo.hits, ok: tcpOk.hits });
    eventIs('refused connect', one('refused connect', ev((e) => e.syscall === 'connect')), { ...base, syscall: 'connect', address: `127.0.0.1:${tcpNo.port}`, 'rule.what': 'network.connect' });
    equal('run: UDP sendto (address in argument 4) outside network.connect is refused with EPERM', opLines(out, 'sendto')[0], 'sendto err EPERM 1', diag);
    equal('run: UDP sendto to an allowed address works', opLines(out, 'sendto')[1], 'sendto ok', diag);
    await until(() => udpOk.hits > 0, 3000);
    check('run: … the refused datagram never arrived, the allowed one did', udpNo.hits === 0 && udpOk.hits === 1, { no: udpNo.hits, ok: udpOk.hits });
    equal('run: sendmmsg of 2 datagrams from a process with another thread: the hold cuts it to one (argument 2 = 1 written through x2)', opLines(out, 'mmsg')[0], 'mmsg sent 1', diag);
    await until(() => udpMm.hits > 0, 3000);
    equal('run: … and exactly that one datagram arrived', udpMm.hits, 1, { hits: udpMm.hits });
    eventIs('refused sendto', one('refused sendto', ev((e) => e.syscall === 'sendto')), { ...base, address: `127.0.0.1:${udpNo.port}` });

    // threads and forks
    equal(`run: ${THREADS} threads × ${ROUNDS}: every allowed open works, every denied one is EPERM`, opLines(out, 'threads')[0],
      `threads ok n ${THREADS} good ${THREADS * ROUNDS} refused ${THREADS * ROUNDS} other 0`, diag);
    const threadEvs = ev((e) => e.path === `${pub}/secret.txt` && e.tid !== undefined);
    check(`run: … ${THREADS * ROUNDS} events, made by the other threads (tid ≠ pid)`, threadEvs.length === THREADS * ROUNDS && threadEvs.every((e) => e.tid !== e.pid && e.pid === cmdPid),
      { count: threadEvs.length, sample: threadEvs.slice(0, 3) });
    equal(`run: ${FORKS} forked children: each opened the allowed file and got EPERM for the denied one`, opLines(out, 'fork')[0],
      `fork ok n ${FORKS} good ${FORKS} ok-failed 0 no-succeeded 0 no-other-errno 0`, diag);
    const forkEvs = ev((e) => e.path === `${pub}/secret.txt` && e.pid !== cmdPid);
    check(`run: … ${FORKS} events, from ${FORKS} different child processes of the command`, forkEvs.length === FORKS && new Set(forkEvs.map((e) => e.pid)).size === FORKS
      && forkEvs.every((e) => e.ppid === cmdPid), { forkEvs, cmdPid });

    const denied = evs.filter((e) => e.decision === 'deny').length;
    matches('run: syscage\'s summary counts every refused call', enf.stderr, new RegExp(`checked calls: ${denied} denied, 0 killed`), { denied, stderr: enf.stderr });
    if (backend === 'notify') matches('run: the checked opens, stats and connects were performed by syscage', enf.stderr, /, [1-9]\d* performed by syscage, tier kernel/, { stderr: enf.stderr });
    else matches('run: nothing was performed by syscage (every checked call a ptrace stop)', enf.stderr, /\d+ hidden, tier kernel/, { stderr: enf.stderr });

    // ---- kill -------------------------------------------------------------------------------
    const kdiag = seen(killed, { log: readIf(logs.kill) });
    equal('run: violation: kill: syscage exits 100', killed.status, 100, kdiag);
    equal('run: violation: kill: the command ran up to the refused call and no further', killed.stdout, 'read ok 7 bytes\n', kdiag);
    const kev = events(readIf(logs.kill));
    check('run: violation: kill: one event, decision kill, naming openat and the path', kev.length === 1 && kev[0].decision === 'kill' && kev[0].syscall === 'openat' && kev[0].path === `${pub}/secret.txt`, kdiag);

    // ---- process.fork: false --------------------------------------------------------------
    const ndiag = seen(nf, { log: readIf(logs.nofork) });
    equal('run: process.fork: false: the command\'s status passes through (exit 3)', nf.status, 3, ndiag);
    equal(`run: process.fork: false: threads still start (clone3 → ENOSYS → clone(CLONE_THREAD)) and are checked`, opLines(nf.stdout, 'threads')[0],
      `threads ok n 2 good ${2 * ROUNDS} refused ${2 * ROUNDS} other 0`, ndiag);
    equal('run: process.fork: false: fork() (clone without CLONE_THREAD) fails with EPERM', opLines(nf.stdout, 'fork')[0], 'fork err EPERM 1', ndiag);
    equal('run: process.fork: false: posix_spawn (clone(CLONE_VM|CLONE_VFORK)) fails with EPERM', opLines(nf.stdout, 'spawn')[0], 'spawn err EPERM 1', ndiag);
    check('run: process.fork: false: … and the program never ran', !/hello nofork/.test(nf.stdout), ndiag);
    const clones = events(readIf(logs.nofork)).filter((e) => e.syscall === 'clone');
    check('run: process.fork: false: two events (fork, posix_spawn), each naming clone and the process.fork rule', clones.length === 2
      && clones.every((e) => e.decision === 'deny' && e.errno === 'EPERM' && e.rule?.what === 'process.fork'), { clones });

    // ---- errno and SIGKILL ------------------------------------------------------------------
    const { r, ready, below, written, ids, gone } = sk;
    const sdiag = seen(r, { log: readIf(logs.exdev) });
    equal('run: errno: EXDEV: the refused open returns EXDEV inside the command (x0 = -18)', opLines(r.stdout, 'read')[0], 'read err EXDEV 18', sdiag);
    check('run: errno: EXDEV: the event says EXDEV', events(readIf(logs.exdev))[0]?.errno === 'EXDEV', sdiag);
    if (ready) {
      check('run: SIGKILL: the command and its 4 descendants (2 children, 2 grandchildren) were running below syscage', written.length === 5 && written.every((p) => below.includes(p)), { below, written });
      equal('run: SIGKILL: syscage was killed by SIGKILL', r.signal, 'SIGKILL', sdiag);
      check('run: SIGKILL to syscage: no process of the command survives (within 15 s)', gone && ids.length >= 5, { left: ids.filter(stillRunning), ids });
    }
  } finally {
    closeAll();
  }
}
