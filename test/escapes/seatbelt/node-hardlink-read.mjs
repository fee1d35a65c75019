// A hard link in the writable /tmp (SB_TMP) to the denied file (same tree, same filesystem), then a read.
import fs from 'node:fs';
import { join } from 'node:path';
import { env, escaped, note, step } from './_attempt.mjs';

const link = join(env('TMP'), 'hard');
step('fs.linkSync', () => fs.linkSync(env('SECRET'), link));
note(`linked ${link}`);
const text = step('fs.readFileSync(link)', () => fs.readFileSync(link, 'utf8'));
escaped(`read through a hard link in /tmp: ${text}`);
