// `make bench`: runs the benchmarks and prints one table per topic.
// Performance targets are checked here, never in timed tests.
//
//   node dist/bench/run.js [--only compile|runtime|record|lambda|monitor|seatbelt|egress|coldstart] [--quick]
//
// The results also go to bench/out/latest.json (machine, options, every number).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';
import { benchColdstart, COLDSTART_DEFAULT_OPTIONS, COLDSTART_QUICK_OPTIONS, renderColdstart, type ColdstartResults } from './coldstart.js';
import { benchCompile, type CompileRow } from './compile.js';
import { benchEgress, EGRESS_DEFAULT_OPTIONS, EGRESS_QUICK_OPTIONS, renderEgress, type EgressResults } from './egress.js';
import { benchLambda, renderLambda, type LambdaRow } from './lambda.js';
import { benchMonitor, MONITOR_DEFAULT_OPTIONS, MONITOR_QUICK_OPTIONS, renderMonitor, type MonitorResults } from './monitor.js';
import { benchRecord, RECORD_DEFAULT_OPTIONS, RECORD_QUICK_OPTIONS, renderRecord, type RecordResults } from './record.js';
import { benchSeatbelt, renderSeatbelt, SEATBELT_DEFAULT_OPTIONS, SEATBELT_QUICK_OPTIONS, type SeatbeltResults } from './seatbelt.js';
import { benchRuntime, DEFAULT_OPTIONS, QUICK_OPTIONS, type RuntimeResults } from './runtime.js';
import { renderRuntime } from './runtime-report.js';
import { table } from './stats.js';

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const quick = argv.includes('--quick');
if (only !== undefined && only !== 'compile' && only !== 'runtime' && only !== 'record' && only !== 'lambda' && only !== 'monitor' && only !== 'seatbelt' && only !== 'egress' && only !== 'coldstart') {
  process.stderr.write('usage: node dist/bench/run.js [--only compile|runtime|record|lambda|monitor|seatbelt|egress|coldstart] [--quick]\n');
  process.exit(2);
}

const machine = { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, kernel: release(), node: process.version };
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
console.log(`machine: ${machine.cores} x ${machine.cpu}, Linux ${machine.kernel}, Node ${machine.node}; load average ${loadBefore}` +
  (loadavg()[0]! > 0.5 ? ' (other work is running: expect noise)' : '') + '\n');

let compile: CompileRow[] | undefined;
if (only === undefined || only === 'compile') {
  console.log('## Compiler (target: < 50 ms for the largest shipped profile; depth = ceil(log2 ranges), the least a comparison tree can do)\n');
  const rows = benchCompile();
  compile = rows;
  console.log(table(
    ['profile', 'arch', 'syscalls named', 'ranges', 'depth', 'ceil(log2 named)', 'instructions', 'cold ms', 'warm ms'],
    rows.map((r) => [r.profile, r.arch, r.named, r.ranges, r.depth, r.log2Named, r.length, r.coldMs.toFixed(1), r.warmMs.toFixed(2)]),
  ));
  const largest = rows.reduce((a, b) => (b.length > a.length ? b : a));
  const worst = Math.max(...rows.map((r) => r.coldMs));
  console.log(`\nlargest shipped profile: ${largest.profile} (${largest.arch}, ${largest.length} instructions): ` +
    `cold ${largest.coldMs.toFixed(1)} ms, warm ${largest.warmMs.toFixed(2)} ms — target < 50 ms: ${worst < 50 ? 'met' : 'MISSED'} (worst cold ${worst.toFixed(1)} ms)\n`);
}

let runtime: RuntimeResults | undefined;
if (only === undefined || only === 'runtime') {
  runtime = benchRuntime({ ...(quick ? QUICK_OPTIONS : DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log(renderRuntime(runtime));
}

let record: RecordResults | undefined;
if (only === undefined || only === 'record') {
  record = benchRecord({ ...(quick ? RECORD_QUICK_OPTIONS : RECORD_DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log('\n' + renderRecord(record));
}
const loadAfter = load();
console.log(`\nload average at the end: ${loadAfter}`);

const out = join(packageRoot(), 'bench', 'out');
mkdirSync(out, { recursive: true });
let lambda: LambdaRow[] | undefined;
if (only === undefined || only === 'lambda') {
  lambda = await benchLambda(quick ? 100 : 300, quick ? 1 : 3);
  console.log('\n' + renderLambda(lambda));
}

let monitor: MonitorResults | undefined;
if (only === undefined || only === 'monitor') {
  monitor = await benchMonitor({ ...(quick ? MONITOR_QUICK_OPTIONS : MONITOR_DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log('\n' + renderMonitor(monitor));
}

let seatbelt: SeatbeltResults | undefined;
if (only === undefined || only === 'seatbelt') {
  seatbelt = await benchSeatbelt({ ...(quick ? SEATBELT_QUICK_OPTIONS : SEATBELT_DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log('\n' + renderSeatbelt(seatbelt));
}

let egress: EgressResults | undefined;
if (only === undefined || only === 'egress') {
  egress = benchEgress({ ...(quick ? EGRESS_QUICK_OPTIONS : EGRESS_DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log('\n' + renderEgress(egress));
}

let coldstart: ColdstartResults | undefined;
if (only === undefined || only === 'coldstart') {
  coldstart = await benchColdstart({ ...(quick ? COLDSTART_QUICK_OPTIONS : COLDSTART_DEFAULT_OPTIONS), log: (l) => process.stderr.write(l + '\n') });
  console.log('\n' + renderColdstart(coldstart));
}

writeFileSync(join(out, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), machine, load: { before: loadBefore, after: loadAfter }, quick, compile, runtime, record, lambda, monitor, seatbelt, egress, coldstart }, null, 2) + '\n');
