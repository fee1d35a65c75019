// A failed system call, as one typed error. Callers branch on `errno` (and tests on `code`), not
// on the message.
import { errnoName } from '../arch/errno.js';
import { SyscageError } from '../errors.js';

export class NativeError extends SyscageError {
  override name = 'NativeError';
  declare readonly code: 'ERR_NATIVE';

  /**
   * @param syscall the call that failed, as a user would look it up: 'prctl(PR_SET_NO_NEW_PRIVS)'
   * @param errno   the positive errno value (Node's own ErrnoException uses negative numbers)
   * @param hint    what usually causes this errno here, if worth saying
   */
  constructor(readonly syscall: string, readonly errno: number, hint?: string) {
    super(`${syscall} failed: ${errnoName(errno) ?? `errno ${errno}`}${hint ? ` (${hint})` : ''}`, 'ERR_NATIVE');
  }
}

/** By code rather than instanceof, so that an error from another copy of this module counts too. */
export function isNativeError(err: unknown, errno?: number): err is NativeError {
  return err instanceof Error && (err as Partial<NativeError>).code === 'ERR_NATIVE' &&
    (errno === undefined || (err as NativeError).errno === errno);
}
