// The page's charts as inline SVG: horizontal bars (top-k tables), a stacked histogram of events
// over time, and the timeline rows of invocations. Every text goes through esc(); no xmlns (the
// HTML parser puts <svg> in the SVG namespace itself), so the page names no URL at all.
import { clip, esc } from './escape.js';
import type { Decision, Invocation } from './aggregate.js';

export const COLORS: Record<Decision, string> = { deny: '#d9822b', kill: '#c23030', log: '#2b6cb0' };

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Shown on hover: the whole label, an example. */
  readonly title?: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A time as ISO 8601; one outside what a Date can hold (a histogram's range widened past it) as a number of ms. */
export function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? `${fmt(t)} ms since 1970` : d.toISOString();
}

/** Horizontal bars, largest first (the caller's order). */
export function barChart(bars: readonly Bar[], { width = 760, label = 330, cls = 'bars', color = '#d9822b' } = {}): string {
  const row = 22;
  const height = bars.length * row + 4;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const room = width - label - 90;
  const out = [`<svg class="${esc(cls)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`];
  bars.forEach((b, i) => {
    const y = i * row + 2;
    const w = Math.max(2, Math.round((b.value / max) * room));
    out.push(
      `<g class="bar-row"><title>${esc(clip(b.title ?? b.label, 1000))}</title>` +
      `<text x="${label - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(clip(b.label, 48))}</text>` +
      `<rect class="bar" x="${label}" y="${y + 3}" width="${w}" height="${row - 7}" fill="${color}"></rect>` +
      `<text x="${label + w + 6}" y="${y + 15}" class="value">${esc(fmt(b.value))}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

export interface HistogramView {
  readonly start: number;
  readonly width: number;
  readonly rows: readonly { t: number; counts: Record<Decision, number> }[];
}

/** Events over time, stacked by decision. */
export function histogram(h: HistogramView, { width = 760, height = 170 } = {}): string {
  const top = 8;
  const bottom = 22;
  const left = 50;
  const plotH = height - top - bottom;
  const n = Math.max(1, h.rows.length);
  const bw = (width - left - 10) / n;
  const total = (c: Record<Decision, number>) => c.deny + c.kill + c.log;
  const max = Math.max(1, ...h.rows.map((r) => total(r.counts)));
  const out = [`<svg class="histogram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`];
  out.push(`<text x="${left - 6}" y="${top + 10}" text-anchor="end" class="value">${esc(fmt(max))}</text>`);
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#999"></line>`);
  h.rows.forEach((r, i) => {
    let y = top + plotH;
    for (const d of ['log', 'deny', 'kill'] as const) {
      const v = r.counts[d];
      if (v <= 0) continue;
      const bh = Math.max(1, (v / max) * plotH);
      y -= bh;
      out.push(`<rect class="hbar ${d}" x="${(left + i * bw).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[d]}"><title>${esc(`${iso(r.t)}: ${fmt(v)} ${d}`)}</title></rect>`);
    }
  });
  const end = h.start + h.rows.length * h.width;
  out.push(`<text x="${left}" y="${height - 6}" class="axis">${esc(iso(h.start))}</text>`);
  out.push(`<text x="${width - 10}" y="${height - 6}" text-anchor="end" class="axis">${esc(iso(end))}</text>`);
  out.push('</svg>');
  return out.join('');
}

export const duration = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);

/** One row per invocation: its events as marks along its own span (start to last event). */
export function timeline(invs: readonly Invocation[], { width = 960 } = {}): string {
  const row = 24;
  const label = 300;
  const right = 130;
  const track = width - label - right;
  const height = invs.length * row + 4;
  const out = [`<svg class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`];
  invs.forEach((inv, i) => {
    const y = i * row + 2;
    const span = Math.max(1, inv.last - inv.first);
    const name = inv.synthetic ? `${inv.id} (no request id)` : inv.id;
    const sum = `${fmt(inv.events)} events (${fmt(inv.byDecision.deny)} denied, ${fmt(inv.byDecision.kill)} killed, ${fmt(inv.byDecision.log)} logged)${inv.restarts ? `, ${inv.restarts} restarts` : ''}, from ${iso(inv.first)} over ${duration(inv.last - inv.first)}`;
    out.push(`<g class="tl-row" data-events="${inv.events}"><title>${esc(`${clip(name, 140)}: ${sum}`)}</title>`);
    out.push(`<text x="${label - 8}" y="${y + 16}" text-anchor="end" class="label">${esc(clip(name, 40))}</text>`);
    out.push(`<rect class="track" x="${label}" y="${y + 4}" width="${track}" height="${row - 8}" fill="#eef0f3"></rect>`);
    // One mark per pixel column and decision: more would draw nothing new.
    const drawn = new Set<string>();
    for (const m of inv.marks) {
      const x = label + ((m.t - inv.first) / span) * (track - 3);
      const key = `${Math.round(x)}${m.d}`;
      if (drawn.has(key)) continue;
      drawn.add(key);
      out.push(`<rect class="mark ${m.d}" x="${x.toFixed(1)}" y="${y + 5}" width="3" height="${row - 10}" fill="${COLORS[m.d]}"></rect>`);
    }
    const tail = `${fmt(inv.events)} · ${duration(inv.last - inv.first)}${inv.restarts ? ` · ↻${inv.restarts}` : ''}`;
    out.push(`<text x="${label + track + 8}" y="${y + 16}" class="value">${esc(tail)}</text></g>`);
  });
  out.push('</svg>');
  return out.join('');
}
