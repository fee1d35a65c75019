// Lines of a log, streamed: a chunked splitter over a file or stdin that never holds more than
// one chunk plus one line (a line longer than MAX_LINE is cut there: its start is kept, the rest
// is skipped, and it is marked so that the reader can call it bad). Memory does not grow with the
// size of the file.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** The longest line kept whole; an audit event is well under 64 KiB. */
export const MAX_LINE = 1 << 20;

export interface Line {
  /** 1-based. */
  readonly no: number;
  readonly text: string;
  /** The line was longer than MAX_LINE: text is its start only. */
  readonly cut: boolean;
}

/** `-` and /dev/stdin are this process's stdin (a pipe or a socket: not opened again by name). */
export const isStdin = (path: string): boolean => path === '-' || path === '/dev/stdin';

export function openInput(path: string): Readable {
  return isStdin(path) ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
}

/** The lines of a stream, a chunk's worth at a time (an array per chunk: one await per chunk, not per line). */
export async function* splitLines(input: AsyncIterable<Buffer | string>, maxLine = MAX_LINE): AsyncGenerator<Line[]> {
  let no = 0;
  let parts: Buffer[] = [];
  let held = 0;
  let cut = false;
  const line = (last: Buffer): Line => {
    const all = parts.length === 0 ? last : Buffer.concat([...parts, last]);
    parts = [];
    held = 0;
    const wasCut = cut;
    cut = false;
    let text = all.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { no: ++no, text, cut: wasCut };
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    const batch: Line[] = [];
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      batch.push(line(keep(buf.subarray(start, nl))));
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
    // A copy: the tail must not keep the whole chunk alive.
    if (start < buf.length) parts.push(Buffer.from(keep(buf.subarray(start))));
  }
  if (parts.length > 0) yield [line(Buffer.alloc(0))];

  /** What of a piece still fits in the line; the rest is dropped and the line marked cut. */
  function keep(piece: Buffer): Buffer {
    const room = maxLine - held;
    if (piece.length <= room) {
      held += piece.length;
      return piece;
    }
    cut = true;
    const kept = Buffer.from(piece.subarray(0, Math.max(0, room)));
    held += kept.length;
    return kept;
  }
}
