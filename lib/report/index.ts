// `syscage report`: audit logs and recordings in, one self-contained HTML page out.
//
//   read    lines.ts (streamed lines), parse.ts (what a line is), recording.ts (profiles as observed behaviour)
//   gather  aggregate.ts (one pass, bounded: bounded.ts, tree.ts), drift.ts (against --profile)
//   draw    svg.ts, html.ts (escape.ts for every string of a log)
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Arch } from '../arch/index.js';
import type { Profile } from '../profile/types.js';
import { Aggregate, DEFAULT_LIMITS, type Limits } from './aggregate.js';
import { Judge } from './drift.js';
import { renderPage } from './html.js';
import { isStdin, openInput, splitLines } from './lines.js';
import { parseLine } from './parse.js';
import { looksLikeRecording, readRecording } from './recording.js';

export { parseLine, type Parsed } from './parse.js';
export { esc } from './escape.js';
import { clip } from './escape.js';
export { CSP } from './html.js';
export { Aggregate, DEFAULT_LIMITS, type Limits } from './aggregate.js';

export interface ReportOptions {
  readonly inputs: readonly string[];
  /** Judge drift against this (loaded) profile; `profilePath` is how the page names it. */
  readonly profile?: Profile;
  readonly profilePath?: string;
  /** The arch the profile's syscall lists are judged for (events do not say theirs): x86_64 unless given. */
  readonly arch?: Arch;
  /** A warning line (no newline): bad lines, capped. */
  readonly warn?: (line: string) => void;
  /** How many bad lines are warned about one by one (the rest are counted). */
  readonly maxWarnings?: number;
  readonly limits?: Limits;
  readonly version?: string;
  readonly now?: Date;
}

export interface Report {
  readonly html: string;
  readonly aggregate: Aggregate;
}

/** Every input exists and is a file (or `-`): checked before any is read. */
export function checkInputs(inputs: readonly string[]): void {
  for (const f of inputs) {
    if (isStdin(f)) continue;
    let st;
    try {
      st = statSync(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${f}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
    if (st.isDirectory()) throw new UsageError(`${f}: is a directory, not a log`);
  }
}

function head(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export async function makeReport(opts: ReportOptions): Promise<Report> {
  checkInputs(opts.inputs);
  const a = new Aggregate(opts.limits ?? DEFAULT_LIMITS, opts.profile ? new Judge(opts.profile, opts.arch) : undefined);
  const maxWarnings = opts.maxWarnings ?? 10;
  const badLines: { where: string; why: string }[] = [];
  const onBad = (where: string, why: string) => {
    a.bad++;
    if (badLines.length < 20) badLines.push({ where: clip(where, 300), why: clip(why, 300) });
    if (a.bad <= maxWarnings) opts.warn?.(`${where}: bad line skipped: ${why}`);
  };
  for (const file of opts.inputs) {
    a.files++;
    const name = file === '-' ? 'stdin' : file;
    const st = isStdin(file) ? undefined : statSync(file);
    if (st?.isFile() && looksLikeRecording(head(file))) {
      const rec = readRecording(file);
      if (rec.error) {
        onBad(`${file}:1`, `a profile that cannot be read as a recording: ${rec.error}`);
        continue;
      }
      a.recordings++;
      for (const o of rec.entries) a.observed(o, file);
      continue;
    }
    for await (const batch of splitLines(openInput(file))) for (const line of batch) {
      a.lines++;
      const where = `${name}:${line.no}`;
      if (line.cut) {
        onBad(where, 'a line longer than 1 MiB');
        continue;
      }
      if (line.text === '') continue;
      const p = parseLine(line.text);
      switch (p.kind) {
        case 'event': a.event(p.event, where, name); if (p.cut) a.cut++; break;
        case 'restart': a.restart(p.requestId, p.time, name); break;
        case 'emf': a.emf++; break;
        case 'other': a.other++; break;
        case 'bad': onBad(where, p.why); break;
      }
    }
  }
  if (a.bad > maxWarnings) opts.warn?.(`and ${a.bad - maxWarnings} more bad line${a.bad - maxWarnings === 1 ? '' : 's'} skipped`);
  const html = renderPage(a, {
    inputs: opts.inputs.map((f) => (f === '-' ? 'stdin' : f)),
    ...(opts.profilePath ? { profile: opts.profilePath } : {}),
    generated: opts.now ?? new Date(),
    badLines,
    ...(opts.version ? { version: opts.version } : {}),
  });
  return { html, aggregate: a };
}
