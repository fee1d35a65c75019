// The bootstrap end to end on the real kernel: the local Runtime API emulator
// upstream, the proxy, a Python custom runtime sandboxed behind it. A policy
// kill in an invocation answers it with Runtime.SyscallViolation and the next
// one is served by a restarted handler; bad set-ups are init errors.
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handlerCommand } from '../../lib/runtime/bootstrap.js';
import { serveLocally } from '../../lib/runtime/local.js';
import { packageRoot } from '../../lib/paths.js';

const python = '/usr/bin/python3';
const runtime = join(packageRoot(), 'test', 'fixtures', 'invoke', 'echo-runtime.py');
const dir = mkdtempSync(join(tmpdir(), 'syscage-bootstrap-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function serve(profileText: string | undefined, events: unknown[], extraEnv: Record<string, string> = {}) {
  const lines: string[] = [];
  const { results, status } = await serveLocally({
    emulator: { events },
    env: {
      PATH: '/usr/bin:/bin',
      SYSCAGE_PROFILE: profileText === undefined ? join(dir, 'missing.yaml') : write(`p${Math.random()}.yaml`, profileText),
      SYSCAGE_COMMAND: JSON.stringify([python, runtime]),
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      ...extraEnv,
    },
    deps: {
      log: {
        log: (level: string, message: string, fields?: Record<string, unknown>, requestId?: string) => lines.push(JSON.stringify({ level, message, requestId, ...fields })),
        emit: (level: string, message: string, record: Record<string, unknown>, requestId?: string) => lines.push(JSON.stringify({ level, message, requestId, ...record })),
      },
      sleep: async () => undefined,
    },
  });
  return { results, status, lines };
}

const skip = existsSync(python) ? false : `${python} is not installed`;

t.test('a violation kills the handler: that invocation fails with Runtime.SyscallViolation, the next is served', { skip }, async (t) => {
  const profile = 'version: 1\ndefault: allow\nviolation: kill\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\n';
  const { results, lines } = await serve(profile, [{ n: 1 }, { n: 2, secret: true }, { n: 3 }]);
  t.same(results.map((r) => r.status), ['response', 'error', 'response']);
  t.same(JSON.parse(results[0]!.body!.toString()), { echo: { n: 1 } });
  t.equal(results[1]!.error?.errorType, 'Runtime.SyscallViolation');
  t.match(results[1]!.error?.errorMessage, /openat \/etc\/shadow/, 'names the call and its argument');
  t.match(results[1]!.error?.errorMessage, /files\.deny "\/etc\/shadow" at .*:6:/, 'and the rule, file:line');
  t.same(JSON.parse(results[2]!.body!.toString()), { echo: { n: 3 } }, 'a restarted handler serves the next invocation');
  const audit = lines.map((l) => JSON.parse(l) as { requestId?: string; syscage?: { path?: string } }).filter((l) => l.syscage?.path === '/etc/shadow');
  t.equal(audit.length, 1, 'one audit record');
  t.equal(audit[0]?.requestId, results[1]!.requestId, 'naming the invocation that caused it');
});

t.test('a missing profile is an init error; the handler never starts', { skip }, async (t) => {
  const { results, status } = await serve(undefined, [{ n: 1 }]);
  t.equal(status, 1);
  t.equal(results[0]?.status, 'init-error');
  t.equal(results[0]?.error?.errorType, 'Runtime.InvalidProfile');
});

t.test('a violation during init is an init error', { skip }, async (t) => {
  const profile = 'version: 1\ndefault: allow\nsyscalls:\n  kill: [getrandom]\n';
  const { results, status } = await serve(profile, [{ n: 1 }]);
  t.equal(status, 1);
  t.equal(results[0]?.status, 'init-error');
  t.equal(results[0]?.error?.errorType, 'Runtime.SyscallViolation');
});

t.test('handlerCommand: the profile\'s command, else SYSCAGE_COMMAND as JSON or words', async (t) => {
  t.same(handlerCommand(undefined, { SYSCAGE_COMMAND: '["node", "a b.js"]' }), ['node', 'a b.js']);
  t.same(handlerCommand(undefined, { SYSCAGE_COMMAND: 'python3 -u main.py' }), ['python3', '-u', 'main.py']);
  t.equal(handlerCommand(undefined, {}), undefined);
});

t.test('1000 sequential invocations through bootstrap and proxy: none lost, duplicated or mixed up', { skip }, async (t) => {
  const profile = 'version: 1\ndefault: allow\nfiles:\n  read: ["/**"]\nnetwork:\n  connect: []\n';
  const events = Array.from({ length: 1000 }, (_, i) => ({ n: i }));
  const started = Date.now();
  const { results } = await serve(profile, events);
  t.comment(`1000 invocations in ${Date.now() - started} ms (sandboxed Python runtime, a new connection per request)`);
  t.equal(results.length, 1000, 'every event answered');
  t.equal(results.filter((r) => r.ok).length, 1000, 'every one a response');
  t.equal(new Set(results.map((r) => r.requestId)).size, 1000, 'no request id twice');
  const mixed = results.filter((r) => (JSON.parse(r.body!.toString()) as { echo: { n: number } }).echo.n !== (r.event as { n: number }).n);
  t.equal(mixed.length, 0, 'each response answers its own event');
});

t.test('bad set-ups are init errors with a clear message; the handler never runs unsandboxed', { skip }, async (t) => {
  const allow = 'version: 1\ndefault: allow\n';
  const cases: { name: string; profile: string | undefined; env?: Record<string, string>; type: string; says: RegExp }[] = [
    { name: 'an invalid profile', profile: 'version: 2\n', type: 'Runtime.InvalidProfile', says: /version must be 1/ },
    { name: 'no handler command', profile: allow, env: { SYSCAGE_COMMAND: '' }, type: 'Runtime.InvalidEntrypoint', says: /no handler command/ },
    { name: 'a handler that does not exist', profile: allow, env: { SYSCAGE_COMMAND: '["/nonexistent/handler"]' }, type: 'Runtime.InvalidEntrypoint', says: /nonexistent\/handler/ },
    { name: 'a handler that exits at once', profile: allow, env: { SYSCAGE_COMMAND: '["/bin/false"]' }, type: 'Runtime.ExitError', says: /during init, the handler exited with status 1/ },
  ];
  for (const c of cases) {
    const { results, status } = await serve(c.profile, [{ n: 1 }], c.env);
    t.equal(status, 1, `${c.name}: the bootstrap exits`);
    t.equal(results[0]?.status, 'init-error', `${c.name}: reported as an init error`);
    t.equal(results[0]?.error?.errorType, c.type, `${c.name}: ${c.type}`);
    t.match(results[0]?.error?.errorMessage, c.says, `${c.name}: says why`);
  }
});

t.test('a handler that keeps crashing: each invocation gets an error, then the bootstrap gives up', { skip }, async (t) => {
  const profile = 'version: 1\ndefault: allow\n';
  const events = [{ n: 1 }, ...Array.from({ length: 6 }, () => ({ crash: true }))];
  const { results, status } = await serve(profile, events);
  t.equal(status, 1, 'the bootstrap exits');
  t.equal(results[0]?.status, 'response', 'the first invocation was served');
  const errors = results.slice(1).filter((r) => r.status === 'error');
  t.equal(errors.length, 5, `${errors.length} crashed invocations reported before giving up (MAX_CRASHES = 5)`);
  t.ok(errors.every((r) => r.error?.errorType === 'Runtime.ExitError' && /exited with status 3/.test(r.error.errorMessage)), 'each as Runtime.ExitError with the status');
});
