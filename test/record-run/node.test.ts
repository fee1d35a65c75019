// Round trip of a real Node.js program: `syscage record` it, `syscage check`
// the profile, replay it under `syscage run` (same stdout and status as
// unsandboxed, zero audit lines), then variants that do one thing more — read
// a secret, connect to another local port — are refused and reported.
//
// The workload (fixtures/record-run/client.mjs) reads the *.txt files of its
// directory and GETs /hello from an HTTP server this test runs on 127.0.0.1
// (the port the kernel picks, passed in argv; the same server for record and
// replay).
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bare, ephemeralRange, fixedPortServer, fixture, httpServer, needsNode, NODE, onlyTheExtra, profileOf, readText,
  sameAsBare, seen, syscage, tempDir, workspace, type Ran,
} from '../fixtures/record-run/harness.js';

if (needsNode.skip) {
  t.plan(0, needsNode.skip);
} else {
  const { home, work, secretDir, dirs: { out, data } } = workspace(t, 'node', ['out', 'data'], { secret: true });
  for (const [n, text] of [['a.txt', 'alpha'], ['b.txt', 'bravo'], ['c.txt', 'charlie']] as const) writeFileSync(join(data, n), text + '\n');
  const secret = join(secretDir, 'credentials');
  writeFileSync(secret, 'aws_secret_access_key=do-not-read\n');
  const client = fixture('client.mjs', work);
  const server = await httpServer(t);
  const o = { home, cwd: work };
  const cmd = [NODE, client, data, String(server.port)];
  const profile = join(out, 'node.yaml');

  let native!: Ran;
  let recorded!: Ran;

  t.test('record', async (t) => {
    native = await bare(cmd, o);
    t.equal(native.status, 0, 'the workload runs unsandboxed', seen(native));
    t.match(native.stdout, /^a\.txt: alpha\nb\.txt: bravo\nc\.txt: charlie\nserver: 200 hello from the test server, GET \/hello\n$/, 'and does its work', seen(native));
    const hits = server.hits();
    recorded = await syscage(['record', '-o', profile, '--', ...cmd], o);
    t.equal(recorded.status, 0, 'syscage record exits with the command\'s status', seen(recorded));
    t.equal(recorded.stdout, native.stdout, 'the recorded run does the same work', seen(recorded));
    t.equal(server.hits(), hits + 1, 'the recorded client reached the server');
    t.match(recorded.stderr, /syscage: wrote .*node\.yaml: \d+ calls/, 'says what it wrote', seen(recorded));
    const { doc, matchers } = profileOf(profile);
    t.equal(doc['name'], 'node', 'named after the command');
    t.notOk(readText(profile).includes('INCOMPLETE'), 'not marked incomplete');
    for (const n of ['a.txt', 'b.txt', 'c.txt']) t.ok(matchers.files?.readable.test(join(data, n)), `allows reading ${n}`);
    t.notOk(matchers.files?.readable.test(secret), 'does not allow the secret');
    const [lo, hi] = ephemeralRange();
    t.ok((doc['network']?.connect ?? []).some((a: string) => a === `127.0.0.1:${server.port}` || a === `127.0.0.1:${lo}-${hi}`),
      `allows connecting to the server (127.0.0.1:${server.port})`, { connect: doc['network']?.connect });
  });

  t.test('check', async (t) => {
    const r = await syscage(['check', profile], o);
    t.equal(r.status, 0, 'syscage check exits 0', seen(r));
    t.equal(r.stdout, '', 'nothing on stdout');
  });

  t.test('replay: same output, zero audit lines', async (t) => {
    const log = join(out, 'replay.log');
    const hits = server.hits();
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd], o);
    sameAsBare(t, r, native, readText(log));
    t.equal(server.hits(), hits + 1, 'the sandboxed client reached the same server');
  });

  t.test('variant (i): reads a secret outside what was recorded', async (t) => {
    const log = join(out, 'secret.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd, '--secret', secret], o);
    t.equal(r.status, 0, 'the client goes on (it reports the refusal itself)', seen(r));
    t.match(r.stdout, /^secret: refused EPERM$/m, 'refused from the inside with EPERM', seen(r));
    onlyTheExtra(t, r, readText(log), { syscall: ['openat', 'open'], path: secret, errno: 'EPERM', rule: 'files.read' });
  });

  t.test('variant (iii): connects to another local port (a fixed service port)', async (t) => {
    const other = await fixedPortServer(t);
    const log = join(out, 'connect.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd, '--connect', String(other.port)], o);
    t.equal(r.status, 0, 'the client goes on', seen(r));
    t.match(r.stdout, /^other: refused EPERM$/m, 'refused from the inside with EPERM', seen(r));
    onlyTheExtra(t, r, readText(log), { syscall: 'connect', address: `127.0.0.1:${other.port}`, errno: 'EPERM', rule: 'network.connect' });
    t.equal(other.hits(), 0, 'the other server was never reached');
  });

  t.test('variant (iii): connects to another local port the kernel picked (ephemeral)', async (t) => {
    const other = await httpServer(t);
    const log = join(out, 'connect-ephemeral.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd, '--connect', String(other.port)], o);
    // generalise.ts (by design): a loopback destination's ephemeral port becomes the whole range, 127.0.0.1:LO-HI.
    const todo = other.hits() > 0 && 'FINDING record/loopback-ephemeral-range: any local service on a kernel-picked port is reachable after replay, not only the recorded one';
    t.equal(r.status, 0, 'the client goes on', seen(r));
    t.match(r.stdout, /^other: refused EPERM$/m, 'refused from the inside', { ...seen(r), todo });
    t.equal(other.hits(), 0, 'the other server was never reached', { todo });
  });
}
