// The runtime benchmark's tables and target verdicts, as markdown.
import { relative } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import type { LoopRow, Placement, RuntimeResults } from './runtime.js';
import { fmtSpread, table } from './stats.js';

export const TARGETS = {
  /** ns added per untrapped syscall by the largest shipped profile's filter. */
  filterAddedNs: 60,
  /** Per trapped openat, back to back and pinned: no worse than strace, within this factor of mintrace (each backend). */
  trapFloorFactor: 1.2,
  /** An isolated checked openat (spaced by a sleep) with this many idle threads: within this factor of mintrace's in the same conditions. */
  isolatedThreads: 8,
  isolatedFloorFactor: 1.5,
  launchMs: 150,
} as const;

/** The backends the tables show syscage under (bench/runtime.ts syscageTools). */
const BACKENDS = ['notify', 'ptrace'] as const;

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
  out.push(`Every loop of checked calls below first makes ${o.warmCalls} untimed ones (in T(N) and T(1) alike, so they cancel out): the supervisor measured is warm, its JIT having compiled ` +
    `what a checked call runs through, as a C tracer is from its first call. A fresh supervisor's first calls have a table of their own, at the end.\n`);
  out.push(`syscage runs ${rel(r.profiles.trap)}: every openat goes to the supervisor, which reads the path, resolves it and matches files.read. ` +
    `mintrace: the same checks in C (read path, cwd/dirfd, normalise, prefix allowlist) — the floor; mintrace -n: bare stop/resume; ` +
    `minnotify: the notification backend's design in C — each openat pinned, checked on what the pin reached, reopened and installed in the caller by the supervisor (11 syscalls: bench/workloads/minnotify.c). ` +
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

  // (b') per-trap cost with idle threads: back to back, then spaced
  out.push(`## Per trapped openat with K idle threads, back to back (openloop-threads: K threads blocked in a futex wait, then openat+close × ${o.threadOpenCalls}; K = ${o.threadCounts.join(', ')})\n`);
  out.push(`syscage holds the sandbox still for a checked call that reads the tracee's memory, as every openat here does (lib/trace/hold.ts: each other thread is stopped with PTRACE_INTERRUPT ` +
    `before the path is read, and the call runs alone to its syscall-exit stop), so a trap costs more with idle threads; native and strace do not hold. ` +
    `Back to back, one hold lasts across the calls (lib/trace/hold.ts: HOLD_IDLE_MS, HOLD_MAX_MS): the best case. ` +
    `Same profile and formulas as above, native taken with the same K; every K and tool interleaved in the same rounds, medians of ${o.reps} [min–max]; ` +
    `"over K=0": the median added cost minus the same tool's at K = 0, "per thread": that / K. ` +
    `"in-loop": the workload's own clock around its loop, ÷ N, minus native's (no start-up to cancel out: steadier on a loaded machine; ` +
    `the wall columns also carry the jitter of the untimed calls' JIT warm-up, which T(1) makes too: trust in-loop).\n`);
  out.push(threadsTable(r.threads, true));
  out.push('');
  out.push(`## Per trapped openat with K idle threads, spaced (the same, with a ${o.spacedGapUs} µs sleep before each openat; × ${o.spacedOpenCalls}; K = ${o.spacedThreadCounts.join(', ')})\n`);
  out.push(`The hold ends when its owner sleeps, so every call takes a new one: the cost of a checked call that comes alone (a server between requests), ` +
    `made by a supervisor that has been running a while (the cold table below is the same without the untimed calls). ` +
    `Only in-loop here: the workload's own clock around each openat+close, summed, ÷ N, minus native's (the sleeps' jitter would swamp T(N) − T(1), which is not run). ` +
    `Releasing the hold overlaps the sleep and is not counted. Medians of ${o.reps} [min–max].\n`);
  out.push(threadsTable(r.threadsSpaced, false));
  out.push('');
  out.push(`## A fresh supervisor's first checked calls (the spaced loop at K = 0 with no warm-up: × ${o.spacedOpenCalls})\n`);
  out.push(`What a command that makes few checked calls pays for each: syscage's code runs unoptimised at first, and V8 compiles the hot paths of a checked call over its first few thousand ` +
    `(TurboFan, tens of ms per function on these machines: on one CPU, that time is taken from the command). A C tracer has no such phase. Reported; no target.\n`);
  out.push(threadsTable(r.spacedCold, false));
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

/** The per-trap cost with K idle threads (openloop-threads): one row per K, tool and placement; `wall`: with the T(N) − T(1) columns. */
function threadsTable(rows: readonly LoopRow[], wall: boolean): string {
  const us1 = (ns: number | undefined) => (ns === undefined ? '' : (ns / 1e3).toFixed(2));
  const perThread = (ns: number | undefined, k: number | undefined) => (ns === undefined || !k ? '' : us1(ns / k));
  const head = ['K', 'tool', 'placement'];
  const wallHead = ['µs / iteration', 'added µs', 'added, best runs', 'added over K=0 µs', 'per thread µs'];
  const inLoopHead = [...(wall ? [] : ['in-loop µs / iteration']), 'in-loop added µs', 'in-loop over K=0 µs', 'in-loop per thread µs', 'checked calls'];
  const headers = [...head, ...(wall ? wallHead : []), ...inLoopHead];
  return table(headers, rows.map((row) => {
    const lead = [row.threads ?? '', row.tool, row.placement];
    if (row.unavailable) return [...lead, row.unavailable, ...Array<string>(headers.length - lead.length - 1).fill('')];
    const wallCells = [fmtSpread(us(row.perCall), 2), row.added ? fmtSpread(us(row.added), 2) : '—',
      best(row.addedBest === undefined ? undefined : row.addedBest / 1e3, 2), us1(row.addedOverK0), perThread(row.addedOverK0, row.threads)];
    const inLoopCells = [...(wall ? [] : [row.inLoop ? fmtSpread(us(row.inLoop), 2) : 'n/a']),
      row.inLoopAdded ? fmtSpread(us(row.inLoopAdded), 2) : (row.inLoop ? '—' : 'n/a'),
      us1(row.inLoopOverK0), perThread(row.inLoopOverK0, row.threads), row.traps ?? ''];
    return [...lead, ...(wall ? wallCells : []), ...inLoopCells];
  }));
}

/** One line per target and placement: met / MISSED / not measured. */
export function targetLines(r: RuntimeResults): string[] {
  const lines: string[] = [];
  for (const b of BACKENDS) {
    const tool = `syscage ${b}`;
    for (const p of ['pinned', 'default'] as const) {
      const s = find(r.filter, tool, p);
      lines.push(s?.added
        ? `filter cost, ${b} backend (${p}): syscage adds ${s.added.median.toFixed(1)} ns per untrapped syscall — target ≤ ${TARGETS.filterAddedNs} ns: ${verdict(s.added.median <= TARGETS.filterAddedNs)}`
        : `filter cost, ${b} backend (${p}): not measured — ${s?.unavailable ?? 'n/a'}`);
    }
    for (const p of ['pinned', 'default'] as const) {
      const s = find(r.trap, tool, p);
      const st = find(r.trap, 'strace', p);
      const m = find(r.trap, 'mintrace', p);
      if (!s?.added) {
        lines.push(`per trap, ${b} backend (${p}): not measured — ${s?.unavailable ?? 'n/a'}`);
        continue;
      }
      const a = s.added.median / 1e3;
      const parts = [`per trap, ${b} backend (${p}): syscage adds ${a.toFixed(2)} µs`];
      parts.push(st?.added
        ? `vs strace ${(st.added.median / 1e3).toFixed(2)} µs — ≤ strace: ${verdict(s.added.median <= st.added.median)}`
        : `strace ${st?.unavailable ?? 'n/a'}`);
      parts.push(m?.added
        ? `vs mintrace ${(m.added.median / 1e3).toFixed(2)} µs (${(s.added.median / m.added.median).toFixed(2)}×) — ≤ ${TARGETS.trapFloorFactor}× mintrace: ${verdict(s.added.median <= TARGETS.trapFloorFactor * m.added.median)}`
        : `mintrace ${m?.unavailable ?? 'n/a'}`);
      // The notification backend's own design in C: how much of its cost is the design, how much the supervisor (reported).
      const mn = b === 'notify' ? find(r.trap, 'minnotify', p) : undefined;
      if (mn?.added && m?.added) {
        parts.push(`vs minnotify (the same design in C) ${(mn.added.median / 1e3).toFixed(2)} µs (${(s.added.median / mn.added.median).toFixed(2)}×; ` +
          `minnotify is ${(mn.added.median / m.added.median).toFixed(2)}× mintrace) — reported`);
      }
      lines.push(parts.join('; '));
    }
    for (const p of ['pinned', 'default'] as const) {
      const k = TARGETS.isolatedThreads;
      const s = r.threadsSpaced.find((row) => row.tool === tool && row.placement === p && row.threads === k);
      const m = r.threadsSpaced.find((row) => row.tool === 'mintrace' && row.placement === p && row.threads === k);
      if (!s?.inLoopAdded || !m?.inLoopAdded) {
        lines.push(`isolated checked call with ${k} idle threads, ${b} backend (${p}): not measured — ${s?.unavailable ?? m?.unavailable ?? 'n/a'}`);
        continue;
      }
      const f = s.inLoopAdded.median / m.inLoopAdded.median;
      const mn = b === 'notify' ? r.threadsSpaced.find((row) => row.tool === 'minnotify' && row.placement === p && row.threads === k) : undefined;
      lines.push(`isolated checked call with ${k} idle threads, ${b} backend (${p}): syscage adds ${(s.inLoopAdded.median / 1e3).toFixed(1)} µs, ` +
        `mintrace ${(m.inLoopAdded.median / 1e3).toFixed(1)} µs (${f.toFixed(2)}×) — ≤ ${TARGETS.isolatedFloorFactor}× mintrace: ${verdict(f <= TARGETS.isolatedFloorFactor)}` +
        (mn?.inLoopAdded ? `; minnotify (the same design in C) ${(mn.inLoopAdded.median / 1e3).toFixed(1)} µs (${(s.inLoopAdded.median / mn.inLoopAdded.median).toFixed(2)}×) — reported` : ''));
    }
    for (const p of ['pinned', 'default'] as const) {
      const s = find(r.spacedCold, tool, p);
      const m = find(r.spacedCold, 'mintrace', p);
      const warm = r.threadsSpaced.find((row) => row.tool === tool && row.placement === p && row.threads === 0);
      lines.push(s?.inLoopAdded && m?.inLoopAdded
        ? `a fresh supervisor's first ${r.options.spacedOpenCalls} checked calls, spaced, ${b} backend (${p}): syscage adds ${(s.inLoopAdded.median / 1e3).toFixed(1)} µs each` +
          `${warm?.inLoopAdded ? ` (warm: ${(warm.inLoopAdded.median / 1e3).toFixed(1)})` : ''}, mintrace ${(m.inLoopAdded.median / 1e3).toFixed(1)} µs — reported`
        : `a fresh supervisor's first calls, ${b} backend (${p}): not measured — ${s?.unavailable ?? m?.unavailable ?? 'n/a'}`);
    }
  }
  for (const p of ['pinned', 'default'] as const) {
    const l = r.launch.find((row) => row.placement === p && row.command.startsWith('syscage'));
    lines.push(l?.ms
      ? `launch (${p}): syscage run -- /bin/true ${l.ms.median.toFixed(0)} ms — target ≤ ${TARGETS.launchMs} ms: ${verdict(l.ms.median <= TARGETS.launchMs)}`
      : `launch (${p}): not measured — ${l?.unavailable ?? 'n/a'}`);
  }
  return lines;
}
