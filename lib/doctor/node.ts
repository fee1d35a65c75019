// The Node.js that runs syscage: its version, and whether its release line is past end of life.
// The one table of end-of-life dates (the Node.js release schedule, even majors = LTS lines).
// Doctor reports it (lib/doctor/index.ts, format.ts); the layer's own node is pinned in
// scripts/build-layer.mjs.

/** Node.js major → its end-of-life date (YYYY-MM-DD, the last day it gets fixes). */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = Object.freeze({
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
});

/**
 * The report's `nodeEndOfLife`: the major, its end-of-life date (null: not in the table) and
 * whether today is past it (a major older than the table's oldest is past, date unknown).
 */
export interface NodeEndOfLife {
  readonly major: number;
  readonly date: string | null;
  readonly past: boolean;
}

/** 'v26.12.1' → 26; NaN when it is not a Node.js version. */
export function nodeMajor(version: string): number {
  const m = /^v?(\d+)\./.exec(version);
  return m ? Number(m[1]) : NaN;
}

/** A date as YYYY-MM-DD, in UTC. */
const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/** Where `version` (process.version) stands on `today`. */
export function nodeEndOfLife(version: string, today: Date): NodeEndOfLife {
  const major = nodeMajor(version);
  const date = NODE_END_OF_LIFE[major] ?? null;
  const older = major < Math.min(...Object.keys(NODE_END_OF_LIFE).map(Number));
  return { major, date, past: date === null ? older : isoDay(today) > date };
}

/** The newest major in the table. */
const newest = (): number => Math.max(...Object.keys(NODE_END_OF_LIFE).map(Number));

/**
 * The text report's lines: `node: v26.12.1`, or past end of life
 * `node: v20.20.2 (end of life since 2026-04-30)` and a warning line.
 */
export function nodeLines(version: string, eol: NodeEndOfLife): string[] {
  if (!eol.past) return [`node: ${version}`];
  return [
    `node: ${version} (end of life${eol.date ? ` since ${eol.date}` : ''})`,
    `  warning: Node.js ${eol.major} gets no security fixes${eol.date ? ` since ${eol.date}` : ''}: run syscage on a supported Node.js (${newest()} LTS; the Lambda layer brings its own).`,
  ];
}
