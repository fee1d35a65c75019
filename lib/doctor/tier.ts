// Which enforcement tier a platform allows, which one a profile gets, and
// what each tier does with that profile. doctor prints it; `syscage run` and
// `syscage bootstrap` use the same decision when the platform refuses ptrace.
//
//   kernel   seccomp filter + ptrace supervisor: every rule, before the call
//   bpf      the seccomp filter alone: syscalls lists and argument rules in the kernel; what a
//            files or network rule would check gets the violation action; a profile with an exec
//            section cannot start (nothing could tell the launch's own exec from a later one)
//   runtime  neither (AWS Lambda as it is): a process monitor in the parent watches the command's
//            processes through /proc and kills one after it breaks an exec, network, files or
//            process.fork rule
//
// A profile names the weakest tier it accepts (weakest_tier, default bpf). The platform's
// strongest tier is used when the profile accepts it; a weaker one only as far as the profile
// allows; otherwise an error names what the platform refused. Never a silent downgrade.
import { locText } from '../profile/diagnostic.js';
import { TIERS, type Profile, type Tier } from '../profile/types.js';
import { handlerRuntime } from '../seatbelt/index.js';
import { NEEDED_TO_RUN, NEEDED_TO_SUPERVISE, type ModeDecision } from './mode.js';
import type { ProfileTiers } from './report.js';
import type { ProbeName, ProbeResult } from './units.js';

export type { Tier };

/** A probe that failed, with what doctor said about it. */
export interface Refusal {
  readonly probe: ProbeName;
  readonly detail: string;
}

/** What the platform allows: its strongest tier, and every refusal that weakened it. */
export interface PlatformTier {
  readonly tier: Tier;
  readonly refusals: readonly Refusal[];
}

/** The platform's tier, from doctor's probes and mode. */
export function platformTier(probes: Readonly<Partial<Record<ProbeName, ProbeResult>>>, mode: ModeDecision['mode']): PlatformTier {
  const tier: Tier = mode === 'supervised' ? 'kernel' : mode === 'bpf-only' ? 'bpf' : 'runtime';
  const refusals = [...NEEDED_TO_RUN, ...NEEDED_TO_SUPERVISE]
    .filter(([name]) => probes[name]?.ok !== true)
    .map(([probe]) => ({ probe, detail: probes[probe]?.detail ?? 'not probed' }));
  return { tier, refusals };
}

export type TierChoice =
  | { readonly ok: true; readonly tier: Tier; readonly why: string }
  | { readonly ok: false; readonly message: string };

const rank = (t: Tier): number => TIERS.indexOf(t);

/** "weakest_tier: kernel at p.yaml:3:15" / "weakest_tier: bpf (the default)". */
function weakestSaid(p: Profile): string {
  const w = p.weakestTier;
  return w.loc ? `weakest_tier: ${w.value} at ${locText(w.loc)}` : `weakest_tier: ${w.value} (the default)`;
}

/** The refusals that keep the platform from `tier`. */
function refusedFor(tier: Tier, platform: PlatformTier): readonly Refusal[] {
  const needed = new Set<ProbeName>((tier === 'kernel' ? [...NEEDED_TO_RUN, ...NEEDED_TO_SUPERVISE] : NEEDED_TO_RUN).map(([n]) => n));
  return platform.refusals.filter((r) => needed.has(r.probe));
}

/** The tier a profile gets on this platform, or why it gets none. */
export function tierFor(profile: Profile, platform: PlatformTier): TierChoice {
  const weakest = profile.weakestTier.value;
  let bpfSkipped = false as boolean;
  for (const t of TIERS) {
    if (rank(t) < rank(platform.tier)) continue;
    if (rank(t) > rank(weakest)) break;
    if (t === 'bpf' && profile.exec) {
      bpfSkipped = true;
      continue;
    }
    // Below the platform's strongest only when the bpf tier was passed over for the exec section.
    const why = t === platform.tier
      ? 'the strongest tier this platform allows'
      : `the platform refuses ptrace and the bpf tier cannot start a profile with an exec section (${weakestSaid(profile)})`;
    return { ok: true, tier: t, why };
  }
  // The tier the profile needs and the platform refuses: a profile with an exec section needs the
  // kernel tier unless it accepts the runtime tier.
  const wanted: Tier = bpfSkipped || (profile.exec && weakest === 'bpf') ? 'kernel' : weakest;
  bpfSkipped ||= wanted === 'kernel' && weakest === 'bpf';
  // The first refusal is the cause; the others follow from it or add to it (doctor lists them).
  const refused = refusedFor(wanted, platform);
  const first = refused[0];
  const named = first ? `${first.probe}: ${first.detail.replace(/\.$/, '')}` : `the ${wanted} tier`;
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more refusals: syscage doctor lists them)` : '';
  const why = `${bpfSkipped ? 'the bpf tier cannot start a profile with an exec section, and ' : ''}${weakestSaid(profile)} accepts nothing weaker`;
  return {
    ok: false,
    message: `the profile ${profile.name} needs the ${wanted} tier (${why}), and this platform refuses it: ${named}${more}. ` +
      'Accept a weaker tier with weakest_tier (see syscage doctor --profile), or run where the platform allows it.',
  };
}

/** What one tier does with a profile: what it stops before it happens, catches after, and misses. */
export interface TierCoverage {
  readonly tier: Tier;
  /** Refused before the call takes effect. */
  readonly before: readonly string[];
  /** Seen and acted on after it happened (the process is killed). */
  readonly after: readonly string[];
  /** Not enforced at all. */
  readonly not: readonly string[];
  /** The tier cannot start this profile's command. */
  readonly cannotStart?: string;
}

/** What each tier would enforce of this profile, and what it would not. */
export function coverage(p: Profile): readonly TierCoverage[] {
  const sys = 'syscalls lists and rules';
  const sections = (names: readonly (readonly [boolean, string])[]): string[] => names.filter(([on]) => on).map(([, s]) => s);
  const files = !!p.files;
  const exec = !!p.exec;
  const net = !!p.network;
  const fork = p.process?.fork.value === false;
  const kernel: TierCoverage = {
    tier: 'kernel',
    before: [sys, ...sections([[files, 'files'], [exec, 'exec.allow'], [net, 'network.connect and network.bind'], [fork, 'process.fork: false'], [true, 'process.signal']])],
    after: [],
    not: [],
  };
  const bpf: TierCoverage = {
    tier: 'bpf',
    before: [sys, ...sections([[files || net, `every call a ${[files && 'files', net && 'network'].filter(Boolean).join(' or ')} rule would check gets the violation action (fail closed)`], [fork, 'process.fork: false']])],
    after: [],
    not: ['process.signal'],
    ...(exec ? { cannotStart: 'a profile with an exec section cannot start its command: its own exec would be refused' } : {}),
  };
  // The seatbelt: for a Node.js or Python handler, where the profile wants one in this tier.
  const belt = p.seatbelts.tiers.value.includes('runtime') ? seatbeltOf(p) : undefined;
  const runtime: TierCoverage = {
    tier: 'runtime',
    before: belt === undefined || belt.startsWith('none') ? (belt ? [`nothing (seatbelt ${belt})`] : []) : [
      `${belt}: what the handler does through its language's own APIs: ${sections([[files, 'files'], [exec, 'exec.allow'], [net, 'network.connect and network.bind'], [fork, 'process.fork: false'], [true, 'native code not in seatbelts.native']]).join(', ')} (a guard rail: native code gets past it)`,
    ],
    after: sections([
      [exec, 'exec.allow: a process running a program it does not allow'],
      [net, 'network.connect: a TCP or UDP socket (IPv4, IPv6) connected to a destination it does not allow'],
      [files, 'files: a descriptor held open on a file the rules refuse'],
      [fork, 'process.fork: false: a second process'],
    ]),
    not: [
      sys,
      ...sections([
        [files, belt && !belt.startsWith('none')
          ? 'files: a file opened and closed between two polls by native code or a process the seatbelt is not in'
          : 'files: a file opened and closed between two polls, inside any process (the handler\'s own reads included)'],
        [net, 'network.connect: a connection shorter than a poll, UNIX sockets; network.bind'],
      ]),
      'process.signal',
      'anything done in the time between the act and the kill (a poll, about 10 ms)',
    ],
  };
  return [kernel, bpf, runtime];
}

/** A profile weighed against this platform, for doctor's report. */
export function profileTiers(profile: Profile, platform: PlatformTier): ProfileTiers {
  const choice = tierFor(profile, platform);
  return {
    name: profile.name,
    weakestTier: profile.weakestTier.value,
    tier: choice.ok ? choice.tier : null,
    reason: choice.ok ? choice.why : choice.message,
    tiers: coverage(profile),
  };
}

/** The seatbelt a profile's command gets in the runtime tier, in words. */
function seatbeltOf(p: Profile): string {
  if (!p.command) return 'for a Node.js or Python handler (its seatbelt)';
  const { runtime } = handlerRuntime(p.command.value, process.env);
  return runtime === 'node' ? 'the Node.js seatbelt (permission model and preload)'
    : runtime === 'python' ? 'the Python seatbelt (audit hook)'
      : 'none: the command is neither Node.js nor Python, so the process monitor alone watches it';
}
