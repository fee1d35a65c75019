// Compiler benchmark: how long loading + compiling a profile takes, cold (a
// fresh process: tables and schema read from disk) and warm (median of
// repeated runs in one process), and the dispatch depth against its bound.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHES, type Arch } from '../lib/arch/index.js';
import { compileProfile } from '../lib/compile/index.js';
import { loadProfile } from '../lib/profile/index.js';
import { packageRoot } from '../lib/paths.js';

export interface CompileRow {
  profile: string;
  arch: Arch;
  named: number;
  ranges: number;
  depth: number;
  /** ceil(log2 named): what a search over the named syscalls alone would need. */
  log2Named: number;
  length: number;
  coldMs: number;
  warmMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(path: string, arch: Arch): number {
  const t0 = process.hrtime.bigint();
  compileProfile(loadProfile(path).profile, arch);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Shipped profiles: profiles/*.yaml and profiles/examples/*.yaml. */
export function shippedProfiles(): string[] {
  const root = packageRoot();
  const list = (d: string) => readdirSync(join(root, d)).filter((f) => f.endsWith('.yaml')).map((f) => join(d, f));
  return [...list('profiles'), ...list('profiles/examples')];
}

export function benchCompile(): CompileRow[] {
  const root = packageRoot();
  const rows: CompileRow[] = [];
  for (const rel of shippedProfiles()) {
    const path = join(root, rel);
    for (const arch of ARCHES) {
      // Cold: a new process that loads and compiles once (the first compile in the CLI or the bootstrap).
      const cold = median([0, 1, 2].map(() => Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--once', path, arch]).toString())));
      const warm = median(Array.from({ length: 20 }, () => once(path, arch)));
      const c = compileProfile(loadProfile(path).profile, arch);
      rows.push({
        profile: rel, arch, named: c.stats.named, ranges: c.stats.ranges, depth: c.stats.depth,
        log2Named: Math.ceil(Math.log2(Math.max(1, c.stats.named))), length: c.stats.length, coldMs: cold, warmMs: warm,
      });
    }
  }
  return rows;
}

if (process.argv[2] === '--once') {
  process.stdout.write(String(once(process.argv[3]!, process.argv[4] as Arch)));
}
