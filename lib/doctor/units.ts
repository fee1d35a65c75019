// What `syscage doctor` probes, by name, and how the probes that need a
// process of their own are grouped. Shared by doctor (lib/doctor/index.ts)
// and the probe process (lib/doctor/probe.ts); no native code here.
//
// Probe names are stable: they are keys of the --json output.

/** Every probe, in report order. */
export const PROBE_NAMES = [
  'seccomp.action.allow',
  'seccomp.action.errno',
  'seccomp.action.kill_process',
  'seccomp.action.log',
  'seccomp.action.trace',
  'seccomp.action.user_notif',
  'process.no_new_privs',
  'process.seccomp',
  'prctl.no_new_privs',
  'seccomp.filter',
  'yama.ptrace_scope',
  'ptrace.seize',
  'ptrace.syscall_info',
  'ptrace.deny',
  'process_vm_readv',
] as const;

export type ProbeName = (typeof PROBE_NAMES)[number];

export const isProbeName = (s: unknown): s is ProbeName => typeof s === 'string' && (PROBE_NAMES as readonly string[]).includes(s);

/** One probe's answer: can syscage rely on this, and why (one sentence a user can act on). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * A unit is what one probe process does in one go. Probes in the same unit
 * depend on each other (the ptrace ones share one tracee and one scenario),
 * so a probe process that dies during a unit ends that unit; doctor then
 * starts a new probe process for the units after it.
 */
export const UNITS = {
  actions: [
    'seccomp.action.allow', 'seccomp.action.errno', 'seccomp.action.kill_process',
    'seccomp.action.log', 'seccomp.action.trace', 'seccomp.action.user_notif',
  ],
  prctl: ['prctl.no_new_privs'],
  filter: ['seccomp.filter'],
  vm_readv: ['process_vm_readv'],
  ptrace: ['ptrace.seize', 'ptrace.syscall_info', 'ptrace.deny'],
} as const satisfies Record<string, readonly ProbeName[]>;

export type Unit = keyof typeof UNITS;
export const isUnit = (s: string): s is Unit => Object.prototype.hasOwnProperty.call(UNITS, s);

/**
 * Probe processes, run in parallel; the units of one run in order in one
 * process. `filter` comes after `prctl` as in syscage's launcher (stage-2 sets
 * no_new_privs, then installs the filter); `vm_readv` reads the same child the
 * ptrace unit then seizes.
 */
export const GROUPS = {
  seccomp: ['actions', 'prctl', 'filter'],
  trace: ['vm_readv', 'ptrace'],
} as const satisfies Record<string, readonly Unit[]>;

export type Group = keyof typeof GROUPS;

export function unitOf(probe: ProbeName): Unit | undefined {
  for (const [unit, probes] of Object.entries(UNITS) as [Unit, readonly ProbeName[]][]) {
    if (probes.includes(probe)) return unit;
  }
  return undefined;
}

export function groupOf(unit: Unit): Group {
  for (const [group, units] of Object.entries(GROUPS) as [Group, readonly Unit[]][]) {
    if (units.includes(unit)) return group;
  }
  throw new Error(`internal: unit ${unit} belongs to no group`);
}

// ---- the probe process's stdout: one JSON object per line ------------------------------------
//
//   {"t":"step","probe":"ptrace.seize","doing":"ptrace(PTRACE_SEIZE)"}   about to do something risky
//   {"t":"result","probe":"ptrace.seize","ok":true,"detail":"..."}        a probe's answer
//
// Written synchronously, so that what was said before a fatal signal has reached doctor.

export type ProbeLine =
  | { readonly t: 'step'; readonly probe: ProbeName; readonly doing: string }
  | { readonly t: 'result'; readonly probe: ProbeName; readonly ok: boolean; readonly detail: string };

/** A line of probe output, or undefined for anything else (noise never breaks doctor). */
export function parseProbeLine(line: string): ProbeLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isProbeName(o.probe)) return undefined;
  if (o.t === 'step' && typeof o.doing === 'string') return { t: 'step', probe: o.probe, doing: o.doing };
  if (o.t === 'result' && typeof o.ok === 'boolean' && typeof o.detail === 'string') {
    return { t: 'result', probe: o.probe, ok: o.ok, detail: o.detail };
  }
  return undefined;
}
