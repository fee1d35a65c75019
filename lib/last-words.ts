// What must happen before the process ends, however it ends (short of SIGKILL): cleanups a module
// registers when it starts something that would outlive the process otherwise, run by the CLI's
// exitNow (lib/cli/lifetime.ts). Synchronous, best effort, each at most once.
const hooks = new Set<() => void>();

/** Run `fn` at the process's end; the returned function takes it back. */
export function atLastWords(fn: () => void): () => void {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** The end is now: run every hook once (one that throws does not stop the others). */
export function lastWords(): void {
  for (const fn of [...hooks]) {
    hooks.delete(fn);
    try {
      fn();
    } catch { /* the process is ending: nothing left to tell */ }
  }
}
