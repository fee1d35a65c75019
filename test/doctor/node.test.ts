// Doctor names the Node.js that runs syscage, and says when its release line is past end of life
// (lib/doctor/node.ts's table). The version and the day are injected; the real binary, run by
// whatever node runs this test, prints its own version.
import t from 'tap';
import { doctorCommand } from '../../lib/cli/doctor.js';
import {
  formatReport, NODE_END_OF_LIFE, nodeEndOfLife, nodeLines, nodeMajor, PROBE_NAMES, runDoctor, type ProbeFn, type ProbeName,
} from '../../lib/doctor/index.js';
import { bin, distProblem, parseReport, runProgram } from './fixtures/helpers.js';

const stale = distProblem();
if (stale) t.fail(stale);

const ALL_YES = Object.fromEntries(PROBE_NAMES.map((n) => [n, () => ({ ok: true, detail: 'fake yes' })])) as Record<ProbeName, ProbeFn>;
const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

t.test('the table: the LTS lines and their end-of-life dates', async (t) => {
  t.same(NODE_END_OF_LIFE, { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' });
  t.equal(nodeMajor('v26.12.1'), 26);
  t.equal(nodeMajor('v20.20.2'), 20);
  t.ok(Number.isNaN(nodeMajor('nonsense')));
});

t.test('past the date, not on it', async (t) => {
  t.same(nodeEndOfLife('v20.20.2', day('2026-04-29')), { major: 20, date: '2026-04-30', past: false }, 'the day before');
  t.same(nodeEndOfLife('v20.20.2', day('2026-04-30')), { major: 20, date: '2026-04-30', past: false }, 'its last day');
  t.same(nodeEndOfLife('v20.20.2', new Date('2026-05-01T00:00:00Z')), { major: 20, date: '2026-04-30', past: true }, 'the day after');
  t.same(nodeEndOfLife('v20.20.2', day('2026-12-06')), { major: 20, date: '2026-04-30', past: true });
  t.same(nodeEndOfLife('v22.1.0', day('2026-12-06')), { major: 22, date: '2027-04-30', past: false });
  t.same(nodeEndOfLife('v24.3.0', day('2028-05-01')), { major: 24, date: '2028-04-30', past: true });
  t.same(nodeEndOfLife('v26.12.1', day('2026-12-06')), { major: 26, date: '2029-04-30', past: false });
  t.same(nodeEndOfLife('v26.12.1', day('2029-05-01')), { major: 26, date: '2029-04-30', past: true });
  t.same(nodeEndOfLife('v25.2.0', day('2026-12-06')), { major: 25, date: null, past: false }, 'a line the table does not know: no date, no warning');
  t.same(nodeEndOfLife('v18.20.0', day('2026-12-06')), { major: 18, date: null, past: true }, 'older than the table: past, date unknown');
});

t.test('the text lines', async (t) => {
  t.same(nodeLines('v26.12.1', nodeEndOfLife('v26.12.1', day('2026-12-06'))), ['node: v26.12.1']);
  const old = nodeLines('v20.20.2', nodeEndOfLife('v20.20.2', day('2026-12-06')));
  t.equal(old.length, 2);
  t.equal(old[0], 'node: v20.20.2 (end of life since 2026-04-30)');
  t.match(old[1], /^ {2}warning: Node\.js 20 gets no security fixes since 2026-04-30: run syscage on a supported Node\.js \(26 LTS/);
  t.same(nodeLines('v20.20.2', nodeEndOfLife('v20.20.2', day('2026-04-01'))), ['node: v20.20.2'], 'before the date: no warning');
});

t.test('runDoctor with an injected version and day: the report\'s node and nodeEndOfLife', async (t) => {
  const r = await runDoctor({ probes: ALL_YES, nodeVersion: 'v20.20.2', now: () => day('2026-12-06') });
  t.equal(r.node, 'v20.20.2');
  t.same(r.nodeEndOfLife, { major: 20, date: '2026-04-30', past: true });
  const lines = formatReport(r).split('\n');
  t.match(lines[0], /, Node v20\.20\.2, /, 'the heading still names it');
  t.equal(lines[1], 'node: v20.20.2 (end of life since 2026-04-30)', 'the node line, right after the heading');
  t.match(lines[2], /^ {2}warning: Node\.js 20 /, 'then the warning');
  t.equal(lines[3], '', 'then the probes, as before');

  const fresh = await runDoctor({ probes: ALL_YES, nodeVersion: 'v26.12.1', now: () => day('2026-12-06') });
  t.same(fresh.nodeEndOfLife, { major: 26, date: '2029-04-30', past: false });
  const text = formatReport(fresh);
  t.match(text, /^node: v26\.12\.1$/m);
  t.notMatch(text, /warning|end of life/, 'no warning for a supported line');

  const real = await runDoctor({ probes: ALL_YES });
  t.equal(real.node, process.version, 'by default: this process\'s Node.js');
  t.same(real.nodeEndOfLife, nodeEndOfLife(process.version, new Date()), 'and today');
});

t.test('the command: --json has the field, the table the line', async (t) => {
  const run = async (json: boolean) => {
    let out = '';
    const status = await doctorCommand({ probes: ALL_YES, nodeVersion: 'v20.20.2', now: () => day('2027-01-01') })
      .run({ json }, { out: (s: string | Uint8Array) => { out += String(s); }, err: () => undefined, outIsTty: false }, {});
    return { status, out };
  };
  const json = await run(true);
  t.equal(json.status, 0);
  const report = parseReport(json.out);
  t.equal(report.node, 'v20.20.2');
  t.same(report.nodeEndOfLife, { major: 20, date: '2026-04-30', past: true });
  const text = await run(false);
  t.match(text.out, /^node: v20\.20\.2 \(end of life since 2026-04-30\)\n {2}warning: /m);
});

t.test('the real binary names the Node.js that runs it', async (t) => {
  const eol = nodeEndOfLife(process.version, new Date());
  const text = await runProgram([process.execPath, bin, 'doctor']);
  t.equal(text.status, 0, text.err);
  t.equal(text.out.split('\n')[1], nodeLines(process.version, eol)[0], `the line: ${nodeLines(process.version, eol)[0]}`);
  t.equal(/^ {2}warning: Node\.js /m.test(text.out), eol.past, eol.past ? 'past end of life: a warning' : 'supported: no warning');
  const json = await runProgram([process.execPath, bin, 'doctor', '--json']);
  t.equal(json.status, 0, json.err);
  const report = parseReport(json.out);
  t.equal(report.node, process.version);
  t.same(report.nodeEndOfLife, eol);
});
