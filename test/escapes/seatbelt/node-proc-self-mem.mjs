// Writing /proc/self/mem (files.write does not name it): the same bytes written back over a
// writable mapping of this process, which proves the write went through.
import fs from 'node:fs';
import { error, escaped, failed, note, step } from './_attempt.mjs';

const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => / rw-p /.test(l));
const fd = step('fs.openSync(/proc/self/mem, r+)', () => fs.openSync('/proc/self/mem', 'r+'));
const buf = Buffer.alloc(16);
for (const m of maps) {
  const at = Number.parseInt(m.split("-")[0], 16);
  try {
    if (fs.readSync(fd, buf, 0, 16, at) !== 16) continue;
  } catch {
    continue; // not readable (a reservation): the next one
  }
  let n;
  try {
    n = fs.writeSync(fd, buf, 0, 16, at);
  } catch (e) {
    if (e.code === 'EIO') continue; // not writable this way (the kernel's choice): the next one
    failed(e, 'fs.writeSync(/proc/self/mem)');
  }
  escaped(`wrote ${n} bytes into this process's memory at 0x${at.toString(16)} through /proc/self/mem`);
  process.exit(0);
}
note(`${maps.length} writable mappings, none readable through /proc/self/mem`);
error('no mapping to write');
