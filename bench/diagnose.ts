// Where the supervisor's time goes per trapped call:
//
//   node dist/bench/diagnose.js [N=50000]
//
// 1. CPU profile of the tracer thread (`node --cpu-prof` profiles every
//    isolate, the Worker included) over openloop N, everything pinned to one
//    CPU: inclusive µs per trap of syscage's own functions. The profiler
//    samples wall time, so waitpid includes the tracee's run and the kernel's
//    stop/resume.
// 2. System calls per trap made by the tracer thread (`perf trace -s`, when
//    perf is installed and permitted): each one is a koffi or libuv crossing.
//
// Not part of `make bench` (it is a diagnosis, not a measurement to compare).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import { benchProfiles } from './runtime.js';
import { table } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Inclusive time (µs) per function "name file:line", each sample counted once per function on its stack. */
export function inclusiveTimes(p: CpuProfile): { total: number; byFunction: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
  });
  const key = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^.*\/dist\//, '').replace(/^file:\/\//, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  };
  const byFunction = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at)!);
      if (seen.has(k)) continue;
      seen.add(k);
      byFunction.set(k, (byFunction.get(k) ?? 0) + t);
    }
  }
  return { total, byFunction };
}

function cpuProfile(root: string, openloop: string, profile: string, n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-prof-'));
  try {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, '--cpu-prof', '--cpu-prof-dir', dir,
      join(root, 'bin', 'syscage'), 'run', '--profile', profile, '--', openloop, String(n)], { encoding: 'utf8' });
    if (r.status !== 0) return `cpu profile: syscage failed (${r.error?.message ?? r.stderr.trim()})`;
    // One file per isolate; the tracer's is the one that ran worker.js's main.
    for (const f of readdirSync(dir)) {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
      if (!p.nodes.some((x) => x.callFrame.url.endsWith('/trace/worker.js') && x.callFrame.functionName === 'main')) continue;
      const { total, byFunction } = inclusiveTimes(p);
      const rows = [...byFunction]
        .filter(([k]) => / lib\//.test(k) || /^\((garbage collector|program)\)/.test(k))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, t]) => [k, (t / n).toFixed(2), ((100 * t) / total).toFixed(1)]);
      return `tracer thread, ${n} traps, ${(total / 1e3).toFixed(0)} ms profiled (pinned; includes its start-up):\n\n` +
        table(['function (inclusive)', 'µs / trap', '% of thread'], rows);
    }
    return 'cpu profile: no profile of the tracer thread was written';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function syscallsPerTrap(root: string, openloop: string, profile: string, n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-trace-'));
  try {
    const out = join(dir, 'summary');
    const r = spawnSync('perf', ['trace', '-s', '-o', out, '--', 'taskset', '-c', '0', process.execPath,
      join(root, 'bin', 'syscage'), 'run', '--profile', profile, '--', openloop, String(n)], { encoding: 'utf8' });
    if (r.error || r.status !== 0 || !existsSync(out)) return `syscalls per trap: n/a (perf trace: ${r.error?.message ?? r.stderr.trim().split('\n')[0]})`;
    // Sections "name (tid), K events" followed by "syscall calls errors total ..." rows.
    const sections = readFileSync(out, 'utf8').split(/\n (?=\S+ \(\d+\), \d+ events)/);
    let best: { head: string; rows: [string, number][] } | undefined;
    for (const s of sections) {
      const head = s.split('\n')[0]!.trim();
      const rows = [...s.matchAll(/^\s+(\w+)\s+(\d+)\s+\d+\s+[\d.]+/gm)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
      const waits = rows.find(([name]) => name === 'wait4')?.[1] ?? 0;
      if (head.startsWith('node') && waits >= n && (!best || waits > (best.rows.find(([x]) => x === 'wait4')?.[1] ?? 0))) best = { head, rows };
    }
    if (!best) return 'syscalls per trap: the tracer thread was not found in the perf trace summary';
    const perTrap = best.rows.filter(([, c]) => c >= n / 2).map(([name, c]) => [name, (c / n).toFixed(2)]);
    const sum = best.rows.filter(([, c]) => c >= n / 2).reduce((a, [, c]) => a + c, 0) / n;
    return `system calls of the tracer thread (${best.head}) per trap (perf trace -s; calls made at least every other trap):\n\n` +
      table(['syscall', 'per trap'], [...perTrap, ['total', sum.toFixed(2)]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && /diagnose\.[jt]s$/.test(process.argv[1])) {
  const n = Number(process.argv[2] ?? 50_000);
  const root = packageRoot();
  const openloop = join(root, 'bench', 'out', 'openloop');
  if (!existsSync(openloop)) {
    process.stderr.write('diagnose: build the workloads first (make bench, or node dist/bench/run.js --only runtime --quick)\n');
    process.exit(2);
  }
  const profile = benchProfiles(root).trap;
  console.log(cpuProfile(root, openloop, profile, n));
  console.log('');
  console.log(syscallsPerTrap(root, openloop, profile, Math.min(n, 20_000)));
}
