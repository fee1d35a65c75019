// Check-then-use: fs.promises.readFile of a symlink that points at an allowed file when the call
// is checked, swapped for one pointing at the denied file right after (the open runs later, on
// libuv's threadpool). The permission model refuses fs.symlink, not fs.rename: the two links are
// already in /tmp (SB_RACE -> the readme, SB_RACE_SECRET -> the denied file, made by the test)
// and the swap renames them.
import fs from 'node:fs';
import { env, error, escaped, failed } from './_attempt.mjs';

const link = env('RACE');
const spare = env('RACE_SECRET');
const aside = `${link}-aside`;
let lost = 0;
let gone = 0;
for (let i = 0; i < 3000; i++) {
  let read;
  try {
    read = fs.promises.readFile(link, 'utf8');
  } catch (e) {
    failed(e, 'fs.promises.readFile(the link to the readme)');
  }
  // link -> secret, the readme link set aside; afterwards back again.
  fs.renameSync(link, aside);
  fs.renameSync(spare, link);
  let text;
  try {
    text = await read;
  } catch (e) {
    if (e.code !== 'ENOENT') failed(e, 'fs.promises.readFile(link)');
    gone++;
  }
  fs.renameSync(link, spare);
  fs.renameSync(aside, link);
  if (text?.includes('SECRET-')) {
    escaped(`read ${text} through a symlink swapped after the check (try ${i + 1})`);
    process.exit(0);
  }
  if (text !== undefined) lost++;
}
// A race never won proves nothing either way (the run is made again).
error(`the race was never won: in 3000 tries the readme was read ${lost} times, nothing ${gone} times`);
