// The runtime benchmark's tables and target verdicts, as markdown.
import { relative } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import type { LoopRow, Placement, RuntimeResults } from './runtime.js';
import { fmtSpread, table } from './stats.js';

export const TARGETS = {
  /** ns added per untrapped syscall by the largest shipped profile's filter. */
  filterAddedNs: 60,
  /** Per trapped call: no worse than strace, within this factor of mintrace. */
  trapFloorFactor: 2,
  launchMs: 150,
} as const;

const best = (v: number | undefined, digits: number): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const x = (r: number | undefined): string => (r === undefined || !Number.isFinite(r) ? '' : `${r.toFixed(2)}×`);
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

function find(rows: readonly LoopRow[], tool: string, placement: Placement): LoopRow | undefined {
  return rows.find((r) => r.tool === tool && r.placement === placement);
}

export function renderRuntime(r: RuntimeResults): string {
  const out: string[] = [];
  const rel = (p: string) => relative(packageRoot(), p);
  const o = r.options;

  // (a) filter cost
  out.push(`## Filter cost per untrapped syscall (getpidloop: getppid × ${o.getppidCalls}; target ≤ ${TARGETS.filterAddedNs} ns added)\n`);
  out.push(`syscage runs ${rel(r.profiles.filter)} (profiles/examples/orders-api.yaml, the largest shipped profile, + the loader's files); ` +
    `strace: \`strace -f --seccomp-bpf -e trace=openat -o /dev/null\`; mintrace: \`mintrace -n\` (a 14-instruction filter). ` +
    `ns per call = (T(M) − T(1)) / (M − 1), medians of ${o.reps} [min–max]; "added" is over native's median; ` +
    `"best runs": fastest run minus native's fastest (noise only adds time). Targets are judged on the median.\n`);
  out.push(table(
    ['tool', 'placement', 'ns / getppid', 'added ns', 'added, best runs', '× native', 'added × strace', 'checked calls'],
    r.filter.map((row) => row.unavailable
      ? [row.tool, row.placement, row.unavailable, '', '', '', '', '']
      : [row.tool, row.placement, fmtSpread(row.perCall, 1), row.added ? fmtSpread(row.added, 1) : '—', best(row.addedBest, 1), x(row.ratioNative), x(row.ratioStrace), row.traps ?? '']),
  ));
  out.push('');

  // (b) per-trap cost
  out.push(`## Per trapped openat (openloop: openat+close × ${o.openCalls}, every openat trapped; targets: syscage ≤ strace, ≤ ${TARGETS.trapFloorFactor}× mintrace)\n`);
  out.push(`syscage runs ${rel(r.profiles.trap)}: every openat goes to the supervisor, which reads the path, resolves it and matches files.read. ` +
    `mintrace: the same checks in C (read path, cwd/dirfd, normalise, prefix allowlist) — the floor; mintrace -n: bare stop/resume. ` +
    `µs per iteration = (T(N) − T(1)) / (N − 1), medians of ${o.reps} [min–max]; "added" is over native's median; ` +
    `"best runs": fastest run minus native's fastest. Ratios and targets use the medians.\n`);
  out.push(table(
    ['tool', 'placement', 'µs / iteration', 'added µs', 'added, best runs', '× native', 'added × strace', 'added × mintrace', 'checked calls'],
    r.trap.map((row) => row.unavailable
      ? [row.tool, row.placement, row.unavailable, '', '', '', '', '', '']
      : [row.tool, row.placement, fmtSpread(us(row.perCall), 2), row.added ? fmtSpread(us(row.added), 2) : '—',
        best(row.addedBest === undefined ? undefined : row.addedBest / 1e3, 2), x(row.ratioNative),
        x(row.ratioStrace), x(row.ratioFloor), row.traps ?? '']),
  ));
  out.push('');

  // (c) launch
  out.push(`## Launch (target: syscage run ≤ ${TARGETS.launchMs} ms; ${rel(r.profiles.launch)})\n`);
  out.push(table(
    ['command', 'placement', 'wall ms, median [min–max]'],
    r.launch.map((row) => [row.command, row.placement, row.unavailable ?? fmtSpread(row.ms, 1)]),
  ));
  out.push('');

  // (d) memory
  out.push('## Supervisor peak RSS (`/usr/bin/time -f %M`: the largest ru_maxrss of the process and its reaped children — the supervisor, its stage-2 Node is smaller)\n');
  out.push(table(
    ['process', 'placement', 'peak RSS MB, median [min–max]'],
    r.rss.map((row) => [row.process, row.placement, row.unavailable ?? fmtSpread(row.mb, 1)]),
  ));
  out.push('');

  out.push('## Runtime targets\n');
  out.push(...targetLines(r).map((l) => `- ${l}`));
  out.push(`\n(runtime benchmarks took ${r.seconds.toFixed(0)} s)`);
  return out.join('\n');
}

const us = (s: LoopRow['perCall']) => s && { ...s, median: s.median / 1e3, min: s.min / 1e3, max: s.max / 1e3 };

/** One line per target and placement: met / MISSED / not measured. */
export function targetLines(r: RuntimeResults): string[] {
  const lines: string[] = [];
  for (const p of ['pinned', 'default'] as const) {
    const s = find(r.filter, 'syscage', p);
    lines.push(s?.added
      ? `filter cost (${p}): syscage adds ${s.added.median.toFixed(1)} ns per untrapped syscall — target ≤ ${TARGETS.filterAddedNs} ns: ${verdict(s.added.median <= TARGETS.filterAddedNs)}`
      : `filter cost (${p}): not measured — ${s?.unavailable ?? 'n/a'}`);
  }
  for (const p of ['pinned', 'default'] as const) {
    const s = find(r.trap, 'syscage', p);
    const st = find(r.trap, 'strace', p);
    const m = find(r.trap, 'mintrace', p);
    if (!s?.added) {
      lines.push(`per trap (${p}): not measured — ${s?.unavailable ?? 'n/a'}`);
      continue;
    }
    const a = s.added.median / 1e3;
    const parts = [`per trap (${p}): syscage adds ${a.toFixed(2)} µs`];
    parts.push(st?.added
      ? `vs strace ${(st.added.median / 1e3).toFixed(2)} µs — ≤ strace: ${verdict(s.added.median <= st.added.median)}`
      : `strace ${st?.unavailable ?? 'n/a'}`);
    parts.push(m?.added
      ? `vs mintrace ${(m.added.median / 1e3).toFixed(2)} µs (${(s.added.median / m.added.median).toFixed(2)}×) — ≤ ${TARGETS.trapFloorFactor}× mintrace: ${verdict(s.added.median <= TARGETS.trapFloorFactor * m.added.median)}`
      : `mintrace ${m?.unavailable ?? 'n/a'}`);
    lines.push(parts.join('; '));
  }
  for (const p of ['pinned', 'default'] as const) {
    const l = r.launch.find((row) => row.placement === p && row.command.startsWith('syscage'));
    lines.push(l?.ms
      ? `launch (${p}): syscage run -- /bin/true ${l.ms.median.toFixed(0)} ms — target ≤ ${TARGETS.launchMs} ms: ${verdict(l.ms.median <= TARGETS.launchMs)}`
      : `launch (${p}): not measured — ${l?.unavailable ?? 'n/a'}`);
  }
  return lines;
}
