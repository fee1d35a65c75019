// One error base. Every error syscage raises on purpose is a SyscageError: a stable `code` that
// callers and tests branch on (never the message), and the exit status the CLI ends with. It
// crosses the tracer thread's boundary as plain data (serialiseError / reviveError) with its code,
// status and errno kept, so that what the main thread reports does not depend on the prose.

/** Exit statuses of syscage itself (a sandboxed command's own status passes through `run`). */
export const EXIT = {
  ok: 0,
  /** Invalid profile or bad command line. */
  invalid: 2,
  /** `run`: the command was killed by syscage for violating the profile. */
  policyKill: 100,
  /** Internal error: a bug in syscage. */
  internal: 70,
  /** This system cannot sandbox (no seccomp): syscage refuses to run the command unprotected. */
  unavailable: 71,
  /** `run`: the command is not executable / not found (as a shell). */
  notExecutable: 126,
  notFound: 127,
  /** `record`: stopped by a signal before the command finished (128 + SIGINT). */
  interrupted: 130,
} as const;

export class SyscageError extends Error {
  override name = 'SyscageError';

  /**
   * @param code   what went wrong, stable: E_USAGE, ERR_NATIVE, ERR_BPF_INVALID, ...
   * @param status the exit status the CLI ends with when this error ends a command
   */
  constructor(message: string, readonly code: string, readonly status: number = EXIT.internal, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A user error (bad flags, bad input): one clear line on stderr and this exit status, no stack trace. */
export class UsageError extends SyscageError {
  override name = 'UsageError';
  constructor(message: string, status: number = EXIT.invalid) {
    super(message, 'E_USAGE', status);
  }
}

/** An error as it crosses a thread: plain data. */
export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
  readonly errno?: number;
  readonly stack?: string;
}

export function serialiseError(e: unknown): SerialisedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, status, errno } = e as Partial<SyscageError> & { errno?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof errno === 'number' ? { errno } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
  };
}

/** The error again, on this side: a SyscageError with the same code (E_INTERNAL when it had none), status and errno. */
export function reviveError(s: SerialisedError, prefix = ''): SyscageError & { readonly errno?: number } {
  const e = new SyscageError(prefix + s.message, s.code ?? 'E_INTERNAL', s.status ?? EXIT.internal);
  e.name = s.name;
  if (s.errno !== undefined) Object.defineProperty(e, 'errno', { value: s.errno, enumerable: true });
  if (s.stack) e.stack = `${e.message}\n(on the other thread) ${s.stack}`;
  return e;
}
