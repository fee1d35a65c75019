// `make bench`: runs the benchmarks and prints one table per topic.
// Performance targets are checked here, never in timed tests.
//
//   node dist/bench/run.js [--only compile|runtime|record|lambda|monitor|seatbelt|egress|coldstart|report] [--quick]
//
// The results also go to bench/out/latest.json (machine, options, every number).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import { benchColdstart, COLDSTART_DEFAULT_OPTIONS, COLDSTART_QUICK_OPTIONS, renderColdstart } from './coldstart.js';
import { benchCompile, type CompileRow } from './compile.js';
import { benchEgress, EGRESS_DEFAULT_OPTIONS, EGRESS_QUICK_OPTIONS, renderEgress } from './egress.js';
import { benchLambda, renderLambda } from './lambda.js';
import { benchMonitor, MONITOR_DEFAULT_OPTIONS, MONITOR_QUICK_OPTIONS, renderMonitor } from './monitor.js';
import { benchRecord, RECORD_DEFAULT_OPTIONS, RECORD_QUICK_OPTIONS, renderRecord } from './record.js';
import { benchReport, renderReport, REPORT_DEFAULT_OPTIONS, REPORT_QUICK_OPTIONS } from './report.js';
import { benchSeatbelt, renderSeatbelt, SEATBELT_DEFAULT_OPTIONS, SEATBELT_QUICK_OPTIONS } from './seatbelt.js';
import { benchRuntime, DEFAULT_OPTIONS, QUICK_OPTIONS } from './runtime.js';
import { renderRuntime } from './runtime-report.js';
import { table } from './stats.js';

type Log = (line: string) => void;

/** One topic of `--only`: how to run it (quick or not) and how to print what it measured. */
interface Topic {
  readonly name: string;
  readonly run: (quick: boolean, log: Log) => Promise<{ readonly result: unknown; readonly text: string }>;
}

/** A topic whose benchmark takes default or quick options plus a progress log. */
function topic<O, R>(name: string, options: { readonly full: O; readonly quick: O }, bench: (o: O & { log: Log }) => R | Promise<R>, render: (r: R) => string): Topic {
  return {
    name,
    run: async (quick, log) => {
      const result = await bench({ ...(quick ? options.quick : options.full), log });
      return { result, text: render(result) };
    },
  };
}

function renderCompile(rows: CompileRow[]): string {
  const largest = rows.reduce((a, b) => (b.length > a.length ? b : a));
  const worst = Math.max(...rows.map((r) => r.coldMs));
  return '## Compiler (target: < 50 ms for the largest shipped profile; depth = ceil(log2 ranges), the least a comparison tree can do)\n\n' +
    table(
      ['profile', 'arch', 'syscalls named', 'ranges', 'depth', 'ceil(log2 named)', 'instructions', 'cold ms', 'warm ms'],
      rows.map((r) => [r.profile, r.arch, r.named, r.ranges, r.depth, r.log2Named, r.length, r.coldMs.toFixed(1), r.warmMs.toFixed(2)]),
    ) +
    `\n\nlargest shipped profile: ${largest.profile} (${largest.arch}, ${largest.length} instructions): ` +
    `cold ${largest.coldMs.toFixed(1)} ms, warm ${largest.warmMs.toFixed(2)} ms — target < 50 ms: ${worst < 50 ? 'met' : 'MISSED'} (worst cold ${worst.toFixed(1)} ms)\n`;
}

/** In the order they run (`make bench` runs them all). */
const TOPICS: readonly Topic[] = [
  { name: 'compile', run: async () => { const rows = benchCompile(); return { result: rows, text: renderCompile(rows) }; } },
  topic('runtime', { full: DEFAULT_OPTIONS, quick: QUICK_OPTIONS }, benchRuntime, renderRuntime),
  topic('record', { full: RECORD_DEFAULT_OPTIONS, quick: RECORD_QUICK_OPTIONS }, benchRecord, renderRecord),
  { name: 'lambda', run: async (quick) => { const rows = await benchLambda(quick ? 100 : 300, quick ? 1 : 3); return { result: rows, text: renderLambda(rows) }; } },
  topic('monitor', { full: MONITOR_DEFAULT_OPTIONS, quick: MONITOR_QUICK_OPTIONS }, benchMonitor, renderMonitor),
  topic('seatbelt', { full: SEATBELT_DEFAULT_OPTIONS, quick: SEATBELT_QUICK_OPTIONS }, benchSeatbelt, renderSeatbelt),
  topic('egress', { full: EGRESS_DEFAULT_OPTIONS, quick: EGRESS_QUICK_OPTIONS }, benchEgress, renderEgress),
  topic('coldstart', { full: COLDSTART_DEFAULT_OPTIONS, quick: COLDSTART_QUICK_OPTIONS }, benchColdstart, renderColdstart),
  topic('report', { full: REPORT_DEFAULT_OPTIONS, quick: REPORT_QUICK_OPTIONS }, benchReport, renderReport),
];

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const quick = argv.includes('--quick');
if (only !== undefined && !TOPICS.some((t) => t.name === only)) {
  process.stderr.write(`usage: node dist/bench/run.js [--only ${TOPICS.map((t) => t.name).join('|')}] [--quick]\n`);
  process.exit(2);
}

const machine = { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, kernel: release(), node: process.version };
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
console.log(`machine: ${machine.cores} x ${machine.cpu}, Linux ${machine.kernel}, Node ${machine.node}; load average ${loadBefore}` +
  (loadavg()[0]! > 0.5 ? ' (other work is running: expect noise)' : '') + '\n');

const results: Record<string, unknown> = {};
for (const t of TOPICS.filter((t) => only === undefined || t.name === only)) {
  const { result, text } = await t.run(quick, (l) => process.stderr.write(l + '\n'));
  results[t.name] = result;
  console.log('\n' + text);
}
const loadAfter = load();
console.log(`\nload average at the end: ${loadAfter}`);

const out = join(packageRoot(), 'bench', 'out');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), machine, load: { before: loadBefore, after: loadAfter }, quick, ...results }, null, 2) + '\n');
