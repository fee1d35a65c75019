// syscage invoke: a custom runtime, sandboxed, against the local Runtime API
// emulator — responses on stdout, a violation during an invocation reported,
// bad events refused before anything starts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
const python = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'syscage-invoke-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
// tap's loaders must not follow the real binary.
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS'))), AWS_LAMBDA_LOG_FORMAT: 'JSON' };
const syscage = (...argv: string[]) =>
  spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), ...argv], { env, encoding: 'utf8', timeout: 30_000 });

const profile = write('p.yaml', 'version: 1\ndefault: allow\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\nnetwork:\n  connect: []\n');
const runtime = join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py');

t.test('events in, responses out; a violation in an invocation is reported', { skip: existsSync(python) ? false : `${python} is not installed` }, async (t) => {
  const e1 = write('e1.json', '{"n": 1}');
  const e2 = write('e2.json', '{"n": 2, "secret": true}');
  const r = syscage('invoke', '--profile', profile, '--event', e1, '--event', e2, '--', python, runtime);
  t.equal(r.status, 0, 'every invocation answered', { stderr: r.stderr });
  t.same(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), [{ echo: { n: 1 } }, { echo: { n: 2, secret: true } }], 'the responses, in order');
  // Lambda-shaped JSON log records (AWS_LAMBDA_LOG_FORMAT=JSON), each audit event under "syscage".
  type Rec = { level: string; requestId?: string; syscage?: { path?: string; address?: string; syscall: string } };
  const recs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);
  const shadow = recs.filter((e) => e.syscage?.path === '/etc/shadow');
  t.same(shadow.map((e) => e.syscage?.syscall), ['openat'], 'the read of /etc/shadow refused and reported once');
  t.match(shadow[0]?.requestId, /^[0-9a-f-]{36}$/, 'naming the invocation it happened in');
  t.notOk(recs.some((e) => e.syscage?.address?.startsWith('127.0.0.1:')), 'the runtime reaches its Runtime API although network.connect is empty');
});

t.test('an event that is not JSON: one line, exit 2, nothing started', async (t) => {
  const bad = write('bad.json', 'nope\n');
  const marker = join(dir, 'started');
  const r = syscage('invoke', '--profile', profile, '--event', bad, '--', '/bin/touch', marker);
  t.equal(r.status, 2);
  t.match(r.stderr, /^syscage: event .*bad\.json is not JSON: [^\n]*\n$/);
  t.notOk(existsSync(marker), 'the runtime never started');
});

t.test('record --lambda, then invoke with the recorded profile: the same answers, nothing refused', { skip: existsSync(python) ? false : `${python} is not installed` }, async (t) => {
  const e1 = write('r1.json', '{"n": 1}');
  const out = join(dir, 'recorded.yaml');
  const home = { HOME: '/tmp' };
  const rec = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), 'record', '--lambda', '-o', out, '--event', e1, '--', python, runtime],
    { env: { ...env, ...home }, encoding: 'utf8', timeout: 30_000 });
  t.equal(rec.status, 0, 'recorded', { stderr: rec.stderr });
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), 'invoke', '--profile', out, '--event', e1, '--', python, runtime],
    { env: { ...env, ...home }, encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, 'invoked', { stderr: r.stderr });
  t.same(JSON.parse(r.stdout), { echo: { n: 1 } });
  const refused = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { syscage?: unknown }).filter((l) => l.syscage);
  t.same(refused, [], 'the recorded profile refuses nothing the runtime does');
  t.notMatch(readFileSync(out, 'utf8'), /127\.0\.0\.1/, 'the local Runtime API is not in the profile');
});

t.test('the last event kills the handler: invoke reports it and ends (no handler left waiting)', { skip: existsSync(python) ? false : `${python} is not installed` }, async (t) => {
  const kill = write('kill.yaml', 'version: 1\ndefault: allow\nviolation: kill\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\n');
  const secret = write('secret.json', '{"secret": true}');
  const r = syscage('invoke', '--profile', kill, '--event', secret, '--', python, runtime);
  t.equal(r.signal, null, 'ended by itself, not by the test\'s timeout');
  t.equal(r.status, 1, 'an invocation failed');
  t.match(r.stderr, /failed \(error\): Runtime\.SyscallViolation: .*openat \/etc\/shadow/);
});
