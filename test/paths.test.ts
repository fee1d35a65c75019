import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';

t.test('packageRoot finds package.json and profiles/', async (t) => {
  const root = packageRoot();
  t.ok(existsSync(join(root, 'package.json')));
  t.ok(existsSync(join(root, 'profiles')));
});
