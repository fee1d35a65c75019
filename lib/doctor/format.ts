// The report as text: a heading, one line per probe (✓/✗, name, why), the
// mode and why, and the known limits.
import type { DoctorReport } from './report.js';

const YES = '✓';
const NO = '✗';

export function formatReport(r: DoctorReport): string {
  const lambda = r.lambda.inside
    ? `inside AWS Lambda (${[r.lambda.functionName && `function ${r.lambda.functionName}`, r.lambda.executionEnv].filter(Boolean).join(', ')})`
    : 'not inside AWS Lambda';
  const out: string[] = [`syscage ${r.version} doctor: ${r.arch}, Linux ${r.kernel}, Node ${r.node}, ${lambda}`, ''];
  const names = Object.keys(r.probes);
  const width = Math.max(...names.map((n) => n.length));
  for (const [name, p] of Object.entries(r.probes)) {
    out.push(`${p.ok ? YES : NO} ${name.padEnd(width)}  ${p.detail}`);
  }
  out.push('', `mode: ${r.mode}: ${r.modeReason}`, '', 'known limits:');
  const sw = Math.max(...r.limits.map((l) => l.status.length));
  for (const l of r.limits) out.push(`  ${l.status.padEnd(sw)}  ${l.text}`);
  return out.join('\n') + '\n';
}
