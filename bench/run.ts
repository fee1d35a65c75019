// `make bench`: runs the benchmarks and prints one table per topic.
// Performance targets are checked here, never in timed tests.
import { cpus, release } from 'node:os';
import { benchCompile } from './compile.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(headers), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}\n`);

console.log('## Compiler (target: < 50 ms for the largest shipped profile; depth = ceil(log2 ranges), the least a comparison tree can do)\n');
const rows = benchCompile();
console.log(table(
  ['profile', 'arch', 'syscalls named', 'ranges', 'depth', 'ceil(log2 named)', 'instructions', 'cold ms', 'warm ms'],
  rows.map((r) => [r.profile, r.arch, r.named, r.ranges, r.depth, r.log2Named, r.length, r.coldMs.toFixed(1), r.warmMs.toFixed(2)]),
));
const largest = rows.reduce((a, b) => (b.length > a.length ? b : a));
const worst = Math.max(...rows.map((r) => r.coldMs));
console.log(`\nlargest shipped profile: ${largest.profile} (${largest.arch}, ${largest.length} instructions): ` +
  `cold ${largest.coldMs.toFixed(1)} ms, warm ${largest.warmMs.toFixed(2)} ms — target < 50 ms: ${worst < 50 ? 'met' : 'MISSED'} (worst cold ${worst.toFixed(1)} ms)`);
