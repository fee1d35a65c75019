// Where syscage's own files are, whether it runs from lib/ (tests, through the
// TypeScript loader) or from dist/lib/ (the compiled CLI, the Lambda layer).
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
