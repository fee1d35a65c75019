// Lambda on the real aarch64 kernel, end to end with the arm64 layer:
//
//   invoke     `syscage invoke --profile P --event ... -- static-runtime` (test/fixtures/profiles/static-runtime.c; the emulator, the Runtime API
//              proxy and the sandbox in syscage's process): responses on stdout in order, the event
//              that reads /etc/shadow fails with Runtime.SyscallViolation, the handler is restarted
//              for the next one (the aarch64 counterpart of test/cli/invoke.test.ts)
//   bootstrap  the layer's own /opt/bootstrap, as Lambda starts it (only Lambda's environment, a cwd
//              outside the layer), against an emulator in this process, serving a Node.js handler
//              run by the layer's node (the counterpart of test/layer/layer.test.ts's smoke test)
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, config, equal, HERE, lib, matches, prog, runProcess, seen, syscage, tempDir, write } from './helpers.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export default async function invokeChecks() {
  const D = tempDir('invoke');
  const profile = write(join(D, 'kill.yaml'), [
    'version: 1',
    'name: invoke-arm64',
    'default: allow',
    'violation: kill',
    'files:',
    '  read: ["/**"]',
    '  write: [/tmp/**]                  # static-runtime.c keeps the last event there',
    '  deny: [/etc/shadow]',
    'network:',
    '  connect: []',
    '',
  ].join('\n'));
  const ev = (name, v) => write(join(D, name), JSON.stringify(v));
  const e1 = ev('e1.json', { n: 1 });
  const e2 = ev('e2.json', { n: 2, secret: true });
  const e3 = ev('e3.json', { n: 3 });

  // ---- syscage invoke ---------------------------------------------------------------------
  const r = await syscage(['invoke', '--profile', profile, '--event', e1, '--event', e2, '--event', e3, '--', prog('static-runtime')],
    { env: { PATH: '/usr/bin:/bin', HOME: D, AWS_LAMBDA_LOG_FORMAT: 'JSON' }, cwd: D, timeoutMs: 300_000 });
  const diag = seen(r);
  equal('invoke: exit status 1: one invocation failed', r.status, 1, diag);
  const responses = r.stdout.trim().split('\n').filter(Boolean);
  check('invoke: the two other events answered, in order ({"echo": EVENT})', JSON.stringify(responses.map((l) => { try { return JSON.parse(l); } catch { return l; } }))
    === JSON.stringify([{ echo: { n: 1 } }, { echo: { n: 3 } }]), diag);
  matches('invoke: the event that reads /etc/shadow fails with Runtime.SyscallViolation naming openat and the path', r.stderr,
    /failed \(error\): Runtime\.SyscallViolation: .*openat \/etc\/shadow/, diag);
  const recs = r.stderr.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  const kills = recs.filter((x) => x.syscage?.path === '/etc/shadow');
  check('invoke: one audit record for it: decision kill, syscall openat, with the invocation\'s request id',
    kills.length === 1 && kills[0].syscage.decision === 'kill' && kills[0].syscage.syscall === 'openat' && UUID.test(kills[0].requestId ?? ''), { kills, stderr: r.stderr });
  check('invoke: the runtime reaches its Runtime API although network.connect is empty', !recs.some((x) => x.syscage?.syscall === 'connect'), { recs });

  // ---- the layer's bootstrap, as Lambda runs it -------------------------------------------
  const task = join(D, 'task');
  mkdirSync(task);
  copyFileSync(join(HERE, 'handler.mjs'), join(task, 'handler.mjs'));
  write(join(task, 'syscage.yaml'), [
    'version: 1',
    'name: layer-arm64',
    `command: [${join(config.layer, 'bin', 'node')}, ${join(task, 'handler.mjs')}]`,
    'default: allow',
    'violation: kill',
    'files:',
    '  read: ["/**"]',
    '  deny: [/etc/shadow]',
    '',
  ].join('\n'));
  const cwd = join(D, 'elsewhere');
  mkdirSync(cwd);
  const { startEmulator } = await lib('runtime/emulator.js');
  // Lambda's default 3 s timeout is for a real machine: under emulation a Node handler needs more.
  const emulator = await startEmulator({ events: [{ n: 1 }, { n: 2, secret: true }, { n: 3 }], taskRoot: task, timeoutMs: 120_000 });
  const env = { ...emulator.env(), LAMBDA_TASK_ROOT: task };
  let child;
  const ran = runProcess(join(config.layer, 'bootstrap'), [], { env, cwd, detached: true, timeoutMs: 400_000, started: (c) => { child = c; } });
  let timer;
  const outcome = await Promise.race([
    emulator.results,
    ran.then((x) => `the bootstrap exited first (${x.signal ?? x.status})`),
    new Promise((resolve) => { timer = setTimeout(() => resolve('timed out after 300 s'), 300_000); }),
  ]);
  clearTimeout(timer);
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  const out = await ran;
  await emulator.close();
  const bdiag = { output: out.stdout + out.stderr };
  if (typeof outcome === 'string') {
    check(`bootstrap: the layer's /opt/bootstrap answered every event`, false, { outcome, ...bdiag });
    return;
  }
  equal('bootstrap: every event answered: response, error, response', outcome.map((x) => x.status).join(','), 'response,error,response', { outcome, ...bdiag });
  const body = (i) => { try { return JSON.parse(outcome[i]?.body?.toString() ?? ''); } catch { return outcome[i]?.body?.toString(); } };
  equal('bootstrap: the Node.js handler (the layer\'s arm64 node) echoed the first event', JSON.stringify(body(0)), JSON.stringify({ echo: { n: 1 }, arch: 'arm64' }), bdiag);
  equal('bootstrap: reading /etc/shadow is reported as Runtime.SyscallViolation', outcome[1]?.error?.errorType, 'Runtime.SyscallViolation', bdiag);
  matches('bootstrap: … naming the path', outcome[1]?.error?.errorMessage, /\/etc\/shadow/, bdiag);
  equal('bootstrap: the restarted handler serves the next event', JSON.stringify(body(2)), JSON.stringify({ echo: { n: 3 }, arch: 'arm64' }), bdiag);
  check('bootstrap: nothing is missing from the layer', !/Cannot find|ERR_MODULE_NOT_FOUND/.test(bdiag.output), bdiag);
}
