// The report as text: a heading, the Node.js running syscage (and a warning past its end of
// life), one line per probe (✓/✗, name, why), the mode and why, and the known limits.
import { nodeLines } from './node.js';
import type { DoctorReport, ProfileTiers } from './report.js';
import type { Tier } from './tier.js';

const TIER_SAID: Readonly<Record<Tier, string>> = {
  kernel: 'the seccomp filter and the ptrace supervisor: every rule, before the call.',
  bpf: 'the seccomp filter alone: profiles that accept weakest_tier: bpf or runtime run here (bpf cannot start a profile with an exec section).',
  runtime: 'neither a seccomp filter nor ptrace: only profiles with weakest_tier: runtime run here, under the process monitor, which acts after the fact.',
};

/** A profile against this platform: the tier it gets, then what each tier would do with it. */
function profileLines(p: ProfileTiers): string[] {
  const out = [`profile ${p.name} (weakest_tier: ${p.weakestTier}): ${p.tier ? `tier ${p.tier} here: ${p.reason}` : `cannot run here: ${p.reason}`}`];
  for (const c of p.tiers) {
    out.push(`  ${c.tier}:`);
    if (c.cannotStart) out.push(`    cannot start: ${c.cannotStart}`);
    if (c.before.length) out.push(`    stops before: ${c.before.join('; ')}`);
    if (c.after.length) out.push(`    kills after:  ${c.after.join('; ')}`);
    if (c.not.length) out.push(`    does not see: ${c.not.join('; ')}`);
  }
  return out;
}

const BACKEND_SAID = {
  notify: 'seccomp user notification: syscage performs checked opens, stats and connects itself, nothing is held still; exec and the rest stay with ptrace',
  ptrace: 'ptrace: every checked call is decided at a seccomp stop with the rest of the sandbox held still',
} as const;

const YES = '✓';
const NO = '✗';

export function formatReport(r: DoctorReport): string {
  const lambda = r.lambda.inside
    ? `inside AWS Lambda (${[r.lambda.functionName && `function ${r.lambda.functionName}`, r.lambda.executionEnv].filter(Boolean).join(', ')})`
    : 'not inside AWS Lambda';
  const out: string[] = [`syscage ${r.version} doctor: ${r.arch}, Linux ${r.kernel}, Node ${r.node}, ${lambda}`, ...nodeLines(r.node, r.nodeEndOfLife), ''];
  const names = Object.keys(r.probes);
  const width = Math.max(...names.map((n) => n.length));
  for (const [name, p] of Object.entries(r.probes)) {
    out.push(`${p.ok ? YES : NO} ${name.padEnd(width)}  ${p.detail}`);
  }
  out.push('', `mode: ${r.mode}: ${r.modeReason}`);
  out.push(`tier: ${r.tier}: ${TIER_SAID[r.tier]}`);
  if (r.backend) out.push(`backend: ${r.backend.name}: ${BACKEND_SAID[r.backend.name]} (${r.backend.why})`);
  for (const x of r.refusals) out.push(`  refused: ${x.probe}: ${x.detail}`);
  if (r.profile) out.push('', ...profileLines(r.profile));
  out.push('', 'known limits:');
  const sw = Math.max(...r.limits.map((l) => l.status.length));
  for (const l of r.limits) out.push(`  ${l.status.padEnd(sw)}  ${l.text}`);
  return out.join('\n') + '\n';
}
