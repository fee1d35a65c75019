// The escape corpus's seatbelt column: the Node.js and Python attempts of test/escapes/seatbelt/
// (manifest.ts), each run
//
//   (a) without syscage, under the platform simulator (uid 993, Lambda's refusals): it must reach
//       its goal, which proves it exercises the path it claims;
//   (b) under `syscage run` in the simulated runtime tier (simulate.mjs --variant nnp0), where the
//       command is Node 26 (the layer's) or python3 and so runs under its seatbelt, with a strict
//       profile: files.read granting what the interpreter needs and a tree with a denied SECRET
//       file in it, files.write a /tmp of its own, exec.allow [] (or one program), process.fork
//       false, network.connect allowing none of the counting servers (TCP, UDP, UNIX) it tries,
//       seatbelts.native [] (or what the attempt says).
//
// A run under syscage is (test/escapes/README.md, "The seatbelt column"):
//   blocked      BLOCKED (a step refused) and an audit event of the seatbelt naming the act, and
//                the goal not reached
//   killed       the process monitor reported a finding (decision kill) and killed: after the fact
//   escaped      the goal reached (ESCAPED with the secret, a server reached, a file made) and no
//                kill; a known one (manifest `known`) is a tap todo, any other fails
//   unreported   BLOCKED without an audit event naming it: a tap todo when the manifest says who
//                refuses it (`unreported`), else a failure
//   broken       none of these (no verdict, a bare run that did not escape): a failure, after two
//                more runs
// Results go to test/escapes/out/results/corpus-seatbelts.json (tier "seatbelts") for summary.mjs.
import t, { type Test } from 'tap';
import { chmodSync, chownSync, copyFileSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '../../lib/audit/event.js';
import { layerNode } from '../helpers/layer-node.js';
import { events, notesOf, verdictOf, type RunFacts } from './fixtures/engine.js';
import { PYTHON, RESULTS, ROOT, SYSCAGE } from './fixtures/paths.js';
import { sleep, spawnProc, type Proc } from './fixtures/proc.js';
import { eventText, falseFinding, SIMULATE } from './fixtures/tiers.js';
import { SEATBELT_ATTEMPTS, type SeatbeltAttempt } from './seatbelt/manifest.js';

const NAME = basename(fileURLToPath(import.meta.url)).replace(/\.test\.[jt]s$/, '');
const HERE = join(ROOT, 'test', 'escapes', 'seatbelt');
/** syscage's Python launcher (lib/seatbelt/command.ts LAUNCHER). */
const LAUNCHER = join(ROOT, 'lib', 'seatbelt', 'python', 'launcher.py');
const VARIANT = 'nnp0';
const LAMBDA_ID = 993;
/** Attempts run at the same time (each run is a few hundred ms of CPU; the machine may have two cores). */
const JOBS = 3;
/** ESCAPES_ONLY=id1,id2 runs just those (debugging); the results then say "partial". */
const ONLY = process.env.ESCAPES_ONLY?.split(',').filter(Boolean);
/** A refusal of a seatbelt, as syscage logs it (lib/monitor/seatbelt.ts). */
const SEATBELT_REASON = /refused by the (Node\.js|Python) seatbelt before it happened/;

type SeatbeltOutcome = 'blocked' | 'killed' | 'escaped' | 'unreported' | 'broken' | 'skipped';

interface SeatbeltResult extends RunFacts {
  readonly id: string;
  readonly tier: 'seatbelts';
  readonly runtime: 'node' | 'python';
  readonly profile: 'strict';
  readonly variant: string;
  readonly cls: string;
  readonly title: string;
  readonly outcome: SeatbeltOutcome;
  readonly why: string;
  /** The attempt's goal was reached (before or without a kill). */
  readonly goal: boolean;
  /** For a blocked run: whose refusal ("node-seatbelt", "python-seatbelt"); unreported: "permission-model" or "unknown". */
  readonly by?: string;
  /** For an escape: the reason (the manifest's known hole, or "NOT KNOWN"). */
  readonly limit?: string;
  readonly known?: string;
  readonly unreportedWhy?: string;
  /** The run without syscage: its verdict line. */
  readonly bare?: string;
  readonly falseFindings?: readonly string[];
}

// ---- the world ----

interface Counter {
  hits: number;
  readonly close: () => void;
}

interface World {
  readonly dir: string;
  readonly tree: string;
  readonly secret: string;
  readonly secretText: string;
  readonly readme: string;
  readonly tmp: string;
  readonly ext: string;
  readonly native: string;
  readonly koffi: string;
  readonly extJson: string;
  readonly nativeSub: string;
  readonly logs: string;
  readonly profiles: string;
  readonly socks: string;
  readonly mark: string;
  readonly node: string;
  readonly pyexe: string;
  readonly ctypes: string;
  readonly libc: string;
}

const realOr = (p: string | undefined): string => {
  try {
    return p ? realpathSync(p) : '(none)';
  } catch {
    return '(none)';
  }
};

/** The first file of `dir` whose name starts with `prefix` (an extension module of this python). */
const findIn = (dir: string, prefix: string): string | undefined => {
  try {
    const f = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith('.so'));
    return f ? join(dir, f) : undefined;
  } catch {
    return undefined;
  }
};

/** Facts about the python3 the attempts run: its extension modules' directory, libc's real path, its cffi backend. */
function pythonFacts(): { dynload: string; libc: string; cffi?: string } {
  const code = [
    'import os, sysconfig',
    'print(sysconfig.get_path("platstdlib") + "/lib-dynload")',
    'print(next((os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps") if "/libc.so" in l or "/libc-" in l), ""))',
    'try:\n import _cffi_backend; print(_cffi_backend.__file__)\nexcept ImportError:\n print("")',
  ].join('\n');
  const [dynload = '', libc = '', cffi = ''] = execFileSync(PYTHON, ['-I', '-c', code], { encoding: 'utf8' }).split('\n').map((l) => l.trim());
  return { dynload, libc, ...(cffi ? { cffi } : {}) };
}

function makeWorld(tap: Test, node: string, py: ReturnType<typeof pythonFacts>): World {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-seatbelts-')));
  chmodSync(dir, 0o755);
  const sub = (name: string, owner?: number): string => {
    const d = join(dir, name);
    mkdirSync(d, { mode: 0o755 });
    chmodSync(d, 0o755);
    if (owner !== undefined) chownSync(d, owner, owner);
    return d;
  };
  // The granted tree and /tmp belong to uid 993, so that file permissions never stand in for the profile.
  const tree = sub('tree', LAMBDA_ID);
  const tmp = sub('tmp', LAMBDA_ID);
  const logs = sub('logs', LAMBDA_ID);
  const ext = sub('ext');
  const native = sub('native');
  const profiles = sub('profiles');
  const socks = sub('sock');
  const secretText = `SECRET-DENY-${randomBytes(6).toString('hex')}`;
  const file = (p: string, text: string): void => {
    writeFileSync(p, text);
    chmodSync(p, 0o644);
    chownSync(p, LAMBDA_ID, LAMBDA_ID);
  };
  const secret = join(tree, 'secret.txt');
  const readme = join(tree, 'readme.txt');
  file(secret, `${secretText}\n`);
  file(readme, 'public readme\n');
  const copy = (from: string, to: string): string => {
    copyFileSync(from, to);
    chmodSync(to, 0o644);
    return to;
  };
  const koffi = copy(join(ROOT, 'node_modules', '@koromix', 'koffi-linux-x64', 'linux_x64', 'koffi.node'), join(ext, 'koffi.node'));
  const json = findIn(py.dynload, '_json.');
  const subi = findIn(py.dynload, '_xxsubinterpreters.');
  const extJson = json ? basename(copy(json, join(ext, basename(json)))) : '';
  const nativeSub = subi ? basename(copy(subi, join(native, basename(subi)))) : '';
  tap.teardown(() => {
    if (process.env.ESCAPES_KEEP) {
      tap.comment(`kept ${dir}`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir, tree, secret, secretText, readme, tmp, ext, native, koffi, extJson, nativeSub, logs, profiles, socks, node,
    mark: `SECRET-ENV-${randomBytes(6).toString('hex')}`,
    pyexe: realpathSync(PYTHON),
    ctypes: realOr(findIn(py.dynload, '_ctypes.')),
    libc: py.libc,
  };
}

interface Listeners {
  readonly tcp: Counter & { port: number };
  readonly udp: Counter & { port: number };
  readonly unix: Counter & { path: string };
  close(): void;
}

/** One attempt's counting servers: each says what reached it (a token back: the attempt can show it). */
async function listeners(w: World, id: string): Promise<Listeners> {
  const token = `SECRET-NET-${randomBytes(4).toString('hex')}\n`;
  const stream = (): { server: Server; c: Counter } => {
    const c: Counter = { hits: 0, close: () => server.close() };
    const server = createServer((s) => {
      c.hits++;
      s.on('error', () => undefined);
      s.end(token);
    });
    return { server, c };
  };
  const t4 = stream();
  await new Promise<void>((resolve, reject) => t4.server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const tcp = Object.assign(t4.c, { port: (t4.server.address() as { port: number }).port });
  const u = createSocket('udp4');
  const udp = Object.assign({ hits: 0, close: () => u.close() }, { port: 0 });
  u.on('message', (msg, from) => {
    udp.hits++;
    // An answer: the datagram back with QR set and NXDOMAIN (a DNS query gets a DNS answer).
    const a = Buffer.from(msg);
    if (a.length >= 4) {
      a[2] = (a[2]! | 0x80) & 0xff;
      a[3] = 0x83;
    }
    u.send(a, from.port, from.address);
  });
  await new Promise<void>((resolve) => u.bind(0, '127.0.0.1', () => resolve()));
  udp.port = u.address().port;
  const path = join(w.socks, `${id}.sock`);
  rmSync(path, { force: true });
  const ux = stream();
  await new Promise<void>((resolve, reject) => ux.server.once('error', reject).listen(path, () => resolve()));
  chmodSync(path, 0o777);
  const unix = Object.assign(ux.c, { path });
  return { tcp, udp, unix, close: () => { tcp.close(); udp.close(); unix.close(); } };
}

/** {placeholder} → the world's value. */
function fill(s: string, w: World, l: Listeners, id: string): string {
  const v: Record<string, string> = {
    secret: w.secret, tree: w.tree, new: join(w.tree, `new-${id}`), tcp: `127.0.0.1:${l.tcp.port}`, udp: `127.0.0.1:${l.udp.port}`,
    unix: l.unix.path, ext: w.ext, koffi: w.koffi, native: w.native, node: w.node, pyexe: w.pyexe, ctypes: w.ctypes, libc: w.libc,
  };
  return s.replace(/\{(\w+)\}/g, (m, k: string) => v[k] ?? m);
}

const yamlList = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/** The strict profile of one attempt. */
function writeProfile(w: World, a: SeatbeltAttempt, l: Listeners): string {
  const nodeDir = dirname(dirname(w.node));
  // What the interpreters need, the attempts, the granted tree (with the denied file in it), the
  // copied native code; and syscage's own Python launcher, which python3 holds open while it starts
  // (the monitor kills a descriptor on a file files.read does not grant, syscage's own included).
  const read = ['/usr/**', '/lib/**', '/lib64/**', '/etc/**', '/proc/**', '/dev/**', '/sys/**', `${HERE}/**`, `${nodeDir}/**`, LAUNCHER, `${w.tree}/**`, `${w.ext}/**`, `${w.native}/**`];
  const r = a.rules ?? {};
  const text = [
    `# escape corpus, seatbelt column (test/escapes/corpus-seatbelts.test.ts), attempt ${a.id}`,
    'version: 1',
    'name: escapes-seatbelts',
    'default: allow',
    'weakest_tier: runtime',
    'files:',
    `  read: ${yamlList(read)}`,
    `  write: ${yamlList([`${w.tmp}/**`, '/dev/null'])}`,
    `  deny: ${yamlList([w.secret, '/proc/self/environ'])}`,
    'exec:',
    `  allow: ${yamlList((r.exec ?? []).map((x) => fill(x, w, l, a.id)))}`,
    'network:',
    '  connect: []',
    '  bind: []',
    'process:',
    `  fork: ${r.fork ?? false}`,
    'seatbelts:',
    `  native: ${yamlList((r.native ?? []).map((x) => fill(x, w, l, a.id)))}`,
  ].join('\n') + '\n';
  const p = join(w.profiles, `${a.id}.yaml`);
  writeFileSync(p, text);
  chmodSync(p, 0o644);
  return p;
}

// ---- one attempt ----

interface RunSetup {
  readonly w: World;
  readonly a: SeatbeltAttempt;
  readonly l: Listeners;
  readonly env: Record<string, string>;
  readonly cmd: readonly string[];
  readonly newPath: string;
  readonly tmp: string;
}

/**
 * A fresh start for a run: no file made, no server reached, a /tmp of the attempt's with three
 * symlinks already in it (left there by someone else: the permission model refuses a Node handler
 * fs.symlink): link -> the denied file, race -> the readme, race-secret -> the denied file.
 */
function reset(s: RunSetup): void {
  rmSync(s.newPath, { force: true });
  rmSync(s.tmp, { recursive: true, force: true });
  mkdirSync(s.tmp, { mode: 0o755 });
  chownSync(s.tmp, LAMBDA_ID, LAMBDA_ID);
  for (const [name, to] of [['link', s.w.secret], ['race', s.w.readme], ['race-secret', s.w.secret]] as const) {
    symlinkSync(to, join(s.tmp, name));
    lchownSync(join(s.tmp, name), LAMBDA_ID, LAMBDA_ID);
  }
  s.l.tcp.hits = 0;
  s.l.udp.hits = 0;
  s.l.unix.hits = 0;
}

const exists = (p: string): boolean => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Was the goal reached, and how; `bad`: ESCAPED without the proof the goal asks for (a broken run). */
function goalOf(s: RunSetup, stdout: string): { reached: boolean; what?: string; bad?: string } {
  const v = verdictOf(stdout);
  const line = v.kind === 'ESCAPED' ? v.line! : undefined;
  const { a, l, w } = s;
  switch (a.goal) {
    case 'secret':
    case 'unreported':
      if (line && line.includes(w.secretText)) return { reached: true, what: line };
      return line ? { reached: false, bad: `ESCAPED without the secret: ${line}` } : { reached: false };
    case 'environ':
      if (line && line.includes(w.mark)) return { reached: true, what: line };
      return line ? { reached: false, bad: `ESCAPED without the environment's mark: ${line}` } : { reached: false };
    case 'tcp':
    case 'udp':
    case 'unix': {
      const hits = l[a.goal].hits;
      if (hits > 0) return { reached: true, what: `the ${a.goal.toUpperCase()} server was reached ${hits} time(s)${line ? `; ${line}` : ''}` };
      return line ? { reached: false, bad: `ESCAPED, yet the ${a.goal} server saw nothing: ${line}` } : { reached: false };
    }
    case 'new':
      if (exists(s.newPath)) return { reached: true, what: `${s.newPath} was made${line ? `; ${line}` : ''}` };
      return line ? { reached: false, bad: `ESCAPED, yet ${s.newPath} does not exist: ${line}` } : { reached: false };
    case 'act':
      return line ? { reached: true, what: line } : { reached: false };
  }
}

const brief = (e: AuditEvent | undefined): Partial<AuditEvent> | undefined => e && {
  pid: e.pid, exe: e.exe, syscall: e.syscall, decision: e.decision, path: e.path, paths: e.paths, address: e.address, rule: e.rule, reason: e.reason, tier: e.tier,
};

/** The text an event names: its call, path(s), address, program and reason. */
const named = (e: AuditEvent): string => [e.syscall, e.path, ...(e.paths ?? []), e.address, e.reason, ...(e.argv ?? [])].filter(Boolean).join(' ');

interface Classified {
  readonly outcome: Exclude<SeatbeltOutcome, 'skipped'>;
  readonly why: string;
  readonly goal: boolean;
  readonly by?: string;
  readonly event?: AuditEvent;
}

function classifySeatbelt(s: RunSetup, p: Proc, evs: readonly AuditEvent[]): Classified {
  const { a } = s;
  const v = verdictOf(p.stdout);
  const runtime = a.runtime === 'node' ? 'node' : 'python';
  if (!/^syscage: tier runtime:/m.test(p.stderr)) {
    const line = p.stderr.split('\n').find((x) => x.startsWith('syscage:')) ?? `exit ${p.status}`;
    return { outcome: 'broken', why: `syscage did not say "tier runtime": ${line}`, goal: false };
  }
  if (!new RegExp(`^syscage: seatbelt: ${runtime}:`, 'm').test(p.stderr)) {
    const line = p.stderr.split('\n').find((x) => x.startsWith('syscage: seatbelt')) ?? 'no seatbelt line';
    return { outcome: 'broken', why: `the command did not run under the ${runtime} seatbelt: ${line}`, goal: false };
  }
  const names = a.names.map((n) => fill(n, s.w, s.l, a.id));
  const naming = (e: AuditEvent): boolean => names.some((n) => named(e).includes(n));
  const refusals = evs.filter((e) => e.decision === 'deny' && SEATBELT_REASON.test(e.reason ?? ''));
  const allKills = evs.filter((e) => e.enforced && e.decision === 'kill');
  const kills = allKills.filter((e) => !falseFinding(e, a.id));
  const g = goalOf(s, p.stdout);
  const seatbeltOf = (e: AuditEvent): string => (/Node\.js seatbelt/.test(e.reason ?? '') ? 'node-seatbelt' : 'python-seatbelt');

  if (a.goal === 'unreported' && v.kind === 'BLOCKED' && kills.length === 0) {
    // The goal is a refusal nobody hears of.
    const seen = refusals.find(naming);
    if (seen) return { outcome: 'blocked', why: `refused and reported: ${eventText(seen)} — ${v.line}`, goal: false, by: seatbeltOf(seen), event: seen };
    return { outcome: 'escaped', why: `refused, but the refusal never reached the audit log: ${v.line}`, goal: true };
  }
  if (kills.length > 0) {
    const e = kills[0]!;
    return { outcome: 'killed', why: `${g.reached ? 'after the goal was reached' : 'before the goal was reached'}: ${eventText(e)}${g.what ? ` — ${g.what}` : v.line ? ` — ${v.line}` : ''}`, goal: g.reached, event: e };
  }
  if (g.bad) return { outcome: 'broken', why: g.bad, goal: false };
  if (g.reached) return { outcome: 'escaped', why: g.what!, goal: true };
  if (v.kind === 'BLOCKED') {
    const seen = refusals.find(naming);
    if (seen) return { outcome: 'blocked', why: `${eventText(seen)}: ${seen.reason} — ${v.line}`, goal: false, by: seatbeltOf(seen), event: seen };
    const other = refusals[0];
    return {
      outcome: 'unreported',
      why: `${v.line}; ${other ? `the only refusal logged names something else: ${eventText(other)}` : 'no audit event'}`,
      goal: false, by: /ERR_ACCESS_DENIED/.test(v.line ?? '') ? 'permission-model' : 'unknown',
    };
  }
  const falseOnes = allKills.filter((e) => falseFinding(e, a.id));
  const err = p.stderr.split('\n').filter((l) => !l.startsWith('{') && !/^syscage: +refused:|Warning|--trace-warnings/.test(l)).slice(-3).join(' | ');
  return {
    outcome: 'broken',
    why: `no verdict (${v.line ?? 'nothing'}), exit ${p.status}${p.signal ? ` ${p.signal}` : ''}${falseOnes.length ? `; killed for a false finding of the monitor: ${eventText(falseOnes[0]!)}` : ''}${err ? `: ${err}` : ''}`,
    goal: false,
  };
}

async function runAttempt(t: Test, w: World, a: SeatbeltAttempt, py: ReturnType<typeof pythonFacts>): Promise<SeatbeltResult> {
  const t0 = performance.now();
  const base = {
    id: a.id, tier: 'seatbelts' as const, runtime: a.runtime, profile: 'strict' as const, variant: VARIANT, cls: a.runtime, title: a.title,
    ...(a.known ? { known: a.known } : {}), ...(a.unreported ? { unreportedWhy: a.unreported } : {}),
  };
  if (a.needs === 'cffi-backend' && !py.cffi) {
    const why = `${PYTHON} has no cffi backend (_cffi_backend): python3-cffi-backend is not installed`;
    t.pass(`${a.id}: skipped: ${why}`, { skip: why });
    return { ...base, outcome: 'skipped', why, goal: false, ms: 0, events: 0 };
  }
  const l = await listeners(w, a.id);
  try {
    const tmp = join(w.tmp, a.id);
    const s0 = { w, a, l, tmp, newPath: join(w.tree, `new-${a.id}`) };
    const script = join(HERE, a.script);
    const cmd = a.runtime === 'node' ? [w.node, script] : [PYTHON, script];
    const env: Record<string, string> = {
      PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1',
      SB_SECRET: w.secret, SB_README: w.readme, SB_TREE: w.tree, SB_TMP: tmp, SB_NEW: s0.newPath,
      SB_LINK: join(tmp, 'link'), SB_RACE: join(tmp, 'race'), SB_RACE_SECRET: join(tmp, 'race-secret'),
      SB_TCP: String(l.tcp.port), SB_UDP: String(l.udp.port), SB_UNIX: l.unix.path,
      SB_EXT: w.ext, SB_KOFFI: w.koffi, SB_EXT_JSON: w.extJson, SB_NATIVE: w.native, SB_NATIVE_SUB: w.nativeSub, SB_MARK: w.mark,
      ...(a.rules?.env ?? {}),
    };
    const s: RunSetup = { ...s0, env, cmd };
    const profile = writeProfile(w, a, l);
    const simulate = (argv: readonly string[]): Promise<Proc> =>
      spawnProc([process.execPath, SIMULATE, '--variant', VARIANT, '--', ...argv], { cwd: tmp, env, timeoutMs: 25_000 }).done;

    // (a) without syscage: the attempt must reach its goal.
    reset(s);
    const bare = await simulate(cmd);
    await sleep(20); // the servers' last event
    const bg = goalOf(s, bare.stdout);
    const bareLine = verdictOf(bare.stdout).line ?? `nothing, exit ${bare.status}`;
    if (!bg.reached) {
      const why = `without syscage it did not reach its goal (${a.goal}): ${bg.bad ?? bareLine}; stderr: ${bare.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      t.fail(`${a.id}: ${why}`, { stdout: bare.stdout, stderr: bare.stderr.slice(-2000) });
      return { ...base, outcome: 'broken', why, goal: false, bare: bareLine, ms: Math.round(performance.now() - t0), events: 0 };
    }

    // (b) under syscage, in the runtime tier; a run that shows nothing, or ended by a false finding, is made again (twice at most).
    const retries: string[] = [];
    const falseFindings: string[] = [];
    let p: Proc;
    let evs: AuditEvent[];
    let c: Classified;
    for (let n = 0; ; n++) {
      reset(s);
      const log = join(w.logs, `${a.id}-${n}.log`);
      p = await simulate([process.execPath, SYSCAGE, 'run', '--profile', profile, '--log', log, '--', ...cmd]);
      await sleep(20);
      evs = existsSync(log) ? events(readFileSync(log, 'utf8')) : [];
      for (const e of evs) {
        const kind = falseFinding(e, a.id);
        if (kind && e.decision === 'kill') falseFindings.push(`${kind}: ${eventText(e)}`);
      }
      c = classifySeatbelt(s, p, evs);
      const again = c.outcome === 'broken' ? c.why
        : c.event && c.outcome === 'killed' && falseFinding(c.event, a.id) ? `killed for a false finding: ${eventText(c.event)}` : undefined;
      if (!again || retries.length >= 2) break;
      retries.push(again);
      t.comment(`${a.id}: running again: ${again}`);
    }
    const v = verdictOf(p.stdout);
    const limit = c.outcome === 'escaped' ? a.known ?? 'NOT KNOWN: a bug of the seatbelt, or a hole to document' : undefined;
    const result: SeatbeltResult = {
      ...base, outcome: c.outcome, why: c.why, goal: c.goal, ...(c.by ? { by: c.by } : {}), ...(limit ? { limit } : {}),
      verdict: v.line, bare: bareLine, notes: [...notesOf(p.stdout), ...retries.map((x) => `RETRIED after: ${x}`)], status: p.status, signal: p.signal,
      ms: Math.round(performance.now() - t0), event: brief(c.event), events: evs.length, ...(falseFindings.length ? { falseFindings } : {}),
    };
    const diag = { stdout: p.stdout.slice(-3000), stderr: p.stderr.slice(-3000), status: p.status, signal: p.signal, events: evs.slice(0, 5), profile };
    const said = `${a.id}: ${c.outcome}: ${c.why}`;
    if (c.outcome === 'escaped') {
      if (a.known) t.fail(said, { todo: `a known hole: ${a.known}` });
      else t.fail(`${said} — an escape that is not known`, diag);
    } else if (c.outcome === 'unreported') {
      if (a.unreported) t.fail(said, { todo: `refused without a report: ${a.unreported}` });
      else t.fail(`${said} — refused without an audit event naming it`, diag);
    } else if (c.outcome === 'broken') {
      t.fail(said, diag);
    } else {
      t.pass(`${said}${a.known ? ' (a known hole, not shown by this run)' : ''}`);
    }
    for (const e of evs) {
      if (e.tier !== 'runtime') t.fail(`${a.id}: an event of tier ${e.tier ?? '(none)'}: ${eventText(e)}`, diag);
    }
    return result;
  } finally {
    l.close();
  }
}

// ---- the file ----

function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'the simulator must start as root (it drops to uid 993 itself)';
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the attempts use the x64 koffi addon and Linux /proc';
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed (the Python attempts)`;
  if (!existsSync(join(ROOT, 'dist', 'lib', 'cli', 'entry.js'))) return 'dist/ is not built (npm run build): the simulator and bin/syscage load it';
  return undefined;
}

const results: SeatbeltResult[] = [];
const write = (s: { partial: boolean; skipped?: string; seconds?: number }): void => {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${NAME}.json`), JSON.stringify({ file: NAME, tier: 'seatbelts', variant: VARIANT, finished: new Date().toISOString(), ...s, results }, null, 2) + '\n');
};
const node = layerNode();
const why = cannotRun() ?? ('skip' in node ? node.skip : undefined);
if (why) {
  try {
    write({ partial: false, skipped: why });
  } catch { /* not root: the summary says the results are missing */ }
  t.plan(0, why);
} else {
  const started = performance.now();
  const py = pythonFacts();
  const w = makeWorld(t, (node as { path: string }).path, py);
  const chosen = SEATBELT_ATTEMPTS.filter((a) => !ONLY || ONLY.includes(a.id));
  await t.test(`${NAME}: ${chosen.length} attempts under the seatbelts (simulator variant ${VARIANT})`, { jobs: JOBS }, async (t) => {
    await Promise.all(chosen.map((a) => t.test(`${a.runtime}: ${a.id} — ${a.title}`, async (t) => {
      try {
        results.push(await runAttempt(t, w, a, py));
      } catch (e) {
        results.push({ id: a.id, tier: 'seatbelts', runtime: a.runtime, profile: 'strict', variant: VARIANT, cls: a.runtime, title: a.title, outcome: 'broken', why: `the run failed: ${(e as Error).message}`, goal: false, ms: 0, events: 0 });
        t.fail(`${a.id}: the run failed: ${(e as Error).stack}`);
      }
    })));
  });
  const secs = (performance.now() - started) / 1000;
  const order = new Map(chosen.map((a, i) => [a.id, i]));
  results.sort((x, y) => (order.get(x.id) ?? 0) - (order.get(y.id) ?? 0));
  write({ partial: !!ONLY, seconds: Number(secs.toFixed(1)) });
  const count = (o: SeatbeltOutcome): number => results.filter((r) => r.outcome === o).length;
  t.comment(`${NAME}: ${results.length} attempts, ${count('blocked')} blocked, ${count('killed')} killed after the fact, ${count('escaped')} escaped`
    + `${count('unreported') ? `, ${count('unreported')} blocked without an audit event` : ''}${count('broken') ? `, ${count('broken')} broken` : ''}`
    + `${count('skipped') ? `, ${count('skipped')} skipped` : ''} in ${secs.toFixed(1)} s`);
}
