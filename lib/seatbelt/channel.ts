// The bootstrap's end of the report channel: newline-separated JSON reports
// from the seatbelt (report.ts checks each). The handler writes to it too if
// it likes, so it is read defensively: a line longer than MAX_LINE is dropped,
// a bad one is counted and named, never fatal.
import type { Readable } from 'node:stream';
import { parseReport } from './report.js';
import type { SeatbeltBinding, SeatbeltReport } from './types.js';

const MAX_LINE = 64 * 1024;
/** How long the end of a run waits for the channel to close (a grandchild may hold it until killed). */
const DRAIN_MS = 200;

export interface ChannelOptions {
  readonly onReport: (r: SeatbeltReport) => void;
  /** A lookup of an allowed name and the addresses it returned (not a refusal). */
  readonly onBinding?: (b: SeatbeltBinding) => void;
  readonly onBad: (why: string) => void;
}

export function readChannel(stream: Readable, o: ChannelOptions): { drained(): Promise<void> } {
  let pending = '';
  let skipping = false;
  let ended = false;
  const closed = new Promise<void>((resolve) => {
    const done = (): void => {
      ended = true;
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
  const line = (text: string): void => {
    if (text.trim() === '') return;
    const r = parseReport(text);
    if ('bad' in r) o.onBad(r.bad);
    else if (r.act === 'resolved') o.onBinding?.(r);
    else o.onReport(r);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let text = pending + chunk;
    pending = '';
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      if (skipping) skipping = false;
      else line(text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    if (text.length > MAX_LINE) {
      if (!skipping) o.onBad(`a line longer than ${MAX_LINE} bytes`);
      skipping = true;
    } else if (!skipping) {
      pending = text;
    }
  });
  return {
    drained: async () => {
      if (!ended) await Promise.race([closed, new Promise((r) => setTimeout(r, DRAIN_MS))]);
      stream.destroy();
    },
  };
}
