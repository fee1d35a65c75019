// One downward stack: each folder of lib/ imports only from folders at or below its own level,
// with no cycle between folders. Read from the import statements of every lib/ file (static and
// dynamic imports alike), so that an upward import added anywhere fails this test.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { packageRoot } from '../lib/paths.js';

/**
 * The stack, from the bottom. A top-level file of lib/ (paths.ts, fault.ts) is its own unit.
 * arch and paths; bpf; profile, native and audit; compile, launch, the seatbelts and dns; trace; the process monitor
 * and doctor; the choice of a tier (which needs both); runtime (the Lambda bootstrap); record
 * (which serves a recording through runtime); cli.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['arch', 'paths', 'fault', 'errors', 'last-words'],
  ['bpf'],
  ['profile', 'native', 'audit'],
  ['compile', 'launch', 'seatbelt', 'dns'],
  ['trace'],
  ['monitor', 'doctor'],
  ['tier'],
  ['runtime'],
  ['record', 'report'],
  ['cli'],
];

const lib = join(packageRoot(), 'lib');
const level = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));

/** The unit of a file of lib/: its first folder, or its name for a top-level file. */
const unitOf = (file: string): string => relative(lib, file).split('/')[0]!.replace(/\.[jt]s$/, '');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Unit → the units it imports from, each with one file and line that does it. */
export function unitImports(files: readonly string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = unitOf(file);
    read(file).split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const to = unitOf(normalize(join(dirname(file), m[1]!)));
        if (to === from) continue;
        const seen = out.get(from) ?? out.set(from, new Map()).get(from)!;
        if (!seen.has(to)) seen.set(to, `${relative(packageRoot(), file)}:${i + 1}`);
      }
    });
  }
  return out;
}

/** Upward imports and unknown units, one line each. */
export function violations(edges: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of edges) {
    for (const [to, where] of tos) {
      const a = level.get(from);
      const b = level.get(to);
      if (a === undefined || b === undefined) bad.push(`${where}: ${from} → ${to}: ${a === undefined ? from : to} is not in the stack (test/layering.test.ts LAYERS)`);
      else if (b > a) bad.push(`${where}: ${from} (level ${a}) imports ${to} (level ${b}), which is above it`);
    }
  }
  return bad;
}

/** A cycle between units (same-level units may import each other, but not both ways round). */
export function cycle(edges: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (u: string): string[] | undefined => {
    if (state.get(u) === 'done') return undefined;
    if (state.get(u) === 'open') return [...path.slice(path.indexOf(u)), u];
    state.set(u, 'open');
    path.push(u);
    for (const v of edges.get(u)?.keys() ?? []) {
      const c = visit(v);
      if (c) return c;
    }
    path.pop();
    state.set(u, 'done');
    return undefined;
  };
  for (const u of edges.keys()) {
    const c = visit(u);
    if (c) return c;
  }
  return undefined;
}

const edges = unitImports(tsFiles(lib));

t.test('every folder of lib/ imports only from its level and below', async (t) => {
  t.same(violations(edges), [], 'no upward import');
  t.same(cycle(edges), undefined, 'no cycle between folders');
  t.same([...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].filter((u) => !level.has(u)), [], 'every unit has a level');
});

t.test('the check bites: an upward import, a cycle, an unknown folder', async (t) => {
  const fake = (files: Record<string, string>) => unitImports(Object.keys(files).map((f) => join(lib, f)), (f) => files[relative(lib, f)]!);
  t.match(violations(fake({ 'audit/event.ts': "import type { Verdict } from '../trace/tracer.js';" })), [/audit\/event\.ts:1: audit \(level 2\) imports trace \(level 4\)/]);
  t.match(violations(fake({ 'trace/loop.ts': "const m = await import('../record/x.js');" })), [/trace \(level 4\) imports record \(level 8\)/]);
  t.match(violations(fake({ 'widgets/a.ts': "import { x } from '../arch/index.js';" })), [/widgets is not in the stack/]);
  t.same(cycle(fake({ 'profile/a.ts': "import '../native/x.js';\nimport { y } from '../native/y.js';", 'native/b.ts': "import { z } from '../profile/z.js';" })), ['profile', 'native', 'profile']);
  t.same(violations(fake({ 'cli/main.ts': "import { run } from '../trace/supervisor.js';" })), [], 'downward is fine');
});

t.test('cli and bench use the public surface of each folder (its index.ts), not its insides', async (t) => {
  // bin/syscage's entry starts the tracer thread before the CLI loads: it takes prepare.ts alone.
  const EXEMPT = new Set(['lib/cli/entry.ts: ../trace/prepare.js']);
  const root = packageRoot();
  const inside: string[] = [];
  for (const file of [...tsFiles(join(lib, 'cli')), ...tsFiles(join(root, 'bench'))]) {
    const rel = relative(root, file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = relative(lib, normalize(join(dirname(file), m[1]!)));
      if (target.startsWith('..') || !target.includes('/')) continue; // outside lib/, or a top-level unit
      const [folder, ...rest] = target.split('/');
      if (file.startsWith(join(lib, folder!) + '/') || rest.join('/') === 'index.js') continue;
      if (!EXEMPT.has(`${rel}: ${m[1]}`)) inside.push(`${rel}: ${m[1]}`);
    }
  }
  t.same(inside, [], 'every import of another folder goes through its index.ts');
});
