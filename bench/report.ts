// `syscage report` on a log of 100,000 events (issue 18: "its generation time and peak memory are
// in make bench"): the built CLI run N times as its own process, wall time spawn → exit and its
// peak RSS (VmHWM from /proc/self/status as it exits, through a small wrapper that then loads
// bin/syscage). References measured in the same rounds, interleaved: `node -e 0` through the same
// wrapper (start-up time and memory: the ratios), and `wc -l` and `cat` of the same file (how fast
// the file can be read at all: the throughput a streaming reader is bounded by).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { auditEvent, humanLine } from '../lib/audit/index.js';
import { packageRoot } from '../lib/paths.js';
import { fmtSpread, spread, table, type Spread } from './stats.js';

export interface ReportBenchOptions {
  readonly events: number;
  readonly runs: number;
  readonly log?: (line: string) => void;
}
export const REPORT_DEFAULT_OPTIONS: ReportBenchOptions = { events: 100_000, runs: 5 };
export const REPORT_QUICK_OPTIONS: ReportBenchOptions = { events: 100_000, runs: 2 };

export interface ReportRow {
  readonly name: string;
  readonly ms: Spread;
  /** Peak RSS, MiB (undefined for the programs not run through the wrapper). */
  readonly rssMiB?: Spread;
}

export interface ReportResult {
  readonly events: number;
  readonly bytes: number;
  readonly rows: readonly ReportRow[];
}

/** The log: events of three kinds, as `run --log` lines and as the bootstrap's JSON lines, 10 per request id. */
function generate(file: string, n: number): number {
  const t0 = Date.UTC(2026, 0, 2, 3, 0, 0);
  const loc = (line: number) => ({ file: 'syscage.yaml', line, col: 5 });
  const kinds = [
    { syscall: 'openat', detail: { paths: ['/var/task/.env'], access: 'read' }, rule: { what: 'files.deny', text: '/var/task/.env', loc: loc(12) } },
    { syscall: 'execve', detail: { paths: ['/bin/sh'], access: 'exec', exec: { path: '/bin/sh', argv: ['/bin/sh', '-c', 'id'] } }, rule: { what: 'exec.allow', text: 'not in exec.allow', loc: loc(14) } },
    { syscall: 'connect', detail: { address: '169.254.169.254:80' }, rule: { what: 'network.connect', text: 'not in network.connect', loc: loc(16) } },
  ];
  const fd = openSync(file, 'w');
  let bytes = 0;
  let block: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const k = kinds[i % kinds.length]!;
      const requestId = `req-${Math.floor(i / 10)}`;
      const e = auditEvent({ trap: { tid: 8 + (i % 4), syscall: k.syscall }, tracee: { pid: 8 + (i % 4), ppid: 1, exe: '/opt/bin/node' }, enforced: true, decision: { action: 'deny', errno: 1, rule: k.rule, detail: k.detail, reason: `${k.syscall}: refused` } },
        t0 + i * 5, { profile: 'orders-api', requestId, tier: 'runtime' });
      block.push(i % 2 ? JSON.stringify(e) : JSON.stringify({ timestamp: e.time, level: 'WARN', requestId, message: humanLine(e), syscage: e }));
      if (block.length === 10_000) {
        bytes += writeSync(fd, block.join('\n') + '\n');
        block = [];
      }
    }
    if (block.length) bytes += writeSync(fd, block.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
  return bytes;
}

function timed(cmd: string, args: readonly string[]): { ms: number; kib?: number } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const kib = /VmHWM (\d+)/.exec(r.stderr)?.[1];
  return { ms, ...(kib ? { kib: Number(kib) } : {}) };
}

export async function benchReport(o: ReportBenchOptions): Promise<ReportResult> {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-report-'));
  try {
    const logFile = join(dir, 'events.log');
    const bytes = generate(logFile, o.events);
    o.log?.(`report: ${o.events} events, ${(bytes / 1e6).toFixed(1)} MB; ${o.runs} runs of each`);
    const peak = join(dir, 'peak.cjs');
    writeFileSync(peak, "process.on('exit', () => process.stderr.write('VmHWM ' + /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1] + '\\n'));\n" +
      "process.argv.splice(1, 1);\nif (process.argv[1]) require(process.argv[1]);\n");
    const bin = join(packageRoot(), 'bin', 'syscage');
    const modes: Record<string, () => { ms: number; kib?: number }> = {
      'syscage report': () => timed(process.execPath, [peak, bin, 'report', logFile, '-o', join(dir, 'report.html')]),
      'node -e 0': () => timed(process.execPath, [peak]),
      'wc -l': () => timed('wc', ['-l', logFile]),
      cat: () => timed('cat', [logFile]),
    };
    for (const m of Object.values(modes)) m(); // warm-up: the page cache, the compile cache
    const samples: Record<string, { ms: number[]; kib: number[] }> = Object.fromEntries(Object.keys(modes).map((k) => [k, { ms: [], kib: [] }]));
    for (let i = 0; i < o.runs; i++) {
      const names = Object.keys(modes);
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]!; // the order rotated each round
        const r = modes[name]!();
        samples[name]!.ms.push(r.ms);
        if (r.kib !== undefined) samples[name]!.kib.push(r.kib / 1024);
      }
    }
    const rows = Object.entries(samples).map(([name, s]) => ({ name, ms: spread(s.ms), ...(s.kib.length ? { rssMiB: spread(s.kib) } : {}) }));
    return { events: o.events, bytes, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderReport(r: ReportResult): string {
  const ref = r.rows.find((x) => x.name === 'node -e 0')!;
  const rows = r.rows.map((x) => [
    x.name,
    fmtSpread(x.ms, 0),
    (x.ms.median / ref.ms.median).toFixed(1),
    x.rssMiB ? fmtSpread(x.rssMiB, 1) : 'n/a',
    x.rssMiB && ref.rssMiB ? (x.rssMiB.median / ref.rssMiB.median).toFixed(1) : 'n/a',
    x.name === 'node -e 0' ? 'n/a' : Math.round(r.events / (x.ms.median / 1000)).toLocaleString('en-US'),
    x.name === 'node -e 0' ? 'n/a' : (r.bytes / 1e6 / (x.ms.median / 1000)).toFixed(0),
  ]);
  const report = r.rows.find((x) => x.name === 'syscage report')!;
  const cat = r.rows.find((x) => x.name === 'cat')!;
  return `## syscage report (${r.events.toLocaleString('en-US')} events, ${(r.bytes / 1e6).toFixed(1)} MB; median [min–max] of ${report.ms.n} runs)\n\n` +
    table(['program', 'wall ms', '× node -e 0', 'peak RSS MiB', '× node -e 0', 'events/s', 'MB/s'], rows) +
    `\n\nreport: ${(report.ms.median / 1000).toFixed(2)} s, ${(report.ms.median - ref.ms.median).toFixed(0)} ms over Node's start; ` +
    `${(report.ms.median / cat.ms.median).toFixed(0)}× the time cat takes to read the file\n`;
}
