// The Python seatbelt (lib/seatbelt/python/launcher.py): real interpreters run the launcher on a
// fixture handler (fixtures/python/act.py) under policies compiled from real profiles, with the
// report channel on fd 3. Each act the profile refuses fails with PermissionError (EACCES) and
// the rule's text before it happens, and arrives on the channel as one SeatbeltReport line;
// audit mode lets it happen and reports it. Run under every CPython found here (python3 on PATH
// and /usr/bin/python3 when they differ, and those in SYSCAGE_TEST_PYTHONS).
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../../lib/profile/index.js';
import { seatbeltPolicy } from '../../lib/seatbelt/policy.js';
import { parseReport } from '../../lib/seatbelt/report.js';
import { CHANNEL_ENV, POLICY_ENV, type PolicyAddress, type PolicyRule, type SeatbeltPolicy, type SeatbeltReport } from '../../lib/seatbelt/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(ROOT, 'lib/seatbelt/python/launcher.py');
const FIX = join(ROOT, 'test/seatbelt/fixtures/python');
const ACT = join(FIX, 'act.py');
const RUNTIME = join(ROOT, 'test/fixtures/platform/runtime.py');
const HOSTS_FIX = join(ROOT, 'test/seatbelt/fixtures-python-hosts');

// ---- the interpreters --------------------------------------------------------------------------

interface Interp {
  readonly exe: string;
  readonly version: string;
  /** Directories the interpreter reads from (prefixes, site-packages), real paths. */
  readonly dirs: readonly string[];
  readonly ctypesSo: string;
  readonly libc?: string;
  readonly hasCffi: boolean;
  /** socket.EAI_NONAME (the C library's). */
  readonly eaiNoname: number;
}

const INFO = `
import sys, os, site, json
dirs = {os.path.realpath(d) for d in (sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages())}
import _ctypes
libc = None
for line in open('/proc/self/maps'):
    p = line.split()[-1]
    if '/libc.so' in p or '/libc-' in p:
        libc = os.path.realpath(p)
try:
    import _cffi_backend; cffi = True
except ImportError:
    cffi = False
import socket
print(json.dumps({'exe': os.path.realpath(sys.executable), 'version': '%d.%d.%d' % sys.version_info[:3],
                  'dirs': sorted(dirs), 'ctypesSo': os.path.realpath(_ctypes.__file__), 'libc': libc, 'hasCffi': cffi,
                  'eaiNoname': socket.EAI_NONAME}))
`;

function interpreters(): Interp[] {
  const out: Interp[] = [];
  // SYSCAGE_TEST_PYTHONS: more interpreters to run the tests under (a colon-separated list).
  const extra = (process.env.SYSCAGE_TEST_PYTHONS ?? '').split(':').filter((x) => x !== '');
  for (const cmd of ['python3', '/usr/bin/python3', ...extra]) {
    let info: Interp;
    try {
      info = JSON.parse(execFileSync(cmd, ['-c', INFO], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Interp;
    } catch {
      continue;
    }
    if (!out.some((i) => i.exe === info.exe)) out.push(info);
  }
  return out;
}

// ---- running the launcher ----------------------------------------------------------------------

interface Attempt {
  readonly name: string;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
  readonly errno?: number | null;
  readonly message?: string;
}

interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number;
  readonly attempts: Map<string, Attempt>;
  readonly reports: SeatbeltReport[];
  readonly badReports: string[];
  /** Every line of the channel, as JSON (null: not JSON). */
  readonly lines: (Record<string, unknown> | null)[];
}

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** The whole argument list after the launcher (default: act.py SCENARIO ARGS). */
  readonly raw?: readonly string[];
  /** Run python on these arguments directly (no launcher, no policy). */
  readonly plain?: boolean;
  /** A command that runs the interpreter: [program, ...its arguments]; python's command line follows. */
  readonly under?: readonly string[];
  /** Close our end of the report channel as soon as the child is started. */
  readonly closeChannel?: boolean;
}

function run(py: Interp, policy: SeatbeltPolicy | string | undefined, scenario: string, args: unknown, o: RunOptions = {}): Promise<Ran> {
  const rest = o.raw ?? [ACT, scenario, JSON.stringify(args ?? {})];
  const argv = o.plain ? [...rest] : ['-I', '-S', LAUNCHER, ...rest];
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', ...(o.env ?? {}) };
  if (policy !== undefined) env[POLICY_ENV] = typeof policy === 'string' ? policy : JSON.stringify(policy);
  if (!o.plain) env[CHANNEL_ENV] = '3';
  const [program, ...pre] = [...(o.under ?? []), py.exe];
  const child = spawn(program!, [...pre, ...argv], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env, cwd: o.cwd });
  let stdout = '';
  let stderr = '';
  let channel = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  fd3.setEncoding('utf8');
  fd3.on('data', (d: string) => (channel += d));
  if (o.closeChannel) (fd3 as net.Socket).destroy();
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const attempts = new Map<string, Attempt>();
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const a = JSON.parse(line) as Attempt;
        attempts.set(a.name, a);
      }
      const reports: SeatbeltReport[] = [];
      const badReports: string[] = [];
      const lines: (Record<string, unknown> | null)[] = [];
      for (const line of channel.split('\n')) {
        if (line === '') continue;
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push(null);
        }
        const r = parseReport(line);
        if ('bad' in r) badReports.push(`${r.bad}: ${line}`);
        else reports.push(r);
      }
      resolve({ status, signal, stdout, stderr, pid: child.pid!, attempts, reports, badReports, lines });
    });
  });
}

/** The message a refusal carries: "syscage: refused WHAT: RULE TEXT (LOC)". */
const refusal = (what: string, rule: PolicyRule): string =>
  `syscage: refused ${what}: ${rule.what}${rule.text ? ' ' + rule.text : ''}${rule.loc ? ` (${rule.loc})` : ''}`;

function entry(list: { entries: readonly (PolicyRule & { text?: string })[] }, text: string): PolicyRule {
  const e = list.entries.find((x) => x.text === text);
  if (!e) throw new Error(`no entry ${text}`);
  return { what: e.what, ...(e.text !== undefined ? { text: e.text } : {}), ...(e.loc !== undefined ? { loc: e.loc } : {}) };
}

/** A profile written to disk and loaded as the bootstrap does, then compiled to the policy. */
function policyOf(dir: string, name: string, yaml: string, always: readonly string[] = []): SeatbeltPolicy {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return seatbeltPolicy(loadProfile(file).profile, { always });
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

// ---- the world the handler sees ------------------------------------------------------------------

const TMP = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-pyseat-')));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));
const W = {
  task: join(TMP, 'task'),
  writable: join(TMP, 'w'),
  outside: join(TMP, 'outside'),
  bin: join(TMP, 'bin'),
  pp: join(TMP, 'pp'),
  profiles: join(TMP, 'profiles'),
};
for (const d of Object.values(W)) mkdirSync(d, { recursive: true });
writeFileSync(join(W.task, 'ok.txt'), 'ok\n');
writeFileSync(join(W.task, '.env'), 'secret\n');
writeFileSync(join(W.outside, 'o.txt'), 'outside\n');
symlinkSync(join(W.task, '.env'), join(W.task, 'link'));
const SH = realpathSync('/bin/sh');
const ECHO = realpathSync('/bin/echo');
symlinkSync('/bin/sh', join(W.bin, 'sh-link'));
const DENIED = join(W.task, '.env');

const systemRead = ['/usr/**', '/lib/**', '/lib64/**', '/etc/**', '/proc/self/**', '/dev/null', '/dev/urandom'];
const readList = (py: Interp): string[] => [...py.dirs.map((d) => `${d}/**`), ...systemRead, `${FIX}/**`, `${W.task}/**`, `${W.pp}/**`];

function mainProfile(py: Interp, extra = ''): string {
  return `version: 1
name: pytest
files:
  read: ${list(readList(py))}
  write: ${list([`${W.writable}/**`])}
  deny: ${list([DENIED])}
${extra}`;
}

const attemptsOk = (t: Test, r: Ran, names: readonly string[]): void => {
  for (const n of names) {
    const a = r.attempts.get(n);
    t.ok(a?.ok, `${n}: allowed`, { got: a });
  }
};

function refusedWith(t: Test, r: Ran, name: string, message: string | RegExp): void {
  const a = r.attempts.get(name);
  t.equal(a?.ok, false, `${name}: refused`, { got: a });
  t.equal(a?.error, 'PermissionError', `${name}: PermissionError`);
  t.equal(a?.errno, 13, `${name}: EACCES`);
  if (typeof message === 'string') t.equal(a?.message, message, `${name}: the rule's message`);
  else t.match(a?.message ?? '', message, `${name}: the rule's message`);
}

/** Every refusal (PermissionError with a syscage message) arrived as one report of this process. */
function reportsMatch(t: Test, r: Ran, caught = 0): void {
  t.same(r.badReports, [], 'every report line is well formed (lib/seatbelt/report.ts)');
  const refused = [...r.attempts.values()].filter((a) => !a.ok && a.message?.startsWith('syscage: refused'));
  const mine = r.reports.filter((x) => x.pid === r.pid);
  t.equal(mine.length, refused.length + caught, `one report per refusal (${refused.length}${caught ? ` and ${caught} caught inside` : ''})`, { reports: r.reports, refused });
  for (const x of r.reports) t.equal(x.runtime, 'python');
}

// ---- names: a world of our own ------------------------------------------------------------------
//
// Lookups are made deterministic, and observable, in a network and mount namespace of their own
// (fixtures-python-hosts/netns.py): only a loopback interface, /etc/hosts naming allowed.test
// (127.0.0.2) and other.test (127.0.0.3), a name server of the test's on 127.0.0.53:53 (the one
// /etc/resolv.conf names) that answers evil.test and bypass.test with 127.0.0.4 and records every
// query, and listeners on port 8443 of the three addresses that count the connections.

const NETNS = join(HOSTS_FIX, 'netns.py');
const HOSTS_PY = join(HOSTS_FIX, 'hosts.py');

function tool(name: string): string | undefined {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (d.startsWith('/') && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** The unshare command line that gives a process its own network and mount namespaces, or why there is none. */
function namespaces(): { readonly under: readonly string[] } | { readonly skip: string } {
  if (process.platform !== 'linux') return { skip: 'namespaces are Linux' };
  const unshare = tool('unshare');
  const ip = tool('ip');
  if (!unshare || !ip || !tool('mount')) return { skip: 'unshare, ip or mount is missing' };
  // As root: the namespaces themselves. Otherwise: a user namespace where we are root, if allowed.
  const flags = process.getuid?.() === 0 ? ['--net', '--mount'] : ['--user', '--map-root-user', '--net', '--mount'];
  try {
    execFileSync(unshare, [...flags, '--', ip, 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const why = String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0];
    return { skip: `unshare ${flags.join(' ')} is not permitted here (${why})` };
  }
  return { under: [unshare, ...flags, '--'] };
}

const NS = namespaces();

/** A host entry of network.connect (types.ts PolicyAddress, kind 'host'). */
const hostEntry = (name: string, port: number, loc: string): PolicyAddress & { kind: 'host' } => ({
  kind: 'host', re: `^(?:${name.replace(/\./g, '\\.')})$`, portLo: port, portHi: port, what: 'network.connect', text: `${name}:${port}`, loc,
});

interface World {
  readonly connections: Record<string, number>;
  /** [name, type] of each query the name server received (type 1: A, 28: AAAA). */
  readonly queries: readonly [string, number][];
}

// ---- the tests -----------------------------------------------------------------------------------

const PYS = interpreters();
if (PYS.length === 0) t.plan(0, 'no python3 here');

for (const py of PYS) {
  t.test(`CPython ${py.version} (${py.exe})`, async (t) => {
    const main = policyOf(W.profiles, 'main', mainProfile(py));
    const files = main.files!;
    const readMissing = files.read.missing;
    const writeMissing = files.write.missing;
    const denyEnv = entry(files.deny, DENIED);

    t.test('files: deny inside a grant, outside the grants, symlinks, descriptors, writes', async (t) => {
      const r = await run(py, main, 'files', {
        allowed: join(W.task, 'ok.txt'), denied: DENIED, outside: join(W.outside, 'o.txt'), link: join(W.task, 'link'),
        dir: W.task, deniedName: '.env', allowedName: 'ok.txt', writable: W.writable, outsideDir: W.outside,
        readonlyNew: join(W.task, 'new'),
      });
      t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
      attemptsOk(t, r, ['read allowed', 'os.open with dir_fd allowed', 'O_PATH of denied (looking)', 'stat of denied (looking)',
        'listdir allowed', '/proc/self/status', 'write allowed', 'symlink inside writable', 'shutil.rmtree writable']);
      t.equal(r.attempts.get('read allowed')?.value, 'ok');
      t.equal(r.attempts.get('/proc/self/status')?.value, 'Name', '/proc/PID of its own is matched as /proc/self');
      const readDenied = refusal(`read of ${DENIED}`, denyEnv);
      for (const n of ['read denied', 'read denied (bytes path)', 'os.open denied', 'pathlib denied', 'io.open_code denied',
        'read denied (relative)', 'os.open with dir_fd denied', '/proc/self/fd/N of denied']) refusedWith(t, r, n, readDenied);
      refusedWith(t, r, 'read through symlink', readDenied);
      refusedWith(t, r, 'read via new symlink', readDenied);
      refusedWith(t, r, 'shutil.copy denied', readDenied);
      refusedWith(t, r, 'hard link of denied', refusal(`write of ${DENIED}`, denyEnv));
      refusedWith(t, r, 'read outside', refusal(`read of ${join(W.outside, 'o.txt')}`, readMissing));
      refusedWith(t, r, 'listdir outside', refusal(`read of ${W.outside}`, readMissing));
      refusedWith(t, r, 'write outside', refusal(`write of ${join(W.task, 'new')}`, writeMissing));
      const ok = join(W.task, 'ok.txt');
      for (const n of ['append read-only file', 'os.open O_RDWR read-only file', 'remove read-only', 'unlink with dir_fd',
        'rename out of read-only', 'chmod read-only', 'fchmod read-only']) refusedWith(t, r, n, refusal(`write of ${ok}`, writeMissing));
      refusedWith(t, r, 'mkdir outside', refusal(`write of ${join(W.task, 'new.d')}`, writeMissing));
      refusedWith(t, r, 'symlink outside', refusal(`write of ${join(W.task, 'new.lnk')}`, writeMissing));
      refusedWith(t, r, 'write /proc/self/mem', refusal('write of /proc/self/mem', writeMissing));
      t.ok(existsSync(ok), 'the read-only file is still there');
      reportsMatch(t, r);
      const first = r.reports.find((x) => x.pid === r.pid);
      t.same(first, { act: 'open', path: DENIED, access: 'read', pid: r.pid, runtime: 'python', rule: denyEnv, api: 'open' },
        'the first report: the denied read, with its rule and the event');
      t.ok(r.reports.some((x) => x.api === 'os.remove' && x.act === 'open' && x.access === 'write'), 'os.remove reported as a write');
      t.ok(r.reports.some((x) => x.api === 'shutil.copyfile'), 'shutil events');
    });

    t.test('audit mode: the acts happen, and are reported', async (t) => {
      const audit = policyOf(W.profiles, 'audit', mainProfile(py, 'mode: audit\nexec:\n  allow: []\n'));
      t.equal(audit.enforce, false);
      const r = await run(py, audit, 'files', {
        allowed: join(W.task, 'ok.txt'), denied: DENIED, outside: join(W.outside, 'o.txt'), link: join(W.task, 'link'),
        dir: W.task, deniedName: '.env', allowedName: 'ok.txt', writable: W.writable, outsideDir: W.outside,
        readonlyNew: join(W.task, 'new.audit'),
      });
      t.equal(r.attempts.get('read denied')?.value, 'secret', 'the denied read happened');
      t.equal(r.attempts.get('read outside')?.value, 'outside');
      t.ok(existsSync(join(W.task, 'new.audit')), 'the write outside happened');
      t.ok(r.reports.some((x) => x.act === 'open' && x.path === DENIED && x.access === 'read' && x.rule.what === 'files.deny'), 'reported');
      t.ok(r.reports.some((x) => x.act === 'open' && x.path === join(W.task, 'new.audit') && x.access === 'write'), 'the write reported');
      t.same(r.badReports, []);
      rmSync(join(W.task, 'new.audit'), { force: true });
      rmSync(join(W.task, 'new.audit.d'), { force: true, recursive: true });
      rmSync(join(W.task, 'new.audit.lnk'), { force: true });
      for (const f of ['ok.txt']) if (!existsSync(join(W.task, f))) writeFileSync(join(W.task, f), 'ok\n');
      rmSync(W.writable, { recursive: true, force: true });
      mkdirSync(W.writable);

      const procs = (mode: string): string => mainProfile(py, `${mode}exec:\n  allow: ${list([ECHO, `${W.bin}/*`])}\n`);
      const args = { allowed: ECHO, link: join(W.bin, 'sh-link') };
      const enforced = await run(py, policyOf(W.profiles, 'procs-enforce', procs('')), 'procs', args);
      const audited = await run(py, policyOf(W.profiles, 'procs-audit', procs('mode: audit\n')), 'procs', args);
      t.match(audited.attempts.get('subprocess.run refused')?.value, /escaped/, 'the program ran');
      t.match(audited.stdout, /escaped/, 'os.execv replaced the process with the shell');
      const acts = (r: Ran): string[] => r.reports.filter((x) => x.pid === r.pid).map((x) => `${x.act} ${'path' in x ? x.path : ''} ${x.api}`);
      t.same(acts(audited), acts(enforced), 'each act reported once, as under enforce (no second report from the fork_exec wrapper)');
      t.ok(acts(audited).includes('exec /bin/sh os.exec'), 'the exec that replaced the process was reported first');
    });

    t.test('processes: exec.allow, subprocess, os.system, os.exec*, posix_spawn, fork_exec', async (t) => {
      const p = policyOf(W.profiles, 'procs', mainProfile(py, `exec:\n  allow: ${list([ECHO, `${W.bin}/*`])}\n`));
      const missing = p.exec!.allow.missing;
      const r = await run(py, p, 'procs', { allowed: ECHO, link: join(W.bin, 'sh-link') });
      t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
      t.equal(r.attempts.get('subprocess allowed')?.value, 'x', 'an allowed program runs');
      t.equal(r.attempts.get('subprocess by name allowed')?.value, 0, 'found along PATH');
      const sh = refusal('exec of /bin/sh', missing);
      for (const n of ['subprocess.run refused', 'subprocess shell=True refused', 'subprocess close_fds=False refused', 'os.system refused',
        'os.popen refused', 'os.execv refused', 'os.posix_spawn refused', '_posixsubprocess.fork_exec refused']) refusedWith(t, r, n, sh);
      refusedWith(t, r, 'subprocess by name refused', refusal('exec of /usr/bin/sh', missing)); // PATH=/usr/bin:/bin
      refusedWith(t, r, 'os.posix_spawnp refused', new RegExp(`^syscage: refused exec of sh: exec\\.allow a program os\\.posix_spawnp finds along PATH .* \\(${missing.loc}\\)$`));
      refusedWith(t, r, 'subprocess via symlink refused', refusal(`exec of ${SH}`, missing));
      t.equal(r.attempts.get('os.fork then os.execv (child)')?.value, 13, 'the hook survives fork: the child is refused');
      t.notMatch(r.stdout, /escaped/, 'no refused program ran');
      reportsMatch(t, r);
      const apis = new Set(r.reports.map((x) => x.api));
      for (const api of ['subprocess.Popen', 'os.system', 'os.exec', 'os.posix_spawn', '_posixsubprocess.fork_exec']) t.ok(apis.has(api), `api ${api}`);
      const child = r.reports.find((x) => x.pid !== r.pid);
      t.match(child, { act: 'exec', path: '/bin/sh', api: 'os.exec', runtime: 'python' }, 'the forked child reports with its own pid');
      const popen = r.reports.find((x) => x.api === 'subprocess.Popen' && x.act === 'exec');
      t.match(popen, { act: 'exec', path: '/bin/sh', argv: ['/bin/sh', '-c', 'echo escaped'], rule: missing });
    });

    t.test('process.fork: false refuses every new process', async (t) => {
      const p = policyOf(W.profiles, 'nofork', mainProfile(py, 'process:\n  fork: false\n'));
      t.equal(p.fork.allowed, false);
      const r = await run(py, p, 'nofork', {});
      const msg = refusal('a new process', p.fork.rule);
      for (const n of ['os.fork', 'subprocess.run', 'os.system', 'os.posix_spawn', 'multiprocessing', '_posixsubprocess.fork_exec']) refusedWith(t, r, n, msg);
      reportsMatch(t, r);
      t.ok(r.reports.every((x) => x.act === 'fork' && x.rule.what === 'process.fork'));
    });

    t.test('network: TCP, UDP, UNIX sockets, names, IPv4-mapped IPv6, bind', async (t) => {
      let refusedSeen = 0;
      let allowedSeen = 0;
      let udpSeen = 0;
      const refusedServer = net.createServer((s) => { refusedSeen++; s.destroy(); });
      const allowedServer = net.createServer((s) => { allowedSeen++; s.destroy(); });
      const unixRefused = join(TMP, `r-${py.version}.sock`);
      const unixAllowed = join(TMP, `a-${py.version}.sock`);
      const unixR = net.createServer((s) => { refusedSeen++; s.destroy(); });
      const unixA = net.createServer((s) => { allowedSeen++; s.destroy(); });
      const udp = dgram.createSocket('udp4');
      udp.on('message', () => udpSeen++);
      await Promise.all([
        new Promise<void>((r) => refusedServer.listen(0, '127.0.0.1', r)),
        new Promise<void>((r) => allowedServer.listen(0, '127.0.0.1', r)),
        new Promise<void>((r) => unixR.listen(unixRefused, r)),
        new Promise<void>((r) => unixA.listen(unixAllowed, r)),
        new Promise<void>((r) => udp.bind(0, '127.0.0.1', r)),
      ]);
      t.teardown(() => { refusedServer.close(); allowedServer.close(); unixR.close(); unixA.close(); udp.close(); });
      const port = (allowedServer.address() as AddressInfo).port;
      const refusedPort = (refusedServer.address() as AddressInfo).port;
      const udpPort = udp.address().port;
      const p = policyOf(W.profiles, 'net', mainProfile(py, `network:\n  connect: ${list([`127.0.0.1:${port}`, `unix:${unixAllowed}`])}\n  bind: []\n`));
      const missing = p.network!.connect.missing;
      const r = await run(py, p, 'net', { host: '127.0.0.1', port, refusedPort, udpPort, unixRefused, unixAllowed });
      t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
      t.equal(r.attempts.get('tcp allowed')?.value, 'connected');
      t.equal(r.attempts.get('unix allowed')?.value, 'connected');
      const tcp = refusal(`connect to 127.0.0.1:${refusedPort}`, missing);
      for (const n of ['tcp refused', 'tcp refused (connect_ex)']) refusedWith(t, r, n, tcp);
      const esc = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      refusedWith(t, r, 'tcp by name refused', new RegExp(`^syscage: refused connect to (?:127\\.0\\.0\\.1|\\[::1\\]):${refusedPort}: ${esc(missing.what)} ${esc(missing.text!)}`));
      const mapped = r.attempts.get('tcp via mapped IPv6 refused');
      if (mapped?.error === 'PermissionError') t.equal(mapped.message, tcp, '::ffff:127.0.0.1 is matched (and shown) as 127.0.0.1');
      else t.equal(mapped?.ok, false, 'no IPv6 here: it fails anyway', { got: mapped });
      refusedWith(t, r, 'udp sendto refused', refusal(`connect to 127.0.0.1:${udpPort}`, missing));
      refusedWith(t, r, 'udp sendmsg refused', refusal(`connect to 127.0.0.1:${udpPort}`, missing));
      refusedWith(t, r, 'unix refused', refusal(`connect to unix:${unixRefused}`, missing));
      refusedWith(t, r, 'unix abstract refused', refusal('connect to unix:@syscage-test-abstract', missing));
      refusedWith(t, r, 'bind refused', refusal('bind to 127.0.0.1:0', p.network!.bind.missing));
      await new Promise((res) => setTimeout(res, 100));
      t.equal(refusedSeen, 0, 'the refused servers saw no connection');
      t.equal(udpSeen, 0, 'the UDP server saw no datagram');
      t.ok(allowedSeen >= 2, 'the allowed servers did');
      reportsMatch(t, r);
      t.ok(r.reports.some((x) => x.act === 'connect' && x.address === `127.0.0.1:${refusedPort}` && x.api === 'socket.connect'));
      t.ok(r.reports.some((x) => x.act === 'connect' && x.api === 'socket.sendto'));
      t.ok(r.reports.some((x) => x.act === 'bind' && x.address === '127.0.0.1:0' && x.api === 'socket.bind'));
    });

    t.test('names: host entries govern lookups, and bind what they return', { skip: 'skip' in NS && NS.skip }, async (t) => {
      const under = 'under' in NS ? NS.under : [];
      const profile = (extra: string): string => `version: 1
name: names
files:
  read: ${list([...readList(py), `${HOSTS_FIX}/**`])}
  write: []
${extra}`;
      const base = policyOf(W.profiles, 'names', profile('network:\n  connect: []\n  bind: []\n'));
      const allowed = hostEntry('allowed.test', 8443, 'p.yaml:7:5');
      const other = hostEntry('other.test', 9000, 'p.yaml:8:5');
      const missing: PolicyRule = { what: 'network.connect', text: 'not in network.connect', loc: 'p.yaml:7:5' };
      const names: SeatbeltPolicy = { ...base, network: { connect: { entries: [allowed, other], missing }, bind: base.network!.bind } };
      const ruleOf = (e: PolicyRule): PolicyRule => ({ what: e.what, text: e.text!, loc: e.loc! });
      let n = 0;
      /** hosts.py SCENARIO in a world of its own; the world's record is the attempt "netns". */
      const inWorld = async (policy: SeatbeltPolicy | undefined, scenario: string, closeChannel = false): Promise<Ran & { world: World }> => {
        const dir = join(TMP, `names-${py.version}-${n++}`);
        mkdirSync(dir);
        const config = {
          dir,
          hosts: '127.0.0.1 localhost\n127.0.0.2 allowed.test\n127.0.0.3 other.test\n',
          dns: { 'evil.test': '127.0.0.4', 'bypass.test': '127.0.0.4', 'allowed.test': '127.0.0.2' },
          listen: ['127.0.0.2:8443', '127.0.0.3:8443', '127.0.0.4:8443'],
        };
        const r = await run(py, policy, scenario, undefined, {
          raw: [HOSTS_PY, scenario], plain: policy === undefined, under: [...under, py.exe, NETNS, JSON.stringify(config), '--'], closeChannel,
        });
        const world = r.attempts.get('netns')?.value as World | undefined;
        t.ok(world, `${scenario}: the world was set up and reported`, { status: r.status, stderr: r.stderr });
        // The handler is netns.py's child: its own pid is the one its reports carry.
        return { ...r, pid: r.attempts.get('pid')?.value as number, world: world ?? { connections: {}, queries: [] } };
      };
      const gai = (r: Ran, name: string, message: string): void => {
        const a = r.attempts.get(name);
        t.match(a, { ok: false, error: 'gaierror', errno: py.eaiNoname, message }, `${name}: refused before the lookup, as a name that does not resolve`);
      };
      const lines = (r: Ran, act: string): Record<string, unknown>[] => r.lines.filter((x): x is Record<string, unknown> => x?.act === act);
      const asked = (w: World, name: string): boolean => w.queries.some(([q]) => q.toLowerCase().includes(name));

      t.test('enforce', async (t) => {
        const r = await inWorld(names, 'enforce');
        t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
        const w = r.world;
        for (const name of ['create_connection allowed.test:8443', 'connect 127.0.0.2:8443 (bound to allowed.test)', 'connect allowed.test:8443 by name',
          'asyncio allowed.test:8443']) t.equal(r.attempts.get(name)?.value, '127.0.0.2', `${name}: connected`, { got: r.attempts.get(name) });
        t.same(r.attempts.get('getaddrinfo ALLOWED.Test.')?.value, ['127.0.0.2'], 'a name is matched lower-cased, without its final dot');
        t.equal(r.attempts.get('gethostbyname other.test')?.value, '127.0.0.3', 'an allowed name resolves (whatever the port)');
        t.same(r.attempts.get('getaddrinfo 127.0.0.4 (an address)')?.value, ['127.0.0.4'], 'an address is not a name');
        t.same(r.attempts.get('getaddrinfo 127.4 (an address)')?.value, ['127.0.0.4'], "inet_aton's forms are addresses too");

        const evil = refusal('lookup of evil.test', missing);
        for (const name of ['getaddrinfo evil.test', 'gethostbyname evil.test', 'gethostbyname_ex evil.test', 'gethostbyaddr evil.test',
          'getaddrinfo evil\u3002test (idna)', 'urlopen http://evil.test:8443/', 'bind evil.test', 'asyncio evil.test:8443']) gai(r, name, evil);
        gai(r, 'getaddrinfo localhost', refusal('lookup of localhost', missing));
        for (const name of ['connect evil.test:8443 by name', 'connect_ex evil.test:8443']) gai(r, name, refusal('lookup of evil.test (for port 8443)', missing));
        gai(r, 'sendto evil.test:53', refusal('lookup of evil.test (for port 53)', missing));
        gai(r, 'connect allowed.test:9999 by name', refusal('lookup of allowed.test (for port 9999)', missing));
        refusedWith(t, r, 'connect 127.0.0.3:8443 (bound to other.test for 9000)', refusal('connect to 127.0.0.3:8443 (resolved from other.test)', missing));
        refusedWith(t, r, 'create_connection allowed.test:9999', refusal('connect to 127.0.0.2:9999 (resolved from allowed.test)', missing));
        refusedWith(t, r, 'connect 127.0.0.4:8443 (never looked up)', refusal('connect to 127.0.0.4:8443', missing));
        const mapped = r.attempts.get('connect [::ffff:127.0.0.2]:8443 (mapped, bound to allowed.test)');
        const mappedOther = r.attempts.get('connect [::ffff:127.0.0.3]:8443 (mapped, bound to other.test for 9000)');
        if (mappedOther?.error === 'PermissionError') {
          t.equal(mapped?.ok, true, 'an IPv4-mapped address is matched as IPv4 against what a name bound', { got: mapped });
          t.equal(mappedOther.message, refusal('connect to 127.0.0.3:8443 (resolved from other.test)', missing), 'and shown as IPv4');
        } else t.equal(mappedOther?.ok, false, 'no IPv6 here: it fails anyway', { got: mappedOther });

        t.equal(w.connections['127.0.0.2:8443'], mapped?.ok ? 5 : 4, 'every allowed connection arrived');
        t.equal(w.connections['127.0.0.3:8443'], 0, 'nothing reached other.test at a port it is not allowed');
        t.equal(w.connections['127.0.0.4:8443'], 0, 'nothing reached evil.test (urllib, asyncio, connect, around the wrapper)');
        t.notOk(asked(w, 'evil'), 'no query for evil.test left the process', { queries: w.queries });

        // Around socket.socket's wrapper, C looks the name up before it raises the event: the
        // query goes out (a known hole), the connection does not.
        gai(r, 'around the wrapper: bypass.test:8443', refusal('lookup of bypass.test (for port 8443)', missing));
        t.ok(asked(w, 'bypass.test'), '_socket.socket.connect called directly: the lookup happened before the refusal');

        t.same(r.badReports.filter((b) => !/unknown act "resolved?"/.test(b)), [], 'the other lines are reports lib/seatbelt/report.ts reads');
        const resolve = lines(r, 'resolve');
        const refusedLookups = [...r.attempts.values()].filter((a) => a.error === 'gaierror' && a.message?.startsWith('syscage: refused lookup'));
        t.equal(resolve.length, refusedLookups.length, 'one resolve report per refused lookup', { resolve });
        t.same(resolve[0], { act: 'resolve', name: 'evil.test', pid: r.pid, runtime: 'python', rule: missing, api: 'socket.getaddrinfo' },
          'a resolve report: the name, the rule with its loc, the API');
        t.same([...new Set(resolve.map((x) => x.name))].sort(), ['allowed.test', 'bypass.test', 'evil.test', 'localhost']);
        t.same([...new Set(resolve.map((x) => x.api))].sort(),
          ['socket.bind', 'socket.connect', 'socket.getaddrinfo', 'socket.gethostbyaddr', 'socket.gethostbyname', 'socket.sendto']);
        t.ok(r.reports.some((x) => x.act === 'connect' && x.address === '127.0.0.3:8443'), 'the refused connect reported');
        t.match(r.lines.find((x) => x?.act === 'connect' && x.address === '127.0.0.3:8443'), { resolvedFrom: ['other.test'], rule: missing },
          'with the names the address was bound to');

        const resolved = lines(r, 'resolved');
        t.same(resolved[0], { act: 'resolved', name: 'allowed.test', addresses: ['127.0.0.2'], pid: r.pid, runtime: 'python', rule: ruleOf(allowed), api: 'socket.getaddrinfo' },
          'a binding line for allowed.test, for the process monitor');
        t.ok(resolved.some((x) => x.name === 'allowed.test' && x.api === 'socket.connect'), 'a connect by name binds too');
        t.match(resolved.find((x) => x.name === 'other.test'), { addresses: ['127.0.0.3'], rule: ruleOf(other), api: 'socket.gethostbyname' });
        t.notOk(resolved.some((x) => x.name !== 'allowed.test' && x.name !== 'other.test'), 'only allowed names are bound');
      });

      t.test('a closed channel: no line blocks or raises', async (t) => {
        const r = await inWorld(names, 'enforce', true);
        t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
        t.equal(r.attempts.get('create_connection allowed.test:8443')?.value, '127.0.0.2', 'an allowed lookup (its binding line goes nowhere)');
        gai(r, 'getaddrinfo evil.test', refusal('lookup of evil.test', missing));
        refusedWith(t, r, 'connect 127.0.0.3:8443 (bound to other.test for 9000)', refusal('connect to 127.0.0.3:8443 (resolved from other.test)', missing));
        t.same(r.lines, [], 'nothing arrived');
      });

      t.test('audit mode: lookups happen, and refused ones are reported once', async (t) => {
        const r = await inWorld({ ...names, enforce: false }, 'audit');
        t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
        t.same(r.attempts.get('getaddrinfo evil.test')?.value, ['127.0.0.4']);
        t.equal(r.attempts.get('create_connection evil.test:8443')?.value, '127.0.0.4');
        t.equal(r.attempts.get('connect evil.test:8443 by name')?.value, '127.0.0.4');
        t.equal(r.attempts.get('create_connection allowed.test:8443')?.value, '127.0.0.2');
        t.equal(r.world.connections['127.0.0.4:8443'], 2, 'the connections happened');
        t.same(r.lines.map((x) => [x?.act, x?.api, x?.name ?? x?.address]), [
          ['resolve', 'socket.getaddrinfo', 'evil.test'],
          ['resolve', 'socket.getaddrinfo', 'evil.test'],
          ['connect', 'socket.connect', '127.0.0.4:8443'],
          ['resolve', 'socket.connect', 'evil.test'],
          ['resolved', 'socket.getaddrinfo', 'allowed.test'],
        ], 'each act reported once: a lookup, a lookup then its connect, a connect by name (the name)');
      });

      t.test('no host entry: names are not looked at', async (t) => {
        const ipOnly = policyOf(W.profiles, 'names-ip', profile(`network:\n  connect: ${list(['127.0.0.4:8443'])}\n  bind: []\n`));
        for (const [what, policy] of [['under the launcher', ipOnly], ['plain python', undefined]] as const) {
          const r = await inWorld(policy, 'plain');
          t.equal(r.status, 0, `${what}: ran to its end`, { stderr: r.stderr });
          t.same(r.attempts.get('getaddrinfo evil.test')?.value, ['127.0.0.4'], `${what}: evil.test resolves`);
          t.same(r.attempts.get('getaddrinfo localhost')?.value, ['127.0.0.1'], `${what}: so does localhost`);
          t.equal(r.attempts.get('connect evil.test:8443 by name')?.value, '127.0.0.4', `${what}: a connect by name to an allowed address`);
          t.notMatch(r.attempts.get('urlopen http://evil.test:8443/')?.message ?? '', /syscage/, `${what}: urllib is not refused`);
          t.same(r.attempts.get('nothing wrapped')?.value, ['socket', true, 'builtin_function_or_method', false], `${what}: nothing is wrapped`);
          t.ok(asked(r.world, 'evil.test'), `${what}: the name server saw the queries (this world would see a leak)`);
          t.equal(r.world.connections['127.0.0.4:8443'], 2, `${what}: and the listener the connections`);
          t.same(r.lines, [], `${what}: nothing on the channel`);
        }
      });

      t.test('host entries are checked like the others', async (t) => {
        const bad = (e: Record<string, unknown>): string => JSON.stringify({ ...names, network: { ...names.network, connect: { entries: [e], missing } } });
        for (const [name, policy, err] of [
          ['ports the wrong way round', bad({ ...allowed, portLo: 9, portHi: 8 }), /network\.connect\.entries\[0\] has portLo > portHi/],
          ['a regex Python refuses', bad({ ...allowed, re: '^(?<n>x)$' }), /network\.connect\.entries\[0\]\.re is not a regular expression/],
          ['an unknown kind', bad({ ...allowed, kind: 'dns' }), /kind must be "ip", "host" or "unix"/],
        ] as const) {
          const r = await run(py, policy, '', undefined, { raw: ['-c', 'pass'] });
          t.equal(r.status, 70, `${name}: exit 70`);
          t.match(r.stderr, err, `${name}: says why`);
        }
      });
    });

    t.test('native code, subinterpreters, gc, the seatbelt itself', async (t) => {
      const r = await run(py, main, 'native', { denied: DENIED });
      t.equal(r.status, 0, 'ran to its end', { stderr: r.stderr });
      refusedWith(t, r, 'import ctypes', refusal(`native code ${py.ctypesSo}`, main.native.missing));
      if (py.hasCffi) refusedWith(t, r, 'import _cffi_backend', new RegExp(`^syscage: refused native code /.*_cffi_backend[^/]*\\.so: seatbelts\\.native`));
      refusedWith(t, r, 'import _xxsubinterpreters', 'syscage: refused import of _xxsubinterpreters: seatbelts a subinterpreter runs without the audit hook');
      refusedWith(t, r, 'import _testcapi', /^syscage: refused import of _testcapi: seatbelts /);
      refusedWith(t, r, 'import a fresh _posixsubprocess', /^syscage: refused import of _posixsubprocess: seatbelts /);
      refusedWith(t, r, '_imp.create_builtin(_posixsubprocess)', /^syscage: refused import of _posixsubprocess: seatbelts /);
      refusedWith(t, r, 'gc.get_referrers', "syscage: refused gc.get_referrers: seatbelts it can reach the seatbelt's state");
      refusedWith(t, r, 'gc.get_objects', "syscage: refused gc.get_objects: seatbelts it can reach the seatbelt's state");
      refusedWith(t, r, 'change a seatbelt function', 'syscage: refused changing __defaults__ of the seatbelt: seatbelts the seatbelt cannot be changed');
      refusedWith(t, r, 'read denied after all that', refusal(`read of ${DENIED}`, denyEnv));
      t.equal(r.attempts.get('import _json (stdlib extension)')?.value, 'imported', "the interpreter's own extension modules load");
      reportsMatch(t, r, 1);
      t.ok(r.reports.some((x) => x.act === 'native' && x.path === py.ctypesSo && x.api === 'import'));
      t.ok(r.reports.some((x) => x.act === 'other' && x.what === 'import of _xxsubinterpreters' && x.rule.what === 'seatbelts'));
    });

    t.test('ctypes allowed: libraries outside seatbelts.native are refused', { skip: !py.libc && 'no libc found in /proc/self/maps' }, async (t) => {
      const p = policyOf(W.profiles, 'ctypes', mainProfile(py, `seatbelts:\n  native: ${list([py.ctypesSo, py.exe])}\n`));
      const r = await run(py, p, 'ctypes', { lib: py.libc });
      t.equal(r.attempts.get('import ctypes')?.value, 'imported', 'the _ctypes module and the program itself are named');
      refusedWith(t, r, 'CDLL(libc) refused', refusal(`native code ${py.libc!}`, p.native.missing));
      refusedWith(t, r, 'CDLL(bare name) refused', /^syscage: refused native code \/.*libm\.so\.6: seatbelts\.native not in seatbelts\.native/);
      reportsMatch(t, r);
      t.ok(r.reports.some((x) => x.api === 'ctypes.dlopen' && x.act === 'native'));
    });

    t.test("PYTHONPATH, and a function's own sitecustomize runs after the hook", async (t) => {
      writeFileSync(join(W.pp, 'sitecustomize.py'), [
        'import sys',
        'try:',
        `    open(${q(DENIED)}).read()`,
        "    saw = 'read'",
        'except PermissionError as e:',
        "    saw = 'refused: ' + e.strerror",
        'sys.addaudithook(lambda *a: None)  # allowed, and removes nothing',
        'sys.sitecustomize_saw = saw',
        '',
      ].join('\n'));
      writeFileSync(join(W.pp, 'ppmod.py'), 'VALUE = 42\n');
      const r = await run(py, main, 'hooks', { denied: DENIED }, { env: { PYTHONPATH: W.pp } });
      t.equal(r.attempts.get('sitecustomize saw')?.value, `refused: ${refusal(`read of ${DENIED}`, denyEnv)}`);
      refusedWith(t, r, 'read denied', refusal(`read of ${DENIED}`, denyEnv));
      const c = await run(py, main, '', undefined, { env: { PYTHONPATH: W.pp }, raw: ['-c', 'import ppmod, sys; print(ppmod.VALUE, sys.path.index(' + q(W.pp) + '))'] });
      t.equal(c.stdout.trim(), '42 1', 'PYTHONPATH is on sys.path, after the -c entry', { stderr: c.stderr });
    });

    t.test('script, -m and -c run as python runs them', async (t) => {
      const args = JSON.stringify({ denied: DENIED });
      const script = await run(py, main, '', undefined, { raw: [ACT, 'forms', args] });
      const plain = await run(py, undefined, '', undefined, { raw: [ACT, 'forms', args], plain: true });
      const s = script.attempts.get('forms')?.value as Record<string, unknown>;
      t.same(s, { ...(plain.attempts.get('forms')?.value as object) }, 'argv, sys.path[0], __name__, __file__, __main__: as plain python');
      t.same(s.argv, [ACT, 'forms', args]);
      t.equal(s.path0, FIX);
      refusedWith(t, script, 'read denied', refusal(`read of ${DENIED}`, denyEnv));

      const m = await run(py, main, '', undefined, { raw: ['-m', 'act', 'forms', args], cwd: FIX });
      const mPlain = await run(py, undefined, '', undefined, { raw: ['-m', 'act', 'forms', args], cwd: FIX, plain: true });
      t.same(m.attempts.get('forms')?.value, mPlain.attempts.get('forms')?.value, '-m: as plain python', { stderr: m.stderr });
      refusedWith(t, m, 'read denied', refusal(`read of ${DENIED}`, denyEnv));

      const code = `import sys, json; print(json.dumps(sys.argv)); open(${q(DENIED)})`;
      // From a granted directory: -c puts '' (the working directory) on sys.path, and an import
      // there lists it (3.13 imports while it prints a traceback).
      const c = await run(py, main, '', undefined, { raw: ['-c', code, 'a', 'b'], cwd: W.task });
      t.same(JSON.parse(c.stdout.split('\n')[0]!), ['-c', 'a', 'b'], 'sys.argv');
      t.equal(c.status, 1);
      t.match(c.stderr, `PermissionError: [Errno 13] ${refusal(`read of ${DENIED}`, denyEnv)}`);
      t.match(c.stderr, /File "<string>", line 1, in <module>/);
      t.notMatch(c.stderr, /launcher\.py", line \d+, in _run/, 'the traceback starts at the handler\'s code');
      t.match(c.stderr, /launcher\.py", line \d+, in refuse\n +raise _PermissionError/, "the hook's frames show their source lines");
      t.same(c.reports.map((x) => x.act === 'open' && x.path), [DENIED], 'one report: printing the traceback (reading launcher.py) is not a violation', { reports: c.reports });

      const ub = await run(py, main, '', undefined, { raw: ['-u', '-B', ACT, 'forms', args] });
      const v = ub.attempts.get('forms')?.value as Record<string, unknown>;
      t.equal(v.dont_write_bytecode, true, '-B');
      t.equal(v.stdout_write_through, true, '-u');
      const env = await run(py, main, '', undefined, { raw: [ACT, 'forms', args], env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } });
      t.match(env.attempts.get('forms')?.value, { dont_write_bytecode: true, stdout_write_through: true }, 'PYTHONUNBUFFERED, PYTHONDONTWRITEBYTECODE');
    });

    t.test('exit statuses and tracebacks as with plain python', async (t) => {
      for (const code of [0, 3, 'a message', 'raise', 'interrupt']) {
        const args = JSON.stringify({ code });
        const under = await run(py, main, '', undefined, { raw: [ACT, 'exit', args] });
        const plain = await run(py, undefined, '', undefined, { raw: [ACT, 'exit', args], plain: true });
        t.same([under.status, under.signal], [plain.status, plain.signal], `exit ${JSON.stringify(code)}: ${plain.status ?? plain.signal}`);
        t.equal(under.stderr, plain.stderr, `exit ${JSON.stringify(code)}: the same stderr`);
      }
      const missing = await run(py, main, '', undefined, { raw: [join(TMP, 'no-such.py')] });
      t.equal(missing.status, 2, 'a missing script: 2');
      t.match(missing.stderr, /can't open file .*no-such\.py.*\[Errno 2\]/);
      const noMod = await run(py, main, '', undefined, { raw: ['-m', 'no_such_module_here'] });
      t.equal(noMod.status, 1);
      t.match(noMod.stderr, /No module named no_such_module_here/);
    });

    t.test('fail closed: no policy, a malformed one, an option the launcher does not run', async (t) => {
      const cases: [string, string | undefined, readonly string[], RegExp][] = [
        ['no policy', undefined, ['-c', 'pass'], /^syscage: seatbelt: SYSCAGE_SEATBELT_POLICY is not set/],
        ['not JSON', '{', ['-c', 'pass'], /^syscage: seatbelt: SYSCAGE_SEATBELT_POLICY is not JSON/],
        ['version 2', JSON.stringify({ ...main, version: 2 }), ['-c', 'pass'], /^syscage: seatbelt: invalid policy .*version must be 1/],
        ['a regex Python refuses', JSON.stringify({ ...main, native: { ...main.native, entries: [{ what: 'seatbelts.native', re: '^(?<n>x)$' }] } }), ['-c', 'pass'], /^syscage: seatbelt: invalid policy .*native\.entries\[0\]\.re is not a regular expression/],
        ['no fork rule', JSON.stringify({ ...main, fork: {} }), ['-c', 'pass'], /fork\.allowed must be true or false/],
        ['an unparsable always', JSON.stringify({ ...main, always: ['localhost:9001'] }), ['-c', 'pass'], /always\[0\]/],
        ['-O', JSON.stringify(main), ['-O', ACT], /^syscage: seatbelt: unsupported interpreter option -O/],
        ['-X dev', JSON.stringify(main), ['-X', 'dev', ACT], /unsupported interpreter option -X/],
        ['no script', JSON.stringify(main), [], /interactive interpreter is not supported/],
      ];
      for (const [name, policy, raw, err] of cases) {
        const r = await run(py, policy, '', undefined, { raw });
        t.equal(r.status, 70, `${name}: exit 70`);
        t.match(r.stderr, err, `${name}: says why`);
        t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
      }
    });

    t.test('test/fixtures/platform/runtime.py runs under the launcher', async (t) => {
      const events = [{ act: 'echo', n: 1 }, { act: 'exec' }, { act: 'connect', host: '127.0.0.1', port: 9 }];
      const answers: unknown[] = [];
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          if (req.url === '/2018-06-01/runtime/invocation/next') {
            const e = events.shift();
            if (!e) { res.writeHead(410).end(); return; }
            res.writeHead(200, { 'Lambda-Runtime-Aws-Request-Id': `r${answers.length}` }).end(JSON.stringify(e));
          } else {
            answers.push(JSON.parse(body));
            res.writeHead(202).end();
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      t.teardown(() => server.close());
      const api = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const p = policyOf(W.profiles, 'runtime', `version: 1
name: runtime
files:
  read: ${list([...readList(py), `${dirname(RUNTIME)}/**`])}
  write: []
exec:
  allow: []
network:
  connect: []
  bind: []
`, [api]);
      const r = await run(py, p, '', undefined, { raw: [RUNTIME], env: { AWS_LAMBDA_RUNTIME_API: api } });
      t.equal(r.status, 0, 'the loop ends when /next says 410', { stderr: r.stderr });
      t.match(answers, [
        { echo: { act: 'echo', n: 1 } },
        { act: 'exec', error: 'PermissionError', errno: 13, message: /^\[Errno 13\] syscage: refused exec of \/bin\/sh: exec\.allow / },
        { act: 'connect', error: 'PermissionError', errno: 13, message: /^\[Errno 13\] syscage: refused connect to 127\.0\.0\.1:9: network\.connect / },
      ], 'it answered each invocation; the exec and the connect were refused');
      t.equal(answers.length, 3);
      t.same(r.reports.map((x) => [x.act, x.api]), [['exec', 'subprocess.Popen'], ['connect', 'socket.connect']]);
    });

    t.test('the hook is not written to reach globals or closures (dis)', async (t) => {
      const out = execFileSync(py.exe, [join(FIX, 'no_globals.py'), LAUNCHER], { encoding: 'utf8' });
      t.match(out, /checked \d+ functions, 0 offences/);
    });

    t.test('cost: per open(), and start-up against python -c pass', async (t) => {
      const bench = `
import time, sys, os
p = ${q(join(W.task, 'ok.txt'))}
n = 20000
for _ in range(1000): open(p).close()
t0 = time.perf_counter()
for _ in range(n): open(p).close()
print((time.perf_counter() - t0) / n * 1e6)
`;
      const per = async (under: boolean): Promise<number> => {
        const r = await run(py, under ? main : undefined, '', undefined, { raw: ['-c', bench], plain: !under });
        return Number(r.stdout.trim());
      };
      const plainOpen = await per(false);
      const hookedOpen = await per(true);
      const start = async (under: boolean): Promise<number> => {
        const ms: number[] = [];
        for (let i = 0; i < 9; i++) {
          const t0 = process.hrtime.bigint();
          await run(py, under ? main : undefined, '', undefined, { raw: ['-c', 'pass'], plain: !under });
          ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        return ms.sort((a, b) => a - b)[4]!;
      };
      const plainStart = await start(false);
      const hookedStart = await start(true);
      t.comment(`open()+close(): ${plainOpen.toFixed(1)} µs plain, ${hookedOpen.toFixed(1)} µs under the hook (+${(hookedOpen - plainOpen).toFixed(1)} µs)`);
      t.comment(`start-up (median of 9): python -c pass ${plainStart.toFixed(1)} ms, launcher ${hookedStart.toFixed(1)} ms (x${(hookedStart / plainStart).toFixed(2)})`);
      t.ok(hookedOpen > 0 && hookedOpen - plainOpen < 500, 'the hook costs less than 0.5 ms per open');
    });
  });
}
