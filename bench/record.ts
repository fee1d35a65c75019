// What recording costs: one workload natively, under `syscage record`, and
// under `syscage run` with the profile that recording wrote — in the same run,
// interleaved round by round, so that a noisy stretch of the machine hits all
// three.
//
//   workload  openloop N /etc/passwd (bench/workloads/openloop.c): openat +
//             close N times. While recording, every syscall is trapped and
//             decoded (the recording profile is `default: log` with every
//             section present); under `run`, only the openat goes to the
//             supervisor (close is allowed in the kernel).
//
// Per-iteration cost is (T(N) − T(1)) / (N − 1), T(1) the median of a few
// one-iteration runs of the same mode: the start-up (Node's, for syscage)
// cancels out, and is reported on its own. Default scheduling only (the
// runtime section has the pinned comparison of the supervisor itself).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import { fmtSpread, median, spread, table, type Spread } from './stats.js';

export interface RecordBenchOptions {
  /** Iterations of openloop in a timed run. */
  readonly openCalls: number;
  /** Timed runs per mode. */
  readonly reps: number;
  /** One-iteration runs per mode (the start-up baseline). */
  readonly baseReps: number;
  readonly log?: (line: string) => void;
}

export const RECORD_DEFAULT_OPTIONS: RecordBenchOptions = { openCalls: 20_000, reps: 5, baseReps: 3 };
export const RECORD_QUICK_OPTIONS: RecordBenchOptions = { openCalls: 5_000, reps: 3, baseReps: 2 };

export type RecordMode = 'native' | 'syscage record' | 'syscage run (recorded profile)';
export const RECORD_MODES: readonly RecordMode[] = ['native', 'syscage record', 'syscage run (recorded profile)'];

export interface RecordRow {
  readonly mode: RecordMode;
  /** Set when the mode could not be measured: "n/a (no gcc)", "failed (…)". */
  readonly unavailable?: string;
  /** Wall time of a whole run of N iterations (ms). */
  readonly wallMs?: Spread;
  /** Wall time of a one-iteration run: the start-up (ms). */
  readonly startMs?: Spread;
  /** Cost of one iteration (µs). */
  readonly perIterUs?: Spread;
  /** perIterUs minus native's median (µs). */
  readonly addedUs?: Spread;
  /** Median per-iteration cost over native's. */
  readonly ratioNative?: number;
  /** Calls syscage reported as checked in a timed run (run only), and how many of them it refused. */
  readonly checked?: number;
  readonly denied?: number;
}

export interface RecordResults {
  readonly options: Omit<RecordBenchOptions, 'log'>;
  readonly workload: string;
  /** The profile the recording wrote (from an unmeasured warm-up recording). */
  readonly profile?: { readonly lines: number; readonly syscalls: number; readonly reads: readonly string[] };
  readonly rows: readonly RecordRow[];
  readonly seconds: number;
}

interface Run {
  readonly ns: number;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runOnce(argv: readonly string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 300_000, env: { PATH: '/usr/bin:/bin' } });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.error) return { ns, status: null, signal: null, stderr: r.error.message };
  return { ns, status: r.status, signal: r.signal, stderr: r.stderr ?? '' };
}

const failure = (r: Run): string =>
  `failed (${r.signal ? `signal ${r.signal}` : `exit ${r.status}`}: ${r.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 120) ?? ''})`;

/** openloop, built with gcc -O2 into bench/out/ (again only when its source is newer), or why not. */
function openloop(root: string): { bin: string } | { missing: string } {
  const src = join(root, 'bench', 'workloads', 'openloop.c');
  const bin = join(root, 'bench', 'out', 'openloop');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return { bin };
  const gcc = ['/usr/bin/gcc', '/usr/bin/cc'].find((p) => existsSync(p));
  if (!gcc) return { missing: 'n/a (no gcc)' };
  mkdirSync(join(root, 'bench', 'out'), { recursive: true });
  const r = spawnSync(gcc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) return { missing: `n/a (gcc failed on openloop.c: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]})` };
  return { bin };
}

/** "syscage: 20005 checked calls: 0 denied, …" */
const checkedOf = (stderr: string): { checked?: number; denied?: number } => {
  const m = /syscage: (\d+) checked calls: (\d+) denied/.exec(stderr);
  return m ? { checked: Number(m[1]), denied: Number(m[2]) } : {};
};

export function benchRecord(o: RecordBenchOptions = RECORD_DEFAULT_OPTIONS): RecordResults {
  const t0 = Date.now();
  const root = packageRoot();
  const { log: _log, ...options } = o;
  const workload = `openloop ${o.openCalls} /etc/passwd`;
  const built = openloop(root);
  if ('missing' in built) {
    return { options, workload, rows: RECORD_MODES.map((mode) => ({ mode, unavailable: built.missing })), seconds: 0 };
  }
  const syscage = [process.execPath, join(root, 'bin', 'syscage')];
  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-record-'));
  try {
    const profile = join(dir, 'openloop.yaml');
    const work = (n: number) => [built.bin, String(n), '/etc/passwd'];
    // The profile that `run` replays: an unmeasured recording of the same workload.
    o.log?.('record: warm-up recording');
    const warm = runOnce([...syscage, 'record', '--force', '-o', profile, '--', ...work(o.openCalls)]);
    if (warm.status !== 0) {
      const why = failure(warm);
      return { options, workload, rows: RECORD_MODES.map((mode) => ({ mode, unavailable: why })), seconds: (Date.now() - t0) / 1000 };
    }
    const text = readFileSync(profile, 'utf8');
    const reads = /^files:\n {2}read:\n((?: {4}- .*\n)*)/m.exec(text)?.[1]?.split('\n').filter(Boolean).map((l) => l.replace(/^ {4}- (\S+).*$/, '$1')) ?? [];
    const syscalls = (text.match(/^ {4,6}- [a-z0-9_]+ +# /gm) ?? []).length;

    const argv = (mode: RecordMode, n: number): string[] => {
      switch (mode) {
        case 'native': return work(n);
        case 'syscage record': return [...syscage, 'record', '--force', '-o', join(dir, `again-${n}.yaml`), '--', ...work(n)];
        default: return [...syscage, 'run', '--profile', profile, '--', ...work(n)];
      }
    };
    const base = new Map<RecordMode, number[]>(RECORD_MODES.map((m) => [m, []]));
    const full = new Map<RecordMode, number[]>(RECORD_MODES.map((m) => [m, []]));
    const counts = new Map<RecordMode, { checked?: number; denied?: number }>();
    const failed = new Map<RecordMode, string>();
    const attempt = (mode: RecordMode, n: number, into: Map<RecordMode, number[]>) => {
      if (failed.has(mode)) return;
      const r = runOnce(argv(mode, n));
      if (r.status !== 0) {
        failed.set(mode, failure(r));
        return;
      }
      into.get(mode)!.push(r.ns);
      if (into === full && mode !== 'native') counts.set(mode, checkedOf(r.stderr));
    };
    // Interleaved, the order rotated each round.
    const k = RECORD_MODES.length;
    for (let i = 0; i < o.baseReps; i++) for (let j = 0; j < k; j++) attempt(RECORD_MODES[(i + j) % k]!, 1, base);
    for (let i = 0; i < o.reps; i++) {
      for (let j = 0; j < k; j++) attempt(RECORD_MODES[(i + j) % k]!, o.openCalls, full);
      o.log?.(`  record: round ${i + 1}/${o.reps}`);
    }
    const perIter = new Map<RecordMode, number[]>();
    for (const m of RECORD_MODES) {
      const b = base.get(m)!;
      const f = full.get(m)!;
      if (b.length > 0 && f.length > 0) perIter.set(m, f.map((ns) => (ns - median(b)) / (o.openCalls - 1) / 1e3));
    }
    const nativeMedian = median(perIter.get('native') ?? []);
    const rows: RecordRow[] = RECORD_MODES.map((mode) => {
      const pi = perIter.get(mode);
      if (failed.has(mode) || !pi) return { mode, unavailable: failed.get(mode) ?? 'n/a' };
      const c = counts.get(mode) ?? {};
      return {
        mode,
        wallMs: spread(full.get(mode)!.map((ns) => ns / 1e6)),
        startMs: spread(base.get(mode)!.map((ns) => ns / 1e6)),
        perIterUs: spread(pi),
        addedUs: mode === 'native' ? undefined : spread(pi.map((x) => x - nativeMedian)),
        ratioNative: median(pi) / nativeMedian,
        ...(mode === 'syscage run (recorded profile)' ? c : {}),
      };
    });
    return { options, workload, profile: { lines: text.split('\n').length - 1, syscalls, reads }, rows, seconds: (Date.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderRecord(r: RecordResults): string {
  const out: string[] = [];
  const o = r.options;
  out.push(`## Recording (${r.workload}: native, \`syscage record\`, and \`syscage run\` with the profile that recording wrote)\n`);
  out.push('Recording traps and decodes every syscall; `run` with the recorded profile traps only the openat. ' +
    `µs per iteration (openat + close) = (T(N) − T(1)) / (N − 1); start-up = T(1); medians of ${o.reps} (${o.baseReps} for T(1)) ` +
    '[min–max], interleaved, default scheduling; "added" is over native\'s median.\n');
  out.push(table(
    ['mode', `wall ms (N=${o.openCalls})`, 'start-up ms (N=1)', 'µs / iteration', 'added µs', '× native', 'checked / denied'],
    r.rows.map((row) => row.unavailable
      ? [row.mode, row.unavailable, '', '', '', '', '']
      : [row.mode, fmtSpread(row.wallMs, 0), fmtSpread(row.startMs, 0), fmtSpread(row.perIterUs, 2),
        row.addedUs ? fmtSpread(row.addedUs, 2) : '—', row.ratioNative !== undefined ? `${row.ratioNative.toFixed(1)}×` : '',
        row.checked !== undefined ? `${row.checked} / ${row.denied}` : '']),
  ));
  const rec = r.rows.find((x) => x.mode === 'syscage record');
  const run = r.rows.find((x) => x.mode === 'syscage run (recorded profile)');
  if (rec?.addedUs && run?.addedUs && run.addedUs.median > 0) {
    out.push(`\nrecording costs ${rec.addedUs.median.toFixed(2)} µs per iteration over native, ${(rec.addedUs.median / run.addedUs.median).toFixed(1)}× what ` +
      `enforcing the recorded profile adds (${run.addedUs.median.toFixed(2)} µs).`);
  }
  if (run?.denied !== undefined) out.push(`The recorded profile replays the workload with ${run.denied} denied call(s).`);
  if (r.profile) {
    out.push(`The recorded profile: ${r.profile.lines} lines, ${r.profile.syscalls} syscalls listed, files.read: ${r.profile.reads.join(', ') || '—'}.`);
  }
  out.push(`\n(record benchmark took ${r.seconds.toFixed(0)} s; workload ${relative(packageRoot(), join(packageRoot(), 'bench', 'out', 'openloop'))})`);
  return out.join('\n');
}
