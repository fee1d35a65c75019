// What a command may touch of the outside world, injected so tests can run
// commands in-process and read what they printed.
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

/** A user error: one clear line on stderr and this exit status, no stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly status = 2) {
    super(message);
    this.name = 'UsageError';
  }
}

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
