// The decision's walks under the notification backend (lib/trace/notify/walks.ts): a path resolved
// by pinning it, the pin kept for performing the call — so what is performed is the object the
// decision judged, whatever happens to the path in between. Real files, real fds; the caller is this
// process (acting as it is a no-op here).
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdops } from '../../../lib/native/index.js';
import { Walks } from '../../../lib/trace/notify/walks.js';
import { realpath as byName } from '../../../lib/trace/view.js';
import type { Test } from 'tap';

const self = <T>(work: () => T): T => work();
const world = (t: Test): string => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-walks-')));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  mkdirSync(join(d, 'a'));
  writeFileSync(join(d, 'a', 'file'), 'A');
  writeFileSync(join(d, 'other'), 'OTHER');
  symlinkSync(join(d, 'a', 'file'), join(d, 'link'));
  return d;
};
const contents = (fd: number): string => readFileSync(`/proc/self/fd/${fd}`, 'utf8');

t.test('a path resolved through its pin: the pin outlives a swap of the symlink', async (t) => {
  const d = world(t);
  const walks = new Walks(self);
  t.teardown(() => walks.close());
  t.equal(walks.realpath(join(d, 'link')), join(d, 'a', 'file'), 'resolved to where the symlink leads');
  // Swapped after the decision: the kernel's own walk would now reach 'other'.
  rmSync(join(d, 'link'));
  symlinkSync(join(d, 'other'), join(d, 'link'));
  t.equal(walks.realpath(join(d, 'link')), join(d, 'a', 'file'), 'asked again within the call: the same answer');
  const kept = walks.take(join(d, 'link'));
  t.ok(kept, 'the pin is kept for performing the call');
  t.equal(kept?.path, join(d, 'a', 'file'), 'with the path it reached');
  t.equal(contents(kept!.fd), 'A', 'and it is the judged file, not the one the symlink names now');
  fdops.closeQuietly(kept!.fd);
  t.equal(walks.take(join(d, 'link')), undefined, 'taken once: the taker closes it');
});

t.test('a renamed directory: the pin names the object where it is now', async (t) => {
  const d = world(t);
  const walks = new Walks(self);
  t.teardown(() => walks.close());
  t.equal(walks.realpath(join(d, 'a', 'file')), join(d, 'a', 'file'), 'resolved');
  renameSync(join(d, 'a'), join(d, 'b'));
  const kept = walks.take(join(d, 'a', 'file'));
  t.equal(kept?.path, join(d, 'a', 'file'), 'the decision\'s answer is what it was when judged');
  t.equal(fdops.readLinkAt(fdops.AT_FDCWD, `/proc/self/fd/${kept!.fd}`).toString(), join(d, 'b', 'file'), 'the pin itself follows the file');
  fdops.closeQuietly(kept!.fd);
});

t.test('what a pin cannot stand for is resolved by name, and nothing is kept', async (t) => {
  const d = world(t);
  const walks = new Walks(self);
  t.teardown(() => walks.close());
  t.equal(walks.realpath(join(d, 'missing')), join(d, 'missing'), 'a path not there yet: the missing last component as written');
  t.equal(walks.take(join(d, 'missing')), undefined, 'no pin');
  const magic = `/proc/self/cwd`;
  t.equal(walks.realpath(magic), realpathSync(magic), 'a magic link on the way: resolved as before (never followed by a pin)');
  t.equal(walks.take(magic), undefined, 'no pin');
  t.equal(walks.realpath('relative'), byName('relative'), 'a relative path: resolved by name (never pinned from this thread\'s cwd)');
  t.equal(walks.take('relative'), undefined, 'no pin');
});

t.test('a caller that may not search the way: resolved by name, nothing kept', async (t) => {
  const d = world(t);
  const walks = new Walks(() => ({ errno: 13 /* EACCES */ }));
  t.teardown(() => walks.close());
  t.equal(walks.realpath(join(d, 'link')), join(d, 'a', 'file'), 'resolved as before');
  t.equal(walks.take(join(d, 'link')), undefined, 'no pin: performing walks as the caller, and fails as the kernel would');
});

t.test('pins not taken are closed with the call', async (t) => {
  const d = world(t);
  const lowestFree = (): number => {
    const fd = fdops.openAt(fdops.AT_FDCWD, '/', fdops.O.PATH | fdops.O.CLOEXEC);
    fdops.closeQuietly(fd);
    return fd;
  };
  const free = lowestFree();
  const walks = new Walks(self);
  walks.realpath(join(d, 'a', 'file'));
  t.not(lowestFree(), free, 'the pin holds the lowest free fd');
  walks.close();
  t.equal(lowestFree(), free, 'closed with the call');
  t.equal(walks.take(join(d, 'a', 'file')), undefined, 'and forgotten');
});
