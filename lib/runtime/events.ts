// The events a local run sends a Lambda runtime (syscage invoke, syscage record --lambda).
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** The events, parsed: each file (or - for stdin) holds one JSON value. */
export function readEvents(files: readonly string[]): unknown[] {
  return files.map((f) => {
    const text = f === '-' ? readFileSync(0, 'utf8') : (() => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read event ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    })();
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new UsageError(`event ${f === '-' ? '(stdin)' : f} is not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  });
}
