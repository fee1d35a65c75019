// A large log streams in bounded memory: a million events (~550 MB, far more distinct paths and
// invocations than the report tracks) through the built CLI under a 64 MB V8 heap, its peak RSS
// read from /proc (VmHWM) when it exits. No array of all events can survive that.
import t from 'tap';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, BUILT, NOT_BUILT, syscage, tempDir } from './helpers.js';
import { generateLog } from './gen.js';

const EVENTS = 1_000_000;

t.test(`${EVENTS.toLocaleString('en-US')} events under --max-old-space-size=64`, { skip: !BUILT && NOT_BUILT, timeout: 180_000 }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'big.log');
  const size = generateLog(log, { events: EVENTS, perInvocation: 8, distinctPaths: 50_000 });
  t.ok(size > 300e6, `a log of ${(size / 1e6).toFixed(0)} MB`);
  // A wrapper that reports the process's peak RSS as it exits, then runs bin/syscage.
  const peak = join(dir, 'peak.cjs');
  writeFileSync(peak, `process.on('exit', () => process.stderr.write('VmHWM ' + /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1] + '\\n'));\n` +
    `process.argv.splice(1, 1);\nrequire(${JSON.stringify(BIN)});\n`);
  const out = join(dir, 'r.html');
  const r = await syscage(['report', log, '-o', out], { node: ['--max-old-space-size=64', peak], timeoutMs: 170_000 });
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr.slice(-2000) });
  t.match(r.stderr, new RegExp(`wrote .*r\\.html: ${EVENTS} events, ~\\d+ invocations, 0 bad lines`), 'every event counted; invocations estimated');
  const kib = Number(/VmHWM (\d+)/.exec(r.stderr)?.[1]);
  t.ok(kib > 0 && kib < 200 * 1024, `peak RSS ${(kib / 1024).toFixed(1)} MiB (< 200 MiB) for a ${(size / 1e6).toFixed(0)} MB log`);
  const html = readFileSync(out, 'utf8');
  t.ok(statSync(out).size < 4e6, `the page is bounded too: ${(statSync(out).size / 1e6).toFixed(2)} MB`);
  const invs = EVENTS / 8;
  const est = Number(/<b>≈ ([\d,]+)<\/b><span>invocations/.exec(html)?.[1]?.replace(/,/g, ''));
  t.ok(Math.abs(est - invs) / invs < 0.05, `invocations estimated ${est} for ${invs}`);
  t.match(html, /Approximate: more distinct keys than tracked/, 'the page says the counts are approximate');
  t.match(html, /and [\d,]+ more \(counted in the summary and charts\)/, 'the invocations not shown are said');
});
