// The Lambda path: what `syscage bootstrap` (Runtime API proxy + sandbox) adds
// to each invocation and to the cold start, against the same custom runtime
// talking to the same local Runtime API emulator directly, in the same run.
// The runtime is test/fixtures/invoke/echo-runtime.py (a new connection per
// request, as simple runtimes do).
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import { startEmulator, type InvocationResult, serveLocally } from '../lib/runtime/index.js';
import { quantile, table } from './stats.js';

export interface LambdaRow { mode: string; p50: number; p99: number; coldMs: number; n: number }

/** The Python that runs the echo runtime (the per-invocation benchmarks here and in monitor.ts). */
export const PY = '/usr/bin/python3';
/** The echo runtime: a Lambda custom runtime loop that answers each event with it. */
export const runtime = () => join(packageRoot(), 'test', 'fixtures', 'invoke', 'echo-runtime.py');
/** Sub-millisecond timestamps for the emulator (Date.now() has 1 ms steps). */
export const fineClock = {
  now: () => performance.timeOrigin + performance.now(),
  schedule: (ms: number, cb: () => void) => {
    const t = setTimeout(cb, ms);
    return () => clearTimeout(t);
  },
};


async function bare(n: number): Promise<{ results: InvocationResult[]; coldMs: number }> {
  const emulator = await startEmulator({ events: Array.from({ length: n }, (_, i) => ({ n: i })), timeoutMs: 60_000, clock: fineClock });
  const t0 = fineClock.now();
  const child = spawn(PY, [runtime()], { env: emulator.env(), stdio: 'ignore' });
  const results = await emulator.results;
  const coldMs = (results[0]?.handedOutAt ?? NaN) - t0;
  child.kill('SIGTERM');
  await emulator.close();
  return { results, coldMs };
}

async function sandboxed(n: number): Promise<{ results: InvocationResult[]; coldMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-lambda-'));
  const profile = join(dir, 'syscage.yaml');
  writeFileSync(profile, 'version: 1\ndefault: allow\nfiles:\n  read: ["/**"]\nnetwork:\n  connect: []\n');
  const t0 = fineClock.now();
  const { results } = await serveLocally({
    emulator: { events: Array.from({ length: n }, (_, i) => ({ n: i })), timeoutMs: 60_000, clock: fineClock },
    env: { SYSCAGE_PROFILE: profile, SYSCAGE_COMMAND: JSON.stringify([PY, runtime()]) },
    deps: { log: { log: () => undefined, emit: () => undefined } },
  });
  // Start → the first /next reaching the Runtime API (here including the emulator's own start, ~1 ms).
  const coldMs = (results[0]?.handedOutAt ?? NaN) - t0;
  return { results, coldMs };
}

export async function benchLambda(n = 300, rounds = 3): Promise<LambdaRow[]> {
  const rows: LambdaRow[] = [];
  for (const [mode, run] of [['runtime alone', bare], ['behind syscage bootstrap', sandboxed]] as const) {
    const durations: number[] = [];
    const colds: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const { results, coldMs } = await run(n);
      // The first invocation includes the runtime's warm-up: leave it out of the per-invocation numbers.
      durations.push(...results.slice(1).map((x) => x.durationMs));
      colds.push(coldMs);
    }
    rows.push({ mode, p50: quantile(durations, 0.5), p99: quantile(durations, 0.99), coldMs: quantile(colds, 0.5), n: durations.length });
  }
  return rows;
}

export function renderLambda(rows: LambdaRow[]): string {
  const [a, b] = rows;
  const lines = [
    '## Lambda path (echo runtime, local Runtime API emulator; per invocation = /next handed out → response received)',
    '',
    table(['mode', 'invocations', 'p50 ms', 'p99 ms', 'cold start ms (start → first /next)'],
      rows.map((r) => [r.mode, String(r.n), r.p50.toFixed(2), r.p99.toFixed(2), r.coldMs.toFixed(0)])),
  ];
  if (a && b) lines.push('', `syscage adds ${(b.p50 - a.p50).toFixed(2)} ms at p50 and ${(b.p99 - a.p99).toFixed(2)} ms at p99 per invocation, and ${(b.coldMs - a.coldMs).toFixed(0)} ms to the cold start.`);
  return lines.join('\n');
}
