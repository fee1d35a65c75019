// The notification backend (lib/trace/notify) performs the caller's opens, stats and connects
// itself: what a program sees must be what it sees without syscage — modes under its umask,
// O_CLOEXEC as asked, O_EXCL and O_TRUNC, a create through a dangling symlink, relative paths, a
// FIFO whose open waits for another thread, opens from many threads, a blocking connect that
// completes or is refused, a non-blocking one, a UNIX socket through a symlink — except what the
// profile refuses. test/run/fixtures/notify-calls.py makes the calls; it runs once without
// syscage and once under each backend, and the answers are compared.
import t from 'tap';
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { probeNotify } from '../../lib/trace/notify/probe.js';
import { events, needsPython, PY, ROOT, seen, syscage, tempDir, writeProfile } from './fixtures/harness.js';
import { runProcess } from '../helpers/spawn.js';

const probe = probeNotify();
const skip = needsPython.skip || (probe.usable ? false : `the notification backend cannot run here: ${probe.why}`);
const SCRIPT = join(ROOT, 'test', 'run', 'fixtures', 'notify-calls.py');

const listen = (): Promise<{ server: Server; port: number }> => new Promise((resolve) => {
  const server = createServer((c) => c.end()).listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
});

for (const backend of ['notify', 'ptrace'] as const) {
t.test(`${backend} backend: the program gets what the kernel would give it`, { skip: backend === 'notify' ? skip : needsPython.skip }, async (t) => {
  const open = await listen();
  const closed = await listen();
  await new Promise((r) => closed.server.close(r));
  t.teardown(() => { open.server.close(); });

  const fresh = (name: string): string => {
    const d = join(realpathSync(tempDir(t)), name);
    mkdirSync(d);
    writeFileSync(join(d, 'data.txt'), 'data\n');
    writeFileSync(join(d, 'secret'), 'SECRET\n');
    return d;
  };
  const bareDir = fresh('bare');
  const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, SCRIPT, bareDir, String(open.port), String(closed.port)], {});
  t.equal(bare.status, 0, 'without syscage: the script runs', seen(bare));
  const want = JSON.parse(bare.stdout) as Record<string, unknown>;

  const d = fresh('sandboxed');
  const profile = writeProfile(join(d, '..'), 'profile.yaml', `version: 1
name: notify-calls
default: allow
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [${d}/**, /dev/null]
  deny: [${d}/secret]
network:
  connect: [127.0.0.1:${open.port}, 127.0.0.1:${closed.port}, unix:${d}/**]
  bind: [unix:${d}/**]
`);
  const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, d, String(open.port), String(closed.port)], {
    env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend },
  });
  t.equal(r.status, 0, 'under syscage: the script runs', seen(r));
  const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
  const EPERM = 1;
  t.same(got, { ...want, secret: EPERM, connect_refused: EPERM }, 'every answer is the bare run\'s, but for the two refusals', { want, got });
  t.equal(want.secret, 0, 'without syscage the secret is readable (the refusal is the profile\'s)');
  t.equal(want.mode_077, '0o600', 'the umask test means something');
  t.equal(want.fifo, 'through the fifo', 'the FIFO test means something');
  if (backend === 'notify') t.match(r.stderr, /, [1-9]\d* performed by syscage, tier kernel$/m, 'the summary counts the calls syscage performed', seen(r));
  else t.match(r.stderr, /\d+ hidden, tier kernel$/m, 'the ptrace backend performs nothing itself', seen(r));
  const refused = events(r.stderr).filter((e) => e.decision === 'deny');
  t.same(refused.map((e) => e.syscall).sort(), ['connect', 'openat'], 'one event for each refusal', seen(r));
});
}

// A program that drops root (setuid 65534) is served as itself, not as syscage: a root-only file
// refused (EACCES), what it creates its own — as without syscage, under each backend.
const asRoot = process.getuid?.() === 0 ? false : 'the program must start as root to drop it';
for (const backend of ['notify', 'ptrace'] as const) {
  t.test(`${backend} backend: a program that dropped root is served as itself`, { skip: (backend === 'notify' ? skip : needsPython.skip) || asRoot }, async (t) => {
    const DROP = join(ROOT, 'test', 'run', 'fixtures', 'notify-drop.py');
    const fresh = (name: string): string => {
      const d = join(realpathSync(tempDir(t)), name);
      mkdirSync(join(d, 'new'), { recursive: true });
      chmodSync(join(d, '..'), 0o755);
      chmodSync(d, 0o755);
      chmodSync(join(d, 'new'), 0o777);
      writeFileSync(join(d, 'root-only'), 'ROOT\n', { mode: 0o600 });
      writeFileSync(join(d, 'readable'), 'all\n', { mode: 0o644 });
      return d;
    };
    const bareDir = fresh('bare');
    const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, DROP, bareDir], {});
    t.equal(bare.status, 0, 'without syscage: the script runs', seen(bare));
    const want = JSON.parse(bare.stdout) as Record<string, unknown>;
    t.equal(want.root_only, 13, 'without syscage the root-only file is refused to the dropped user (EACCES)');
    const d = fresh('sandboxed');
    const profile = writeProfile(join(d, '..'), 'drop.yaml', `version: 1
name: notify-drop
default: allow
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [${d}/**, /dev/null]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, DROP, d], { env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend } });
    t.equal(r.status, 0, 'under syscage: the script runs', seen(r));
    t.same(JSON.parse(r.stdout || '{}'), want, 'every answer is the bare run\'s: the root-only file refused, the new file owned by 65534', seen(r));
  });
}
