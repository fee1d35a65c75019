// A caller in a user namespace of its own holds its capabilities there only, yet /proc/TID/status
// states them whole: the notification backend, which performs an open as the caller, must serve it
// with none over syscage's files (lib/trace/notify/creds.ts). The fixture's child makes a user
// namespace, its parent maps uid 0 in it to 0, and the child reads a file of 65534's, mode 0600: the
// kernel refuses it (EACCES); so must syscage, under each backend. (Before the fix the notification
// backend read the file for it, as root with every capability: seen.) A second child writes its own
// uid map: through a performed open the opener is syscage's thread, outside the namespace and with
// none of the caller's capabilities, and the kernel refuses the map (EPERM) — a documented
// difference of the notification backend (docs/engine.md).
import t, { type Test } from 'tap';
import { chmodSync, chownSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeNotify } from '../../lib/trace/notify/probe.js';
import { needsPython, PY, ROOT, seen, syscage, tempDir, writeProfile } from './fixtures/harness.js';
import { runProcess } from '../helpers/spawn.js';

const probe = probeNotify();
const asRoot = process.getuid?.() === 0 ? false : 'the fixture needs root (a file of another user, a uid map of 0)';
const SCRIPT = join(ROOT, 'test', 'run', 'fixtures', 'notify-userns.py');
const WANT = { root: 0, mapped_by_parent: { euid: 0, read: 13, mapped: true }, mapped_by_itself: { mapped: true } };

const fresh = (t: Test): string => {
  const d = realpathSync(tempDir(t));
  chmodSync(d, 0o755);
  const f = join(d, 'theirs');
  writeFileSync(f, 'SECRET\n', { mode: 0o600 });
  chownSync(f, 65534, 65534);
  return f;
};

t.test('without syscage: the child in its user namespace is refused the file', { skip: needsPython.skip || asRoot }, async (t) => {
  const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, SCRIPT, fresh(t)], {});
  t.equal(bare.status, 0, 'the script runs', seen(bare));
  const got = JSON.parse(bare.stdout || '{}') as Record<string, unknown>;
  if ((got.mapped_by_parent as Record<string, unknown>)?.unshare !== undefined) return t.skip(`this kernel refuses user namespaces here: ${JSON.stringify(got)}`);
  t.same(got, WANT, 'root reads it; uid 0 of the new namespace does not (EACCES); a child maps itself');
});

for (const backend of ['notify', 'ptrace'] as const) {
  const skip = needsPython.skip || asRoot || (backend === 'notify' && !probe.usable ? `the notification backend cannot run here: ${probe.why}` : false);
  t.test(`${backend} backend: capabilities of another user namespace reach nothing of syscage's`, { skip }, async (t) => {
    const f = fresh(t);
    const d = join(f, '..');
    const profile = writeProfile(d, 'userns.yaml', `version: 1
name: notify-userns
default: allow
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [/proc/**, /dev/null]
syscalls:
  allow: [unshare]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, f], { env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend } });
    t.equal(r.status, 0, 'the script runs', seen(r));
    const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
    if ((got.mapped_by_parent as Record<string, unknown>)?.unshare !== undefined) return t.skip(`this kernel refuses user namespaces here: ${JSON.stringify(got)}`);
    const EPERM = 1;
    t.same(got, { ...WANT, ...(backend === 'notify' ? { mapped_by_itself: { mapped: EPERM } } : {}) },
      'as without syscage: root reads it, uid 0 of the new namespace is refused (EACCES)' + (backend === 'notify' ? '; a map written by the namespace itself through a performed open is refused (EPERM)' : ''), seen(r));
  });
}
