// What doctor found: the report that format.ts prints and --json writes.
import type { Limit } from './limits.js';
import type { Mode } from './mode.js';
import type { ProbeName, ProbeResult } from './units.js';

export interface DoctorReport {
  readonly version: string;
  readonly arch: string;
  readonly kernel: string;
  readonly node: string;
  readonly lambda: { readonly inside: boolean; readonly functionName: string | null; readonly executionEnv: string | null };
  readonly probes: Readonly<Record<ProbeName, ProbeResult>>;
  readonly mode: Mode;
  readonly modeReason: string;
  readonly limits: readonly Limit[];
}
