// TEMPORARY until lib/trace/decide lands: refusals from the trap table only.
import type { Profile } from '../profile/types.js';
import type { Decision, Trap } from './types.js';
export const compileMatchers = (p: Profile) => p;
export function decide(trap: Trap, _ctx: unknown): Decision {
  const r = trap.entry.refuse;
  if (!r) return { action: 'allow', log: trap.entry.then === 'log' };
  const rule = { what: trap.entry.origin.what, loc: trap.entry.origin.loc };
  if (r.kind === 'errno') return { action: 'deny', errno: r.errno, rule, reason: 'refused by the profile' };
  if (r.kind === 'kill') return { action: 'kill', rule, reason: 'refused by the profile' };
  return { action: 'allow', log: true };
}
