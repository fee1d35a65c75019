// A refusal a handler's seatbelt made (lib/seatbelt), as a finding of the runtime tier: the same
// record the monitor's own findings make, reported by the same path, but before the act.
import { locFromText } from '../profile/diagnostic.js';
import type { PolicyRule, SeatbeltReport } from '../seatbelt/types.js';
import type { RuleRef } from '../trace/types.js';
import type { Finding } from './policy.js';

function ruleRef(r: PolicyRule): RuleRef {
  const loc = locFromText(r.loc);
  return { what: r.what, ...(r.text !== undefined ? { text: r.text } : {}), ...(loc ? { loc } : {}) };
}

/** What the act was, for the event's reason. */
function described(r: SeatbeltReport): { act: Finding['act']; what: string; detail: Finding['detail'] } {
  switch (r.act) {
    case 'open': return { act: 'open', what: `${r.access} of ${r.path}`, detail: { paths: [r.path], access: r.access } };
    case 'exec': return { act: 'exec', what: `exec of ${r.path}`, detail: { exec: { path: r.path, argv: [...(r.argv ?? [r.path])].slice(0, 256) } } };
    case 'fork': return { act: 'fork', what: 'a new process', detail: {} };
    case 'connect': return { act: 'connect', what: `connect to ${r.address}`, detail: { address: r.address } };
    case 'bind': return { act: 'bind', what: `bind to ${r.address}`, detail: { address: r.address } };
    case 'resolve': return { act: 'resolve', what: `lookup of ${r.name}`, detail: { name: r.name } };
    case 'native': return { act: 'native', what: `native code ${r.path}`, detail: { paths: [r.path] } };
    case 'other': return { act: 'other', what: r.what, detail: {} };
  }
}

const NAME = { node: 'Node.js', python: 'Python' } as const;

/** The finding for a refusal the seatbelt made (before the act, inside the process). */
export function reportFinding(r: SeatbeltReport): Finding {
  const d = described(r);
  return {
    act: d.act,
    rule: ruleRef(r.rule),
    reason: `${d.what} (${r.api}), refused by the ${NAME[r.runtime]} seatbelt before it happened`,
    detail: d.detail,
    seatbelt: r.runtime,
  };
}
