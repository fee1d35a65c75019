// The in-runtime seatbelts (lib/seatbelt) on the Lambda path, in the runtime tier (forced, as in
// bench/monitor.ts): what the Node.js seatbelt (permission-model flags + the preload's --import)
// and the Python one (python -I -S launcher.py: an audit hook) add per invocation and to the cold
// start. Three modes per handler, interleaved round by round (the order rotated each round):
//
//   (a) direct      the runtime talking to the local Runtime API emulator, no syscage
//   (b) monitor     behind `syscage bootstrap` (serveLocally), runtime tier, `seatbelts: { tiers: [] }`:
//                   the process monitor alone
//   (c) seatbelt    the same profile with the seatbelt on (the default tiers: [runtime])
//
// The handlers, each reading one file the profile allows per invocation (so that the checked
// path runs: the preload's fs.readFileSync wrapper and the permission model; the audit hook's
// open event), written into a temporary task root here:
//
//   node     the layer's Node.js (scripts/build-layer.mjs --node-only test/.node) running the real
//            aws-lambda-ric (test/.ric, scripts/install-ric.sh) with index.mjs
//   python   /usr/bin/python3 running a custom-runtime loop (a new connection per request, as
//            bench/lambda.ts's echo runtime)
//
// Per invocation: the emulator's /next handed out → response received; each run's first
// invocation left out. Cold start: start (before the emulator starts, in every mode) → the first
// /next reaching the emulator. References, in the same rounds: node -e 0 and python3 -c pass, and
// where the seatbelt's cold start goes: the same node with the permission-model flags alone, the
// preload alone, both; python3 -I -S, + launcher.py; launcher.py's compile() timed inside Python.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../lib/paths.js';
import { loadProfile } from '../lib/profile/index.js';
import { serveLocally, startEmulator, type EmulatorOptions, type InvocationResult, type Logger } from '../lib/runtime/index.js';
import { chooseSeatbelt, LAUNCHER, seatbelted, seatbeltPolicy } from '../lib/seatbelt/index.js';
import type { TierDecision } from '../lib/tier/index.js';
import { fineClock, PY } from './lambda.js';
import { fmtSpread, quantile, spread, table, type Spread } from './stats.js';

export const SEATBELT_TARGETS = {
  /** Added per invocation at p50 by the seatbelt, (c) − (b) (ms). */
  addedP50Ms: 0.3,
  /** Added to the cold start by the seatbelt, (c) − (b), medians (ms). */
  coldMs: 20,
} as const;

export interface SeatbeltBenchOptions {
  /** Invocations per per-invocation run, and rounds of those (every handler × mode each round). */
  readonly invocations: number;
  readonly rounds: number;
  /** Further rounds of one-invocation runs (cold start only) and of the reference commands. */
  readonly coldRounds: number;
  readonly log?: (line: string) => void;
}

export const SEATBELT_DEFAULT_OPTIONS: SeatbeltBenchOptions = { invocations: 400, rounds: 5, coldRounds: 30 };
export const SEATBELT_QUICK_OPTIONS: SeatbeltBenchOptions = { invocations: 150, rounds: 2, coldRounds: 5 };

export type SeatbeltMode = 'direct' | 'monitor' | 'seatbelt';
export const MODES: readonly SeatbeltMode[] = ['direct', 'monitor', 'seatbelt'];
const MODE_LABEL: Record<SeatbeltMode, string> = {
  direct: '(a) runtime alone',
  monitor: '(b) bootstrap, runtime tier, seatbelt off (monitor only)',
  seatbelt: '(c) bootstrap, runtime tier, seatbelt on',
};

export interface SeatbeltModeRow {
  mode: SeatbeltMode;
  /** Invocations timed (each run's first left out), and those that failed. */
  n: number;
  failed: number;
  p50: number;
  p99: number;
  /** Start → first /next, ms, one per run (NaN: its first invocation failed), in run order. */
  cold: Spread;
  coldRuns: number[];
  /** What the bootstrap said about the seatbelt ("node", "python", "none", "(not asked)"). */
  seatbelt: string;
}
/** A reference: a command timed spawn → exit ('spawn'), or a part timed by itself ('part'). */
export interface RefRow { what: string; kind: 'spawn' | 'part'; ms?: Spread; failed?: string }
export interface HandlerResults {
  runtime: 'node' | 'python';
  /** The interpreter: its path and version. */
  interpreter: string;
  rows: SeatbeltModeRow[] | { missing: string };
  refs: RefRow[];
  /** Warnings the bootstrap logged (refusals, findings, notes): none expected. */
  warnings: string[];
}
export interface SeatbeltResults {
  options: Omit<SeatbeltBenchOptions, 'log'>;
  handlers: HandlerResults[];
}

const forceRuntime = async (): Promise<TierDecision> => ({ tier: 'runtime', why: 'bench', refusals: [] });
const events = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));

/** The layer's node (scripts/build-layer.mjs --node-only test/.node, cached there), or why there is none. */
function layerNode(): { path: string } | { missing: string } {
  const root = packageRoot();
  try {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'build-layer.mjs'), '--arch', process.arch === 'arm64' ? 'arm64' : 'x86_64', '--node-only', join(root, 'test', '.node')], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { path: out.trim().split('\n').pop()! };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { missing: `n/a (the layer's Node.js cannot be fetched: ${(err.stderr || err.message).trim().split('\n').pop()})` };
  }
}

interface Handler {
  readonly runtime: 'node' | 'python';
  readonly interpreter: string;
  readonly command: string[];
  readonly taskRoot: string;
  readonly handler: string;
  /** Profiles: (b) seatbelts.tiers [] and (c) the default. */
  readonly profile: Record<'monitor' | 'seatbelt', string>;
  /** The references, the bare interpreter first: each call gives ms, or why it failed. */
  readonly refs: readonly Ref[];
}
interface Ref { readonly what: string; readonly kind: 'spawn' | 'part'; readonly run: () => number | string }
const spawned = (what: string, argv: readonly string[], env: Record<string, string> = {}): Ref => ({ what, kind: 'spawn', run: () => timeSync(argv, env) });
/** A command that prints the ms it timed itself. */
const inner = (what: string, argv: readonly string[]): Ref => ({
  what, kind: 'part', run: () => {
    const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    const v = Number(out.stdout.trim());
    return out.status === 0 && Number.isFinite(v) ? v : `failed (${out.stderr.trim().split('\n').pop()})`;
  },
});
/** The bootstrap's own share, in this process: chooseSeatbelt (the policy compiled, the command rewritten). */
const choosing = (profile: string, command: string[]): Ref => {
  const p = loadProfile(profile).profile;
  return {
    what: 'the bootstrap\'s chooseSeatbelt() (policy compiled, command and env rewritten), in-process', kind: 'part', run: () => {
      const t = performance.now();
      chooseSeatbelt(p, 'runtime', command, { PATH: process.env.PATH ?? '' }, ['127.0.0.1:9001']);
      return performance.now() - t;
    },
  };
};

const NODE_HANDLER = `// syscage's seatbelt bench: one read of an allowed file per invocation, then the event back.
import { readFileSync } from 'node:fs';
const data = new URL('./data.txt', import.meta.url).pathname;
export const handler = async (event) => ({ echo: event, read: readFileSync(data, 'utf8').length });
`;

const PY_RUNTIME = `# syscage's seatbelt bench: a custom-runtime loop, one read of an allowed file per invocation.
import http.client, json, os
HOST, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
DATA = os.path.join(os.environ["LAMBDA_TASK_ROOT"], "data.txt")
API = "/2018-06-01/runtime/invocation/"
while True:
    conn = http.client.HTTPConnection(HOST, int(PORT))
    conn.request("GET", API + "next")
    res = conn.getresponse()
    rid = res.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(res.read())
    with open(DATA) as f:
        size = len(f.read())
    conn.request("POST", API + rid + "/response", body=json.dumps({"echo": event, "read": size}).encode())
    conn.getresponse().read()
    conn.close()
`;

const COMPILE_MS = `import time
src = open(${JSON.stringify(LAUNCHER)}).read()
t = time.perf_counter(); compile(src, ${JSON.stringify(LAUNCHER)}, "exec"); print((time.perf_counter() - t) * 1e3)`;

/** The two profiles of a handler: the shipped one it extends, plus this checkout and the task root. */
function profiles(dir: string, name: string, body: string[]): Record<'monitor' | 'seatbelt', string> {
  const out = {} as Record<'monitor' | 'seatbelt', string>;
  for (const mode of ['monitor', 'seatbelt'] as const) {
    const lines = [...body];
    if (mode === 'monitor') {
      const i = lines.indexOf('seatbelts:');
      if (i >= 0) lines.splice(i + 1, 0, '  tiers: []');
      else lines.push('seatbelts:', '  tiers: []');
    }
    const path = join(dir, `${name}-${mode}.yaml`);
    writeFileSync(path, lines.join('\n') + '\n');
    out[mode] = path;
  }
  return out;
}

/** The seatbelt's command and environment for a handler (as chooseSeatbelt makes them), for the references. */
function beltFor(profile: string, command: string[]): { command: readonly string[]; env: NodeJS.ProcessEnv } {
  const p = loadProfile(profile).profile;
  const belt = seatbelted(command, { PATH: process.env.PATH ?? '' }, seatbeltPolicy(p, { always: ['127.0.0.1:9001'] }));
  if (!belt) throw new Error(`no seatbelt for ${command[0]}`);
  return belt;
}

function nodeHandler(dir: string): Handler | { missing: string } {
  const root = packageRoot();
  const ric = join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
  if (!existsSync(ric)) return { missing: 'n/a (aws-lambda-ric is not installed: scripts/install-ric.sh)' };
  const node = layerNode();
  if ('missing' in node) return node;
  const task = join(dir, 'node-task');
  mkdirSync(task);
  writeFileSync(join(task, 'index.mjs'), NODE_HANDLER);
  // Stops Node's package.json lookup here (it would climb to /).
  writeFileSync(join(task, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(task, 'data.txt'), 'x'.repeat(1024));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, '');
  const profile = profiles(dir, 'node', [
    'version: 1',
    'name: bench-seatbelt-node',
    'extends: [lambda-nodejs]',
    'files:',
    `  read: [${JSON.stringify(root + '/**')}, ${JSON.stringify(task + '/**')}]`,
    'seatbelts:',
    `  native: [${JSON.stringify(join(root, 'test', '.ric') + '/**')}]`,
  ]);
  const command = [node.path, ric];
  const belt = beltFor(profile.seatbelt, command);
  const words = (belt.env.NODE_OPTIONS ?? '').split(' ');
  const { POLICY, FD } = { POLICY: belt.env.SYSCAGE_SEATBELT_POLICY ?? '', FD: belt.env.SYSCAGE_SEATBELT_FD ?? '' };
  const perm = words.filter((w) => !w.startsWith('--import='));
  const imp = words.filter((w) => w.startsWith('--import='));
  const seat = { SYSCAGE_SEATBELT_POLICY: POLICY, SYSCAGE_SEATBELT_FD: FD };
  const version = execFileSync(node.path, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  return {
    runtime: 'node', interpreter: `${node.path.replace(root + '/', '')} ${version}`, command, taskRoot: task, handler: 'index.handler', profile,
    refs: [
      spawned('node -e 0', [node.path, '-e', '0']),
      spawned(`node -e 0, NODE_OPTIONS = the permission-model flags alone (${perm.length} words)`, [node.path, '-e', '0'], { NODE_OPTIONS: perm.join(' ') }),
      spawned('node -e 0, NODE_OPTIONS = the preload\'s --import alone', [node.path, '-e', '0'], { NODE_OPTIONS: imp.join(' '), ...seat }),
      spawned('node -e 0, NODE_OPTIONS = the seatbelt\'s (both)', [node.path, '-e', '0'], { NODE_OPTIONS: words.join(' '), ...seat }),
      spawned('node --import=<an empty module> -e 0 (the ESM loader\'s start alone)', [node.path, `--import=${pathToFileURL(empty).href}`, '-e', '0']),
      choosing(profile.seatbelt, command),
    ],
  };
}

function pythonHandler(dir: string): Handler | { missing: string } {
  if (!existsSync(PY)) return { missing: `n/a (no ${PY})` };
  const task = join(dir, 'python-task');
  mkdirSync(task);
  writeFileSync(join(task, 'runtime.py'), PY_RUNTIME);
  writeFileSync(join(task, 'data.txt'), 'x'.repeat(1024));
  const profile = profiles(dir, 'python', [
    'version: 1',
    'name: bench-seatbelt-python',
    'extends: [python]',
    'files:',
    // The shipped profile is Amazon Linux's layout (/usr/lib64): this machine's libraries too, and
    // Debian's /usr/local/lib/python3.X/dist-packages (site.main lists it; the launcher runs site).
    `  read: [${JSON.stringify(task + '/**')}, "/usr/local/lib/python3*/**", "/usr/lib/**", "/lib/**", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d/**"]`,
  ]);
  const command = [PY, join(task, 'runtime.py')];
  const belt = beltFor(profile.seatbelt, command);
  const seat = { SYSCAGE_SEATBELT_POLICY: belt.env.SYSCAGE_SEATBELT_POLICY ?? '', SYSCAGE_SEATBELT_FD: belt.env.SYSCAGE_SEATBELT_FD ?? '' };
  const version = execFileSync(PY, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).trim();
  return {
    runtime: 'python', interpreter: `${PY} ${version}`, command, taskRoot: task, handler: 'runtime.handler', profile,
    refs: [
      spawned('python3 -c pass', [PY, '-c', 'pass']),
      spawned('python3 -I -S -c pass', [PY, '-I', '-S', '-c', 'pass']),
      spawned('python3 -I -S launcher.py -c pass (the seatbelt)', [PY, '-I', '-S', LAUNCHER, '-c', 'pass'], seat),
      inner('launcher.py\'s compile(), timed inside Python (every start: a script gets no .pyc)', [PY, '-I', '-S', '-c', COMPILE_MS]),
      choosing(profile.seatbelt, command),
    ],
  };
}

// ---- one run of a mode ----

interface Run { results: InvocationResult[]; coldMs: number; seatbelt: string }

const emulatorOptions = (h: Handler, n: number): EmulatorOptions => ({ events: events(n), timeoutMs: 60_000, clock: fineClock, handler: h.handler, taskRoot: h.taskRoot });
const EXTRA_ENV = { HOME: '/tmp' };

async function direct(h: Handler, n: number, warnings: Set<string>): Promise<Run> {
  const t0 = fineClock.now();
  const emulator = await startEmulator(emulatorOptions(h, n));
  // As the bootstrap's handler: stdio inherited (neither runtime writes to it here).
  const child = spawn(h.command[0]!, h.command.slice(1), { env: { ...emulator.env(), ...EXTRA_ENV }, stdio: 'inherit' });
  const exited = new Promise((r) => child.once('exit', r));
  const results = await emulator.results;
  for (const x of results) if (!x.ok) warnings.add(`direct: an invocation ended ${x.status}${x.error ? ` (${x.error.errorType}: ${x.error.errorMessage})` : ''}`);
  child.kill('SIGTERM');
  await exited;
  await emulator.close();
  return { results, coldMs: (results[0]?.handedOutAt ?? NaN) - t0, seatbelt: '(not asked)' };
}

async function behind(h: Handler, n: number, mode: 'monitor' | 'seatbelt', warnings: Set<string>): Promise<Run> {
  let seatbelt = 'none';
  const log: Logger = {
    log: (level, message) => {
      const m = /^syscage: seatbelt: (\w+):/.exec(message);
      if (m) seatbelt = m[1]!;
      // Pids left out, so that one warning per start is one line.
      else if (level !== 'INFO' && level !== 'DEBUG' && level !== 'TRACE' && !/^syscage: tier runtime: bench/.test(message)) warnings.add(`${mode}: ${message.replace(/\[\d+\]/g, '[PID]')}`);
    },
  emit: () => undefined,
  };
  const t0 = fineClock.now();
  const { results } = await serveLocally({
    emulator: emulatorOptions(h, n),
    env: { ...EXTRA_ENV, SYSCAGE_PROFILE: h.profile[mode], SYSCAGE_COMMAND: JSON.stringify(h.command) },
    deps: { log, selectTier: forceRuntime },
  });
  for (const x of results) if (!x.ok) warnings.add(`${mode}: an invocation ended ${x.status}${x.error ? ` (${x.error.errorType}: ${x.error.errorMessage})` : ''}`);
  return { results, coldMs: (results[0]?.handedOutAt ?? NaN) - t0, seatbelt };
}

/** ms from spawn to exit; or why it failed. */
function timeSync(argv: readonly string[], env: Record<string, string>): number | string {
  const t = performance.now();
  // Descriptor 3 open, as the report channel is (the seatbelt's env names it).
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) return `failed (status ${r.status ?? r.signal}: ${String(r.stderr ?? '').trim().split('\n').pop()})`;
  return ms;
}

// ---- the run ----

export async function benchSeatbelt(o: SeatbeltBenchOptions = SEATBELT_DEFAULT_OPTIONS): Promise<SeatbeltResults> {
  const { log, ...options } = o;
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-bench-seatbelt-')));
  try {
    const t0 = performance.now();
    const made = [nodeHandler(dir), pythonHandler(dir)];
    const handlers = made.filter((h): h is Handler => !('missing' in h));
    const runs = new Map<string, Run[]>();
    const key = (h: Handler, m: SeatbeltMode, cold: boolean) => `${h.runtime}/${m}/${cold ? 'cold' : 'warm'}`;
    const warnings = new Map<string, Set<string>>(handlers.map((h) => [h.runtime, new Set()]));
    const one = async (h: Handler, m: SeatbeltMode, n: number): Promise<Run> =>
      m === 'direct' ? direct(h, n, warnings.get(h.runtime)!) : behind(h, n, m, warnings.get(h.runtime)!);
    const rotated = (r: number): SeatbeltMode[] => MODES.map((_, i) => MODES[(i + r) % MODES.length]!);

    // Warm-up, not counted: the page cache, and the bootstrap's one-time question to a node that
    // is not its own (lib/seatbelt/command.ts nodeVersion: `node -p process.versions.node`, once per process).
    for (const h of handlers) for (const m of MODES) await one(h, m, 3);

    log?.(`seatbelt: per invocation (${o.invocations} invocations × ${o.rounds} rounds × ${handlers.length} handlers × 3 modes)...`);
    for (let r = 0; r < o.rounds; r++) {
      for (const h of handlers) {
        for (const m of rotated(r)) {
          const run = await one(h, m, o.invocations);
          runs.set(key(h, m, false), [...(runs.get(key(h, m, false)) ?? []), run]);
        }
      }
    }
    log?.(`seatbelt: cold start (${o.coldRounds} rounds of one-invocation runs and the reference commands)...`);
    const refs = new Map<string, number[]>();
    const refFailed = new Map<string, string>();
    for (let r = 0; r < o.coldRounds; r++) {
      for (const h of handlers) {
        for (const m of rotated(r)) {
          const run = await one(h, m, 1);
          runs.set(key(h, m, true), [...(runs.get(key(h, m, true)) ?? []), run]);
        }
        const list = r % 2 ? [...h.refs].reverse() : h.refs;
        for (const ref of list) {
          const k = `${h.runtime}/${ref.what}`;
          const v = ref.run();
          if (typeof v === 'string') refFailed.set(k, v);
          else refs.set(k, [...(refs.get(k) ?? []), v]);
        }
      }
    }
    log?.(`seatbelt: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const out: HandlerResults[] = made.map((h, i) => {
      const runtime = i === 0 ? 'node' as const : 'python' as const;
      if ('missing' in h) return { runtime, interpreter: '?', rows: { missing: h.missing }, refs: [], warnings: [] };
      const rows = MODES.map((m): SeatbeltModeRow => {
        const warm = runs.get(key(h, m, false)) ?? [];
        const cold = runs.get(key(h, m, true)) ?? [];
        // The first invocation includes the runtime's warm-up: left out.
        const timed = warm.flatMap((run) => run.results.slice(1));
        const d = timed.filter((x) => x.ok).map((x) => x.durationMs);
        // A run whose first invocation failed (the handler killed during init) has no cold start.
        const colds = [...warm, ...cold].map((run) => (run.results[0]?.ok ? run.coldMs : NaN));
        const seen = new Set([...warm, ...cold].map((run) => run.seatbelt));
        return { mode: m, n: d.length, failed: timed.length - d.length + [...warm, ...cold].filter((run) => !run.results[0]?.ok).length, p50: quantile(d, 0.5), p99: quantile(d, 0.99), cold: spread(colds.filter(Number.isFinite)), coldRuns: colds, seatbelt: [...seen].join('/') };
      });
      const refRows: RefRow[] = h.refs.map(({ what, kind }) => {
        const k = `${h.runtime}/${what}`;
        const xs = refs.get(k);
        return { what, kind, ...(xs?.length ? { ms: spread(xs) } : {}), ...(refFailed.has(k) ? { failed: refFailed.get(k)! } : {}) };
      });
      return { runtime, interpreter: h.interpreter, rows, refs: refRows, warnings: [...warnings.get(h.runtime)!] };
    });
    return { options, handlers: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the table ----

const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const signed = (v: number, d: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(d)}` : '—');

export function renderSeatbelt(r: SeatbeltResults): string {
  const T = SEATBELT_TARGETS;
  const o = r.options;
  const out: string[] = [];
  out.push('## Runtime tier: the seatbelts (lib/seatbelt; Node.js: permission model + preload, Python: launcher.py\'s audit hook)\n');
  out.push('Each handler reads one file the profile allows (1 KB, files.read) per invocation, so the checked path runs (the preload\'s fs.readFileSync ' +
    'wrapper and the permission model; the audit hook\'s open event, and its socket.connect for the new connection per request). ' +
    'Node: the layer\'s Node.js running aws-lambda-ric, profile extends lambda-nodejs; Python: /usr/bin/python3 running a custom-runtime loop, profile extends python. ' +
    '(a) the runtime talking to the local emulator directly; (b) behind the bootstrap in the runtime tier (forced) with `seatbelts: { tiers: [] }`: the monitor alone; ' +
    '(c) the same with the seatbelt on. Per invocation: /next handed out → response received, each run\'s first left out, ' +
    `${o.invocations} invocations × ${o.rounds} rounds per mode. Cold start: start (before the emulator) → the first /next, one per run ` +
    `(${o.rounds} of those runs + ${o.coldRounds} one-invocation runs), median [min–max]. Modes interleaved, their order rotated each round; ` +
    'a warm-up run of each is not counted.\n');

  const summary: string[][] = [];
  const detail: string[][] = [];
  const refs: string[][] = [];
  for (const h of r.handlers) {
    if ('missing' in h.rows) {
      summary.push([`${h.runtime}: seatbelt`, h.rows.missing, '', '']);
      continue;
    }
    const [a, b, c] = h.rows as [SeatbeltModeRow, SeatbeltModeRow, SeatbeltModeRow];
    const added50 = c.p50 - b.p50;
    const coldAdded = c.cold.median - b.cold.median;
    const bare = h.refs[0]?.ms?.median;
    summary.push([`${h.runtime}: added per invocation by the seatbelt, (c) − (b) (n=${c.n})`,
      `p50 ${signed(added50, 3)} ms, p99 ${signed(c.p99 - b.p99, 2)} ms`, `p50 ≤ ${T.addedP50Ms} ms`,
      `${verdict(added50 <= T.addedP50Ms)} (${(Math.max(added50, 0) / T.addedP50Ms).toFixed(2)}× target${added50 > T.addedP50Ms ? `, over by ${(added50 - T.addedP50Ms).toFixed(3)} ms` : ''})`]);
    summary.push([`${h.runtime}: added per invocation by the bootstrap with its seatbelt, (c) − (a)`,
      `p50 ${signed(c.p50 - a.p50, 3)} ms, p99 ${signed(c.p99 - a.p99, 2)} ms`, '—', '']);
    // Paired by run: the k-th run of (c) against the k-th of (b) (the same round).
    const paired = c.coldRuns.map((x, i) => x - (b.coldRuns[i] ?? NaN)).filter(Number.isFinite);
    summary.push([`${h.runtime}: added to the cold start by the seatbelt, (c) − (b), medians`,
      `${signed(coldAdded, 1)} ms (paired by round: ${fmtSpread(spread(paired), 1)}; best runs: ${signed(c.cold.min - b.cold.min, 1)})${bare ? `; = ${(coldAdded / bare).toFixed(2)}× ${h.refs[0]!.what} (${bare.toFixed(1)} ms)` : ''}`,
      `≤ ${T.coldMs} ms`,
      `${verdict(coldAdded <= T.coldMs)} (${(Math.max(coldAdded, 0) / T.coldMs).toFixed(2)}× target${coldAdded > T.coldMs ? `, over by ${(coldAdded - T.coldMs).toFixed(1)} ms` : ''})`]);
    for (const row of h.rows as SeatbeltModeRow[]) {
      detail.push([h.runtime, MODE_LABEL[row.mode] + (row.mode === 'direct' ? '' : ` [seatbelt: ${row.seatbelt}]`), `${row.n}${row.failed ? ` (${row.failed} failed)` : ''}`,
        row.p50.toFixed(3), row.p99.toFixed(2),
        row === a ? '—' : `${signed(row.p50 - a.p50, 3)} / ${signed(row.p99 - a.p99, 2)}`,
        fmtSpread(row.cold, 1), row === a ? '—' : signed(row.cold.median - a.cold.median, 1),
        bare ? `${(row.cold.median / bare).toFixed(2)}×` : '—']);
    }
    const base = h.refs[0]?.ms?.median;
    for (const ref of h.refs) {
      refs.push([h.runtime, ref.what, ref.failed ?? fmtSpread(ref.ms, ref.kind === 'part' && (ref.ms?.median ?? 1) < 1 ? 3 : 1),
        ref === h.refs[0] || ref.kind === 'part' || !ref.ms || base === undefined ? '—' : signed(ref.ms.median - base, 1)]);
    }
  }
  out.push(table(['measure', 'value', 'target', 'verdict'], summary));
  out.push('');
  out.push(table(['handler', 'mode', 'invocations', 'p50 ms', 'p99 ms', 'over (a): p50 / p99 ms', 'cold start ms', 'cold over (a) ms', 'cold ÷ bare interpreter'], detail));
  out.push('');
  out.push('Where the cold start goes: the interpreter alone with each part of the seatbelt, spawn → exit (spawnSync, descriptor 3 open), ms, ' +
    'in the same rounds as the one-invocation runs; "added" is over the first row of the handler. The in-process rows are parts timed by themselves.\n');
  out.push(table(['handler', 'command', 'ms', 'added ms'], refs));
  for (const h of r.handlers) {
    out.push(`\n${h.runtime}: ${h.interpreter}.` + (h.warnings.length ? ` The bootstrap warned (${h.warnings.length}): ${h.warnings.join(' | ')}` : ' The bootstrap logged no refusal, finding or warning.'));
  }
  return out.join('\n');
}
