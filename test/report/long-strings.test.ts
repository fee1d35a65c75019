// A hostile log cannot make the report's memory grow with the length of its strings: every field
// of an event is cut at parse time (parse.ts: MAX_TEXT, MAX_NAME, MAX_LIST), so that what the
// report keeps — the exact set of invocation ids, the top lists' keys and examples, the process
// trees — stays small whatever a line holds. 2,000 lines of ~200 KiB, each with a distinct
// request id and path of ~90 KiB, run through the built CLI under a 64 MB V8 heap (kept whole,
// the request ids alone would be ~180 MB); the page stays small.
import t from 'tap';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { humanLine } from '../../lib/audit/index.js';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { bound, MAX_LIST, MAX_NAME, MAX_TEXT, parseLine } from '../../lib/report/parse.js';
import { BUILT, NOT_BUILT, event, syscage, tempDir } from './helpers.js';

const LINES = 2000;
const KIB = 1024;

t.test('bound: cut with an ellipsis, never inside a surrogate pair', async (t) => {
  const c = { n: 0 };
  t.equal(bound('abc', 3, c), 'abc', 'short enough: unchanged');
  t.equal(c.n, 0);
  t.equal(bound('abcdef', 4, c), 'abc…', 'cut to 4 units, the last one …');
  t.equal(bound('ab😀def', 4, c), 'ab…', 'a pair is not split');
  t.equal(c.n, 2, 'each cut counted');
});

t.test('parseLine cuts every string field of an event and says so', async (t) => {
  const long = 'x'.repeat(300 * KIB);
  const e = {
    ...event({ path: long, argv: Array.from({ length: 1000 }, (_, i) => `${i}${long.slice(0, 2000)}`), exe: long, address: long, name: long, requestId: long, profile: long }),
    reason: long, errno: long, access: long, rule: { what: long, text: long, at: long },
  };
  const p = parseLine(JSON.stringify(e));
  if (p.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(p).slice(0, 200)}`);
  t.equal(p.cut, true, 'the event is marked cut');
  const ev = p.event;
  for (const f of ['path', 'exe', 'address', 'name', 'reason'] as const) t.equal(ev[f]!.length, MAX_TEXT, `${f}: ${MAX_TEXT} units`);
  for (const f of ['requestId', 'profile', 'errno', 'access'] as const) t.equal(ev[f]!.length, MAX_NAME, `${f}: ${MAX_NAME} units`);
  t.ok(ev.path!.endsWith('…'), 'a cut ends in …');
  t.equal(ev.argv!.length, MAX_LIST, `argv: ${MAX_LIST} elements`);
  t.equal(ev.argv![MAX_LIST - 1], `… (${1000 - MAX_LIST + 1} more)`, 'the last says how many more');
  t.ok(ev.argv!.slice(0, -1).every((a) => a.length === MAX_TEXT), 'each element cut');
  t.same([ev.rule!.what.length, ev.rule!.text!.length, ev.rule!.at!.length], [MAX_NAME, MAX_TEXT, MAX_TEXT], 'the rule too');
  // A Text-format line: the request id comes from the line itself.
  const lines: string[] = [];
  lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'Text' }, (l) => lines.push(l)).log('WARN', 'x', { syscage: event({ path: '/etc/shadow' }) }, long);
  const q = parseLine(lines[0]!.replace(/\n$/, ''));
  t.match(q, { kind: 'event', cut: true, event: { path: '/etc/shadow' } });
  t.equal(q.kind === 'event' && q.event.requestId!.length, MAX_NAME, 'a Text line\'s request id is cut');
  const ok = parseLine(JSON.stringify(event({ path: '/etc/shadow' })));
  t.match(ok, { kind: 'event', cut: false }, 'an ordinary event is not marked');
});

t.test(`${LINES} lines of ~200 KiB with distinct long request ids and paths under --max-old-space-size=64`, { skip: !BUILT && NOT_BUILT, timeout: 180_000 }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'long.log');
  const fd = openSync(log, 'w');
  let size = 0;
  try {
    const pad = 'p'.repeat(90 * KIB);
    const put = (l: string) => (size += writeSync(fd, l));
    const json = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'JSON' }, put);
    const text = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'Text' }, put);
    for (let i = 0; i < LINES; i++) {
      const rid = `${i}-${pad}`;
      const path = `/tmp/${i}/${pad}`;
      const e = i % 3 === 2
        ? event({ syscall: 'execve', argv: [path, ...Array.from({ length: 200 }, (_, j) => `${j}`)], exe: `/bin/${i}${pad.slice(0, 10 * KIB)}`, requestId: rid, rule: { what: 'exec.allow', text: pad.slice(0, 5 * KIB) } })
        : event({ path, exe: `/bin/${i}${pad.slice(0, 10 * KIB)}`, requestId: rid });
      if (i % 3 === 1) text.log('WARN', humanLine(e).slice(0, 100), { syscage: e }, rid);
      else if (i % 3 === 0) json.log('WARN', 'x', { syscage: e }, rid);
      else put(JSON.stringify(e) + '\n');
    }
  } finally {
    closeSync(fd);
  }
  t.ok(size > LINES * 180 * KIB, `a log of ${(size / 1e6).toFixed(0)} MB`);
  const out = join(dir, 'r.html');
  const r = await syscage(['report', log, '-o', out], { node: ['--max-old-space-size=64'], timeoutMs: 170_000 });
  t.equal(r.status, 0, 'exit 0 (no heap exhaustion)', { stderr: r.stderr.slice(-2000) });
  t.match(r.stderr, new RegExp(`wrote .*r\\.html: ${LINES} events, ${LINES} invocations, 0 bad lines`), 'every event and invocation counted');
  const bytes = statSync(out).size;
  t.ok(bytes < 1e6, `the page stays small: ${(bytes / 1e3).toFixed(0)} kB`);
  const html = readFileSync(out, 'utf8');
  t.match(html, new RegExp(`<b>${LINES.toLocaleString('en-US')}</b><span>events with a field cut`), 'the page counts the cut events');
  t.notMatch(html, new RegExp(`p{${MAX_TEXT + 1}}`), `no run of the padding longer than ${MAX_TEXT} characters on the page`);
});
