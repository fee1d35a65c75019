// The report channel (descriptor 3) closed and reused for a file of the handler's: a refusal still
// stands, but its report lands in that file and the bootstrap never hears of it.
import fs from 'node:fs';
import { join } from 'node:path';
import { env, escaped, failed, note } from './_attempt.mjs';

const secret = env('SECRET');
const file = join(env('TMP'), 'channel');
try {
  fs.closeSync(3);
} catch { /* no descriptor 3 (no syscage) */ }
const fd = fs.openSync(file, 'w+');
note(`descriptor ${fd} is now ${file}`);
try {
  escaped(`fs.readFileSync read ${fs.readFileSync(secret, 'utf8')}`);
} catch (e) {
  const landed = fs.readFileSync(file, 'utf8').trim();
  if (landed) note(`the seatbelt's report landed in the handler's own file: ${landed.slice(0, 200)}`);
  failed(e, 'fs.readFileSync');
}
