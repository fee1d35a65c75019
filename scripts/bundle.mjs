// The bundle: what bin/syscage and the Lambda layer's bootstrap load (`npm run build` runs this
// after tsc). Node's ES module loader costs about half a millisecond per module it resolves, reads
// and links; the bootstrap's path alone is ~150 modules (yaml is 70 of them), the tracer thread's
// and stage-2's another 30 each. Bundled, each of those starts loads one file and a few shared
// chunks (dynamic imports stay lazy: they become chunks).
//
//   dist/bundle/cli/entry.js       the CLI (bin/syscage; the layer's bootstrap)
//   dist/bundle/trace/worker.js    the tracer thread (lib/trace/prepare.ts)
//   dist/bundle/trace/notify/worker.js  the notification supervisor's thread (the same)
//   dist/bundle/launch/stage2.js   stage-2 (lib/launch/stage2.ts)
//   dist/bundle/chunks/*.js        what they share, and their lazily loaded parts
//
// Input is tsc's output (dist/lib): the bundle is the type-checked code, only joined. Left out:
// koffi (a native addon, loaded from node_modules), and yargs (only the slow path loads it:
// lib/cli/fast.ts). lib/paths.ts compiledFile() prefers the bundle's entries to dist/lib.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const lib = join(root, 'dist', 'lib');
export const ENTRIES = ['cli/entry.js', 'trace/worker.js', 'trace/notify/worker.js', 'launch/stage2.js'];

const out = join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: ENTRIES.map((e) => join(lib, e)),
  outbase: lib,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'yargs', 'yargs/*'],
  chunkNames: 'chunks/[name]-[hash]',
  // yaml is CommonJS and requires Node's built-ins: an ES module has no require of its own.
  banner: { js: "import { createRequire as __syscageRequire } from 'node:module'; const require = __syscageRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
