// What an error that reached the CLI's top becomes: a line (or a profile's diagnostics) on stderr,
// and an exit status. Shared by main (yargs) and the fast path (fast.ts).
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { ProfileError, formatDiagnostic } from '../profile/index.js';
import { SyscageError } from '../errors.js';
import { EXIT, type Io } from './io.js';
import { internalErrorLine } from './lifetime.js';

export function reportError(e: unknown, io: Io): number {
  if (e instanceof ProfileError) {
    for (const d of e.diagnostics) io.err(formatDiagnostic(d) + '\n');
    return EXIT.invalid;
  }
  // An error syscage raised on purpose, other than an internal one: its message, its status.
  if (e instanceof SyscageError && e.status !== EXIT.internal) {
    io.err(`syscage: ${e.message.split('\n', 1)[0]}\n`);
    return e.status;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code && err.syscall && err.path) {
    const why = `${err.path}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}`;
    // One of syscage's own files (lib/arch/*.csv, profiles/): the installation is broken, not the input.
    if (['lib', 'dist', 'profiles', 'node_modules'].some((d) => err.path!.startsWith(join(packageRoot(), d) + '/'))) {
      io.err(`syscage: ${why} (syscage's own file: the installation is incomplete; reinstall syscage)\n`);
      return EXIT.internal;
    }
    // A filesystem error on something the user named (e.g. -o into a missing directory).
    io.err(`syscage: ${why}\n`);
    return EXIT.invalid;
  }
  io.err(internalErrorLine(e));
  return EXIT.internal;
}
