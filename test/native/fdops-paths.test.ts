// The path calls of lib/native/fdops.ts copy each path into one buffer kept for the purpose (no
// allocation per call): what reaches the kernel must be the path, whole and NUL-terminated, call
// after call — a short one after a long one, a name with multi-byte characters, a path as bytes —
// and a path longer than that buffer must still reach the kernel (which refuses it: ENAMETOOLONG).
import t from 'tap';
import { mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdops } from '../../lib/native/index.js';
import { E } from '../../lib/arch/errno.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-fdops-')));
const name = 'dé-ja-vu-日本';
writeFileSync(join(dir, name), 'x');
writeFileSync(join(dir, 'a'), 'x');
symlinkSync(join(dir, name), join(dir, 'link'));
const { O, AT_FDCWD } = fdops;

t.test('paths reach the kernel whole, call after call', async (t) => {
  // Not path.join: it would fold the '..' away.
  const long = `${dir}/${'deep-name-'.repeat(20)}/../${name}`;
  t.equal(fdops.accessAt(long, 0), -E.ENOENT, 'a long path (its missing directory)');
  t.equal(fdops.accessAt(join(dir, name), 0), 0, 'a multi-byte name, after the long path');
  t.equal(fdops.accessAt(join(dir, 'a'), 0), 0, 'a shorter path after longer ones (no leftover of them)');
  t.equal(fdops.accessAt(`${join(dir, 'a')}x`, 0), -E.ENOENT, 'one byte more is another name');
  const link = fdops.readLinkAt(AT_FDCWD, Buffer.from(join(dir, 'link')));
  t.equal(typeof link === 'number' ? link : link.toString('utf8'), join(dir, name), 'a path given as bytes; what the link says');
  const fd = fdops.openAt(AT_FDCWD, join(dir, name), O.CLOEXEC);
  t.ok(fd >= 0, 'openAt');
  fdops.closeQuietly(fd);
  const fd2 = fdops.openAt2(AT_FDCWD, join(dir, 'a'), O.CLOEXEC | O.PATH, 0, 0n);
  t.ok(fd2 >= 0, 'openAt2');
  fdops.closeQuietly(fd2);
});

t.test('a path longer than PATH_MAX still reaches the kernel', async (t) => {
  const tooLong = '/' + 'x'.repeat(5000);
  t.equal(fdops.accessAt(tooLong, 0), -E.ENAMETOOLONG, 'ENAMETOOLONG, as the kernel says');
  const wide = '/' + 'é'.repeat(1500); // 1500 characters, 3001 bytes: fits
  t.equal(fdops.accessAt(wide, 0), -E.ENAMETOOLONG, 'a 3001-byte path: one name over NAME_MAX (255), the kernel says so');
  const wider = '/' + 'é'.repeat(2100); // 4201 bytes: does not fit the buffer
  t.equal(fdops.accessAt(wider, 0), -E.ENAMETOOLONG, 'a 4201-byte path: ENAMETOOLONG too');
  t.equal(fdops.accessAt(join(dir, 'a'), 0), 0, 'and the next short path is whole again');
});
