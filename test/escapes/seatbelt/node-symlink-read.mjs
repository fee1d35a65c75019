// A symlink in the writable /tmp (SB_TMP) to the denied file, then a read through it. The
// permission model refuses fs.symlink to a handler without full read and write grants: then the
// link is one already there (SB_LINK: left in /tmp by someone else, made by the test).
import fs from 'node:fs';
import { join } from 'node:path';
import { env, escaped, note, step } from './_attempt.mjs';

let link = join(env('TMP'), 'link');
try {
  fs.symlinkSync(env('SECRET'), link);
} catch (e) {
  note(`fs.symlinkSync refused (${e.code}): reading through the link already in /tmp`);
  link = env('LINK');
}
const text = step('fs.readFileSync(link)', () => fs.readFileSync(link, 'utf8'));
escaped(`read through a symlink in /tmp: ${text}`);
