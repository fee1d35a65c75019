// Fills the name lists of profiles/schema.json from the generated tables, so
// that editors complete syscall, errno and constant names and the validator
// (lib/profile/schema.ts) refuses unknown ones. Run by `make syscalls`;
// test/profile/schema.test.ts fails when schema.json is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, syscallTable } from '../lib/arch/index.js';
import { constantNames } from '../lib/arch/constants.js';
import { ERRNO_NAMES } from '../lib/arch/errno.js';
import { packageRoot } from '../lib/paths.js';

/** The enums schema.json should carry, each sorted. */
export function schemaEnums(): Record<'syscallName' | 'errnoName' | 'constantName', string[]> {
  return {
    syscallName: syscallTable().all.map((s) => s.name),
    errnoName: [...ERRNO_NAMES].sort(),
    constantName: [...new Set(ARCHES.flatMap((a) => constantNames(a)))].sort(),
  };
}

export function renderSchema(text: string): string {
  const schema = JSON.parse(text) as { $defs: Record<string, { enum?: string[] }> };
  for (const [def, names] of Object.entries(schemaEnums())) schema.$defs[def]!.enum = names;
  // One name list per line keeps the file reviewable and diffs small.
  return JSON.stringify(schema, null, 2).replace(/"enum": \[\n([^\]]*)\]/g, (_, body: string) =>
    `"enum": [${body.split('\n').map((l) => l.trim()).filter(Boolean).join(' ')}]`) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = join(packageRoot(), 'profiles', 'schema.json');
  writeFileSync(file, renderSchema(readFileSync(file, 'utf8')));
  console.log(`updated ${file}`);
}
