// `syscage report` as a user runs it (the built CLI): bad lines are counted and named, the page is
// written anyway; --profile shows the drift; a missing log or a bad profile ends in exit 2 and
// diagnostics, never a stack trace.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { humanLine } from '../../lib/audit/index.js';
import { BUILT, NOT_BUILT, event, syscage, tempDir } from './helpers.js';

const STACK = /^\s+at |node:internal/m;

t.test('bad lines: counted, each named FILE:LINE (capped), the page still written, exit 0', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const log = join(dir, 'mixed.jsonl');
  const good = JSON.stringify(event({ path: '/etc/shadow' }));
  const lines = [good, 'the function printed this'];
  for (let i = 0; i < 13; i++) lines.push(good.slice(0, 60 + i)); // cut short: lines 3..15
  lines.push(good.replace('"pid":100', '"pid":"x"'), good); // 16 bad, 17 good
  writeFileSync(log, lines.join('\n') + '\n');
  const out = join(dir, 'r.html');
  const r = await syscage(['report', log, '-o', out]);
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  const warnings = r.stderr.split('\n').filter((l) => l.includes('bad line skipped'));
  t.equal(warnings.length, 10, 'the first 10 bad lines are named');
  t.match(warnings[0], new RegExp(`^syscage: ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: bad line skipped: `));
  t.match(r.stderr, /and 4 more bad lines skipped/);
  t.match(r.stderr, /syscage: wrote .*r\.html: 2 events, 1 invocation, 14 bad lines\n$/);
  t.notMatch(r.stderr, STACK);
  const html = readFileSync(out, 'utf8');
  t.match(html, /<b>14<\/b><span>bad lines \(skipped\)<\/span>/);
  t.match(html, /<b>1<\/b><span>other lines \(not syscage\)<\/span>/);
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

t.test('a missing log: one line, exit 2, no page', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const r = await syscage(['report', join(dir, 'nope.log'), '-o', join(dir, 'r.html')]);
  t.equal(r.status, 2);
  t.equal(r.stderr, `syscage: ${join(dir, 'nope.log')}: no such file or directory\n`);
  t.notOk(existsSync(join(dir, 'r.html')));
});

t.test('a bad --profile: its diagnostics with file:line:col, exit 2', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const log = join(dir, 'a.jsonl');
  writeFileSync(log, JSON.stringify(event()) + '\n');
  const p = join(dir, 'bad.yaml');
  writeFileSync(p, 'version: 1\nfiles:\n  read: [/ok/**]\n  reed: [/x]\n');
  const r = await syscage(['report', log, '--profile', p, '-o', join(dir, 'r.html')]);
  t.equal(r.status, 2);
  t.match(r.stderr, /bad\.yaml:4:3: error E_/);
  t.notMatch(r.stderr, STACK);
});

t.test('-o defaults to report.html; /dev/stdin is read as a stream; the page is replaced', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'report.html'), 'old');
  const r = await syscage(['report', '/dev/stdin'], { cwd: dir, input: JSON.stringify(event({ requestId: 'from-stdin' })) + '\n' });
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.match(html, /^<!DOCTYPE html>/);
  t.match(html, /from-stdin/);
});

t.test('--profile: the drift, each act with how often and one example; what the profile allows is not drift', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const profile = join(dir, 'p.yaml');
  writeFileSync(profile, [
    'version: 1', 'name: strict', 'default: allow',
    'files:', '  read: [/var/task/**, /etc/**]', '  write: [/tmp/**]', '  deny: [/etc/shadow]',
    'exec:', '  allow: [/bin/*]',
    'network:', '  connect: ["*:443", "api.example.com:80"]', '',
  ].join('\n'));
  const lines: string[] = [];
  const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'JSON' }, (l) => lines.push(l));
  const put = (e: ReturnType<typeof event>) => log.log('WARN', humanLine(e), { syscage: e }, e.requestId);
  for (let i = 0; i < 3; i++) put(event({ path: '/etc/shadow', requestId: 'a' }));
  put(event({ path: '/var/task/index.js', requestId: 'a' }));
  put(event({ path: '/var/task/out.json', access: 'write', requestId: 'a' }));
  put(event({ argv: ['/usr/bin/curl', 'http://evil'], requestId: 'b', rule: { what: 'exec.allow', text: 'not in exec.allow' } }));
  put(event({ argv: ['/bin/ls'], requestId: 'b' }));
  put(event({ syscall: 'connect', address: '10.0.0.1:443', requestId: 'b' }));
  put(event({ syscall: 'connect', address: '10.0.0.2:80', requestId: 'b' }));
  put(event({ syscall: 'connect', address: '10.0.0.3:80', name: 'api.example.com', requestId: 'b' }));
  const file = join(dir, 'lambda.log');
  writeFileSync(file, lines.join(''));
  const rec = join(dir, 'rec.yaml');
  writeFileSync(rec, 'version: 1\nname: rec\nexec:\n  allow:\n    - /usr/bin/wget  # 7 starts\n');
  const out = join(dir, 'r.html');
  const r = await syscage(['report', file, rec, '--profile', profile, '-o', out]);
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  const html = readFileSync(out, 'utf8');
  const drift = /<table class="drift">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const rows = [...drift.matchAll(/<tr><td>(\w+)<\/td><td><code>([^<]*)<\/code><\/td><td class="n">(\d+)<\/td><td><code>([^<]*)<\/code><\/td><td><code>([^<]*)<\/code>/g)]
    .map((m) => ({ kind: m[1], what: m[2], n: Number(m[3]), why: m[4], where: m[5] }));
  t.same(rows.map((x) => `${x.kind} ${x.what} ${x.n}`).sort(), [
    'connect 10.0.0.2:80 1', 'exec /usr/bin/curl 1', 'exec /usr/bin/wget 7', 'read /etc/shadow 3', 'write /var/task/out.json 1',
  ], 'exactly what the profile does not allow, with how often');
  t.match(rows.find((x) => x.what === '/etc/shadow'), { why: /^files\.deny &quot;\/etc\/shadow&quot; at .*p\.yaml:7:\d+$/, where: /lambda\.log:1$/ });
  t.match(rows.find((x) => x.what === '/usr/bin/wget'), { why: /not in exec\.allow at .*p\.yaml:9:\d+/, where: /rec\.yaml:5$/ });
});
