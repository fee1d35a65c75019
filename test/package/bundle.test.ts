// The bundle (scripts/bundle.mjs): what bin/syscage and the Lambda layer's bootstrap load. Built by
// `npm run build` (the test command builds first); a missing or stale bundle fails here rather than
// leaving the CLI to run code older than dist/lib.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { compiledFile, packageRoot } from '../../lib/paths.js';
import { BOOTSTRAP_ENTRY } from '../../lib/runtime/layer.js';

const root = packageRoot();
const bundle = join(root, 'dist', 'bundle');
const ENTRIES = ['cli/entry.js', 'trace/worker.js', 'launch/stage2.js'];
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));

t.test('every entry is built, and no older than any compiled module (a build by tsc alone leaves it stale)', async (t) => {
  const lib = files(join(root, 'dist', 'lib')).filter((f) => f.endsWith('.js'));
  const newest = lib.reduce((a, f) => (statSync(f).mtimeMs > statSync(a).mtimeMs ? f : a));
  for (const e of ENTRIES) {
    const out = join(bundle, e);
    if (!t.ok(existsSync(out), `dist/bundle/${e} exists (npm run build)`)) continue;
    t.ok(statSync(out).mtimeMs >= statSync(newest).mtimeMs, `dist/bundle/${e} is not older than ${relative(root, newest)} (npm run build, not tsc alone)`);
  }
  t.equal(join(root, BOOTSTRAP_ENTRY), join(bundle, 'cli', 'entry.js'), 'the layer\'s bootstrap loads the bundle');
});

t.test('the bundle imports only itself, Node\'s built-ins, koffi and yargs', async (t) => {
  const builtins = new Set(builtinModules);
  const outside = new Set<string>();
  let imports = 0;
  for (const f of files(bundle)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:import|from)\s*\(?\s*["']([^"']+)["']/g)) {
      const spec = m[1]!;
      imports++;
      if (spec.startsWith('./') || spec.startsWith('../')) {
        t.ok(existsSync(join(f, '..', spec)), `${relative(bundle, f)} → ${spec} is in the bundle`);
      } else if (!(spec.startsWith('node:') || builtins.has(spec) || spec === 'koffi' || spec === 'yargs' || spec.startsWith('yargs/'))) {
        outside.add(`${relative(bundle, f)} → ${spec}`);
      }
    }
  }
  t.ok(imports > 10, `read the bundle's imports (${imports})`);
  t.same([...outside], [], 'nothing else is left out of the bundle');
});

t.test('compiledFile: the bundle\'s entries, else the compiled module', async (t) => {
  t.equal(compiledFile('trace', 'worker.js'), join(bundle, 'trace', 'worker.js'));
  t.equal(compiledFile('launch', 'stage2.js'), join(bundle, 'launch', 'stage2.js'));
  t.equal(compiledFile('seatbelt', 'node-preload.js'), join(root, 'dist', 'lib', 'seatbelt', 'node-preload.js'), 'not an entry: dist/lib');
  t.throws(() => compiledFile('nowhere', 'x.js'), /nowhere\/x\.js is not built/);
});

t.test('bin/syscage runs from the bundle', async (t) => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // tap's loader would load lib/ itself
  const r = spawnSync(process.execPath, [join(root, 'bin', 'syscage'), 'run', '--profile', join(root, 'bench', 'profiles', 'small.yaml'), '--', '/bin/sh', '-c', 'exit 7'], { env, encoding: 'utf8' });
  t.equal(r.status, 7, `the command's status comes back (stderr: ${r.stderr.trim()})`);
  const v = spawnSync(process.execPath, [join(bundle, 'cli', 'entry.js'), '--version'], { env, encoding: 'utf8' });
  t.equal(v.stdout.trim(), (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    `the bundle's entry runs the whole CLI: yargs, left out, loads from node_modules (stderr: ${v.stderr.trim()})`);
});
