// The bootstrap's violation metrics (lib/runtime/metrics.ts): what an event counts, one EMF record
// per invocation that broke the profile or was restarted, never a path in a dimension, and the
// record's shape as CloudWatch's specification requires it, in both Lambda log formats.
import t from 'tap';
import type { AuditEvent } from '../../lib/audit/event.js';
import { dimensionValue, emfRecord, InvocationMetrics, metricDimensions, tallyEvent, type EmfRecord, type Tally } from '../../lib/runtime/metrics.js';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { emfProblems } from '../helpers/emf.js';

const event = (over: Partial<AuditEvent>): AuditEvent => ({
  time: '2026-12-07T00:00:00.000Z', profile: 'p', pid: 1, syscall: 'openat', decision: 'deny', enforced: true, ...over,
});
const zero = (): Tally => ({ Violations: 0, Refusals: 0, Kills: 0, MonitorKills: 0, Restarts: 0 });
const dims = metricDimensions({ AWS_LAMBDA_FUNCTION_NAME: 'orders' }, 'kernel', 'orders-api');

t.test('what one event counts', async (t) => {
  const count = (e: Partial<AuditEvent>): Tally => {
    const tally = zero();
    tallyEvent(tally, event(e));
    return tally;
  };
  t.same(count({}), { ...zero(), Violations: 1, Refusals: 1 }, 'a refused call');
  t.same(count({ decision: 'kill', tier: 'kernel' }), { ...zero(), Violations: 1, Kills: 1 }, 'a kill by the kernel tier');
  t.same(count({ decision: 'kill', tier: 'runtime' }), { ...zero(), Violations: 1, MonitorKills: 1 }, 'a kill by the runtime tier is the monitor\'s');
  t.same(count({ enforced: false }), { ...zero(), Violations: 1 }, 'audit mode: a violation, nothing refused');
  t.same(count({ decision: 'log' }), zero(), 'a logged call is no violation');
  t.same(count({ hidden: true }), zero(), 'nor a path outside the profile\'s view');
});

t.test('one record per invocation, written when it ends; none for a clean one', async (t) => {
  const out: { r: EmfRecord; id?: string }[] = [];
  const m = new InvocationMetrics(dims, (r, id) => out.push({ r, id }), () => 1_765_000_000_000);
  m.event(event({}), 'a');
  m.event(event({}), 'a');
  m.event(event({ decision: 'kill', tier: 'kernel' }), 'a');
  m.event(event({ decision: 'log' }), 'b');
  t.equal(out.length, 0, 'nothing before the invocation ends');
  m.end('a');
  m.end('b');
  t.equal(out.length, 1, 'one record, for the invocation that broke the profile');
  t.equal(out[0]!.id, 'a');
  t.match(out[0]!.r, { Violations: 3, Refusals: 2, Kills: 1, MonitorKills: 0, Restarts: 0, requestId: 'a', FunctionName: 'orders', Tier: 'kernel', Profile: 'orders-api' });
  t.equal(out[0]!.r._aws.Timestamp, 1_765_000_000_000);
  m.event(event({}), 'a');
  m.end('a');
  t.equal(out.length, 1, 'a late event of an ended invocation never makes it a second record');
  m.end();
  t.equal(out.length, 2, 'it is counted with what happened outside invocations');
  t.notOk('requestId' in out[1]!.r, 'which names no request id');
});

t.test('a record is stamped with the time of what opened it, not of its writing', async (t) => {
  let now = 1000;
  const out: EmfRecord[] = [];
  const m = new InvocationMetrics(dims, (r) => out.push(r), () => now);
  m.event(event({}));
  now = 1000 + 3_600_000; // the environment was frozen for an hour before the next invocation
  m.end();
  t.equal(out[0]?._aws.Timestamp, 1000);
});

t.test('a restart: counted in the failed invocation\'s record, or in a record of its own', async (t) => {
  const out: EmfRecord[] = [];
  const m = new InvocationMetrics(dims, (r) => out.push(r));
  m.event(event({ decision: 'kill', tier: 'runtime' }), 'x');
  m.restart('x');
  m.end('x');
  m.restart();
  m.end();
  t.match(out, [{ requestId: 'x', Violations: 1, MonitorKills: 1, Restarts: 1 }, { Violations: 0, Restarts: 1 }]);
  m.event(event({}), 'y');
  m.endAll();
  t.match(out[2], { requestId: 'y', Refusals: 1 }, 'the bootstrap ending writes what is still open');
});

t.test('dimensions: never a path, whatever the profile is named', async (t) => {
  t.equal(dimensionValue('/var/task/secret/profile.yaml'), '_var_task_secret_profile.yaml');
  t.equal(dimensionValue(''), 'unknown');
  t.equal(dimensionValue(undefined), 'unknown');
  t.equal(dimensionValue('x'.repeat(300)).length, 255);
  const d = metricDimensions({ AWS_LAMBDA_FUNCTION_NAME: 'f' }, 'runtime', '../etc/passwd');
  t.notMatch(Object.values(d).join(' '), /\//, 'no slash in any dimension');
  const r = emfRecord(d, zero(), 0);
  for (const set of r._aws.CloudWatchMetrics[0]!.Dimensions) for (const name of set) t.ok(['FunctionName', 'Tier', 'Profile'].includes(name), `${name}: a name syscage controls`);
});

t.test('the record satisfies the EMF specification, in both log formats', async (t) => {
  const record = emfRecord(dims, { ...zero(), Violations: 2, Refusals: 2 }, 1_765_000_000_123, 'req-1');
  for (const format of ['JSON', 'Text']) {
    const lines: string[] = [];
    const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: format, AWS_LAMBDA_LOG_LEVEL: 'FATAL' }, (l) => lines.push(l), () => new Date(0));
    log.emit('WARN', 'syscage: metrics', { ...record }, 'req-1');
    t.equal(lines.length, 1, `${format}: one line, although the log level is FATAL`);
    const line = lines[0]!.replace(/\n$/, '');
    t.same(emfProblems(line), [], `${format}: valid EMF`);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    t.same(parsed._aws, record._aws);
    if (format === 'JSON') t.match(parsed, { level: 'WARN', requestId: 'req-1', message: 'syscage: metrics', timestamp: '1970-01-01T00:00:00.000Z' }, 'JSON: with the Lambda record\'s fields');
    else t.same(parsed, JSON.parse(JSON.stringify(record)), 'Text: the record alone, nothing before or after it');
  }
});

t.test('the checker itself bites', async (t) => {
  const good = JSON.stringify(emfRecord(dims, zero(), 5));
  t.same(emfProblems(good), []);
  t.match(emfProblems(`2026-12-07T00:00:00Z\tid\tWARN\t${good}`), [/not one JSON value/], 'text before the object');
  const r = JSON.parse(good) as { _aws: { Timestamp?: unknown; CloudWatchMetrics: { Metrics: { Name: string; Unit?: string }[] }[] }; Profile?: unknown };
  delete r._aws.Timestamp;
  r._aws.CloudWatchMetrics[0]!.Metrics[0]!.Unit = 'Things';
  delete r.Profile;
  const problems = emfProblems(JSON.stringify(r));
  t.match(problems.join('\n'), /Timestamp/);
  t.match(problems.join('\n'), /unknown unit Things/);
  t.match(problems.join('\n'), /dimension Profile is not a root member/);
});
