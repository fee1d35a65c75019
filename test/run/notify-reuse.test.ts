// The notification backend remembers a calling thread between its calls — its process, its
// identity, whether its mount namespace is syscage's (lib/trace/notify/callers.ts) — when the profile
// refuses every call that changes identity. A tid is a number the kernel gives again once its task
// has ended: a thread of another process that gets it must be served as itself. The fixture makes
// that happen for real (ns_last_pid, as root) and opens /proc/self/fd/50 from the new thread: it must
// reach its own process's file, not the former owner's. (Without the check that the remembered task
// still lives, the open goes through the former owner's process: the test was seen to fail so.)
import t from 'tap';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeNotify } from '../../lib/trace/notify/probe.js';
import { CHANGES_IDENTITY } from '../../lib/compile/index.js';
import { needsPython, PY, ROOT, seen, syscage, tempDir, writeProfile } from './fixtures/harness.js';

const probe = probeNotify();
const asRoot = process.getuid?.() === 0 ? false : 'setting ns_last_pid needs root';
const SCRIPT = join(ROOT, 'test', 'run', 'fixtures', 'notify-reuse.py');

for (const backend of ['notify', 'ptrace'] as const) {
  const skip = needsPython.skip || asRoot || (backend === 'notify' && !probe.usable ? `the notification backend cannot run here: ${probe.why}` : false);
  t.test(`${backend} backend: a reused tid is served as its new owner`, { skip }, async (t) => {
    const d = realpathSync(tempDir(t));
    writeFileSync(join(d, 'a.txt'), 'A\n');
    writeFileSync(join(d, 'b.txt'), 'B\n');
    // Every identity change refused (unshare and setns are refused by default): the notification
    // backend remembers callers under this profile.
    const profile = writeProfile(d, 'reuse.yaml', `version: 1
name: notify-reuse
default: allow
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [/proc/sys/kernel/ns_last_pid, /dev/null]
syscalls:
  deny: [${CHANGES_IDENTITY.filter((n) => n !== 'unshare' && n !== 'setns').join(', ')}]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, d], { env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend } });
    t.equal(r.status, 0, 'the script runs', seen(r));
    const got = JSON.parse(r.stdout || '{}') as { attempts?: number; a?: string; b?: string };
    t.ok(got.attempts, 'a thread of the second process got the tid of the first one\'s ended thread', { got });
    t.equal(got.a, 'A\n', 'the first process\'s thread reached its own file');
    t.equal(got.b, 'B\n', 'the thread with the reused tid reached its own process\'s file', seen(r));
  });
}
