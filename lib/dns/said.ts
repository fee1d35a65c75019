// What host rules do in the tier a run uses, in one sentence for the init log (`syscage: dns: …`).
import type { Profile, Tier } from '../profile/types.js';
import { hostRules } from './guard.js';

/** undefined when the profile names no host. `seatbelt`: the runtime tier's seatbelt, if one runs. */
export function namesSaid(profile: Profile, tier: Tier, seatbelt?: 'node' | 'python'): string | undefined {
  const n = hostRules(profile).length;
  if (n === 0) return undefined;
  const rules = n === 1 ? '1 host rule' : `${n} host rules`;
  switch (tier) {
    case 'kernel':
      return `${rules}: syscage's resolver answers the names they allow and NXDOMAIN for the rest, and binds the addresses it gives them`;
    case 'bpf':
      return `${rules}, and the bpf tier has no resolver and no supervisor to bind names: they allow nothing`;
    case 'runtime':
      return seatbelt
        ? `${rules}: the ${seatbelt === 'node' ? 'Node.js' : 'Python'} seatbelt refuses other names before they are looked up, and the monitor allows connections to what allowed names resolved to`
        : `${rules}: nothing here sees names (no seatbelt), so the monitor holds each to its ports`;
  }
}
