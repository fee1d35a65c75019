// Which tier a run gets: the kernel tier when the tracer could seize its
// stage-2 (the launch's own proof that ptrace works), otherwise what doctor's
// probes say the platform allows, weighed against the profile's weakest_tier
// (lib/doctor/tier.ts). The probes run only where ptrace was refused, so a
// platform that allows everything pays nothing for the choice.
import type { PlatformTier, ProbeFn, ProbeName, ProbeResult, Refusal } from '../doctor/index.js';
import { EXIT, SyscageError } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { Profile, Tier } from '../profile/types.js';
import { PreparedTracer } from '../trace/index.js';

export interface TierDecision {
  readonly tier: Tier;
  /** Why this tier, in a sentence (the init log line, `run`'s note). */
  readonly why: string;
  /** What the platform refused, one probe each (empty in the kernel tier). */
  readonly refusals: readonly Refusal[];
  /** The tracer, started and ready, for the kernel and bpf tiers. */
  readonly prepared?: PreparedTracer;
}

/** The platform refuses every tier the profile accepts. */
export class TierError extends SyscageError {
  override name = 'TierError';
  constructor(message: string) {
    super(message, 'E_TIER', EXIT.unavailable);
  }
}

/** doctor's probes, as the platform's tier; `known`: answers that need no probe process. */
export async function probePlatform(known?: Partial<Record<ProbeName, ProbeFn>>): Promise<PlatformTier> {
  const { platformTier, runDoctor } = await import('../doctor/index.js');
  const report = await runDoctor(known ? { probes: known } : {});
  return platformTier(report.probes, report.mode);
}

/**
 * The tracer's own PTRACE_SEIZE of stage-2 was refused (EPERM): that answers the trace group's
 * probes, so their two probe processes (a tracer and its tracee, ~12 MB and a Node start each)
 * are not started at a cold start where the runtime or bpf tier is all the platform allows.
 */
function refusedSeize(): Partial<Record<ProbeName, ProbeFn>> {
  const notTried = (): ProbeResult => ({ ok: false, detail: "not tried: the tracer's own PTRACE_SEIZE was refused (see ptrace.seize)" });
  return {
    'ptrace.seize': () => ({ ok: false, detail: "PTRACE_SEIZE of a child is refused (EPERM): syscage's own stage-2 could not be seized; the platform's security policy (a seccomp filter or an LSM) forbids ptrace" }),
    'ptrace.syscall_info': notTried,
    'ptrace.deny': notTried,
    process_vm_readv: notTried,
  };
}

export interface SelectDeps {
  /** A tracer already starting (bin/syscage starts one at once); a new one otherwise. */
  readonly prepared?: PreparedTracer;
  readonly probe?: () => Promise<PlatformTier>;
}

export async function selectTier(profile: Profile, deps: SelectDeps = {}): Promise<TierDecision> {
  const prepared = deps.prepared ?? new PreparedTracer();
  // A tracer that failed is syscage's failure, not the platform's refusal: it goes on (exit 70),
  // never to a weaker tier. Only a seize refused with EPERM (mode bpf-only) is the platform's.
  const ready = await prepared.ready;
  if (ready.mode === 'supervised') return { tier: 'kernel', why: 'seccomp and ptrace work here: every rule is enforced before the call', refusals: [], prepared };
  const seized = { note: ready.note ?? 'ptrace is not permitted here' };

  let platform: PlatformTier;
  try {
    platform = await (deps.probe ?? (() => probePlatform(refusedSeize())))();
    faultPoint('tier.select');
  } catch (e) {
    await prepared.cancel();
    throw e;
  }
  if (platform.tier === 'kernel') {
    // The probes passed, yet this tracer could not seize: the launch's own answer stands.
    platform = { tier: 'bpf', refusals: [{ probe: 'ptrace.seize', detail: seized.note }] };
  }
  // doctor is loaded only here: the kernel tier (the common case) never needs it.
  const { tierFor } = await import('../doctor/index.js');
  const choice = tierFor(profile, platform);
  if (!choice.ok || choice.tier !== 'bpf') await prepared.cancel();
  if (!choice.ok) throw new TierError(choice.message);
  return { tier: choice.tier, why: choice.why, refusals: platform.refusals, ...(choice.tier === 'bpf' ? { prepared } : {}) };
}
