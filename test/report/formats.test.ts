// Each input the report reads, made by what really writes it: a real `syscage run --log`, the
// bootstrap's logger (lambdaLogger) in both Lambda log formats with events from auditEvent and
// EMF records from the metrics module, those lines as CloudWatch exports them, and a recording
// by a real `syscage record`. Each is read back into the same events.
import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { emfRecord } from '../../lib/runtime/metrics.js';
import { humanLine } from '../../lib/audit/index.js';
import { makeReport, parseLine } from '../../lib/report/index.js';
import { BUILT, DEMO, NOT_BUILT, event, syscage, tempDir } from './helpers.js';

const FIXED = () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));

/** The lines the bootstrap writes for one event, a restart and an EMF record, in a format. */
function bootstrapLines(format: 'JSON' | 'Text'): string[] {
  const out: string[] = [];
  const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: format }, (l) => out.push(l.replace(/\n$/, '')), FIXED);
  const e = event({ path: '/etc/shadow', requestId: 'req-1', tier: 'runtime' });
  log.log('WARN', humanLine(e), { syscage: e }, 'req-1');
  log.log('INFO', 'syscage: tier runtime: no seccomp here', { tier: 'runtime' });
  log.log('WARN', 'syscage: restarting the handler: it was killed\nfor reading /etc/shadow', {}, 'req-1');
  log.emit('INFO', 'syscage: metrics', { ...emfRecord({ FunctionName: 'orders', Tier: 'runtime', Profile: 'demo' }, { Violations: 1, Refusals: 1, Kills: 0, MonitorKills: 0, Restarts: 1 }, FIXED().getTime(), 'req-1') }, 'req-1');
  return out;
}

for (const format of ['JSON', 'Text'] as const) {
  t.test(`the bootstrap's ${format} lines: the event with its request id, the restart, EMF ignored, the tier note is other`, async (t) => {
    const lines = bootstrapLines(format);
    t.equal(lines.length, 4, 'the logger wrote four lines');
    const [ev, note, restart, emf] = lines.map(parseLine);
    t.match(ev, { kind: 'event', event: { path: '/etc/shadow', requestId: 'req-1', decision: 'deny', tier: 'runtime', rule: { at: 'profiles/examples/demo.yaml:12:10' } } });
    t.same(note, { kind: 'other' });
    t.match(restart, { kind: 'restart', requestId: 'req-1', what: /^it was killed/ });
    t.same(emf, { kind: 'emf' });
  });
}

/** How CloudWatch hands the same lines back. */
const EXPORTS: Record<string, (line: string) => string> = {
  'aws logs tail': (l) => `2026-01-02T03:04:05.678000+00:00 2026/01/02/[$LATEST]0123456789abcdef ${l}`,
  'filter-log-events --output text': (l) => `EVENTS\t36b1a0c4e5f\t1767323045700\t2026/01/02/[$LATEST]0123456789abcdef\t${l}\t1767323045678`,
  'console CSV export': (l) => `1767323045678,"${l.replace(/"/g, '""')}"`,
};

for (const [name, wrap] of Object.entries(EXPORTS)) {
  for (const format of ['JSON', 'Text'] as const) {
    t.test(`${name} of ${format} lines: the record is found inside`, async (t) => {
      const [ev, note, restart, emf] = bootstrapLines(format).map((l) => parseLine(wrap(l)));
      t.match(ev, { kind: 'event', event: { path: '/etc/shadow', requestId: 'req-1', pid: 100, exe: '/usr/bin/cat' } });
      t.same(note, { kind: 'other' });
      t.match(restart, { kind: 'restart', requestId: 'req-1' });
      t.same(emf, { kind: 'emf' });
    });
  }
}

t.test("the function's own output is other, a broken syscage record is bad", async (t) => {
  t.same(parseLine('hello from the handler'), { kind: 'other' });
  t.same(parseLine('{"level":"info","msg":"a JSON log of the function"}'), { kind: 'other' });
  t.same(parseLine('{"broken json of the function'), { kind: 'other' });
  const good = JSON.stringify(event({ path: '/etc/shadow' }));
  t.match(parseLine(good.slice(0, 80)), { kind: 'bad', why: /cut short|not JSON/ }, 'a truncated run --log line');
  t.match(parseLine(good.replace('"pid":100', '"pid":"100"')), { kind: 'bad', why: /"pid"/ }, 'a wrong type');
  t.match(parseLine(good.replace('"decision":"deny"', '"decision":"maybe"')), { kind: 'bad', why: /"decision"/ });
  const text = bootstrapLines('Text')[0]!;
  t.match(parseLine(text.slice(0, -20)), { kind: 'bad' }, 'a truncated Text line');
  t.match(parseLine(text.replace('"argv"', '"x"').replace('"paths"', '"y"').replace('"path":"/etc/shadow"', '"path":["/etc/shadow"]')), { kind: 'bad', why: /"path"/ });
});

t.test('a path that spells the Text record\'s marker does not fool the reader', async (t) => {
  const out: string[] = [];
  const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'Text' }, (l) => out.push(l.replace(/\n$/, '')), FIXED);
  const e = event({ path: '/tmp/x {"syscage":{"pid":1}} y', requestId: 'r' });
  log.log('WARN', humanLine(e), { syscage: e }, 'r');
  t.match(parseLine(out[0]!), { kind: 'event', event: { path: '/tmp/x {"syscage":{"pid":1}} y', pid: 100 } });
});

t.test('a real syscage run --log, refused by the demo profile, read back', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const log = join(dir, 'run.jsonl');
  const r = await syscage(['run', '--log', log, '--profile', DEMO, '--', '/bin/sh', '-c', 'cat /etc/shadow; true']);
  t.equal(r.status, 0, 'the command ran', { stderr: r.stderr });
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  t.ok(lines.length >= 1, 'at least one event was logged');
  const parsed = lines.map(parseLine);
  t.ok(parsed.every((p) => p.kind === 'event'), 'every line is an event');
  const { aggregate: a, html } = await makeReport({ inputs: [log] });
  t.equal(a.events, lines.length);
  t.equal(a.bad, 0);
  t.same(a.paths.top(5).map((x) => x.key), ['/etc/shadow'], 'the refused file');
  t.match(a.rules.top(5)[0]!.extra, { what: 'files.deny', text: '/etc/shadow', at: /demo\.yaml:\d+:\d+$/ });
  t.equal(a.invocationIds.count, 1, 'a run log without request ids is one invocation');
  const tree = [...a.detailed.values()][0]!.tree;
  t.ok([...tree.nodes.values()].some((n) => n.exe?.endsWith('/cat')), 'cat is in the process tree');
  t.match(html, /<svg class="bars files"/);
});

t.test('a real syscage record: its entries are observed behaviour with their counts', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  const rec = join(dir, 'rec.yaml');
  // A fixed name (a temporary one would be recorded generalised, as "*"), removed afterwards.
  t.teardown(() => rmSync('/tmp/syscage-report-rec.txt', { force: true }));
  const r = await syscage(['record', '-o', rec, '--', '/bin/sh', '-c', 'cat /etc/hostname /etc/hostname >/dev/null; echo x > /tmp/syscage-report-rec.txt']);
  t.equal(r.status, 0, 'recorded', { stderr: r.stderr });
  const { aggregate: a } = await makeReport({ inputs: [rec] });
  t.equal(a.recordings, 1);
  t.equal(a.lines, 0, 'a recording is not read as log lines');
  const rows = new Map(a.recorded.top(1000).map((x) => [x.key, x.count]));
  t.equal(rows.get('read\t/etc/hostname'), 2, '"# 2 reads" read back');
  t.ok(rows.has('exec\t/usr/bin/cat'), 'the program started');
  t.ok(rows.has('write\t/tmp/syscage-report-rec.txt'), 'the file written');
});

t.test('a profile that does not parse is one bad input, not an abort', async (t) => {
  const dir = tempDir();
  const f = join(dir, 'broken.yaml');
  writeFileSync(f, 'version: 1\nfiles: [\n');
  const warned: string[] = [];
  const { aggregate: a } = await makeReport({ inputs: [f], warn: (l) => warned.push(l) });
  t.equal(a.bad, 1);
  t.match(warned[0], /broken\.yaml:1: .*YAML syntax/);
});
