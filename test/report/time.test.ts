// Extreme timestamps: an event dated outside 1970-01-01 … 2200-01-01 is a bad line (counted,
// named), never a crash; the histogram draws any finite range, even one wider than a Date holds.
import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeReport } from '../../lib/report/index.js';
import { parseLine } from '../../lib/report/parse.js';
import { TimeHistogram } from '../../lib/report/bounded.js';
import { histogram, iso } from '../../lib/report/svg.js';
import { BUILT, NOT_BUILT, event, syscage, tempDir } from './helpers.js';

const at = (time: string) => JSON.stringify({ ...event({ path: '/etc/shadow' }), time });
const OUTSIDE = /^an audit event whose "time" is outside 1970-01-01 … 2200-01-01$/;

t.test('a time outside the window is a bad line', async (t) => {
  for (const time of ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2200-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z']) {
    t.match(parseLine(at(time)), { kind: 'bad', why: OUTSIDE }, time);
  }
  for (const time of ['1970-01-01T00:00:00.000Z', '2199-12-31T23:59:59.999Z', '2026-01-02T03:04:05.000Z']) {
    t.match(parseLine(at(time)), { kind: 'event', event: { time } }, `${time}: an event`);
  }
});

t.test('makeReport: extreme times are counted as bad lines and the page is written', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'x.log');
  writeFileSync(log, [at('+275760-09-13T00:00:00.000Z'), at('2026-01-02T03:04:05.000Z'), at('-271821-04-20T00:00:00.000Z'), ''].join('\n'));
  const warned: string[] = [];
  const { html, aggregate: a } = await makeReport({ inputs: [log], warn: (l) => warned.push(l) });
  t.equal(a.events, 1, 'the event in the window counted');
  t.equal(a.bad, 2, 'the two outside it are bad');
  t.match(warned[0], /x\.log:1: bad line skipped: an audit event whose "time" is outside/);
  t.match(warned[1], /x\.log:3: bad line skipped/);
  t.match(html, /x\.log:1<\/code>: an audit event whose &quot;time&quot; is outside/, 'named on the page');
  t.match(html, /<svg class="histogram"/);
});

t.test('the histogram draws a range wider than a Date can hold', async (t) => {
  const h = new TimeHistogram(['deny', 'kill', 'log'] as const);
  h.add(-8.64e15, 'deny');
  h.add(8.64e15, 'kill');
  h.add(NaN, 'log');
  const v = h.view()!;
  t.ok(v.start + v.rows.length * v.width > 8.64e15, 'the range ends past the last Date');
  const svg = histogram(v);
  t.match(svg, /^<svg class="histogram"[\s\S]*<\/svg>$/, 'drawn, no RangeError');
  t.equal(v.rows.reduce((n, r) => n + r.counts.deny + r.counts.kill + r.counts.log, 0), 2, 'a NaN time is not counted');
  t.equal(iso(0), '1970-01-01T00:00:00.000Z');
  t.equal(iso(9e15), '9,000,000,000,000,000 ms since 1970', 'a time no Date holds, as a number');
});

t.test('the CLI: exit 0 and the page written, not exit 70', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'x.log');
  writeFileSync(log, at('+275760-09-13T00:00:00.000Z') + '\n');
  const out = join(dir, 'r.html');
  const r = await syscage(['report', log, '-o', out]);
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  t.match(r.stderr, /x\.log:1: bad line skipped: an audit event whose "time" is outside/);
  t.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
});
