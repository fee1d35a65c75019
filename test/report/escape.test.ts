// Every string of a log is the attacker's. Hostile paths, arguments, program names, request ids
// and profile names reach the page only as text: no element or attribute of theirs exists in it,
// and the page forbids loading anything (CSP).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSP, esc, makeReport } from '../../lib/report/index.js';
import { auditEvent } from '../../lib/audit/index.js';
import { Judge } from '../../lib/report/drift.js';
import { loadProfile } from '../../lib/profile/index.js';
import { DEMO, event, reported, tempDir } from './helpers.js';

const SCRIPT = '</script><img src=x onerror=alert(1)>';
const SVG = '"><svg onload=alert(2)>';
const ATTR = "' onmouseover='alert(3)";

/** The tags of a document: name and attribute text. */
const tags = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map((m) => ({ name: m[1]!.toLowerCase(), attrs: m[2]! }));
const ALLOWED = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'h3', 'p', 'div', 'b', 'span', 'i', 'code', 'table', 'tr', 'th', 'td', 'ul', 'li', 'details', 'summary', 'svg', 'g', 'text', 'rect', 'line']);

t.test('esc: HTML text and attributes, controls and bidi overrides made visible', async (t) => {
  t.equal(esc(SCRIPT), '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
  t.equal(esc(SVG), '&quot;&gt;&lt;svg onload=alert(2)&gt;');
  t.equal(esc(ATTR), '&#39; onmouseover=&#39;alert(3)');
  t.equal(esc('a\u0000b\u202ec\u001b'), 'a\\x00b\\u{202e}c\\x1b');
});

t.test('hostile strings in every field appear only escaped', async (t) => {
  const dir = tempDir();
  const log = join(dir, `${SVG}.jsonl`.replace(/\//g, '_'));
  const hostile = (s: string) => ({ path: `/tmp/${s}`, exe: `/usr/bin/${s}`, requestId: s });
  const lines = [
    event({ ...hostile(SCRIPT) }),
    event({ ...hostile(SVG), argv: [`/usr/bin/${SVG}`, SCRIPT, ATTR] }),
    event({ ...hostile(ATTR), syscall: 'connect', address: `unix:/${SCRIPT}`, name: SVG }),
    auditEvent(reported({ path: `/x/${SVG}`, rule: { what: 'files.deny', text: SCRIPT } }), Date.UTC(2026, 0, 1), { profile: SCRIPT, requestId: ATTR }),
  ].map((e) => JSON.stringify(e));
  writeFileSync(log, lines.join('\n') + '\n');
  const rec = join(dir, 'rec.yaml');
  writeFileSync(rec, `version: 1\nfiles:\n  read:\n    - ${JSON.stringify(`/r/${SCRIPT}`)}  # 2 reads\nexec:\n  allow: [${JSON.stringify(`/bin/${SVG}`)}]\n`);
  const { html, aggregate } = await makeReport({ inputs: [log, rec], profile: loadProfile(DEMO).profile, profilePath: `${SVG}.yaml` });
  t.equal(aggregate.events, 4);
  t.equal(aggregate.bad, 0);
  t.ok(aggregate.drift.size > 0, 'the drift table has rows too');

  const found = tags(html);
  t.same(found.filter((x) => !ALLOWED.has(x.name)).map((x) => x.name), [], 'no element but the page\'s own');
  t.same(found.filter((x) => /\son[a-z]+\s*=/i.test(x.attrs)).map((x) => x.attrs), [], 'no event handler attribute');
  t.notMatch(html, /<img|<script|<svg onload|<iframe|<object/i);
  t.equal(found.filter((x) => x.name === 'svg').length, found.filter((x) => x.name === 'svg' && /^ class="/.test(x.attrs)).length, 'every svg is one of the charts');
  t.match(html, esc(SCRIPT), 'the path is shown, escaped');
  t.match(html, esc(SVG));
  t.match(html, esc(ATTR));
  // Every attribute value is double-quoted and holds no raw quote or angle bracket.
  const loose = found.filter((x) => x.attrs.replace(/\s[\w:-]+="[^"<>]*"/g, '').replace(/\s*\/?$/, '') !== '');
  t.same(loose.map((x) => `<${x.name}${x.attrs}>`), [], 'only name="value" attributes');
  t.ok(found.length > 100, `${found.length} tags checked`);
});

t.test('the page names no URL and forbids loading anything', async (t) => {
  const { html } = await makeReport({ inputs: [DEMO] });
  t.match(html, `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`);
  t.equal(CSP, "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  t.notMatch(html, /https?:|\/\/[a-z]|xmlns|<link|<script|@import|url\(/i);
});

t.test('drift judges hostile text without trouble', async (t) => {
  const j = new Judge(loadProfile(DEMO).profile);
  t.match(j.refuses({ kind: 'read', object: '/etc/shadow' }), /^files\.deny "\/etc\/shadow" at .*demo\.yaml:12:10$/);
  t.equal(j.refuses({ kind: 'read', object: '/etc/hostname' }), undefined);
  t.match(j.refuses({ kind: 'connect', object: SCRIPT }), /not in network\.connect/);
});
