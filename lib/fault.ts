// Fault injection, for the tests only (test/lifetime/): SYSCAGE_TEST_FAULT=STEP makes the step of
// that name throw, so that a test can show that every start-up and shutdown step of every
// long-running command fails closed: one line, a non-zero exit in bounded time, nothing left
// running. A fault only ever makes syscage fail; it never lets anything through.

import { SyscageError } from './errors.js';

/** The variable the tests set; stage-2 gets it too (its environment is otherwise empty). */
export const FAULT_VARIABLE = 'SYSCAGE_TEST_FAULT';

/** The error an injected fault throws: an internal error (exit 70), as an unforeseen one would be. */
export class InjectedFault extends SyscageError {
  override name = 'InjectedFault';
  constructor(readonly step: string) {
    super(`injected fault at ${step}`, 'E_INJECTED_FAULT');
  }
}

/** Throws InjectedFault when the tests asked for a fault at this step. */
export function faultPoint(step: string): void {
  if (process.env[FAULT_VARIABLE] === step) throw new InjectedFault(step);
}

/** Whether the tests asked for a fault at this step: for a hot path, read once, throw later. */
export function faultArmed(step: string): boolean {
  return process.env[FAULT_VARIABLE] === step;
}
