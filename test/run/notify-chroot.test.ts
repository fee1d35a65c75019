// The notification backend remembers a caller's root directory between its calls only where the
// profile refuses chroot and pivot_root (lib/compile/fixed-identity.ts, rootFixed). This profile
// lets the program chroot, and fixes its identity (so the caller itself is remembered): after the
// chroot, a path of the old root must not be opened as if nothing had changed. The kernel says
// ENOENT for it (the jail has no such path), the ptrace backend lets the kernel say so, and the
// notification backend refuses every performed call of a caller in another root (EPERM: docs/engine.md).
// With the root remembered regardless, the file outside the jail was read (the escape this guards).
import t from 'tap';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { probeNotify } from '../../lib/trace/notify/probe.js';
import { CHANGES_IDENTITY } from '../../lib/compile/index.js';
import { bare, needsPython, PY, ROOT, seen, syscage, tempDir, writeProfile } from './fixtures/harness.js';

const probe = probeNotify();
const asRoot = process.getuid?.() === 0 ? false : 'chroot needs root';
const SCRIPT = join(ROOT, 'test', 'run', 'fixtures', 'notify-chroot.py');
/** Why a backend's run cannot be made here (false: it can). */
const skipFor = (backend: 'notify' | 'ptrace'): string | false =>
  needsPython.skip || asRoot || (backend === 'notify' && !probe.usable ? `the notification backend cannot run here: ${probe.why}` : false);
const ENOENT = 2;
const EPERM = 1;

const world = (t: Test): { d: string; profile: string } => {
  const d = realpathSync(tempDir(t));
  mkdirSync(join(d, 'jail'));
  writeFileSync(join(d, 'outside.txt'), 'OUT\n');
  writeFileSync(join(d, 'jail', 'inside.txt'), 'IN\n');
  // default: allow lets chroot run; every identity change refused (unshare and setns are by default).
  const profile = writeProfile(d, 'chroot.yaml', `version: 1
name: notify-chroot
default: allow
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [/dev/null, ${d}/jail]
  deny: [${d}/jail/etc/**]
syscalls:
  deny: [${CHANGES_IDENTITY.filter((n) => n !== 'unshare' && n !== 'setns').join(', ')}]
`);
  return { d, profile };
};

t.test('without syscage: the kernel\'s answers', { skip: needsPython.skip || asRoot }, async (t) => {
  const { d } = world(t);
  const r = await bare([...PY, SCRIPT, 'self', d], { env: { PATH: '/usr/bin:/bin' } });
  t.equal(r.status, 0, 'the script runs', seen(r));
  t.same(JSON.parse(r.stdout || '{}'), { before: 'OUT\n', outside: ENOENT, inside: 'IN\n' }, 'outside the jail is out of reach once chrooted');
});

for (const backend of ['notify', 'ptrace'] as const) {
  const skip = skipFor(backend);
  t.test(`${backend} backend: a caller that chrooted is not served in its old root`, { skip }, async (t) => {
    const { d, profile } = world(t);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, 'self', d], { env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend } });
    t.equal(r.status, 0, 'the script runs', seen(r));
    const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
    t.equal(got.before, 'OUT\n', 'before the chroot, the file is read', seen(r));
    if (backend === 'notify') {
      t.equal(got.outside, EPERM, 'after it, the old root\'s path is refused, not opened', seen(r));
      t.equal(got.inside, EPERM, 'a caller in another root is refused (its paths do not name what they name here)');
    } else {
      t.equal(got.outside, ENOENT, 'after it, the kernel walks the path in the jail: ENOENT', seen(r));
      t.equal(got.inside, 'IN\n', 'the jail\'s own file is read');
    }
  });
}

// The ptrace backend remembers each process's root between its traps (lib/trace/view.ts); a chroot
// changes it for every process sharing the caller's fs_struct (clone with CLONE_FS), not the
// caller's alone. Once forgotten for the caller only, the sharer's /etc/passwd was judged as the
// real /etc/passwd (allowed) while the kernel opened the jail's (not allowed): its text was read.
for (const backend of ['notify', 'ptrace'] as const) {
  const skip = skipFor(backend);
  t.test(`${backend} backend: a chroot is seen by a process that shares the caller's root (CLONE_FS)`, { skip }, async (t) => {
    const { d, profile } = world(t);
    mkdirSync(join(d, 'jail', 'etc'));
    writeFileSync(join(d, 'jail', 'etc', 'passwd'), 'JAILED\n');
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, 'shared', d], { env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend } });
    t.equal(r.status, 0, 'the script runs', seen(r));
    const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
    t.equal(got.before, 'OUT\n', 'before the chroot, the sharer reads its file', seen(r));
    t.equal(got.after, EPERM, 'after it, the jail\'s /etc/passwd (not in the rules) is refused, not judged as the real one', seen(r));
  });
}
