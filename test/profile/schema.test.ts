// profiles/schema.json is the single source of validation: its name lists
// must match the generated tables, and it may only use keywords the
// validator implements.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { profileSchema } from '../../lib/profile/schema.js';
import { renderSchema } from '../../scripts/update-schema.js';

const file = join(packageRoot(), 'profiles', 'schema.json');

t.test('schema.json is up to date with the syscall, errno and constant tables', async (t) => {
  const text = readFileSync(file, 'utf8');
  t.equal(renderSchema(text), text, 'run `make syscalls` (node dist/scripts/update-schema.js) to regenerate');
});

t.test('schema.json uses only supported keywords', async (t) => {
  t.doesNotThrow(() => profileSchema());
  const s = profileSchema() as { $defs: Record<string, { enum?: string[] }> };
  t.ok(s.$defs.syscallName!.enum!.includes('openat'));
  t.ok(s.$defs.errnoName!.enum!.includes('EPERM'));
  t.ok(s.$defs.constantName!.enum!.includes('AF_INET'));
});
