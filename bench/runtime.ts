// Runtime benchmarks of `syscage run`, against running natively, strace's
// seccomp-bpf mode, and mintrace (a minimal C seccomp+ptrace tracer: the
// physical floor of supervision) — and minnotify (the notification backend's
// design in C: each open performed by the supervisor). See bench/README.md.
//
//   filter   getpidloop: getppid M times, never trapped — what the seccomp
//            filter adds to every syscall the kernel decides alone.
//   trap     openloop: openat+close N times, every openat trapped — what one
//            round trip through the supervisor costs.
//   threads  openloop-threads: the same loop with K idle threads (blocked in a
//            futex wait) — what holding the sandbox still (lib/trace/hold.ts:
//            every other task stopped around each checked call) adds per trap.
//            Back to back (one hold lasts across calls in quick succession) and
//            spaced by a sleep (the hold ends when its owner sleeps: every call
//            takes a new one); and spaced with no warm-up: a fresh supervisor's
//            first calls, which its JIT has not compiled yet. Every other loop of
//            checked calls first makes options.warmCalls untimed ones.
//   launch   `syscage run -- /bin/true` wall time, with `node -e 0` and bare
//            /bin/true for reference.
//   rss      the supervisor's peak RSS over the openloop run.
//
// A loop's cost per call is (T(N) − T(1)) / (N − 1): the start-up of the tool
// (Node boot for syscage, the fork/exec of a tracer) cancels out, T(1) being
// the median of a few runs of the same command with one iteration. Every
// measurement runs in two placements: pinned (`taskset -c 0`, supervisor and
// workload on one CPU, the comparison that is not dominated by waking an idle
// vCPU) and default scheduling. Runs of the different tools are interleaved,
// so that a noisy stretch of the machine hits them all.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand } from '../lib/launch/index.js';
import { probeNotify, type Backend } from '../lib/trace/index.js';
import { packageRoot } from '../lib/paths.js';
import { median, spread, type Spread } from './stats.js';

export type Placement = 'pinned' | 'default';
export const PLACEMENTS: readonly Placement[] = ['pinned', 'default'];

export interface RuntimeOptions {
  /** Iterations of getpidloop (default 5e6). */
  readonly getppidCalls: number;
  /** Iterations of openloop (default 20000). */
  readonly openCalls: number;
  /** Idle thread counts K of openloop-threads, calls back to back (default 0, 1, 4, 16). */
  readonly threadCounts: readonly number[];
  /** Iterations of openloop-threads back to back (default 10000). */
  readonly threadOpenCalls: number;
  /** Idle thread counts K of openloop-threads, calls spaced by a sleep (default 0, 8, 16). */
  readonly spacedThreadCounts: readonly number[];
  /** Iterations of the spaced openloop-threads (default 200). */
  readonly spacedOpenCalls: number;
  /** The sleep before each spaced openat (µs, default 500). */
  readonly spacedGapUs: number;
  /**
   * Untimed openat+close pairs, back to back, before the timed ones of every loop of checked calls
   * (default 5000): a supervisor that has run a while, whose JIT has compiled what a checked call
   * runs through — as a C tracer is from its first call. The spaced loop also runs once more
   * without them, at K = 0: the cold row.
   */
  readonly warmCalls: number;
  /** Timed runs per tool and placement of each loop. */
  readonly reps: number;
  /** Runs of the one-iteration baseline. */
  readonly baseReps: number;
  /** Runs of each launch command. */
  readonly launchReps: number;
  /** Runs under /usr/bin/time for the peak RSS. */
  readonly rssReps: number;
  /** Progress lines (stderr). */
  readonly log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: RuntimeOptions = {
  getppidCalls: 5_000_000, openCalls: 20_000, threadCounts: [0, 1, 4, 16], threadOpenCalls: 10_000,
  spacedThreadCounts: [0, 8, 16], spacedOpenCalls: 200, spacedGapUs: 500, warmCalls: 5000,
  reps: 5, baseReps: 3, launchReps: 9, rssReps: 3,
};
export const QUICK_OPTIONS: RuntimeOptions = {
  getppidCalls: 1_000_000, openCalls: 5_000, threadCounts: [0, 16], threadOpenCalls: 2_000,
  spacedThreadCounts: [0, 8], spacedOpenCalls: 100, spacedGapUs: 500, warmCalls: 3000,
  reps: 3, baseReps: 2, launchReps: 5, rssReps: 2,
};

/** One tool in one placement of one loop: per-call costs of each run, or why there are none. */
export interface LoopRow {
  readonly tool: string;
  readonly placement: Placement;
  /** Set when the tool could not be measured: "n/a (no strace)", "failed: ...". */
  readonly unavailable?: string;
  /** Cost of one loop iteration, per run (ns). */
  readonly perCall?: Spread;
  /** perCall minus native's median, per run (ns). */
  readonly added?: Spread;
  /** Fastest run minus native's fastest (ns): noise only ever adds time, so this is the least disturbed estimate. */
  readonly addedBest?: number;
  /** Median per-iteration cost over native's. */
  readonly ratioNative?: number;
  /** Median added cost over strace's median added cost. */
  readonly ratioStrace?: number;
  /** Median added cost over mintrace's (the floor's) median added cost. */
  readonly ratioFloor?: number;
  /** Calls syscage reported as checked, per timed run (median). */
  readonly traps?: number;
  /** openloop-threads: the idle threads K the workload ran with. */
  readonly threads?: number;
  /** openloop-threads: the sleep before each openat (µs; 0: back to back). */
  readonly gapUs?: number;
  /** openloop-threads: the untimed calls made before the timed ones. */
  readonly warm?: number;
  /** openloop-threads: median added cost minus the same tool's at K = 0 (ns): what the K idle threads add per trap. */
  readonly addedOverK0?: number;
  /** openloop-threads: the openat+close pairs timed inside the workload, per iteration, per run (ns) — no start-up to cancel out, no sleeps. */
  readonly inLoop?: Spread;
  /** inLoop minus native's median inLoop, per run (ns). */
  readonly inLoopAdded?: Spread;
  /** Median inLoopAdded minus the same tool's at K = 0 (ns). */
  readonly inLoopOverK0?: number;
}

export interface LaunchRow {
  readonly command: string;
  readonly placement: Placement;
  readonly unavailable?: string;
  readonly ms?: Spread;
}

export interface RssRow {
  readonly process: string;
  readonly placement: Placement;
  readonly unavailable?: string;
  readonly mb?: Spread;
}

export interface RuntimeResults {
  readonly options: Omit<RuntimeOptions, 'log'>;
  readonly tools: Readonly<Record<string, string>>;
  readonly profiles: { readonly filter: string; readonly trap: string; readonly launch: string };
  readonly filter: readonly LoopRow[];
  readonly trap: readonly LoopRow[];
  /** Per-trap cost with K idle threads (openloop-threads), calls back to back, K = options.threadCounts. */
  readonly threads: readonly LoopRow[];
  /** The same with a sleep of options.spacedGapUs before each openat; K = options.spacedThreadCounts. */
  readonly threadsSpaced: readonly LoopRow[];
  /** The spaced loop at K = 0 with no warm-up: the first options.spacedOpenCalls checked calls of a fresh supervisor. */
  readonly spacedCold: readonly LoopRow[];
  readonly launch: readonly LaunchRow[];
  readonly rss: readonly RssRow[];
  readonly seconds: number;
}

// ---------------------------------------------------------------------------
// The environment: which programs exist, the workloads built.

/** A program found as a shell would (lib/launch/resolve.ts), or undefined. */
function findProgram(name: string): string | undefined {
  const r = resolveCommand(name);
  return 'path' in r ? r.path : undefined;
}

interface Env {
  readonly root: string;
  readonly out: string;
  readonly node: string;
  readonly syscage: string;
  readonly taskset?: string;
  readonly time?: string;
  readonly strace?: string;
  /** Why strace cannot be used, when it cannot. */
  readonly straceMissing?: string;
  /** Built workloads, or why there are none. */
  readonly bins: Record<Workload, string> | { missing: string };
  /** Why seccomp user notification cannot be used here (syscage's notify backend, minnotify), when it cannot. */
  readonly notifyMissing?: string;
}

const WORKLOADS = ['getpidloop', 'openloop', 'openloop-threads', 'mintrace', 'minnotify'] as const;
type Workload = (typeof WORKLOADS)[number];

/** gcc -O2 each workload into bench/out/ (again only when its source, or a header beside it, is newer). */
function buildWorkloads(root: string, out: string): Env['bins'] {
  const gcc = findProgram('gcc') ?? findProgram('cc');
  if (!gcc) return { missing: 'n/a (no gcc)' };
  mkdirSync(out, { recursive: true });
  const dir = join(root, 'bench', 'workloads');
  const headers = Math.max(0, ...readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => statSync(join(dir, f)).mtimeMs));
  const built: Record<string, string> = {};
  for (const w of WORKLOADS) {
    const src = join(dir, `${w}.c`);
    const bin = join(out, w);
    if (!existsSync(bin) || statSync(bin).mtimeMs < Math.max(statSync(src).mtimeMs, headers)) {
      const r = spawnSync(gcc, ['-O2', '-pthread', '-o', bin, src], { encoding: 'utf8' });
      if (r.status !== 0) return { missing: `n/a (gcc failed on ${w}.c: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]})` };
    }
    built[w] = bin;
  }
  return built as Record<Workload, string>;
}

function probeEnv(): Env {
  const root = packageRoot();
  const out = join(root, 'bench', 'out');
  const bins = buildWorkloads(root, out);
  const strace = findProgram('strace');
  let straceMissing: string | undefined = strace ? undefined : 'n/a (no strace)';
  if (strace) {
    // --seccomp-bpf needs strace >= 5.3 and a kernel that lets it install a filter.
    const r = spawnSync(strace, ['-f', '--seccomp-bpf', '-e', 'trace=openat', '-o', '/dev/null', '/bin/true'], { encoding: 'utf8' });
    if (r.status !== 0) straceMissing = `n/a (strace --seccomp-bpf: ${(r.stderr || '').trim().split('\n')[0]})`;
  }
  const notify = probeNotify();
  return {
    root, out, bins, strace, straceMissing,
    ...(notify.usable ? {} : { notifyMissing: `n/a (${notify.why})` }),
    node: process.execPath,
    syscage: join(root, 'bin', 'syscage'),
    taskset: findProgram('taskset'),
    time: existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined,
  };
}

// ---------------------------------------------------------------------------
// Running one command.

interface Run {
  readonly ns: number;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function prefix(env: Env, placement: Placement): string[] {
  return placement === 'pinned' ? [env.taskset!, '-c', '0'] : [];
}

function runOnce(argv: readonly string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.error) return { ns, status: null, signal: null, stderr: r.error.message };
  return { ns, status: r.status, signal: r.signal, stderr: r.stderr ?? '' };
}

const failure = (r: Run): string =>
  `failed (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${r.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 120) ?? ''})`;

/** "openloop-threads: calls 123456 ns" (the workload's own timing of its openat+close pairs) */
const loopNsOf = (stderr: string): number | undefined => {
  const m = /openloop-threads: calls (\d+) ns/.exec(stderr);
  return m ? Number(m[1]) : undefined;
};

/** "syscage: 20005 checked calls: …" */
const trapsOf = (stderr: string): number | undefined => {
  const m = /syscage: (\d+) checked calls/.exec(stderr);
  return m ? Number(m[1]) : undefined;
};

// ---------------------------------------------------------------------------
// Loops: per-call cost of a workload under each tool.

interface Tool {
  readonly name: string;
  /** Why it cannot run, or the command line wrapping `workload`. */
  readonly unavailable?: string;
  readonly argv?: (workload: readonly string[]) => string[];
}

function nativeTool(): Tool {
  return { name: 'native', argv: (w) => [...w] };
}

/** syscage under each backend (docs/engine.md, "Two backends"), forced with SYSCAGE_BACKEND: "syscage notify", "syscage ptrace". */
function syscageTools(env: Env, profile: string): Tool[] {
  return (['notify', 'ptrace'] as const satisfies readonly Backend[]).map((b): Tool => b === 'notify' && env.notifyMissing
    ? { name: `syscage ${b}`, unavailable: env.notifyMissing }
    : { name: `syscage ${b}`, argv: (w) => ['/usr/bin/env', `SYSCAGE_BACKEND=${b}`, env.node, env.syscage, 'run', '--profile', profile, '--', ...w] });
}

function straceTool(env: Env): Tool {
  if (env.straceMissing) return { name: 'strace', unavailable: env.straceMissing };
  return { name: 'strace', argv: (w) => [env.strace!, '-f', '--seccomp-bpf', '-e', 'trace=openat', '-o', '/dev/null', ...w] };
}

function mintraceTool(env: Env, name: string, args: readonly string[]): Tool {
  if ('missing' in env.bins) return { name, unavailable: env.bins.missing };
  const bin = env.bins.mintrace;
  return { name, argv: (w) => [bin, ...args, '--', ...w] };
}

/**
 * minnotify: the notification backend's design in C — each openat performed by the supervisor (pin,
 * check, reopen, install: bench/workloads/minnotify.c). Where the kernel lacks user notification, not run.
 */
function minnotifyTool(env: Env, args: readonly string[]): Tool {
  if ('missing' in env.bins) return { name: 'minnotify', unavailable: env.bins.missing };
  if (env.notifyMissing) return { name: 'minnotify', unavailable: env.notifyMissing };
  const bin = env.bins.minnotify;
  return { name: 'minnotify', argv: (w) => [bin, ...args, '--', ...w] };
}

interface LoopSpec {
  readonly workload: Workload;
  readonly extra: readonly string[];
  readonly calls: number;
  readonly tools: readonly Tool[];
  /** The tool whose added cost is the floor (ratioFloor), if any. */
  readonly floor?: string;
}

/** Why nothing can run in this placement, if so. */
function skipReason(env: Env, placement: Placement): string | undefined {
  return 'missing' in env.bins ? env.bins.missing : placement === 'pinned' && !env.taskset ? 'n/a (no taskset)' : undefined;
}

/** A command to time: `argv(n)` runs n iterations of its loop. */
interface Entry {
  readonly key: string;
  readonly argv: (n: number) => string[];
}

/** What the runs of each entry (by key) gave: elapsed ns of the one-iteration and the full runs, trap counts, the loop's own timing, failures. */
interface Tally {
  readonly base: Map<string, number[]>;
  readonly full: Map<string, number[]>;
  readonly traps: Map<string, number[]>;
  readonly loop: Map<string, number[]>;
  readonly failed: Map<string, string>;
}

/** baseReps one-iteration rounds, then reps rounds of `calls` iterations; interleaved, the order rotated on each round. */
function runRounds(entries: readonly Entry[], calls: number, o: RuntimeOptions, label: string, baseReps = o.baseReps): Tally {
  const t: Tally = { base: new Map(), full: new Map(), traps: new Map(), loop: new Map(), failed: new Map() };
  const push = (into: Map<string, number[]>, key: string, v: number) => {
    if (!into.has(key)) into.set(key, []);
    into.get(key)!.push(v);
  };
  const attempt = (e: Entry, n: number, into: Map<string, number[]>) => {
    if (t.failed.has(e.key)) return;
    const r = runOnce(e.argv(n));
    if (r.status !== 0) {
      t.failed.set(e.key, failure(r));
      return;
    }
    push(into, e.key, r.ns);
    if (into !== t.full) return;
    const k = trapsOf(r.stderr);
    if (k !== undefined) push(t.traps, e.key, k);
    const l = loopNsOf(r.stderr);
    if (l !== undefined) push(t.loop, e.key, l);
  };
  const len = entries.length;
  for (let i = 0; i < baseReps; i++) for (let j = 0; j < len; j++) attempt(entries[(i + j) % len]!, 1, t.base);
  for (let i = 0; i < o.reps; i++) {
    for (let j = 0; j < len; j++) attempt(entries[(i + j) % len]!, calls, t.full);
    o.log?.(`  ${label}: round ${i + 1}/${o.reps}`);
  }
  return t;
}

/** One row per tool from a tally; `key` maps a tool's name to its entry's key. Without one-iteration runs, only the in-loop fields. */
function loopRows(tools: readonly Tool[], placement: Placement, tally: Tally, calls: number, floor: string | undefined,
  key: (tool: string) => string = (tool) => tool, more: Partial<LoopRow> = {}): LoopRow[] {
  const rows: LoopRow[] = [];
  const perCall = new Map<string, number[]>();
  for (const t of tools) {
    const b = tally.base.get(key(t.name));
    const f = tally.full.get(key(t.name));
    if (!t.unavailable && b && f) perCall.set(t.name, f.map((ns) => (ns - median(b)) / (calls - 1)));
  }
  const nativeMedian = median(perCall.get('native') ?? []);
  const nativeBest = Math.min(...(perCall.get('native') ?? [NaN]));
  const addedOf = (name: string) => (perCall.get(name) ?? []).map((x) => x - nativeMedian);
  const straceAdded = median(addedOf('strace'));
  const floorAdded = floor ? median(addedOf(floor)) : NaN;
  const inLoopOf = (name: string) => (tally.loop.get(key(name)) ?? []).map((ns) => ns / calls);
  const nativeInLoop = median(inLoopOf('native'));
  for (const t of tools) {
    const unavailable = t.unavailable ?? tally.failed.get(key(t.name));
    const pc = perCall.get(t.name);
    const inLoop = inLoopOf(t.name);
    if (unavailable || (!pc && !inLoop.length)) {
      rows.push({ tool: t.name, placement, unavailable: unavailable ?? 'n/a', ...more });
      continue;
    }
    const added = addedOf(t.name);
    const ratio = (x: number) => (Number.isFinite(x) && x > 0 ? median(added) / x : undefined);
    const traps = tally.traps.get(key(t.name));
    const inLoopAdded = inLoop.map((x) => x - nativeInLoop);
    const wall = pc && t.name !== 'native';
    rows.push({
      tool: t.name, placement,
      perCall: pc && spread(pc),
      added: wall ? spread(added) : undefined,
      addedBest: wall ? Math.min(...pc) - nativeBest : undefined,
      ratioNative: pc && median(pc) / nativeMedian,
      ratioStrace: wall && t.name !== 'strace' ? ratio(straceAdded) : undefined,
      ratioFloor: wall && t.name !== floor ? ratio(floorAdded) : undefined,
      traps: traps ? median(traps) : undefined,
      inLoop: inLoop.length ? spread(inLoop) : undefined,
      inLoopAdded: t.name !== 'native' && inLoop.length && Number.isFinite(nativeInLoop) ? spread(inLoopAdded) : undefined,
      ...more,
    });
  }
  return rows;
}

function measureLoop(env: Env, spec: LoopSpec, o: RuntimeOptions): LoopRow[] {
  const rows: LoopRow[] = [];
  for (const placement of PLACEMENTS) {
    const skip = skipReason(env, placement);
    if (skip) {
      for (const t of spec.tools) rows.push({ tool: t.name, placement, unavailable: t.unavailable ?? skip });
      continue;
    }
    const bin = (env.bins as Record<Workload, string>)[spec.workload];
    const entries = spec.tools.filter((t) => !t.unavailable)
      .map((t): Entry => ({ key: t.name, argv: (n) => [...prefix(env, placement), ...t.argv!([bin, String(n), ...spec.extra])] }));
    const tally = runRounds(entries, spec.calls, o, `${spec.workload} ${placement}`);
    rows.push(...loopRows(spec.tools, placement, tally, spec.calls, spec.floor));
  }
  return rows;
}

interface ThreadsSpec {
  readonly counts: readonly number[];
  readonly calls: number;
  /** Sleep before each openat (µs), 0 for none. */
  readonly gapUs: number;
  /** Untimed calls before the timed ones. */
  readonly warm: number;
  /** With the one-iteration runs for T(N) − T(1); without, only the workload's own timing (in-loop). */
  readonly wall: boolean;
  readonly path: string;
  readonly tools: readonly Tool[];
}

/**
 * openloop-threads with each K of spec.counts: every (K, tool) pair is one
 * entry of the same interleaved rounds, so a noisy stretch hits every K alike;
 * per-call costs and "added" are computed per K, against native with the same K.
 */
function measureThreads(env: Env, spec: ThreadsSpec, o: RuntimeOptions): LoopRow[] {
  const { counts, calls, gapUs, warm, wall, path, tools } = spec;
  const rows: LoopRow[] = [];
  const key = (k: number) => (tool: string) => `${tool} K=${k}`;
  for (const placement of PLACEMENTS) {
    const skip = skipReason(env, placement);
    if (skip) {
      for (const k of counts) for (const t of tools) rows.push({ tool: t.name, placement, unavailable: t.unavailable ?? skip, threads: k, gapUs });
      continue;
    }
    const bin = (env.bins as Record<Workload, string>)['openloop-threads'];
    const entries = counts.flatMap((k) => tools.filter((t) => !t.unavailable)
      .map((t): Entry => ({ key: key(k)(t.name), argv: (n) => [...prefix(env, placement), ...t.argv!([bin, String(n), path, String(k), String(gapUs), String(warm)])] })));
    const what = `openloop-threads${gapUs ? ` spaced ${gapUs} µs` : ''}${gapUs && !warm ? ' cold' : ''} ${placement}`;
    const tally = runRounds(entries, calls, o, what, wall ? o.baseReps : 0);
    const perK = counts.map((k) => loopRows(tools, placement, tally, calls, undefined, key(k), { threads: k, gapUs, warm }));
    // What the idle threads add: each row's median added cost over the same tool's at K = 0.
    const k0 = perK[counts.indexOf(0)] ?? [];
    for (const row of perK.flat()) {
      const zero = k0.find((r) => r.tool === row.tool);
      if (!zero || row.threads === 0) {
        rows.push(row);
        continue;
      }
      rows.push({
        ...row,
        addedOverK0: row.added && zero.added ? row.added.median - zero.added.median : undefined,
        inLoopOverK0: row.inLoopAdded && zero.inLoopAdded ? row.inLoopAdded.median - zero.inLoopAdded.median : undefined,
      });
    }
  }
  return rows;
}
// ---------------------------------------------------------------------------
// Launch and memory.

function measureLaunch(env: Env, profile: string, o: RuntimeOptions): LaunchRow[] {
  const commands: { name: string; argv: string[] }[] = [
    { name: '/bin/true', argv: ['/bin/true'] },
    { name: 'node -e 0', argv: [env.node, '-e', '0'] },
    { name: 'syscage run --profile bench-small -- /bin/true', argv: [env.node, env.syscage, 'run', '--profile', profile, '--', '/bin/true'] },
  ];
  const rows: LaunchRow[] = [];
  for (const placement of PLACEMENTS) {
    if (placement === 'pinned' && !env.taskset) {
      for (const c of commands) rows.push({ command: c.name, placement, unavailable: 'n/a (no taskset)' });
      continue;
    }
    const times = new Map<string, number[]>(commands.map((c) => [c.name, []]));
    const failed = new Map<string, string>();
    // One unmeasured run of each first: page cache, and Node's compile cache.
    for (const c of commands) runOnce([...prefix(env, placement), ...c.argv]);
    for (let i = 0; i < o.launchReps; i++) {
      for (const c of commands) {
        if (failed.has(c.name)) continue;
        const r = runOnce([...prefix(env, placement), ...c.argv]);
        if (r.status !== 0) failed.set(c.name, failure(r));
        else times.get(c.name)!.push(r.ns / 1e6);
      }
    }
    for (const c of commands) {
      const f = failed.get(c.name);
      rows.push(f ? { command: c.name, placement, unavailable: f } : { command: c.name, placement, ms: spread(times.get(c.name)!) });
    }
  }
  return rows;
}

/** Peak RSS (MB) of a command and its reaped descendants: /usr/bin/time -f %M (ru_maxrss, the largest of them). */
function measureRss(env: Env, trapProfile: string, o: RuntimeOptions): RssRow[] {
  const bins = env.bins;
  const commands: { name: string; argv?: string[]; missing?: string }[] = [
    'missing' in bins
      ? { name: `syscage run (openloop ${o.openCalls})`, missing: bins.missing }
      : { name: `syscage run (openloop ${o.openCalls})`, argv: [env.node, env.syscage, 'run', '--profile', trapProfile, '--', bins.openloop, String(o.openCalls)] },
    { name: 'node -e 0 (reference)', argv: [env.node, '-e', '0'] },
  ];
  const rows: RssRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-'));
  try {
    for (const placement of PLACEMENTS) {
      for (const c of commands) {
        const why = c.missing ?? (!env.time ? 'n/a (no /usr/bin/time)' : placement === 'pinned' && !env.taskset ? 'n/a (no taskset)' : undefined);
        if (why) {
          rows.push({ process: c.name, placement, unavailable: why });
          continue;
        }
        const mb: number[] = [];
        let fail: string | undefined;
        for (let i = 0; i < o.rssReps && !fail; i++) {
          const file = join(dir, `rss-${i}`);
          const r = runOnce([...prefix(env, placement), env.time!, '-f', '%M', '-o', file, ...c.argv!]);
          if (r.status !== 0) fail = failure(r);
          else mb.push(Number(readFileSync(file, 'utf8').trim().split('\n').pop()) / 1024);
        }
        rows.push(fail ? { process: c.name, placement, unavailable: fail } : { process: c.name, placement, mb: spread(mb) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------

/** The benchmark profiles (bench/profiles/). */
export function benchProfiles(root = packageRoot()): RuntimeResults['profiles'] {
  const p = (f: string) => join(root, 'bench', 'profiles', f);
  return { filter: p('largest.yaml'), trap: p('largest.yaml'), launch: p('small.yaml') };
}

export function benchRuntime(o: RuntimeOptions = DEFAULT_OPTIONS): RuntimeResults {
  const t0 = Date.now();
  const env = probeEnv();
  const profiles = benchProfiles(env.root);
  o.log?.('runtime: filter cost (getpidloop)');
  const filter = measureLoop(env, {
    workload: 'getpidloop', extra: [], calls: o.getppidCalls,
    tools: [nativeTool(), ...syscageTools(env, profiles.filter), straceTool(env), mintraceTool(env, 'mintrace', ['-n'])],
  }, o);
  o.log?.('runtime: per-trap cost (openloop)');
  // mintrace with its full path check, allowing what the loader and the loop open: the floor.
  const allow = ['/etc/passwd', '/etc/ld.so.cache', '/etc/ld.so.preload', '/lib', '/lib64', '/usr/lib'].flatMap((p) => ['-a', p]);
  const trap = measureLoop(env, {
    workload: 'openloop', extra: ['/etc/passwd', String(o.warmCalls)], calls: o.openCalls, floor: 'mintrace',
    tools: [nativeTool(), ...syscageTools(env, profiles.trap), straceTool(env), mintraceTool(env, 'mintrace', ['-q', ...allow]), mintraceTool(env, 'mintrace -n', ['-n']),
      minnotifyTool(env, ['-q', ...allow])],
  }, o);
  // mintrace follows threads too (TRACECLONE), and holds nothing: the floor in the same conditions.
  // minnotify holds nothing either: the notification backend's design in C.
  const threadTools = [nativeTool(), ...syscageTools(env, profiles.trap), straceTool(env), mintraceTool(env, 'mintrace', ['-q', ...allow]), minnotifyTool(env, ['-q', ...allow])];
  o.log?.(`runtime: per-trap cost with K idle threads, back to back (openloop-threads, K = ${o.threadCounts.join(', ')})`);
  const threads = measureThreads(env, { counts: o.threadCounts, calls: o.threadOpenCalls, gapUs: 0, warm: o.warmCalls, wall: true, path: '/etc/passwd', tools: threadTools }, o);
  const spaced = { calls: o.spacedOpenCalls, gapUs: o.spacedGapUs, wall: false, path: '/etc/passwd', tools: threadTools };
  o.log?.(`runtime: per-trap cost with K idle threads, spaced by ${o.spacedGapUs} µs (openloop-threads, K = ${o.spacedThreadCounts.join(', ')})`);
  const threadsSpaced = measureThreads(env, { ...spaced, counts: o.spacedThreadCounts, warm: o.warmCalls }, o);
  o.log?.(`runtime: the same at K = 0 with no warm-up: a fresh supervisor's first ${o.spacedOpenCalls} checked calls`);
  const spacedCold = measureThreads(env, { ...spaced, counts: [0], warm: 0 }, o);
  o.log?.('runtime: launch');
  const launch = measureLaunch(env, profiles.launch, o);
  o.log?.('runtime: peak RSS');
  const rss = measureRss(env, profiles.trap, o);
  const { log: _log, ...options } = o;
  const tools: Record<string, string> = {
    gcc: 'missing' in env.bins ? env.bins.missing : 'ok',
    strace: env.straceMissing ?? env.strace!,
    taskset: env.taskset ?? 'n/a (no taskset)',
    time: env.time ?? 'n/a (no /usr/bin/time)',
  };
  return { options, tools, profiles, filter, trap, threads, threadsSpaced, spacedCold, launch, rss, seconds: (Date.now() - t0) / 1000 };
}
