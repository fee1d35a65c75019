// The notification backend performs the caller's sendto (with a destination) itself, on the
// caller's own socket (lib/trace/notify/send.ts), and leaves bind to ptrace (a UNIX socket is named
// by bind's very bytes: lib/compile/notified.ts). What a program sees must be what it sees without
// syscage — a port picked by the kernel, a UNIX socket file made under its umask, owned by it and
// named as it asked, a datagram sent by path, a blocking send to a full peer that waits, a large payload
// on a stream, EPIPE with SIGPIPE on the sending thread (or not, with MSG_NOSIGNAL) — except what
// the profile refuses, with the profile's errno and an event. test/run/fixtures/notify-net.py makes
// the calls; it runs once without syscage and once under each backend, and the answers are
// compared. Then two races: a thread flips a sendto's or a bind's address buffer between an allowed
// and a refused address; the refused one is never reached under syscage (and is, without it: the
// race is real).
import t from 'tap';
import { chmodSync, mkdirSync, realpathSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { probeNotify } from '../../lib/trace/notify/probe.js';
import { events, needsPython, PY, ROOT, seen, syscage, tempDir, writeProfile } from './fixtures/harness.js';
import { runProcess } from '../helpers/spawn.js';

const probe = probeNotify();
const notifySkip = needsPython.skip || (probe.usable ? false : `the notification backend cannot run here: ${probe.why}`);
const skipFor = (backend: 'notify' | 'ptrace'): string | false => (backend === 'notify' ? notifySkip : needsPython.skip);
const SCRIPT = join(ROOT, 'test', 'run', 'fixtures', 'notify-net.py');
const EACCES = 13;

/** A TCP port nothing listens on now. */
const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

for (const backend of ['notify', 'ptrace'] as const) {
  t.test(`${backend} backend: bind and sendto give the program what the kernel would`, { skip: skipFor(backend) }, async (t) => {
    const noPort = await freePort();
    const fresh = (name: string): string => {
      const d = join(realpathSync(tempDir(t)), name);
      mkdirSync(d);
      // Reachable by the user the script drops to (65534), for its bind.
      chmodSync(join(d, '..'), 0o755);
      chmodSync(d, 0o755);
      return d;
    };
    const bareDir = fresh('bare');
    const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, SCRIPT, 'calls', bareDir, String(noPort)], { timeoutMs: 60_000 });
    t.equal(bare.status, 0, 'without syscage: the script runs', seen(bare));
    const want = JSON.parse(bare.stdout) as Record<string, unknown>;
    // The tests mean something.
    t.equal(want.bind_unix_mode, '0o750', 'without syscage: the socket file is made under the umask (027)');
    t.equal(want.bind_dropped_owner, 65534, 'without syscage: a dropped user owns what it binds');
    t.equal(want.sendto_unix_full, 11, 'without syscage: a full peer answers a non-blocking send EAGAIN');
    t.equal(want.sendto_unix_waited, true, 'without syscage: a blocking send to a full peer waits');
    t.equal(want.epipe, 32, 'without syscage: EPIPE');
    t.equal(want.sigpipe_on_thread, true, 'without syscage: SIGPIPE is pending on the sending thread');
    t.equal(want.big_received, 9 << 20, 'without syscage: the large payload arrives whole');

    const d = fresh('sandboxed');
    const profile = writeProfile(join(d, '..'), 'profile.yaml', `version: 1
name: notify-net
default: allow
errno: EACCES
files:
  read: [/usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${ROOT}/test/run/fixtures/**, ${d}/**]
  write: [${d}/**, /dev/null]
network:
  connect: ["127.0.0.1:*", "unix:${d}/**"]
  bind: ["127.0.0.1:0", "127.0.0.2:0", "unix:${d}/**", "unix:@*"]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, 'calls', d, String(noPort)], {
      env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend }, timeoutMs: 60_000,
    });
    t.equal(r.status, 0, 'under syscage: the script runs', seen(r));
    const got = JSON.parse(r.stdout || '{}') as Record<string, unknown>;
    const refused = { bind_refused: EACCES, bind_unix_refused: EACCES, bind_unix_refused_there: false, sendto_refused: EACCES, sendto_refused_got: null };
    t.equal(want.bind_unix_name, true, 'without syscage: a UNIX socket is named as bind was asked');
    t.same(got, { ...want, ...refused }, 'every answer is the bare run\'s, but for the refusals', { want, got });
    if (backend === 'notify') t.match(r.stderr, /, [1-9]\d* performed by syscage, tier kernel$/m, 'the summary counts the calls syscage performed', seen(r));
    const denied = events(r.stderr).filter((e) => e.decision === 'deny');
    t.same(denied.map((e) => e.syscall).sort(), ['bind', 'bind', 'sendto'], 'one event for each refusal', seen(r));
  });
}

/** A UDP socket on HOST:PORT (0: any) that counts what arrives. */
const counter = (host: string, port: number): Promise<{ s: Socket; hits: () => number }> => new Promise((resolve, reject) => {
  let hits = 0;
  const s = createSocket('udp4');
  s.on('message', () => { hits++; });
  s.once('error', reject);
  s.bind(port, host, () => resolve({ s, hits: () => hits }));
});

for (const backend of ['notify', 'ptrace'] as const) {
  t.test(`${backend} backend: a flipped destination buffer never reaches the refused address`, { skip: skipFor(backend) }, async (t) => {
    const ok = await counter('127.0.0.1', 0);
    const port = ok.s.address().port;
    const no = await counter('127.0.0.2', port);
    t.teardown(() => { ok.s.close(); no.s.close(); });
    const d = realpathSync(tempDir(t));

    const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, SCRIPT, 'race-sendto', String(port), '1'], { timeoutMs: 60_000 });
    t.equal(bare.status, 0, 'without syscage: the race runs', seen(bare));
    await new Promise((r) => setTimeout(r, 200));
    t.ok(no.hits() > 0, 'without syscage: the flipped buffer reaches 127.0.0.2 (the race is real)', { hits: no.hits(), out: bare.stdout });
    const before = no.hits();

    const profile = writeProfile(d, 'race.yaml', `version: 1
name: notify-net-race
default: allow
network:
  connect: ["127.0.0.1:${port}"]
  bind: ["127.0.0.1:0"]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, 'race-sendto', String(port), '3'], {
      env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend }, timeoutMs: 120_000,
    });
    t.equal(r.status, 0, 'under syscage: the race runs', { status: r.status, stdout: r.stdout, stderr: r.stderr.slice(-2000) });
    const res = JSON.parse(r.stdout || '{}') as { tries?: number; sent?: number; refused?: number };
    await new Promise((r) => setTimeout(r, 200));
    t.ok((res.sent ?? 0) > 0 && (res.refused ?? 0) > 0, 'under syscage: both addresses were tried (sent to one, refused the other)', res);
    t.equal(no.hits() - before, 0, 'under syscage: nothing reached 127.0.0.2', res);
  });

  t.test(`${backend} backend: a flipped bind address never binds the refused port`, { skip: skipFor(backend) }, async (t) => {
    const [okPort, noPort] = [await freePort(), await freePort()];
    const d = realpathSync(tempDir(t));
    const bare = await runProcess('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', ...PY, SCRIPT, 'race-bind', String(okPort), String(noPort), '1'], { timeoutMs: 60_000 });
    t.equal(bare.status, 0, 'without syscage: the race runs', seen(bare));
    const want = JSON.parse(bare.stdout) as { reached: number };
    t.ok(want.reached > 0, 'without syscage: the flipped buffer binds the other port (the race is real)', want);

    const profile = writeProfile(d, 'race.yaml', `version: 1
name: notify-net-race
default: allow
network:
  bind: ["127.0.0.1:${okPort}"]
`);
    const r = await syscage(['run', '-p', profile, '--', ...PY, SCRIPT, 'race-bind', String(okPort), String(noPort), '3'], {
      env: { PATH: '/usr/bin:/bin', SYSCAGE_BACKEND: backend }, timeoutMs: 120_000,
    });
    t.equal(r.status, 0, 'under syscage: the race runs', { status: r.status, stdout: r.stdout, stderr: r.stderr.slice(-2000) });
    const res = JSON.parse(r.stdout || '{}') as { tries?: number; bound?: number; refused?: number; reached?: number };
    t.ok((res.bound ?? 0) > 0 && (res.refused ?? 0) > 0, 'under syscage: both ports were tried (bound one, refused the other)', res);
    t.equal(res.reached, 0, 'under syscage: the refused port was never bound', res);
  });
}
