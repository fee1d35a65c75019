// Cold start and memory (the issue's targets), every function started as its own processes, as
// Lambda starts them, behind the local Runtime API emulator (lib/runtime/emulator.ts, in the bench
// process) — nothing of syscage runs in the bench process here:
//
//   (a)  direct      the runtime alone: the layer's Node.js running aws-lambda-ric with an echoing
//                    handler (test/fixtures/platform/handler.mjs); without ric or the layer's Node.js,
//                    /usr/bin/python3 running test/fixtures/invoke/echo-runtime.py
//   (b)  kernel      `<node> --max-semi-space-size=1 dist/bundle/cli/entry.js bootstrap`, what the layer's
//                    /opt/bootstrap execs (lib/runtime/layer.ts)
//                    (the layer's Node.js when there is one), as root outside the simulator: the
//                    kernel tier (tracer thread, stage-2, seccomp filter, ptrace)
//   (a′) direct-sim  (a) under the platform simulator (test/platform/simulate.mjs --variant nnp0): the
//                    reference for (c), so that the simulator's own start (a Node.js process that
//                    loads dist/, installs its filter, becomes uid 993, then execs) cancels out
//   (c)  runtime     (b) under the simulator: the runtime tier (the process monitor, the seatbelt)
//
// Both bootstraps read $LAMBDA_TASK_ROOT/syscage.yaml: `extends: [lambda-nodejs]` (the echo
// runtime: `[python]`) plus where this checkout, the task root and the layer's Node.js live, as
// test/platform/memory.test.ts writes it. Each run gets a fresh emulator with N events; then:
//
//   cold start   spawn → the first /next reaching the emulator (its hand-out time), one per run
//   per invoke   the emulator's /next handed out → response received, each run's first left out
//   memory       every `sampleMs` the process tree (/proc/PID/task/TID/children, every thread: the
//                kernel tier's stage-2 is the tracer thread's child) and each process's RssAnon,
//                RssFile and VmRSS from /proc/PID/status; per process its peaks, per sample the
//                tree's sums (peaks of those); at the end (after the N invocations, before the
//                stop) VmHWM of each process, and the tree's Pss from /proc/PID/smaps_rollup
//                (shared file pages split among the processes that map them, not counted twice)
//
// In the same rounds, spawn → exit of `node -e 0` (the bench's Node.js and the layer's) and of
// `syscage run --profile bench/profiles/small.yaml -- /bin/true` (bin/syscage on the bench's
// Node.js): the references every time target is a ratio to. Modes and references interleaved, the
// order rotated each round, after one uncounted warm-up of each.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../lib/paths.js';
import { BOOTSTRAP_ENTRY, BOOTSTRAP_NODE_FLAGS, startEmulator, type InvocationResult } from '../lib/runtime/index.js';
import { fineClock, PY } from './lambda.js';
import { fmtSpread, quantile, spread, table, type Spread } from './stats.js';

export const COLDSTART_TARGETS = {
  /** Kernel tier: (b) − (a), medians, over `node -e 0` of the Node.js that runs the bootstrap. */
  kernelAddedColdX: 1.0,
  /** Kernel tier: `syscage run -- /bin/true` over `node -e 0` of the Node.js that runs it. */
  runX: 1.5,
  /** Kernel tier: the bootstrap's peak RssAnon (MiB). */
  kernelAnonMiB: 25,
  /** Runtime tier: (c) − (a′), medians, over `node -e 0` of the Node.js that runs the bootstrap. */
  runtimeAddedColdX: 0.3,
  /** Runtime tier: the bootstrap's peak RssAnon (MiB). */
  runtimeAnonMiB: 12,
  /** Per invocation: p50 over the runtime alone's (ms), either tier. */
  addedP50Ms: 0.5,
} as const;

export interface ColdstartOptions {
  /** Rounds: every mode once per round (N invocations each), the references refReps times. */
  readonly rounds: number;
  /** Invocations per run (N). */
  readonly invocations: number;
  /** Runs of each reference command per round. */
  readonly refReps: number;
  /** The memory sampling period (ms). */
  readonly sampleMs: number;
  /** 'echo': the echo runtime even where aws-lambda-ric and the layer's Node.js are present. */
  readonly runtime?: 'auto' | 'echo';
  readonly log?: (line: string) => void;
}

export const COLDSTART_DEFAULT_OPTIONS: ColdstartOptions = { rounds: 20, invocations: 200, refReps: 2, sampleMs: 20 };
export const COLDSTART_QUICK_OPTIONS: ColdstartOptions = { rounds: 7, invocations: 200, refReps: 3, sampleMs: 20 };

export type ColdMode = 'direct' | 'kernel' | 'direct-sim' | 'runtime';
export const COLD_MODES: readonly ColdMode[] = ['direct', 'kernel', 'direct-sim', 'runtime'];
const MODE_LABEL: Record<ColdMode, string> = {
  direct: '(a) runtime alone',
  kernel: '(b) syscage bootstrap, kernel tier',
  'direct-sim': '(a′) runtime alone under the simulator (nnp0)',
  runtime: '(c) syscage bootstrap under the simulator (nnp0), runtime tier',
};
const SHORT: Record<ColdMode, string> = { direct: '(a)', kernel: '(b)', 'direct-sim': '(a′)', runtime: '(c)' };
/** The tier each bootstrap mode must log; the reference each mode is compared with. */
const EXPECTED_TIER: Partial<Record<ColdMode, string>> = { kernel: 'kernel', runtime: 'runtime' };
const REFERENCE: Partial<Record<ColdMode, ColdMode>> = { kernel: 'direct', runtime: 'direct-sim' };

type Role = 'supervisor' | 'handler' | 'stage-2' | 'other';
const ROLES: readonly Role[] = ['supervisor', 'handler', 'stage-2', 'other'];

/** One role's memory in one run (KiB): the highest of its processes' peaks. */
export interface RoleMemory { anonKb: number; fileKb: number; rssKb: number; hwmKb: number; processes: number }
export interface TreeMemory {
  /** Peaks over the samples of the tree's sums (KiB). */
  anonKb: number;
  rssKb: number;
  /** At the end, summed over the tree (KiB). */
  pssAnonKb: number;
  pssFileKb: number;
  pssKb: number;
  samples: number;
}
export interface ColdRun {
  /** Spawn → first /next (ms); NaN when the first invocation failed. */
  coldMs: number;
  /** Per-invocation durations of the run's invocations but the first (ms), those that succeeded. */
  durations: number[];
  failed: number;
  tier?: string;
  roles: Partial<Record<Role, RoleMemory>>;
  tree: TreeMemory;
  /** Every process seen: "role: command". */
  processes: string[];
  /** Why the run went wrong, if it did. */
  problem?: string;
}

export interface ColdModeRow {
  mode: ColdMode;
  label: string;
  /** Why this mode was not run. */
  unavailable?: string;
  runs: number;
  cold?: Spread;
  coldRuns: number[];
  n: number;
  failed: number;
  p50?: number;
  p99?: number;
  tiers: string[];
  /** Per role, per run: peak RssAnon / RssFile / VmRSS, VmHWM at the end (MiB). */
  roles: Partial<Record<Role, { anon: Spread; file: Spread; rss: Spread; hwm: Spread }>>;
  tree?: { anon: Spread; rss: Spread; pssAnon: Spread; pssFile: Spread; pss: Spread };
  processes: string[];
  problems: string[];
}

export interface RefResult { key: string; what: string; ms?: Spread; runs: number[]; failed?: string }

export interface ColdstartResults {
  options: Omit<ColdstartOptions, 'log'>;
  /** What ran: the runtime, the Node.js versions, why a part was skipped. */
  setup: {
    runtime: string;
    bootstrapNode: string;
    benchNode: string;
    layerNode: string;
    notes: string[];
  };
  refs: RefResult[];
  modes: ColdModeRow[];
  seconds: number;
}

const KiB = 1024;
const mib = (kb: number): number => kb / KiB;
const quote = (s: string): string => JSON.stringify(s);
/** /a/b/c → /a, /a/b: the directories Node's module resolution looks at. */
const ancestors = (p: string): string[] => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'));
/** The bench's environment, minus NODE_OPTIONS (a loader of a test runner, a debugger: not the function's). */
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));

// ---------------------------------------------------------------------------
// Setup: which runtime, which Node.js, the task root and its profile.

interface Setup {
  readonly root: string;
  readonly base: string;
  readonly task: string;
  /** The handler command, and the file that names it in a command line. */
  readonly command: string[];
  readonly handlerFile: string;
  readonly runtime: string;
  readonly bootNode: string;
  readonly layerNode?: string;
  readonly argv: Partial<Record<ColdMode, string[]>>;
  readonly skip: Partial<Record<ColdMode, string>>;
  readonly notes: string[];
}

/** The layer's node (scripts/build-layer.mjs --node-only test/.node, cached there), or why there is none. */
function findLayerNode(root: string): { path: string } | { missing: string } {
  try {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'build-layer.mjs'), '--arch', process.arch === 'arm64' ? 'arm64' : 'x86_64', '--node-only', join(root, 'test', '.node')], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(),
    });
    return { path: resolve(root, out.trim().split('\n').pop()!) };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { missing: `the layer's Node.js cannot be fetched: ${(err.stderr || err.message).trim().split('\n').pop()}` };
  }
}

const versionOf = (node: string): string => {
  try {
    return execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8', env: cleanEnv() }).trim();
  } catch {
    return '?';
  }
};

function setup(o: ColdstartOptions): Setup | { missing: string; notes: string[]; layerNode?: string } {
  const root = packageRoot();
  const notes: string[] = [];
  const entry = join(root, BOOTSTRAP_ENTRY);
  const simulate = join(root, 'test', 'platform', 'simulate.mjs');
  const ric = join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
  const echo = join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py');
  const layer = findLayerNode(root);
  const layerNode = 'path' in layer ? layer.path : undefined;
  if (!layerNode) notes.push(`${(layer as { missing: string }).missing}: the bootstraps run on the bench's Node.js (${process.version}) instead`);
  if (!existsSync(entry)) return { missing: 'n/a (dist/ is not built: npm run build)', notes };

  let useRic = o.runtime !== 'echo';
  if (useRic && !existsSync(ric)) {
    notes.push('aws-lambda-ric is not installed (scripts/install-ric.sh): the echo runtime (Python) stands in for it');
    useRic = false;
  }
  if (useRic && !layerNode) {
    notes.push('aws-lambda-ric runs on the layer\'s Node.js, which is missing: the echo runtime (Python) stands in for it');
    useRic = false;
  }
  if (o.runtime === 'echo') notes.push('the echo runtime was asked for (options.runtime = echo)');
  if (!useRic && !existsSync(PY)) return { missing: `n/a (neither aws-lambda-ric on the layer's Node.js nor ${PY} for the echo runtime)`, notes, layerNode };

  // Under the simulator the function runs as uid 993: everything it reads must be world-readable.
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-bench-coldstart-')));
  chmodSync(base, 0o755);
  const task = join(base, 'task');
  mkdirSync(task);
  chmodSync(task, 0o755);
  const bootNode = layerNode ?? process.execPath;
  let command: string[];
  let handlerFile: string;
  let runtime: string;
  const read = [`${root}/**`, ...ancestors(root), `${base}/**`, ...ancestors(base)];
  if (useRic) {
    copyFileSync(join(root, 'test', 'fixtures', 'platform', 'handler.mjs'), join(task, 'handler.mjs'));
    chmodSync(join(task, 'handler.mjs'), 0o644);
    command = [layerNode!, ric];
    handlerFile = ric;
    runtime = `aws-lambda-ric (test/.ric) on the layer's Node.js ${versionOf(layerNode!)}, handler test/fixtures/platform/handler.mjs (echo)`;
    read.push(`${dirname(dirname(layerNode!))}/**`, '/usr/lib/**');
    writeFileSync(join(task, 'syscage.yaml'), [
      'version: 1',
      'name: bench-coldstart-node',
      'extends: [lambda-nodejs]',
      `command: [${command.map(quote).join(', ')}]`,
      `seatbelts: { native: [${quote(join(dirname(ric), '**'))}] }`,
      `files: { read: [${[...new Set(read)].map(quote).join(', ')}] }`,
    ].join('\n') + '\n', { mode: 0o644 });
  } else {
    command = [PY, echo];
    handlerFile = echo;
    const v = (() => { try { return execFileSync(PY, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).trim(); } catch { return '?'; } })();
    runtime = `the echo runtime (test/fixtures/invoke/echo-runtime.py) on ${PY} ${v}: NOT aws-lambda-ric`;
    // The shipped profile is Amazon Linux's layout: this machine's library directories too (as bench/seatbelt.ts).
    read.push('/usr/local/lib/python3*/**', '/usr/lib/**', '/lib/**', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/ld.so.conf.d/**');
    writeFileSync(join(task, 'syscage.yaml'), [
      'version: 1',
      'name: bench-coldstart-python',
      'extends: [python]',
      `command: [${command.map(quote).join(', ')}]`,
      `files: { read: [${[...new Set(read)].map(quote).join(', ')}] }`,
    ].join('\n') + '\n', { mode: 0o644 });
  }
  const bootstrap = [bootNode, ...BOOTSTRAP_NODE_FLAGS, entry, 'bootstrap'];
  const sim = (argv: string[]) => [process.execPath, simulate, '--variant', 'nnp0', '--', ...argv];
  const skip: Setup['skip'] = {};
  if (process.getuid?.() !== 0) {
    const why = 'n/a (not root: the platform simulator installs a filter without no_new_privs and switches to uid 993)';
    skip['direct-sim'] = why;
    skip.runtime = why;
  }
  return {
    root, base, task, command, handlerFile, runtime, bootNode, layerNode, notes, skip,
    argv: { direct: command, kernel: bootstrap, 'direct-sim': sim(command), runtime: sim(bootstrap) },
  };
}

// ---------------------------------------------------------------------------
// The process tree and its memory.

/** A /proc file, or undefined when the process is gone. */
function procRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Children of every thread of pid (a Worker's children hang under its own thread). */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const c = procRead(`/proc/${pid}/task/${tid}/children`);
    if (c) for (const w of c.split(' ')) if (w.trim()) out.push(Number(w));
  }
  return out;
}

function treeOf(root: number): number[] {
  const seen: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.shift()!;
    if (seen.includes(p)) continue;
    seen.push(p);
    todo.push(...childrenOf(p));
  }
  return seen;
}

const kbField = (status: string, name: string): number => {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
};

interface ProcPeak { role: Role; cmd: string; anonKb: number; fileKb: number; rssKb: number; hwmKb: number }

/** Samples one run's process tree; the simulator (before it execs) is the harness's, never counted. */
class TreeSampler {
  /** Per process and role ("pid role": a process that execs, stage-2 → handler, starts a new entry). */
  readonly peaks = new Map<string, ProcPeak>();
  tree: TreeMemory = { anonKb: 0, rssKb: 0, pssAnonKb: 0, pssFileKb: 0, pssKb: 0, samples: 0 };
  constructor(private readonly root: number, private readonly mode: ColdMode, private readonly handlerFile: string) {}

  /** The root's command line, once read. */
  private rootArgv: string | undefined;

  /**
   * Left out: the simulator (before it execs), and a child between posix_spawn's vfork and its exec,
   * which shares its parent's memory (and shows its command line): counted, it would count the
   * parent twice.
   */
  private role(pid: number, argv: string[]): Role | 'not counted' {
    if (argv[1]?.endsWith('simulate.mjs')) return 'not counted';
    if (pid === this.root) this.rootArgv ??= argv.join('\0');
    else if (argv.join('\0') === this.rootArgv) return 'not counted';
    if (pid === this.root && (this.mode === 'kernel' || this.mode === 'runtime') && argv.some((a) => a.endsWith('entry.js'))) return 'supervisor';
    if (argv.some((a) => a.endsWith('stage2.js'))) return 'stage-2';
    if (argv.includes(this.handlerFile)) return 'handler';
    return 'other';
  }

  /** The tree's pids and roles now, without what is not counted. */
  private members(): { pid: number; role: Role; argv: string[]; status: string }[] {
    const out: { pid: number; role: Role; argv: string[]; status: string }[] = [];
    for (const pid of treeOf(this.root)) {
      const status = procRead(`/proc/${pid}/status`);
      const argv = (procRead(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
      if (!status || !argv.length) continue; // gone, or a zombie
      const role = this.role(pid, argv);
      if (role !== 'not counted') out.push({ pid, role, argv, status });
    }
    return out;
  }

  sample(): void {
    const members = this.members();
    if (!members.length) return;
    let anon = 0;
    let rss = 0;
    for (const { pid, role, argv, status } of members) {
      const a = kbField(status, 'RssAnon');
      const f = kbField(status, 'RssFile');
      const r = kbField(status, 'VmRSS');
      anon += a;
      rss += r;
      const key = `${pid} ${role}`;
      const p = this.peaks.get(key);
      const cmd = argv.map((x) => x.split('/').pop()).join(' ').slice(0, 60);
      const hwmKb = kbField(status, 'VmHWM');
      if (!p) this.peaks.set(key, { role, cmd, anonKb: a, fileKb: f, rssKb: r, hwmKb });
      else this.peaks.set(key, { role, cmd, anonKb: Math.max(p.anonKb, a), fileKb: Math.max(p.fileKb, f), rssKb: Math.max(p.rssKb, r), hwmKb });
    }
    this.tree = { ...this.tree, anonKb: Math.max(this.tree.anonKb, anon), rssKb: Math.max(this.tree.rssKb, rss), samples: this.tree.samples + 1 };
  }

  /** At the end: the tree's proportional set size (smaps_rollup). */
  pss(): void {
    let pa = 0;
    let pf = 0;
    let p = 0;
    for (const { pid } of this.members()) {
      const s = procRead(`/proc/${pid}/smaps_rollup`) ?? '';
      pa += kbField(s, 'Pss_Anon');
      pf += kbField(s, 'Pss_File');
      p += kbField(s, 'Pss');
    }
    this.tree = { ...this.tree, pssAnonKb: pa, pssFileKb: pf, pssKb: p };
  }

  roles(): Partial<Record<Role, RoleMemory>> {
    const out: Partial<Record<Role, RoleMemory>> = {};
    for (const p of this.peaks.values()) {
      const r = out[p.role];
      out[p.role] = r
        ? { anonKb: Math.max(r.anonKb, p.anonKb), fileKb: Math.max(r.fileKb, p.fileKb), rssKb: Math.max(r.rssKb, p.rssKb), hwmKb: Math.max(r.hwmKb, p.hwmKb), processes: r.processes + 1 }
        : { anonKb: p.anonKb, fileKb: p.fileKb, rssKb: p.rssKb, hwmKb: p.hwmKb, processes: 1 };
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// One run of a mode.

function killTree(pids: readonly number[], pgid: number | undefined): void {
  if (pgid !== undefined) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

async function runMode(s: Setup, mode: ColdMode, n: number, sampleMs: number): Promise<ColdRun> {
  const argv = s.argv[mode]!;
  const emulator = await startEmulator({
    events: Array.from({ length: n }, (_, i) => ({ n: i })), taskRoot: s.task, handler: 'handler.handler', timeoutMs: 60_000, clock: fineClock,
  });
  const env: NodeJS.ProcessEnv = { ...emulator.env(), LAMBDA_TASK_ROOT: s.task, AWS_LAMBDA_LOG_FORMAT: 'JSON', HOME: '/tmp' };
  let output = '';
  const keep = (d: Buffer) => {
    if (output.length < 256 * 1024) output += d.toString();
  };
  const t0 = fineClock.now();
  // Its own process group (detached): whatever is left at the end is killed with it.
  const child = spawn(argv[0]!, argv.slice(1), { cwd: s.task, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: string | undefined;
  const exited = new Promise<string>((res) => {
    child.once('exit', (code, signal) => res(exit = signal ?? `exit ${code}`));
    child.once('error', (e) => res(exit = `cannot start: ${e.message}`));
  });
  const sampler = child.pid ? new TreeSampler(child.pid, mode, s.handlerFile) : undefined;
  sampler?.sample();
  const timer = setInterval(() => sampler?.sample(), sampleMs);

  const results = await emulator.resultsBy(exited, 120_000);
  clearInterval(timer);
  sampler?.sample();
  sampler?.pss();
  const early = exit;
  const pids = child.pid ? treeOf(child.pid) : [];
  // The stop, as Lambda's: SIGTERM to the first process; what is left after 2 s is killed.
  if (exit === undefined && child.pid) {
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const stopped = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]);
  killTree(pids, child.pid);
  if (!stopped) await Promise.race([exited, sleep(1000)]);
  await emulator.close();

  const problems: string[] = [];
  const list: InvocationResult[] = typeof results === 'string' ? [] : results;
  if (typeof results === 'string') problems.push(results);
  else if (early !== undefined) problems.push(`it ended before the stop (${early})`);
  if (!stopped) problems.push('still running 2 s after SIGTERM (killed)');
  const first = list[0];
  const failed = list.filter((r) => !r.ok).length + (n - list.length);
  if (failed) {
    const bad = list.find((r) => !r.ok);
    problems.push(`${failed} of ${n} invocations failed${bad ? ` (first: ${bad.status}${bad.error ? `, ${bad.error.errorType}: ${bad.error.errorMessage}` : ''})` : ''}`);
  }
  let tier: string | undefined;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const m = /^syscage: tier (\w+)/.exec((JSON.parse(line) as { message?: string }).message ?? '');
      if (m) tier = m[1];
    } catch { /* not a log record */ }
  }
  if (problems.length) problems.push(`last output: ${output.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`);
  return {
    coldMs: first?.ok ? first.handedOutAt - t0 : NaN,
    durations: list.slice(1).filter((r) => r.ok).map((r) => r.durationMs),
    failed,
    ...(tier ? { tier } : {}),
    roles: sampler?.roles() ?? {},
    tree: sampler?.tree ?? { anonKb: 0, rssKb: 0, pssAnonKb: 0, pssFileKb: 0, pssKb: 0, samples: 0 },
    processes: sampler ? [...new Set([...sampler.peaks.values()].map((p) => `${p.role}: ${p.cmd}`))] : [],
    ...(problems.length ? { problem: problems.join('; ') } : {}),
  };
}

// ---------------------------------------------------------------------------
// The references: spawn → exit.

interface Ref { readonly key: string; readonly what: string; readonly argv: string[] }

function timeRef(argv: readonly string[]): number | string {
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
  const ms = performance.now() - t;
  if (r.error) return `failed (${r.error.message})`;
  if (r.status !== 0) return `failed (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${(r.stderr ?? '').trim().split('\n').pop()?.slice(0, 160)})`;
  return ms;
}

// ---------------------------------------------------------------------------
// The run.

export async function benchColdstart(o: ColdstartOptions = COLDSTART_DEFAULT_OPTIONS): Promise<ColdstartResults> {
  const { log, ...options } = o;
  const t0 = performance.now();
  const root = packageRoot();
  const s = setup(o);
  const layerNode = 'command' in s ? s.layerNode : s.layerNode;
  const benchNode = `${process.execPath} ${process.version}`;
  const refs: Ref[] = [{ key: 'node-bench', what: `node -e 0 (the bench's Node.js ${process.version}: runs bin/syscage)`, argv: [process.execPath, '-e', '0'] }];
  if (layerNode) refs.push({ key: 'node-layer', what: `node -e 0 (the layer's Node.js ${versionOf(layerNode)}: runs the bootstrap)`, argv: [layerNode, '-e', '0'] });
  refs.push({
    key: 'run-true', what: 'syscage run --profile bench/profiles/small.yaml -- /bin/true (default: allow)',
    argv: [process.execPath, join(root, 'bin', 'syscage'), 'run', '--profile', join(root, 'bench', 'profiles', 'small.yaml'), '--', '/bin/true'],
  });

  const runs = new Map<ColdMode, ColdRun[]>();
  const refTimes = new Map<string, number[]>(refs.map((r) => [r.key, []]));
  const refFailed = new Map<string, string>();
  const modes = 'command' in s ? COLD_MODES.filter((m) => !s.skip[m]) : [];
  const rotate = <T>(xs: readonly T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);
  const timeRefs = (round: number, count: boolean) => {
    for (const ref of rotate(refs, round)) {
      if (refFailed.has(ref.key)) continue;
      const v = timeRef(ref.argv);
      if (typeof v === 'string') refFailed.set(ref.key, v);
      else if (count) refTimes.get(ref.key)!.push(v);
    }
  };
  try {
    // Warm-up, not counted: the page cache, bin/syscage's compile cache.
    log?.(`coldstart: warm-up (${modes.length} modes, ${refs.length} references)`);
    timeRefs(0, false);
    if ('command' in s) for (const m of modes) await runMode(s, m, 3, o.sampleMs);
    for (let r = 0; r < o.rounds; r++) {
      if ('command' in s) {
        for (const m of rotate(modes, r)) runs.set(m, [...(runs.get(m) ?? []), await runMode(s, m, o.invocations, o.sampleMs)]);
      }
      for (let k = 0; k < o.refReps; k++) timeRefs(r + k, true);
      log?.(`coldstart: round ${r + 1}/${o.rounds}`);
    }
  } finally {
    if ('command' in s) rmSync(s.base, { recursive: true, force: true });
  }

  const toMiB = (xs: number[]) => spread(xs.map(mib));
  const rows: ColdModeRow[] = COLD_MODES.map((mode): ColdModeRow => {
    const label = MODE_LABEL[mode];
    const empty = { mode, label, runs: 0, coldRuns: [], n: 0, failed: 0, tiers: [], roles: {}, processes: [], problems: [] };
    if (!('command' in s)) return { ...empty, unavailable: s.missing };
    if (s.skip[mode]) return { ...empty, unavailable: s.skip[mode] };
    const rs = runs.get(mode) ?? [];
    const d = rs.flatMap((r) => r.durations);
    const coldRuns = rs.map((r) => r.coldMs);
    const roles: ColdModeRow['roles'] = {};
    for (const role of ROLES) {
      const mem = rs.map((r) => r.roles[role]).filter((x): x is RoleMemory => x !== undefined);
      if (mem.length) roles[role] = { anon: toMiB(mem.map((m) => m.anonKb)), file: toMiB(mem.map((m) => m.fileKb)), rss: toMiB(mem.map((m) => m.rssKb)), hwm: toMiB(mem.map((m) => m.hwmKb)) };
    }
    const tiers = [...new Set(rs.map((r) => r.tier ?? '(none logged)'))];
    const problems = rs.filter((r) => r.problem).map((r) => r.problem!);
    const expected = EXPECTED_TIER[mode];
    if (expected && tiers.some((t) => t !== expected)) problems.unshift(`the bootstrap logged tier ${tiers.join('/')}, not ${expected}: this row is not the ${expected} tier`);
    return {
      mode, label, runs: rs.length, cold: spread(coldRuns.filter(Number.isFinite)), coldRuns, n: d.length, failed: rs.reduce((a, r) => a + r.failed, 0),
      p50: quantile(d, 0.5), p99: quantile(d, 0.99), tiers: mode === 'direct' || mode === 'direct-sim' ? [] : tiers, roles,
      tree: {
        anon: toMiB(rs.map((r) => r.tree.anonKb)), rss: toMiB(rs.map((r) => r.tree.rssKb)),
        pssAnon: toMiB(rs.map((r) => r.tree.pssAnonKb)), pssFile: toMiB(rs.map((r) => r.tree.pssFileKb)), pss: toMiB(rs.map((r) => r.tree.pssKb)),
      },
      processes: [...new Set(rs.flatMap((r) => r.processes))],
      problems: [...new Set(problems)],
    };
  });
  const refResults: RefResult[] = refs.map((r) => {
    const xs = refTimes.get(r.key)!;
    return { key: r.key, what: r.what, runs: xs, ...(xs.length ? { ms: spread(xs) } : {}), ...(refFailed.has(r.key) ? { failed: refFailed.get(r.key)! } : {}) };
  });
  const notes = [...s.notes];
  return {
    options,
    setup: {
      runtime: 'command' in s ? s.runtime : s.missing,
      bootstrapNode: 'command' in s ? `${s.bootNode} ${versionOf(s.bootNode)}` : 'n/a',
      benchNode,
      layerNode: layerNode ? `${layerNode} ${versionOf(layerNode)}` : 'n/a',
      notes,
    },
    refs: refResults,
    modes: rows,
    seconds: (performance.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------
// The tables.

const signed = (v: number, d: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(d)}` : '—');
const x2 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

/** "met (0.42× the target)" / "MISSED by …" for a value that must stay ≤ target. */
function verdict(value: number, target: number, over: (excess: number) => string): string {
  if (!Number.isFinite(value)) return 'not measured';
  const share = target > 0 ? ` (${(Math.max(value, 0) / target).toFixed(2)}× the target)` : '';
  return value <= target ? `met${share}` : `MISSED by ${over(value - target)}${share}`;
}

export function renderColdstart(r: ColdstartResults): string {
  const T = COLDSTART_TARGETS;
  const o = r.options;
  const out: string[] = [];
  const mode = (m: ColdMode) => r.modes.find((x) => x.mode === m)!;
  const ref = (k: string) => r.refs.find((x) => x.key === k);
  const nodeBench = ref('node-bench');
  // The Node.js that runs the bootstrap: the layer's when there is one.
  const nodeBoot = ref('node-layer') ?? nodeBench;
  const run = ref('run-true');
  const usable = (m: ColdModeRow) => !m.unavailable && m.runs > 0 && (m.problems.length === 0 || !m.problems[0]!.startsWith('the bootstrap logged tier'));
  const why = (m: ColdModeRow) => m.unavailable ?? (m.runs === 0 ? 'n/a (no run)' : m.problems[0] ?? 'n/a');

  out.push('## Cold start and memory (issue targets)\n');
  out.push(`Every function as its own processes behind the local Runtime API emulator (in the bench process), ${o.invocations} invocations per run, ` +
    `${o.rounds} runs per mode; modes and reference commands interleaved round by round, the order rotated, after one uncounted warm-up of each. ` +
    'Cold start: spawn → the first /next reaching the emulator. Added cold start: a bootstrap\'s median minus its reference\'s — (b) − (a) in the kernel tier, ' +
    '(c) − (a′) in the runtime tier ((a′): the runtime alone under the same simulator, whose own start cancels out) — "paired" is the same difference round by round. ' +
    `Memory: /proc/PID/status every ${o.sampleMs} ms, the peak per run, median [min–max] over the runs; MiB (the issue's "MB" read as MiB: /proc counts KiB). ` +
    'Ratios are of numbers from this run only.\n');

  const targets: string[][] = [];
  const coldRow = (tier: string, m: ColdModeRow, refMode: ColdModeRow, targetX: number) => {
    if (!usable(m) || !usable(refMode) || !nodeBoot?.ms) {
      targets.push([tier, `added Lambda cold start, ${SHORT[m.mode]} − ${SHORT[refMode.mode]}`, !usable(m) ? why(m) : !usable(refMode) ? why(refMode) : 'n/a (no node -e 0)', '', '', `≤ ${targetX.toFixed(1)}×`, 'not measured']);
      return;
    }
    const added = m.cold!.median - refMode.cold!.median;
    const paired = m.coldRuns.map((v, i) => v - (refMode.coldRuns[i] ?? NaN)).filter(Number.isFinite);
    const base = nodeBoot.ms.median;
    const ratio = added / base;
    targets.push([tier, `added Lambda cold start, ${SHORT[m.mode]} − ${SHORT[refMode.mode]}`,
      `${signed(added, 1)} ms (${m.cold!.median.toFixed(1)} − ${refMode.cold!.median.toFixed(1)}; paired ${fmtSpread(spread(paired), 1)})`,
      `node -e 0, bootstrap's Node.js: ${base.toFixed(1)} ms`, x2(ratio), `≤ ${targetX.toFixed(1)}×`,
      verdict(ratio, targetX, (e) => `${e.toFixed(2)}× node -e 0 (${(e * base).toFixed(0)} ms)`)]);
  };
  const anonRow = (tier: string, m: ColdModeRow, refMode: ColdModeRow, target: number) => {
    const sup = m.roles.supervisor?.anon;
    const alone = refMode.roles.handler?.anon;
    if (!usable(m) || !sup) {
      targets.push([tier, 'supervisor (the bootstrap) peak RssAnon', why(m), '', '', `≤ ${target} MiB`, 'not measured']);
      return;
    }
    targets.push([tier, 'supervisor (the bootstrap) peak RssAnon', `${fmtSpread(sup, 1)} MiB`,
      alone ? `the runtime alone's RssAnon ${SHORT[refMode.mode]}: ${alone.median.toFixed(1)} MiB` : '—',
      alone ? x2(sup.median / alone.median) : '—', `≤ ${target} MiB`, verdict(sup.median, target, (e) => `${e.toFixed(1)} MiB`)]);
  };
  const invRow = (tier: string, m: ColdModeRow, refMode: ColdModeRow) => {
    if (!usable(m) || !usable(refMode)) {
      targets.push([tier, 'added per invocation, p50', !usable(m) ? why(m) : why(refMode), '', '', `≤ ${T.addedP50Ms} ms`, 'not measured']);
      return;
    }
    const added = m.p50! - refMode.p50!;
    targets.push([tier, `added per invocation, p50 (${SHORT[m.mode]} − ${SHORT[refMode.mode]}; p99 ${signed(m.p99! - refMode.p99!, 2)} ms)`,
      `${signed(added, 3)} ms (${m.p50!.toFixed(3)} − ${refMode.p50!.toFixed(3)})`, `the runtime alone's p50 ${refMode.p50!.toFixed(3)} ms`,
      x2(m.p50! / refMode.p50!), `≤ ${T.addedP50Ms} ms`, verdict(added, T.addedP50Ms, (e) => `${e.toFixed(3)} ms`)]);
  };

  coldRow('kernel', mode('kernel'), mode('direct'), T.kernelAddedColdX);
  if (run?.ms && nodeBench?.ms) {
    const ratio = run.ms.median / nodeBench.ms.median;
    targets.push(['kernel', 'syscage run --profile small.yaml -- /bin/true', `${fmtSpread(run.ms, 1)} ms`, `node -e 0, bench's Node.js: ${nodeBench.ms.median.toFixed(1)} ms`,
      x2(ratio), `≤ ${T.runX.toFixed(1)}×`, verdict(ratio, T.runX, (e) => `${e.toFixed(2)}× node -e 0 (${(e * nodeBench.ms!.median).toFixed(0)} ms)`)]);
  } else {
    targets.push(['kernel', 'syscage run --profile small.yaml -- /bin/true', run?.failed ?? nodeBench?.failed ?? 'n/a', '', '', `≤ ${T.runX.toFixed(1)}×`, 'not measured']);
  }
  anonRow('kernel', mode('kernel'), mode('direct'), T.kernelAnonMiB);
  coldRow('runtime', mode('runtime'), mode('direct-sim'), T.runtimeAddedColdX);
  anonRow('runtime', mode('runtime'), mode('direct-sim'), T.runtimeAnonMiB);
  invRow('kernel', mode('kernel'), mode('direct'));
  invRow('runtime', mode('runtime'), mode('direct-sim'));
  out.push(table(['tier', 'target', 'measured', 'reference (same run)', 'ratio', 'target', 'verdict'], targets));

  out.push('\nCold start and per invocation, by mode (per invocation: /next handed out → response received, each run\'s first left out, all runs pooled):\n');
  const coldTable: string[][] = [];
  for (const m of r.modes) {
    if (m.unavailable || m.runs === 0) {
      coldTable.push([m.label, why(m), '', '', '', '', '', '']);
      continue;
    }
    const refMode = REFERENCE[m.mode] ? mode(REFERENCE[m.mode]!) : undefined;
    const over = refMode && usable(refMode) ? signed(m.cold!.median - refMode.cold!.median, 1) : '—';
    coldTable.push([m.label + (m.tiers.length ? ` [tier: ${m.tiers.join('/')}]` : ''), String(m.runs), fmtSpread(m.cold, 1), over,
      nodeBoot?.ms ? x2(m.cold!.median / nodeBoot.ms.median) : '—', `${m.n}${m.failed ? ` (${m.failed} failed)` : ''}`, m.p50!.toFixed(3), m.p99!.toFixed(2)]);
  }
  out.push(table(['mode', 'runs', 'cold start ms', 'over its reference ms', '÷ node -e 0 (bootstrap\'s Node.js)', 'invocations', 'p50 ms', 'p99 ms'], coldTable));

  out.push(`\nMemory, MiB, peak per run (median [min–max] over the runs; each run ${o.invocations} invocations). "tree" sums the function's processes at each sample ` +
    '(the bootstrap, stage-2 while it lives, the handler, "other": the runtime tier\'s tier probes — doctor\'s probe.js and tracee.js, run at init where ptrace is refused; ' +
    'never the simulator before it execs) and keeps the highest sum; per role the largest of its processes\' peaks; VmRSS = RssAnon + RssFile + RssShmem, ' +
    'summed it counts file pages shared by two processes (both map the same node binary) twice; Pss at the end (smaps_rollup, after the last invocation) splits them. ' +
    'Lambda\'s "Max Memory Used" is the function\'s memory cgroup: anonymous memory plus the page cache it charged, closest to the tree\'s Pss. ' +
    '"tree ÷ alone": tree Σ RssAnon over the runtime alone\'s (its reference mode).\n');
  const memTable: string[][] = [];
  for (const m of r.modes) {
    if (m.unavailable || m.runs === 0) {
      memTable.push([m.label, why(m), '', '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const sup = m.roles.supervisor;
    const h = m.roles.handler;
    const st = m.roles['stage-2'];
    const other = m.roles.other;
    const refMode = REFERENCE[m.mode] ? mode(REFERENCE[m.mode]!) : undefined;
    const ratio = refMode?.tree && m.tree ? x2(m.tree.anon.median / refMode.tree.anon.median) : '—';
    memTable.push([m.label,
      sup ? fmtSpread(sup.anon, 1) : '—', sup ? sup.file.median.toFixed(1) : '—', sup ? sup.hwm.median.toFixed(1) : '—',
      h ? fmtSpread(h.anon, 1) : '—', h ? h.file.median.toFixed(1) : '—',
      st ? `${st.anon.median.toFixed(1)} / ${st.file.median.toFixed(1)}` : '—',
      other ? `${other.anon.median.toFixed(1)} / ${other.file.median.toFixed(1)}` : '—',
      fmtSpread(m.tree!.anon, 1), m.tree!.rss.median.toFixed(1),
      `${m.tree!.pss.median.toFixed(1)} (${m.tree!.pssAnon.median.toFixed(1)} + ${m.tree!.pssFile.median.toFixed(1)})`, ratio]);
  }
  out.push(table(['mode', 'supervisor RssAnon', 'sup. RssFile', 'sup. VmHWM', 'handler RssAnon', 'handler RssFile', 'stage-2 Anon / File', 'other Anon / File',
    'tree Σ RssAnon', 'tree Σ VmRSS', 'tree Pss at end (anon + file)', 'tree ÷ alone'], memTable));

  out.push('\nReferences, spawn → exit (spawnSync), ms, in the same rounds:\n');
  out.push(table(['command', 'runs', 'ms'], r.refs.map((x) => [x.what, String(x.runs.length), x.failed ?? fmtSpread(x.ms, 1)])));

  out.push(`\nRuntime: ${r.setup.runtime}. Bootstrap: ${r.setup.bootstrapNode.replace(/^.*\/(test\/)/, '$1')} ${[...BOOTSTRAP_NODE_FLAGS, BOOTSTRAP_ENTRY].join(' ')} bootstrap. Bench: Node.js ${process.version}.`);
  for (const n of r.setup.notes) out.push(`Note: ${n}.`);
  for (const m of r.modes) {
    if (m.processes.length) out.push(`${SHORT[m.mode]} processes seen: ${m.processes.join('; ')}`);
    for (const p of m.problems) out.push(`${SHORT[m.mode]} PROBLEM: ${p}`);
  }
  out.push(`coldstart: ${r.seconds.toFixed(1)} s`);
  return out.join('\n');
}

