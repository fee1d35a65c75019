// What doctor found: the report that format.ts prints and --json writes.
import type { Limit } from './limits.js';
import type { Mode } from './mode.js';
import type { NodeEndOfLife } from './node.js';
import type { Refusal, Tier, TierCoverage } from './tier.js';
import type { ProbeName, ProbeResult } from './units.js';

export interface DoctorReport {
  readonly version: string;
  readonly arch: string;
  readonly kernel: string;
  /** process.version of the Node.js running syscage. */
  readonly node: string;
  /** Its release line's end of life (lib/doctor/node.ts). */
  readonly nodeEndOfLife: NodeEndOfLife;
  readonly lambda: { readonly inside: boolean; readonly functionName: string | null; readonly executionEnv: string | null };
  readonly probes: Readonly<Record<ProbeName, ProbeResult>>;
  readonly mode: Mode;
  readonly modeReason: string;
  /** The strongest enforcement tier this platform allows (lib/doctor/tier.ts). */
  readonly tier: Tier;
  /** Every probe that weakened it: one line each. */
  readonly refusals: readonly Refusal[];
  /** In the kernel tier: the supervisor's backend an enforcing run gets (lib/trace/notify/backend.ts), and why. */
  readonly backend?: { readonly name: 'notify' | 'ptrace'; readonly why: string };
  /** With --profile: the tier that profile gets here, and what each tier would enforce of it. */
  readonly profile?: ProfileTiers;
  readonly limits: readonly Limit[];
}

/** A profile weighed against this platform. */
export interface ProfileTiers {
  readonly name: string;
  readonly weakestTier: Tier;
  /** The tier it gets here, or why it gets none. */
  readonly tier: Tier | null;
  readonly reason: string;
  readonly tiers: readonly TierCoverage[];
}
