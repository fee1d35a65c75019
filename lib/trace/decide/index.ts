// The supervisor's decision on one trapped syscall: pure, given the trap, the
// compiled profile and a view of the tracee.
//
//   entry.refuse     the profile already refused the call (syscalls.deny, default,
//                    process.fork...): report it, then refuse — or, in audit
//                    mode, let it through and log what would have happened.
//   entry.checks     run files, exec, network, signal in that order; the first
//                    refusal wins. Otherwise allow, logged when entry.then is 'log'.
//
// Everything here is read at the seccomp stop, and this layer only promises to
// decide correctly on what it was shown. That what it was shown is what the
// kernel then uses (no other thread rewriting a path buffer or swapping a
// symlink in between: TOCTOU) is the tracer's job: it holds every other task of
// the sandbox still while the call is checked and runs (lib/trace/hold.ts).
import type { Check } from '../../compile/governed.js';
import type { Detail, RuleRef, Trap } from '../types.js';
import type { DecideContext } from './context.js';
import { checkExec } from './exec.js';
import { checkFiles } from './files.js';
import { checkNetwork } from './network.js';
import { apply, refusal, type CheckOutcome, type Ruling } from './outcome.js';
import { checkSignal } from './signal.js';
import { checkClone3 } from './clone3.js';

export { compileMatchers, GlobList, AddressList, type Matchers, type FileMatchers, type AddressQuery } from './matchers.js';
export { isSupervisor, type DecideContext } from './context.js';
export { isAudited, type AuditedAllow, type Ruling, type WouldHave, type CheckOutcome } from './outcome.js';
export type { Destination } from './sockaddr.js';
export { decodeSockaddr, formatIPv6, formatIPv4 } from './sockaddr.js';
export { openAccess, type Access } from './files.js';
export { decodeArgv, isFileless } from './exec.js';
export { forMatch } from './paths.js';
export { checkFiles, checkExec, checkNetwork, checkSignal };
export { checkReached } from './files.js';
export { checkReachedSocket } from './network.js';
export { refusal } from './outcome.js';
export { locatePath, isProblem, type PathTarget } from './paths.js';
export { pathUses } from './file-table.js';

const CHECKS: Readonly<Record<Check, (trap: Trap, ctx: DecideContext, explain: boolean) => CheckOutcome>> = {
  files: checkFiles,
  exec: checkExec,
  network: checkNetwork,
  signal: checkSignal,
  clone3: (trap, ctx) => checkClone3(trap, ctx),
};

export function decide(trap: Trap, ctx: DecideContext): Ruling {
  const e = trap.entry;
  const audit = ctx.audit ?? ctx.matchers.audit;
  const origin: RuleRef = { what: e.origin.what, loc: e.origin.loc };

  if (e.refuse) {
    switch (e.refuse.kind) {
      case 'errno': return apply({ action: 'deny', errno: e.refuse.errno }, origin, `${trap.syscall} is refused by ${e.origin.what}`, undefined, audit);
      case 'kill': return apply({ action: 'kill' }, origin, `${trap.syscall} is refused by ${e.origin.what} (kill)`, undefined, audit);
      // The compiler never makes a refusal of these; take them at their word.
      case 'allow': return { action: 'allow', log: false };
      case 'log': return { action: 'allow', log: true, rule: origin };
    }
  }

  const explain = e.then === 'log';
  let detail: Detail | undefined;
  let rule: RuleRef | undefined;
  for (const check of e.checks) {
    const out = CHECKS[check](trap, ctx, explain);
    if (out.refused) return refusal(out, ctx.matchers, audit);
    if (out.detail) detail = detail ? { ...detail, ...out.detail } : out.detail;
    rule ??= out.rule;
  }
  return explain ? { action: 'allow', log: true, detail, rule: rule ?? origin } : { action: 'allow', log: false, detail };
}
