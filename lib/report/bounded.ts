// Bounded summaries of an unbounded stream: whatever the size of the log, each of these holds at
// most a fixed number of entries.
//
//   TopK       heavy hitters by Space-Saving (Metwally et al.) with batched eviction: exact while
//              the distinct keys fit; past that, a key's count may be over by at most `floor`
//              (the largest count evicted), which the page states.
//   Distinct   how many distinct keys: exact up to a cap, then a HyperLogLog estimate (1.6% standard error).
//   TimeHistogram  counts over time in a fixed number of bins that widen as the span grows.

export interface Counted<X> {
  readonly key: string;
  count: number;
  /** How much of count may be overestimate (0: exact). */
  err: number;
  /** What the first sighting of the key carried (an example). */
  readonly extra: X;
}

export class TopK<X = undefined> {
  private readonly map = new Map<string, Counted<X>>();
  /** The largest count evicted so far: a new key may have been seen that often before. */
  floor = 0;
  /** Distinct keys evicted (a lower bound of the keys not shown). */
  evicted = 0;

  constructor(readonly capacity: number) {}

  add(key: string, extra: () => X, n = 1): void {
    const e = this.map.get(key);
    if (e) {
      e.count += n;
      return;
    }
    this.map.set(key, { key, count: this.floor + n, err: this.floor, extra: extra() });
    if (this.map.size >= 2 * this.capacity) this.prune();
  }

  /** Keep the `capacity` largest: amortised O(log k) per new key. */
  private prune(): void {
    const all = [...this.map.values()].sort((a, b) => b.count - a.count);
    for (const e of all.slice(this.capacity)) {
      this.map.delete(e.key);
      this.floor = Math.max(this.floor, e.count);
      this.evicted++;
    }
  }

  get approximate(): boolean {
    return this.floor > 0;
  }

  get size(): number {
    return this.map.size;
  }

  /** The n largest, largest first (ties by key, so that the page is stable). */
  top(n: number): Counted<X>[] {
    return [...this.map.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, n);
  }
}

/** 32-bit FNV-1a then a murmur3 finaliser: enough spread for HyperLogLog's registers. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Distinct {
  private exact: Set<string> | undefined = new Set();
  private readonly registers = new Uint8Array(1 << 12);

  constructor(readonly cap: number) {}

  add(key: string): void {
    const h = hash32(key);
    const idx = h >>> 20;
    const rest = (h << 12) >>> 0;
    const rank = rest === 0 ? 21 : Math.clz32(rest) + 1;
    if (rank > this.registers[idx]!) this.registers[idx] = rank;
    if (this.exact) {
      this.exact.add(key);
      if (this.exact.size > this.cap) this.exact = undefined;
    }
  }

  get approximate(): boolean {
    return this.exact === undefined;
  }

  get count(): number {
    if (this.exact) return this.exact.size;
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const e = (alpha * m * m) / sum;
    return Math.round(e <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : e);
  }
}

/** Counts per series over time, in `bins` bins; the range doubles (bins merge) to take any time. */
export class TimeHistogram<S extends string> {
  private start: number | undefined;
  private width: number;
  readonly counts: Record<S, Float64Array>;

  constructor(readonly series: readonly S[], readonly bins = 96, initialWidthMs = 10) {
    this.width = initialWidthMs;
    this.counts = Object.fromEntries(series.map((s) => [s, new Float64Array(bins)])) as Record<S, Float64Array>;
  }

  add(t: number, s: S): void {
    if (!Number.isFinite(t)) return;
    if (this.start === undefined) this.start = Math.floor(t / this.width) * this.width;
    while (t < this.start) this.widen(true);
    while (t >= this.start + this.bins * this.width) this.widen(false);
    this.counts[s][Math.floor((t - this.start) / this.width)]!++;
  }

  /** Double the width; `left`: the old range becomes the upper half of the new one. */
  private widen(left: boolean): void {
    const n = this.bins;
    for (const s of this.series) {
      const old = this.counts[s];
      const neu = new Float64Array(n);
      for (let i = 0; i < n; i++) neu[Math.floor(((left ? n : 0) + i) / 2)]! += old[i]!;
      this.counts[s] = neu;
    }
    if (left) this.start! -= n * this.width;
    this.width *= 2;
  }

  /** The used bins: from the first to the last that holds anything. */
  view(): { start: number; width: number; rows: { t: number; counts: Record<S, number> }[] } | undefined {
    if (this.start === undefined) return undefined;
    const used = (i: number) => this.series.some((s) => this.counts[s][i]! > 0);
    let lo = 0;
    let hi = this.bins - 1;
    while (lo < hi && !used(lo)) lo++;
    while (hi > lo && !used(hi)) hi--;
    const rows = [];
    for (let i = lo; i <= hi; i++) rows.push({ t: this.start + i * this.width, counts: Object.fromEntries(this.series.map((s) => [s, this.counts[s][i]!])) as Record<S, number> });
    return { start: this.start + lo * this.width, width: this.width, rows };
  }
}
