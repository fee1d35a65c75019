// Where syscage's own files are, whether it runs from lib/ (tests, through the
// TypeScript loader), from dist/lib/ (the compiled modules) or from dist/bundle/ (the CLI and
// the Lambda layer: scripts/bundle.mjs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding syscage's package.json. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'profiles'))) {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('syscage: cannot find its package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const profilesDir = (): string => join(packageRoot(), 'profiles');
export const syscallsCsv = (): string => join(packageRoot(), 'lib', 'arch', 'syscalls.csv');

/**
 * A compiled module that runs as its own thread or process, or is loaded into the handler's:
 * `compiledFile('trace', 'worker.js')`. The bundle's entry when it is one (dist/bundle/), else the
 * compiled module (dist/lib/, or lib/ in a package that ships no dist/). Never next to the caller:
 * in the bundle, the caller is a chunk.
 */
export function compiledFile(...parts: string[]): string {
  const root = packageRoot();
  for (const base of [join(root, 'dist', 'bundle'), join(root, 'dist', 'lib'), join(root, 'lib')]) {
    const p = join(base, ...parts);
    if (existsSync(p)) return p;
  }
  throw new Error(`internal: ${parts.join('/')} is not built (run npm run build)`);
}
