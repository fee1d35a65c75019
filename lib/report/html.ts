// The page: one self-contained HTML document (inline CSS, inline SVG, no script, no URL), with a
// Content-Security-Policy that forbids loading anything. Every string from the logs goes through
// esc() (escape.ts).
import type { Aggregate, Invocation } from './aggregate.js';
import type { Counted } from './bounded.js';
import { clip, esc } from './escape.js';
import { barChart, COLORS, duration, histogram, iso, timeline } from './svg.js';
import type { TreeView } from './tree.js';
import { MAX_LIST, MAX_NAME, MAX_TEXT } from './parse.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export interface PageInfo {
  readonly inputs: readonly string[];
  readonly profile?: string;
  readonly generated: Date;
  /** The first bad lines: FILE:LINE and why. */
  readonly badLines: readonly { where: string; why: string }[];
  readonly version?: string;
}

const TOP = 15;
const fmt = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`): string => `${fmt(n)} ${n === 1 ? one : many}`;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:0;background:#f7f8fa}
main{max-width:1000px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dde3;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.meta{color:#52606d;font-size:12px}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #d8dde3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:20px}.card span{color:#52606d;font-size:12px}
svg{display:block;background:#fff;border:1px solid #d8dde3;border-radius:4px;margin:4px 0}
svg text{font:12px system-ui,sans-serif;fill:#1f2933}svg text.label{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
svg text.axis,svg text.value{fill:#52606d;font-size:11px}
.note{color:#52606d;font-size:12px;margin:4px 0}
.warn{color:#8a4b00}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px}ul.tree{padding-left:0}
ul.tree li{margin:2px 0}.refused{color:#c23030}
details{background:#fff;border:1px solid #d8dde3;border-radius:4px;margin:6px 0;padding:4px 8px}
summary{cursor:pointer}
.grid2{display:grid;grid-template-columns:1fr;gap:4px}
`;

function approxNote(t: { approximate: boolean; floor: number }): string {
  return t.approximate
    ? `<p class="note warn">Approximate: more distinct keys than tracked; a count may be over by at most ${esc(fmt(t.floor))} (Space-Saving).</p>`
    : '';
}

function chart(title: string, cls: string, rows: Counted<{ where: string; text: string }>[], t: { approximate: boolean; floor: number; size: number }): string {
  if (rows.length === 0) return `<h3>${esc(title)}</h3><p class="note">None.</p>`;
  const bars = rows.map((r) => ({ label: r.key, value: r.count, title: `${clip(r.key, 300)}: ${fmt(r.count)}${r.err ? ` (±${fmt(r.err)})` : ''} — e.g. ${clip(r.extra.where, 200)}: ${clip(r.extra.text, 300)}` }));
  return `<h3>${esc(title)}</h3>${barChart(bars, { cls: `bars ${cls}` })}${t.size > rows.length ? `<p class="note">Top ${rows.length} shown.</p>` : ''}${approxNote(t)}`;
}

function treeHtml(views: readonly TreeView[]): string {
  const li = (v: TreeView): string => {
    const n = v.node;
    const execs = n.execs.map((a) => `<li class="refused">✗ exec <code>${esc(clip(a.map((x) => (/[\s"']/.test(x) ? JSON.stringify(x) : x)).join(' '), 300))}</code></li>`).join('') +
      (n.moreExecs ? `<li class="note">and ${esc(plural(n.moreExecs, 'more refused exec'))}</li>` : '');
    const kids = v.children.map(li).join('');
    const what = n.exe !== undefined ? `<code>${esc(clip(n.exe, 200))}</code>` : n.events === 0 ? '<span class="note">(parent, no event of its own)</span>' : '<code>?</code>';
    return `<li>${what} [${esc(n.pid)}] <span class="note">${esc(plural(n.events, 'event'))}</span>` +
      (execs || kids ? `<ul>${execs}${kids}</ul>` : '') + '</li>';
  };
  return `<ul class="tree">${views.map(li).join('')}</ul>`;
}

function invName(inv: Invocation): string {
  return inv.synthetic ? `${inv.id} (no request id)` : inv.id;
}

export function renderPage(a: Aggregate, info: PageInfo): string {
  const h: string[] = [];
  const span = Number.isFinite(a.first) ? `${iso(a.first)} → ${iso(a.last)} (${duration(a.last - a.first)})` : '—';
  const invCount = a.invocationIds.count;
  const card = (value: string, what: string) => `<div class="card"><b>${esc(value)}</b><span>${esc(what)}</span></div>`;

  h.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>syscage report</title>', `<style>${STYLE}</style></head><body><main>`);
  h.push('<h1>syscage report</h1>');
  h.push(`<p class="meta">Generated ${esc(info.generated.toISOString())}${info.version ? ` by syscage ${esc(info.version)}` : ''} from ${esc(plural(info.inputs.length, 'file'))}: ${info.inputs.map((f) => `<code>${esc(f)}</code>`).join(', ')}${info.profile ? `; drift judged against <code>${esc(info.profile)}</code>` : ''}.</p>`);

  // --- summary ---------------------------------------------------------------
  h.push('<h2 id="summary">Summary</h2><div class="summary">');
  h.push(card(fmt(a.events), `events (${fmt(a.byDecision.deny)} denied, ${fmt(a.byDecision.kill)} killed, ${fmt(a.byDecision.log)} logged)`));
  h.push(card(`${a.invocationIds.approximate ? '≈ ' : ''}${fmt(invCount)}`, a.invocationIds.approximate ? 'invocations (HyperLogLog estimate, ~2% standard error)' : 'invocations'));
  h.push(card(fmt(a.restarts), 'handler restarts'));
  h.push(card(fmt(a.files), 'files read'));
  h.push(card(fmt(a.lines), 'lines'));
  h.push(card(fmt(a.bad), 'bad lines (skipped)'));
  h.push(card(fmt(a.other), 'other lines (not syscage)'));
  h.push(card(fmt(a.emf), 'EMF metric records'));
  if (a.cut) h.push(card(fmt(a.cut), 'events with a field cut (too long: see Bounds)'));
  if (a.hidden) h.push(card(fmt(a.hidden), 'hidden (ENOENT, not violations)'));
  if (a.audit) h.push(card(fmt(a.audit), 'not enforced (audit mode)'));
  if (a.recordings) h.push(card(fmt(a.recordedEntries), `recorded entries (${plural(a.recordings, 'recording')})`));
  h.push('</div>');
  const tiers = [...a.tiers].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}: ${fmt(v)}`).join(', ') || '—';
  const profiles = a.profiles.top(20).map((p) => `<code>${esc(clip(p.key, 64))}</code> (${esc(fmt(p.count))})`).join(', ') || '—';
  h.push(`<table class="facts"><tr><th>time span</th><td>${esc(span)}</td></tr><tr><th>tiers</th><td>${esc(tiers)}</td></tr><tr><th>profiles seen</th><td>${profiles}${a.profiles.size > 20 ? ' …' : ''}</td></tr></table>`);

  // --- over time ---------------------------------------------------------------
  const hv = a.histogram.view();
  if (hv) {
    h.push('<h2 id="over-time">Events over time</h2>');
    h.push(`<p class="legend">${(['deny', 'kill', 'log'] as const).map((d) => `<span><i style="background:${COLORS[d]}"></i>${d}</span>`).join('')}</p>`);
    h.push(histogram(hv));
  }

  // --- timeline ----------------------------------------------------------------
  const invs = [...a.detailed.values()];
  h.push('<h2 id="timeline">Timeline per invocation</h2>');
  if (invs.length === 0) h.push('<p class="note">No invocation.</p>');
  else {
    h.push(`<p class="note">Each row is one invocation (request id; a <code>run --log</code> file without one is one row), its events placed along its own span, first to last event. ` +
      `Showing the first ${fmt(invs.length)}${invCount > invs.length ? ` of ${a.invocationIds.approximate ? '≈ ' : ''}${fmt(invCount)}: and ${fmt(invCount - invs.length)} more (counted in the summary and charts)` : ''}; at most ${fmt(a.limits.marks)} events per row are drawn.</p>`);
    h.push(timeline(invs));
    const busiest = a.busiest.top(10);
    if (invCount > 1) {
      h.push('<h3>Busiest invocations</h3><table class="busiest"><tr><th>request id</th><th>events</th></tr>');
      for (const b of busiest) h.push(`<tr><td><code>${esc(clip(b.key, 64))}</code></td><td class="n">${esc(fmt(b.count))}${b.err ? ` (±${esc(fmt(b.err))})` : ''}</td></tr>`);
      h.push('</table>', approxNote(a.busiest));
    }
  }

  // --- top refused -------------------------------------------------------------
  h.push('<h2 id="refused">Top refused</h2>');
  h.push(chart('Files', 'files', a.paths.top(TOP), a.paths));
  h.push(chart('Programs', 'programs', a.programs.top(TOP), a.programs));
  h.push(chart('Destinations', 'destinations', a.destinations.top(TOP), a.destinations));
  if (a.syscalls.size > 0) h.push(chart('Syscalls (refused by the syscall lists)', 'syscalls', a.syscalls.top(TOP), a.syscalls));

  // --- rules -----------------------------------------------------------------
  const rules = a.rules.top(100);
  h.push('<h2 id="rules">Events per rule</h2>');
  if (rules.length === 0) h.push('<p class="note">None.</p>');
  else {
    h.push('<table class="rules"><tr><th>rule</th><th>entry</th><th>at</th><th>events</th></tr>');
    for (const r of rules) {
      h.push(`<tr><td><code>${esc(clip(r.extra.what, 64))}</code></td><td><code>${esc(clip(r.extra.text ?? '', 200))}</code></td><td><code>${esc(clip(r.extra.at ?? '', 200))}</code></td><td class="n">${esc(fmt(r.count))}</td></tr>`);
    }
    h.push('</table>');
    if (a.rules.size > rules.length) h.push(`<p class="note">Top ${rules.length} rules shown.</p>`);
    h.push(approxNote(a.rules));
  }

  // --- drift -----------------------------------------------------------------
  if (info.profile) {
    const drift = a.drift.top(200);
    h.push(`<h2 id="drift">Drift from <code>${esc(info.profile)}</code></h2>`);
    h.push(`<p class="note">What the logs and recordings show the function doing that this profile does not allow. An act of a section the profile does not have (files, exec, network) is judged by its syscall lists, as built for ${esc(a.judge?.arch ?? 'x86_64')} (the logs do not say the arch).</p>`);
    if (a.unjudged) h.push(`<p class="note warn">${esc(plural(a.unjudged, 'recorded act'))} not judged: the profile has no section for them and a recording names no syscall to judge them by.</p>`);
    if (drift.length === 0) h.push('<p class="note">None: the profile allows everything the logs show.</p>');
    else {
      h.push('<table class="drift"><tr><th>act</th><th>what</th><th>how often</th><th>not allowed by</th><th>example</th></tr>');
      for (const d of drift) {
        const x = d.extra;
        h.push(`<tr><td>${esc(x.act.kind)}</td><td><code>${esc(clip(x.act.object, 300))}</code></td><td class="n">${esc(fmt(d.count))}</td><td><code>${esc(clip(x.why, 300))}</code></td><td><code>${esc(clip(x.example.where, 200))}</code>: ${esc(clip(x.example.text, 300))}</td></tr>`);
      }
      h.push('</table>');
      if (a.drift.size > drift.length) h.push(`<p class="note">Top ${drift.length} shown of ${fmt(a.drift.size)}.</p>`);
      h.push(approxNote(a.drift));
    }
  }

  // --- process trees -----------------------------------------------------------
  h.push('<h2 id="trees">Process tree per invocation</h2>');
  if (invs.length === 0) h.push('<p class="note">None.</p>');
  invs.forEach((inv, i) => {
    const t = inv.tree;
    h.push(`<details class="proc"${i < 3 ? ' open=""' : ''}><summary><code>${esc(clip(invName(inv), 120))}</code> — ${esc(plural(t.nodes.size, 'process', 'processes'))}</summary>`);
    h.push(treeHtml(t.view()));
    if (t.droppedEvents) h.push(`<p class="note">and ${esc(plural(t.droppedPids, 'more process', 'more processes'))} (${esc(plural(t.droppedEvents, 'event'))}) not shown.</p>`);
    h.push('</details>');
  });

  // --- recordings --------------------------------------------------------------
  if (a.recordings) {
    const rec = a.recorded.top(100);
    h.push('<h2 id="recorded">Recorded behaviour</h2><table class="recorded"><tr><th>kind</th><th>entry</th><th>how often</th><th>example</th></tr>');
    for (const r of rec) h.push(`<tr><td>${esc(r.extra.kind)}</td><td><code>${esc(clip(r.extra.value, 300))}</code></td><td class="n">${esc(fmt(r.count))}</td><td><code>${esc(clip(r.extra.example ?? '', 300))}</code></td></tr>`);
    h.push('</table>');
  }

  // --- bad lines ---------------------------------------------------------------
  if (a.bad) {
    h.push(`<h2 id="bad">Bad lines</h2><p class="note">${esc(plural(a.bad, 'line'))} looked like syscage records but did not parse; skipped.</p><ul>`);
    for (const b of info.badLines) h.push(`<li><code>${esc(clip(b.where, 300))}</code>: ${esc(clip(b.why, 300))}</li>`);
    if (a.bad > info.badLines.length) h.push(`<li>and ${esc(fmt(a.bad - info.badLines.length))} more</li>`);
    h.push('</ul>');
  }

  h.push(`<h2 id="bounds">Bounds</h2><p class="note">The report is made in one pass with bounded memory: each top list tracks at most ${fmt(a.limits.keys)} distinct keys (Space-Saving; counts are marked approximate when that was exceeded), invocations are counted exactly up to ${fmt(a.limits.distinct)} (HyperLogLog beyond), the first ${fmt(a.limits.invocations)} invocations are kept in detail with at most ${fmt(a.limits.marks)} timeline marks and 64 processes each. Every string of an event is cut at ${fmt(MAX_TEXT)} characters (paths, argv elements, programs, addresses, reasons, rule entries) or ${fmt(MAX_NAME)} (request ids, profile, syscall and rule names), argv and paths at ${fmt(MAX_LIST)} elements; a cut ends in …${a.cut ? ` (${esc(plural(a.cut, 'event'))} had a field cut)` : ''}.</p>`);
  h.push('</main></body></html>\n');
  return h.join('\n');
}
