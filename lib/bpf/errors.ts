// Errors of the BPF layer. Each carries a code; tests match the code, not the prose.
//
//   ERR_BPF_INVALID  a program the kernel's checkers would refuse (validate())
//   ERR_BPF_LABEL    a Builder misuse: undefined, duplicate or backward label
//   ERR_BPF_DECODE   bytes that are not an array of struct sock_filter

import { SyscageError } from '../errors.js';

export type BpfErrorCode = 'ERR_BPF_INVALID' | 'ERR_BPF_LABEL' | 'ERR_BPF_DECODE';

export class BpfError extends SyscageError {
  override name = 'BpfError';
  declare readonly code: BpfErrorCode;
  /** The offending instruction, when there is one. */
  readonly pc?: number;
  /** The offending label, for ERR_BPF_LABEL. */
  readonly label?: string;

  constructor(code: BpfErrorCode, message: string, extra: { pc?: number; label?: string } = {}) {
    super(message, code);
    if (extra.pc !== undefined) this.pc = extra.pc;
    if (extra.label !== undefined) this.label = extra.label;
  }
}

export function bpfError(code: BpfErrorCode, message: string, extra: { pc?: number; label?: string } = {}): BpfError {
  return new BpfError(code, message, extra);
}

export function isBpfError(err: unknown, code?: BpfErrorCode): err is BpfError {
  return err instanceof Error && typeof (err as BpfError).code === 'string' &&
    (err as BpfError).code.startsWith('ERR_BPF_') && (code === undefined || (err as BpfError).code === code);
}
