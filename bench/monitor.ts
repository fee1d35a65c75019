// The runtime tier's process monitor (lib/monitor), measured as it runs: the real watchCommand on
// the real /proc, in this process.
//
//   detection latency   act → kill, per act (exec, open-and-hold, connect), from the watched
//                        program's own clock (bench/workloads/monlat.c, CLOCK_MONOTONIC)
//   CPU while idling     this process's CPU (process.cpuUsage) over a window while it watches an idle
//                        Node process (~30 descriptors, one TCP connection), in idle mode (a poll
//                        every IDLE_POLL_MS), active mode (every POLL_MS) and with the tree hidden
//                        (watchCommand's timer alone), minus a window with the command running
//                        unwatched; and one Monitor.poll() on that tree, and where its time goes
//   per invocation       the Lambda path (echo runtime, local emulator) direct, behind the bootstrap
//                        in the kernel tier, and in the runtime tier (with and without its polls)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand } from '../lib/launch/index.js';
import { IDLE_POLL_MS, Monitor, POLL_MS, procfs, stdioTargets, watchCommand, type ProcReader, type WatchOptions } from '../lib/monitor/index.js';
import { packageRoot } from '../lib/paths.js';
import { loadProfile, type Profile } from '../lib/profile/index.js';
import { bootstrap, defaultDeps, serveLocally, startEmulator, type InvocationResult, type Logger } from '../lib/runtime/index.js';
import type { TierDecision } from '../lib/tier/index.js';
import { compileMatchers } from '../lib/trace/index.js';
import { fineClock, PY, runtime as echoRuntime } from './lambda.js';
import { fmtSpread, quantile, spread, table, type Spread } from './stats.js';

export const MONITOR_TARGETS = {
  /** Act → kill, p99 (ms). */
  detectP99Ms: 50,
  /** The monitor's CPU while the function idles (idle mode), % of one CPU. */
  idleCpuPercent: 1,
  /** Added per invocation at p50 by the runtime tier, over the runtime alone (ms). */
  addedP50Ms: 0.2,
} as const;

export interface MonitorBenchOptions {
  /** Acts of each kind (exec, open, connect). */
  readonly acts: number;
  /** The CPU windows (s; the timer-alone window is as long as the unwatched one), and how many rounds of them. */
  readonly cpuWindowS: { readonly unwatched: number; readonly idle: number; readonly active: number };
  readonly cpuRounds: number;
  /** Descriptors the idle command holds. */
  readonly idleFds: number;
  /** Back-to-back Monitor.poll() calls timed. */
  readonly polls: number;
  /** Invocations per Lambda run, and rounds of every mode. */
  readonly invocations: number;
  readonly lambdaRounds: number;
  readonly log?: (line: string) => void;
}

export const MONITOR_DEFAULT_OPTIONS: MonitorBenchOptions = { acts: 200, cpuWindowS: { unwatched: 1, idle: 2, active: 1 }, cpuRounds: 5, idleFds: 30, polls: 300, invocations: 300, lambdaRounds: 3 };
export const MONITOR_QUICK_OPTIONS: MonitorBenchOptions = { acts: 50, cpuWindowS: { unwatched: 0.5, idle: 1.5, active: 0.5 }, cpuRounds: 2, idleFds: 30, polls: 100, invocations: 200, lambdaRounds: 1 };

export interface LatencyRow { act: string; n: number; missed: number; failed: number; p50: number; p99: number; max: number }
export interface CpuRow {
  /** timer: idle mode with the tree hidden, i.e. watchCommand's idle timer alone. */
  mode: 'unwatched' | 'idle' | 'active' | 'timer';
  /** This process's CPU over the window, % of one CPU, per round. */
  percent: Spread;
  /** Minus the unwatched window of the same round. */
  added?: Spread;
  pollsPerS?: number;
}
export interface PollCost {
  /** Mean µs of one Monitor.poll() on the idle tree (after the first few). */
  meanUs: number;
  p50Us: number;
  /** Mean µs per poll by ProcReader call: [call, µs, calls per poll]. */
  byCall: [string, number, number][];
  processes: number;
  /** The command's descriptors: all, those on paths (each also lstat'ed), sockets. */
  descriptors: number;
  paths: number;
  sockets: number;
  /** Threads whose children files the walk reads: this process's and the command's. */
  threads: number;
}
export interface LambdaMonitorRow { mode: string; p50: number; p99: number; n: number }
export interface MonitorResults {
  options: Omit<MonitorBenchOptions, 'log'>;
  latency: LatencyRow[] | { missing: string };
  latencyCounts?: Record<string, number>;
  cpu: CpuRow[];
  poll?: PollCost;
  lambda: LambdaMonitorRow[];
  /** Buckets of the TCP established hash: every read(2) of /proc/net/tcp walks them all. */
  tcpHash?: number;
}

/** After the command connected: its start-up done, the monitor's first look at it taken. */
const SETTLE_MS = 200;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

function loadYaml(dir: string, name: string, text: string): Profile {
  const path = join(dir, name);
  writeFileSync(path, text);
  return loadProfile(path).profile;
}

/** A TCP server on 127.0.0.1 that accepts and holds every connection. */
async function holdingServer(): Promise<{ server: Server; port: number; connected: () => Promise<void>; close: () => Promise<void> }> {
  const held = new Set<Socket>();
  let waiting: (() => void)[] = [];
  const server = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
    s.resume();
    for (const w of waiting) w();
    waiting = [];
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    connected: () => new Promise<void>((r) => waiting.push(r)),
    close: () => {
      for (const s of held) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---- detection latency -----------------------------------------------------------------------

function buildMonlat(out: string): string | { missing: string } {
  const find = (name: string): string | undefined => {
    const r = resolveCommand(name);
    return 'path' in r ? r.path : undefined;
  };
  const gcc = find('gcc') ?? find('cc');
  if (!gcc) return { missing: 'n/a (no gcc)' };
  const src = join(packageRoot(), 'bench', 'workloads', 'monlat.c');
  const bin = join(out, 'monlat');
  mkdirSync(out, { recursive: true });
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    const b = spawnSync(gcc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
    if (b.status !== 0) return { missing: `n/a (gcc failed on monlat.c: ${(b.stderr || b.error?.message || '').trim().split('\n')[0]})` };
  }
  return bin;
}

async function latency(o: MonitorBenchOptions, dir: string): Promise<{ rows: LatencyRow[]; counts: Record<string, number> } | { missing: string }> {
  const bin = buildMonlat(join(packageRoot(), 'bench', 'out'));
  if (typeof bin !== 'string') return bin;
  // The exec act runs a copy: the same program under another path, which exec.allow does not name.
  const refused = join(dir, 'monlat-refused');
  copyFileSync(bin, refused);
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'the file files.deny names\n');
  const profile = loadYaml(dir, 'latency.yaml', [
    'version: 1', 'name: bench-monitor-latency', 'default: allow', 'violation: deny', 'weakest_tier: runtime',
    `files:\n  read: ["/**"]\n  write: ["/**"]\n  deny: [${JSON.stringify(secret)}]`,
    `exec:\n  allow: [${JSON.stringify(bin)}]`,
    'network:\n  connect: []',
  ].join('\n') + '\n');
  const srv = await holdingServer();
  const out = join(dir, 'latency.txt');
  try {
    let outcome;
    try {
      outcome = await watchCommand({
        profile,
        command: [bin, out, String(o.acts), String(POLL_MS * 1000), refused, secret, String(srv.port)],
        onReport: () => undefined,
      });
    } catch (e) {
      return { missing: `failed (${(e as Error).message.split('\n')[0]})` };
    }
    if (outcome.code !== 0) return { missing: `failed (monlat: ${outcome.code !== undefined ? `status ${outcome.code}` : `signal ${outcome.signal}`})` };
    const byAct = new Map<string, { ms: number[]; missed: number; failed: number }>();
    for (const line of readFileSync(out, 'utf8').trim().split('\n')) {
      const [act, ns] = line.split(' ') as [string, string];
      for (const key of [act, 'all']) {
        const e = byAct.get(key) ?? { ms: [], missed: 0, failed: 0 };
        byAct.set(key, e);
        const v = Number(ns);
        if (v === -1) e.missed++;
        else if (v < 0) e.failed++;
        else e.ms.push(v / 1e6);
      }
    }
    const rows = ['exec', 'open', 'connect', 'all'].map((act) => {
      const e = byAct.get(act) ?? { ms: [], missed: 0, failed: 0 };
      return {
        act, n: e.ms.length, missed: e.missed, failed: e.failed,
        p50: quantile(e.ms, 0.5), p99: quantile(e.ms, 0.99), max: e.ms.length ? Math.max(...e.ms) : NaN,
      };
    });
    return { rows, counts: { ...outcome.counts } };
  } finally {
    await srv.close();
  }
}

// ---- CPU while the function idles ------------------------------------------------------------

/** A Node process as a Lambda Node handler idles: ~`fds` descriptors, one TCP connection to the caller's server. */
const IDLE_SCRIPT = `
const fs = require('fs'), net = require('net');
const [port, want, ...files] = process.argv.slice(1);
const s = net.connect(Number(port), '127.0.0.1'); s.on('error', () => {});
for (let i = 0; i < files.length && fs.readdirSync('/proc/self/fd').length < Number(want); i++) fs.openSync(files[i], 'r');
setInterval(() => {}, 1 << 30);
`;

/** Distinct files to hold open (the package's own compiled code, as a handler's). */
function codeFiles(n: number): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= n) return;
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.js')) out.push(join(d, e.name));
    }
  };
  walk(join(packageRoot(), 'dist', 'lib'));
  return out;
}

/** A ProcReader that counts (and optionally times) each call. */
function countingReader(timed: boolean): { reader: ProcReader; calls: Map<string, { n: number; ms: number }> } {
  const calls = new Map<string, { n: number; ms: number }>();
  const wrap = <K extends keyof ProcReader>(k: K): ProcReader[K] => {
    const f = procfs[k] as (...a: unknown[]) => unknown;
    const e = { n: 0, ms: 0 };
    calls.set(k, e);
    return ((...a: unknown[]) => {
      e.n++;
      if (!timed) return f(...a);
      const t = performance.now();
      try {
        return f(...a);
      } finally {
        e.ms += performance.now() - t;
      }
    }) as ProcReader[K];
  };
  return {
    reader: { descendants: wrap('descendants'), stat: wrap('stat'), exe: wrap('exe'), liveThreads: wrap('liveThreads'), descriptors: wrap('descriptors'), inet: wrap('inet'), local: wrap('local') },
    calls,
  };
}

async function idleCpu(o: MonitorBenchOptions, dir: string): Promise<{ rows: CpuRow[]; poll: PollCost }> {
  const srv = await holdingServer();
  const profile = loadYaml(dir, 'idle.yaml', [
    'version: 1', 'name: bench-monitor-idle', 'default: allow', 'violation: deny', 'weakest_tier: runtime',
    'files:\n  read: ["/**"]\n  write: ["/tmp/**"]',
    `exec:\n  allow: [${JSON.stringify(process.execPath)}]`,
    'network:\n  connect: []',
  ].join('\n') + '\n');
  const always = [`127.0.0.1:${srv.port}`];
  const command = [process.execPath, '-e', IDLE_SCRIPT, String(srv.port), String(o.idleFds), ...codeFiles(o.idleFds + 10)];
  const findings: string[] = [];

  const per: Record<CpuRow['mode'], { pct: number[]; added: number[]; polls: number; seconds: number }> = {
    unwatched: { pct: [], added: [], polls: 0, seconds: 0 },
    idle: { pct: [], added: [], polls: 0, seconds: 0 },
    active: { pct: [], added: [], polls: 0, seconds: 0 },
    timer: { pct: [], added: [], polls: 0, seconds: 0 },
  };
  /** This process's CPU over `s` seconds, as % of one CPU, into `mode`'s row. */
  const measure = async (mode: CpuRow['mode'], s: number, polls: () => number, base: number): Promise<number> => {
    const c0 = cpuMs();
    const w0 = performance.now();
    const p0 = polls();
    await sleep(s * 1000);
    const wall = performance.now() - w0;
    const pct = ((cpuMs() - c0) / wall) * 100;
    const e = per[mode];
    e.polls += polls() - p0;
    e.seconds += wall / 1000;
    e.pct.push(pct);
    if (mode !== 'unwatched') e.added.push(pct - base);
    return pct;
  };
  const w = o.cpuWindowS;
  for (let r = 0; r < o.cpuRounds; r++) {
    // Unwatched: the command alone, this process idle but for the server.
    let connected = srv.connected();
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
    const ended = new Promise((res) => child.once('exit', res));
    await connected;
    await sleep(SETTLE_MS);
    const base = await measure('unwatched', w.unwatched, () => 0, NaN);
    child.kill('SIGTERM');
    await ended;

    // Watched by watchCommand: idle mode, then active mode (the bootstrap's idle callback, switched),
    // then the timer alone: idle mode with the tree hidden from the monitor (its polls find nothing).
    let phase: 'idle' | 'active' | 'timer' = 'idle';
    const { reader, calls } = countingReader(false);
    const hiding: ProcReader = { ...reader, descendants: (root) => (phase === 'timer' ? [] : reader.descendants(root)) };
    let pid: number | undefined;
    connected = srv.connected();
    const run = watchCommand({
      profile, command, alwaysConnect: always, proc: hiding,
      onReport: (v) => findings.push(v.decision.reason ?? '?'),
      onStart: (p) => { pid = p; },
      idle: () => phase !== 'active',
    });
    await Promise.race([connected, run]);
    await sleep(SETTLE_MS);
    const polls = () => calls.get('descendants')!.n;
    await measure('idle', w.idle, polls, base);
    phase = 'active';
    await measure('active', w.active, polls, base);
    phase = 'timer';
    await measure('timer', w.unwatched, () => 0, base);
    phase = 'idle';
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
    await run;
  }
  if (findings.length) o.log?.(`monitor bench: the idle command drew findings: ${[...new Set(findings)].join('; ')}`);
  const rows: CpuRow[] = (['unwatched', 'timer', 'idle', 'active'] as const).map((mode) => ({
    mode,
    percent: spread(per[mode].pct),
    ...(mode === 'unwatched' ? {} : { added: spread(per[mode].added) }),
    ...(mode === 'idle' || mode === 'active' ? { pollsPerS: per[mode].polls / per[mode].seconds } : {}),
  }));

  // One poll, timed: the same tree, a Monitor built as watchCommand builds it, polled back to back.
  const before = new Map(procfs.descendants(process.pid).flatMap((p) => { const st = procfs.stat(p); return st ? [[p, st.start] as const] : []; }));
  const connected = srv.connected();
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
  const ended = new Promise((r) => child.once('exit', r));
  await connected;
  await sleep(SETTLE_MS);
  const monitorOn = (proc: ProcReader): Monitor => new Monitor({
    matchers: compileMatchers(profile), proc, watch: process.pid, before, root: child.pid!,
    inherited: stdioTargets(), always: new Set(always), audit: false,
    kill: () => findings.push('killed'), onFinding: (f) => findings.push(f.reason),
  });
  const WARM = 5;
  // The mean: procfs itself. The breakdown: another monitor, each reader call timed (a second pass,
  // so that the timing's own cost stays out of the mean).
  const plain = monitorOn(procfs);
  for (let i = 0; i < WARM; i++) await plain.poll();
  const times: number[] = [];
  for (let i = 0; i < o.polls; i++) {
    const t = performance.now();
    await plain.poll();
    times.push((performance.now() - t) * 1e3);
  }
  const { reader, calls } = countingReader(true);
  const timed = monitorOn(reader);
  for (let i = 0; i < WARM; i++) await timed.poll();
  for (const e of calls.values()) { e.n = 0; e.ms = 0; }
  for (let i = 0; i < o.polls; i++) await timed.poll();
  const tree = procfs.descendants(process.pid).filter((p) => !before.has(p));
  const d = procfs.descriptors(child.pid!);
  let fds = 0;
  try {
    fds = readdirSync(`/proc/${child.pid}/fd`).length;
  } catch { /* gone */ }
  const threads = [process.pid, ...tree].reduce((n, p) => {
    try {
      return n + readdirSync(`/proc/${p}/task`).length;
    } catch {
      return n;
    }
  }, 0);
  child.kill('SIGTERM');
  await ended;
  await srv.close();
  const poll: PollCost = {
    meanUs: times.reduce((a, b) => a + b, 0) / times.length,
    p50Us: quantile(times, 0.5),
    byCall: [...calls].map(([k, e]) => [k, (e.ms * 1e3) / o.polls, e.n / o.polls] as [string, number, number]).filter(([, , n]) => n > 0),
    processes: tree.length,
    descriptors: fds,
    paths: d && !('unreadable' in d) ? d.files.length : 0,
    sockets: d && !('unreadable' in d) ? d.sockets.size : 0,
    threads,
  };
  return { rows, poll };
}

// ---- added latency per invocation ------------------------------------------------------------

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));
const forceRuntime = async (): Promise<TierDecision> => ({ tier: 'runtime', why: 'bench', refusals: [] });

/** The runtime talking to the emulator directly. */
async function direct(n: number): Promise<InvocationResult[]> {
  const emulator = await startEmulator({ events: events(n), timeoutMs: 60_000, clock: fineClock });
  const child = spawn(PY, [echoRuntime()], { env: emulator.env(), stdio: 'ignore' });
  const results = await emulator.results;
  child.kill('SIGTERM');
  await emulator.close();
  return results;
}

/** Behind the bootstrap, through serveLocally: the tier the platform gives (kernel here), or the runtime tier forced. */
async function behind(n: number, profile: string, forced: boolean, tiers: Set<string>): Promise<InvocationResult[]> {
  const { results } = await serveLocally({
    emulator: { events: events(n), timeoutMs: 60_000, clock: fineClock },
    env: { SYSCAGE_PROFILE: profile, SYSCAGE_COMMAND: JSON.stringify([PY, echoRuntime()]) },
    deps: { log: tierLog(tiers), ...(forced ? { selectTier: forceRuntime } : {}) },
  });
  return results;
}

/** Notes the tier the bootstrap logs ("syscage: tier X: ..."), drops the rest. */
const tierLog = (tiers: Set<string>): Logger => ({
  log: (_level, message) => {
    const m = /^syscage: tier (\w+)/.exec(message);
    if (m) tiers.add(m[1]!);
  },
  emit: () => undefined,
});

/**
 * The runtime tier with the monitor's polls off (one poll at the start, the next an hour later):
 * serveLocally's wiring (lib/runtime/local.ts), with the watch given pollMs. What the proxy and the
 * bootstrap cost alone, so that the difference to the runtime tier row is the polls'.
 */
async function pollsOff(n: number, profile: string): Promise<InvocationResult[]> {
  const emulator = await startEmulator({ events: events(n), timeoutMs: 60_000, clock: fineClock });
  const env = { ...emulator.env(), SYSCAGE_PROFILE: profile, SYSCAGE_COMMAND: JSON.stringify([PY, echoRuntime()]) };
  const stop = new AbortController();
  let root: number | undefined;
  const kill = () => {
    try {
      if (root !== undefined) process.kill(root, 'SIGTERM');
    } catch { /* gone */ }
  };
  const serving = bootstrap({
    ...defaultDeps(env),
    log: tierLog(new Set()),
    selectTier: forceRuntime,
    watch: (w: WatchOptions) => watchCommand({ ...w, pollMs: 3_600_000, onStart: (pid) => { root = pid; if (stop.signal.aborted) kill(); } }),
    stop: stop.signal,
  });
  try {
    const results = await emulator.resultsBy(serving);
    stop.abort();
    kill();
    await serving;
    return results;
  } finally {
    await emulator.close();
  }
}

async function lambda(o: MonitorBenchOptions, dir: string): Promise<LambdaMonitorRow[]> {
  if (!existsSync(PY)) return [];
  const profile = join(dir, 'lambda.yaml');
  writeFileSync(profile, 'version: 1\nname: bench-monitor-lambda\ndefault: allow\nweakest_tier: runtime\nfiles:\n  read: ["/**"]\nnetwork:\n  connect: []\n');
  const tiers = new Set<string>();
  const modes: [string, (n: number) => Promise<InvocationResult[]>][] = [
    ['runtime alone (direct)', direct],
    ['bootstrap, kernel tier', (n) => behind(n, profile, false, tiers)],
    ['bootstrap, runtime tier, polls off', (n) => pollsOff(n, profile)],
    ['bootstrap, runtime tier', (n) => behind(n, profile, true, new Set())],
  ];
  const durations = new Map<string, number[]>(modes.map(([m]) => [m, []]));
  for (let r = 0; r < o.lambdaRounds; r++) {
    for (const [mode, run] of modes) {
      const results = await run(o.invocations);
      // The first invocation includes the runtime's warm-up: left out.
      durations.get(mode)!.push(...results.slice(1).filter((x) => x.ok).map((x) => x.durationMs));
    }
  }
  const tier = [...tiers].join('/') || '?';
  return modes.map(([mode]) => {
    const d = durations.get(mode)!;
    return { mode: mode === 'bootstrap, kernel tier' ? `bootstrap, ${tier} tier (the platform's)` : mode, p50: quantile(d, 0.5), p99: quantile(d, 0.99), n: d.length };
  });
}

function tcpHash(): number | undefined {
  try {
    const v = Number(readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim());
    return Number.isFinite(v) ? Math.abs(v) : undefined;
  } catch {
    return undefined;
  }
}

// ---- the run and its table -------------------------------------------------------------------

export async function benchMonitor(o: MonitorBenchOptions = MONITOR_DEFAULT_OPTIONS): Promise<MonitorResults> {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-monitor-'));
  const { log, ...options } = o;
  try {
    const t0 = performance.now();
    log?.(`monitor: detection latency (${o.acts} acts of each kind)...`);
    const lat = await latency(o, dir);
    log?.(`monitor: CPU while idle (${o.cpuRounds} rounds of ${o.cpuWindowS.unwatched} s unwatched, ${o.cpuWindowS.idle} s idle mode, ${o.cpuWindowS.active} s active mode, ${o.cpuWindowS.unwatched} s timer alone)...`);
    const cpu = await idleCpu(o, dir);
    log?.(`monitor: per invocation (${o.invocations} invocations × ${o.lambdaRounds} rounds × 4 modes)...`);
    const lam = await lambda(o, dir);
    log?.(`monitor: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return {
      options,
      latency: 'missing' in lat ? lat : lat.rows,
      ...('missing' in lat ? {} : { latencyCounts: lat.counts }),
      cpu: cpu.rows,
      poll: cpu.poll,
      lambda: lam,
      ...(tcpHash() !== undefined ? { tcpHash: tcpHash() } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const ms = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '—');

export function renderMonitor(r: MonitorResults): string {
  const T = MONITOR_TARGETS;
  const out: string[] = [];
  const o = r.options;
  out.push(`## Runtime tier: the process monitor (lib/monitor; polls every ${POLL_MS} ms, every ${IDLE_POLL_MS} ms while idle)\n`);
  out.push('Detection latency: act → kill of a refused act, from the watched program\'s CLOCK_MONOTONIC (just before the act → its waitpid returns), ' +
    `watchCommand on the real /proc, acts ${o.acts} of each kind at random phases of the polls. ` +
    `CPU: this process's CPU (process.cpuUsage) while it watches an idle Node process (~${o.idleFds} descriptors, one TCP connection to a local server), ` +
    `minus a window with the command unwatched in the same round; ${o.cpuRounds} rounds of ${o.cpuWindowS.unwatched} s unwatched, ${o.cpuWindowS.idle} s idle mode, ${o.cpuWindowS.active} s active mode, ${o.cpuWindowS.unwatched} s timer alone; % of one CPU. ` +
    'Added per invocation: the echo runtime behind the bootstrap in the runtime tier (forced; the proxy\'s hop and the monitor\'s polls) against the same runtime talking to the emulator directly, in the same run (bench/README.md).\n');

  const rows: string[][] = [];
  if ('missing' in r.latency) {
    rows.push(['detection latency, act → kill', r.latency.missing, `p99 ≤ ${T.detectP99Ms} ms`, '']);
  } else {
    for (const l of r.latency) {
      const miss = l.missed || l.failed ? `, ${l.missed} missed, ${l.failed} failed` : '';
      rows.push([`detection latency, ${l.act === 'all' ? 'all acts' : l.act} (n=${l.n}${miss})`,
        `p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms`,
        `p99 ≤ ${T.detectP99Ms} ms`,
        `${verdict(l.p99 <= T.detectP99Ms && l.missed === 0 && l.failed === 0)} (${(l.p99 / T.detectP99Ms).toFixed(2)}× target)`]);
    }
  }
  const idle = r.cpu.find((c) => c.mode === 'idle');
  const active = r.cpu.find((c) => c.mode === 'active');
  const timerRow = r.cpu.find((c) => c.mode === 'timer');
  if (idle?.added) {
    rows.push([`monitor CPU, idle mode (polls every ${IDLE_POLL_MS} ms; ${idle.pollsPerS!.toFixed(1)} polls/s)`,
      `${fmtSpread(idle.added, 2)} % of one CPU${timerRow?.added ? ` (the timer alone: ${timerRow.added.median.toFixed(2)} %)` : ''}`, `≤ ${T.idleCpuPercent} %`,
      `${verdict(idle.added.median <= T.idleCpuPercent)} (${(idle.added.median / T.idleCpuPercent).toFixed(2)}× target)`]);
  }
  if (active?.added) {
    rows.push([`monitor CPU, active mode (polls every ${POLL_MS} ms; ${active.pollsPerS!.toFixed(1)} polls/s)`,
      `${fmtSpread(active.added, 2)} % of one CPU`, `(≤ ${T.idleCpuPercent} % is the idle target)`,
      `${(active.added.median / T.idleCpuPercent).toFixed(2)}× the idle target`]);
  }
  if (r.poll) {
    const p = r.poll;
    rows.push([`one Monitor.poll(), back to back (${p.processes} process: ${p.descriptors} descriptors, ${p.paths} on paths, ${p.sockets} socket; ${p.threads} threads' children files)`,
      `mean ${p.meanUs.toFixed(0)} µs, p50 ${p.p50Us.toFixed(0)} µs`,
      '—', `= ${((p.meanUs / 1e3 / POLL_MS) * 100).toFixed(2)} % of a CPU at ${POLL_MS} ms, ${((p.meanUs / 1e3 / IDLE_POLL_MS) * 100).toFixed(2)} % at ${IDLE_POLL_MS} ms`]);
  }
  const direct = r.lambda[0];
  const rt = r.lambda.find((l) => l.mode === 'bootstrap, runtime tier');
  const off = r.lambda.find((l) => l.mode === 'bootstrap, runtime tier, polls off');
  const signed = (v: number, d: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(d)}`;
  if (direct && rt && off) {
    // The target is the monitor's: the runtime tier against itself with the polls off. What the
    // bootstrap's proxy hop adds in every tier is the row after (the kernel tier's is in the table below).
    const added = rt.p50 - off.p50;
    rows.push([`added per invocation by the monitor: runtime tier over the same with its polls off (n=${rt.n})`,
      `p50 ${signed(added, 3)} ms, p99 ${signed(rt.p99 - off.p99, 2)} ms`,
      `p50 ≤ ${T.addedP50Ms} ms`,
      `${verdict(added <= T.addedP50Ms)} (${(Math.max(added, 0) / T.addedP50Ms).toFixed(2)}× target)`]);
    rows.push([`added per invocation by the whole bootstrap in the runtime tier (proxy hop + monitor) over direct`,
      `p50 ${signed(rt.p50 - direct.p50, 3)} ms, p99 ${signed(rt.p99 - direct.p99, 2)} ms`, '—', '']);
  }
  if (!r.lambda.length) rows.push(['added per invocation, runtime tier over direct', `n/a (no ${PY})`, `p50 ≤ ${T.addedP50Ms} ms`, '']);
  out.push(table(['measure', 'value', 'target', 'verdict'], rows));

  if (r.poll) {
    const p = r.poll;
    out.push('');
    out.push(`Where one poll's time goes (µs per poll by /proc reader, a second pass with each call timed; calls per poll): ` +
      p.byCall.map(([k, us, n]) => `${k} ${us.toFixed(0)} µs (${Number.isInteger(n) ? n : n.toFixed(2)}×)`).join(', ') + '.' +
      (r.tcpHash ? ` A poll that sees a socket not checked yet also reads /proc/net/udp, udp6 and tcp until it finds it: every read(2) of tcp walks the whole TCP established hash (${r.tcpHash} buckets here), as the connect act's latency shows.` : ''));
    out.push('');
    const timer = r.cpu.find((c) => c.mode === 'timer')?.added?.median;
    const label: Record<CpuRow['mode'], string> = {
      unwatched: 'not at all (command unwatched)',
      timer: `the timer alone (idle mode, the tree hidden: an empty poll every ${IDLE_POLL_MS} ms)`,
      idle: 'idle mode',
      active: 'active mode',
    };
    out.push(table(['watching the idle command', 'this process\'s CPU, % of one CPU', 'added by the monitor, %', 'polls/s', 'polls\' share (added − timer alone), %', 'µs per poll, in place'],
      r.cpu.map((c) => {
        const share = c.pollsPerS && c.added && timer !== undefined ? c.added.median - timer : undefined;
        return [label[c.mode], fmtSpread(c.percent, 2), c.added ? fmtSpread(c.added, 2) : '—', c.pollsPerS?.toFixed(1) ?? '—',
          share === undefined ? '—' : share < 0 ? `${share.toFixed(2)} (noise: the machine is busy)` : share.toFixed(2),
          share === undefined || share < 0 ? '—' : ((share * 1e4) / c.pollsPerS!).toFixed(0)];
      })));
  }
  if (r.lambda.length) {
    out.push('');
    out.push(table(['per invocation (echo runtime)', 'invocations', 'p50 ms', 'p99 ms', 'added p50 over direct', 'added p99 over direct'],
      r.lambda.map((l) => [l.mode, l.n, l.p50.toFixed(3), l.p99.toFixed(2),
        l === direct ? '—' : `${signed(l.p50 - direct!.p50, 3)} ms`,
        l === direct ? '—' : `${signed(l.p99 - direct!.p99, 2)} ms`])));
  }
  return out.join('\n');
}
