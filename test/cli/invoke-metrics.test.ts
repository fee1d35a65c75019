// Violation metrics behind the Runtime API emulator, as Lambda would log them: `syscage invoke` runs
// a custom runtime sandboxed behind the bootstrap, and its log (stderr) must hold exactly one EMF
// record for the invocation that broke the profile, valid against CloudWatch's specification, in
// either log format; none for the clean invocations.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { emfProblems } from '../helpers/emf.js';

const root = packageRoot();
const python = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'syscage-metrics-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const runtime = join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py');
const events = [write('e1.json', '{"n": 1}'), write('e2.json', '{"n": 2, "secret": true}'), write('e3.json', '{"n": 3}')];
const skip = existsSync(python) ? false : `${python} is not installed`;

function invoke(profileText: string, format: 'JSON' | 'Text') {
  // tap's loaders must not follow the real binary.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS'))), AWS_LAMBDA_LOG_FORMAT: format, AWS_LAMBDA_FUNCTION_NAME: 'orders' };
  const profile = write(`${format}.yaml`, profileText);
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), 'invoke', '--profile', profile,
    ...events.flatMap((e) => ['--event', e]), '--', python, runtime], { env, encoding: 'utf8', timeout: 60_000 });
  const lines = r.stderr.split('\n').filter(Boolean);
  const emf = lines.filter((l) => l.includes('"_aws"'));
  return { r, lines, emf };
}

t.test('JSON log format: a refused read leaves one EMF record, for its invocation', { skip }, async (t) => {
  const { r, lines, emf } = invoke('version: 1\nname: echo\ndefault: allow\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\n', 'JSON');
  t.equal(r.status, 0, 'every invocation answered', { stderr: r.stderr });
  const audit = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { requestId?: string; syscage?: { path?: string } })
    .filter((l) => l.syscage?.path === '/etc/shadow');
  t.equal(audit.length, 1, 'the refusal, reported once');
  t.equal(emf.length, 1, 'exactly one EMF record in the log', { stderr: r.stderr });
  t.same(emfProblems(emf[0]!), [], 'valid against the EMF specification');
  const rec = JSON.parse(emf[0]!) as Record<string, unknown>;
  t.equal(rec.requestId, audit[0]!.requestId, 'for the invocation that broke the profile');
  t.match(rec, { level: 'WARN', FunctionName: 'orders', Tier: 'kernel', Profile: 'echo', Violations: 1, Refusals: 1, Kills: 0, MonitorKills: 0, Restarts: 0 });
  t.ok(lines.indexOf(emf[0]!) > lines.findIndex((l) => l.includes('/etc/shadow')), 'written after the event, when the invocation ended');
});

t.test('Text log format: a kill and its restart, one bare EMF record for the invocation', { skip }, async (t) => {
  const { r, emf } = invoke('version: 1\nname: echo\ndefault: allow\nviolation: kill\nfiles:\n  read: ["/**"]\n  deny: [/etc/shadow]\n', 'Text');
  t.equal(r.status, 1, 'the killed invocation failed');
  const failed = /invocation (\S+) failed \(error\): Runtime\.SyscallViolation/.exec(r.stderr)?.[1];
  t.ok(failed, 'the killed invocation is named', { stderr: r.stderr });
  t.equal(emf.length, 1, 'exactly one EMF record in the log', { stderr: r.stderr });
  t.ok(emf[0]!.startsWith('{"_aws"'), 'the record alone on its line (Text format: no prefix)');
  t.same(emfProblems(emf[0]!), [], 'valid against the EMF specification');
  t.match(JSON.parse(emf[0]!), { requestId: failed, Violations: 1, Kills: 1, Restarts: 1, Refusals: 0 });
});
