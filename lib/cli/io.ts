// What a command may touch of the outside world, injected so tests can run
// commands in-process and read what they printed.
import { EXIT, UsageError } from '../errors.js';

export interface Io {
  readonly out: (text: string | Uint8Array) => void;
  readonly err: (text: string) => void;
  readonly outIsTty: boolean;
  readonly errIsTty?: boolean;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  outIsTty: !!process.stdout.isTTY,
  errIsTty: !!process.stderr.isTTY,
};

export { EXIT, UsageError };
