// `syscage doctor`: what this platform allows, and which enforcement mode
// syscage will use here. Meant to be run first wherever syscage will run (an
// AWS Lambda function, a container, a CI machine), including places that
// refuse ptrace or prctl, so it never fails as a whole:
//
// - every probe is a function of its own, run under a timeout, whose exception
//   or silence is a "no" with the reason;
// - doctor's own process only reads files (/proc) and the environment; every
//   native call happens in a probe process (lib/doctor/probe.ts) that may die
//   for it (lib/doctor/launch.ts);
// - the probe functions are injected (DoctorOptions.probes, .launch), so tests
//   can make any of them fail and check the rest of the report.
//
// The report (also the --json output; the keys are stable):
//
//   {
//     "version": "0.1.0",                      syscage's version
//     "arch": "x86_64",                        this machine: x86_64 | aarch64 | Node's name for another
//     "kernel": "6.18.44",                     uname release
//     "node": "v26.12.1",                      the Node.js running syscage (process.version)
//     "nodeEndOfLife": { "major": 26, "date": "2029-04-30", "past": false },   lib/doctor/node.ts's table;
//                                              date null: a major the table does not know
//     "lambda": { "inside": false,             AWS_LAMBDA_FUNCTION_NAME or AWS_EXECUTION_ENV is set
//                 "functionName": null, "executionEnv": null },
//     "probes": { "<name>": { "ok": true, "detail": "one sentence" }, ... },   every name of PROBE_NAMES
//     "mode": "supervised" | "bpf-only" | "unavailable",
//     "modeReason": "one sentence",
//     "tier": "kernel" | "bpf" | "runtime",   the strongest enforcement tier allowed here
//     "refusals": [ { "probe": "<name>", "detail": "..." }, ... ],   what weakened it
//     "backend": { "name": "notify" | "ptrace", "why": "..." },   the kernel tier's supervisor backend
//                                              (lib/trace/notify/backend.ts), when the tier is kernel
//     "profile": { "name", "weakestTier", "tier" (null: none), "reason",   with --profile only
//                  "tiers": [ { "tier", "before": [...], "after": [...], "not": [...], "cannotStart"? } ] },
//     "limits": [ { "id": "toctou", "status": "open" | "by design", "text": "..." }, ... ]
//   }
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { InjectedFault, faultArmed, faultPoint } from '../fault.js';
import { parseArch } from '../arch/index.js';
import { packageRoot } from '../paths.js';
import * as explain from './explain.js';
import { launchProbeProcess, runUnits, type Launch } from './launch.js';
import { LIMITS } from './limits.js';
import { chooseBackend, kernelVersion, notifyUsable } from '../trace/notify/backend.js';
import { decideMode, type Mode } from './mode.js';
import { nodeEndOfLife } from './node.js';
import { platformTier } from './tier.js';
import { GROUPS, PROBE_NAMES, UNITS, groupOf, unitOf, type Group, type ProbeName, type ProbeResult } from './units.js';

export { PROBE_NAMES, type ProbeName, type ProbeResult } from './units.js';
export { LIMITS, type Limit } from './limits.js';
export { NODE_END_OF_LIFE, nodeEndOfLife, nodeLines, nodeMajor, type NodeEndOfLife } from './node.js';
export { decideMode, type Mode, type ModeDecision } from './mode.js';
export { coverage, platformTier, profileTiers, tierFor, type PlatformTier, type Refusal, type Tier, type TierChoice, type TierCoverage } from './tier.js';
export type { Launch, LaunchResult } from './launch.js';
export { formatReport } from './format.js';
export type { DoctorReport, ProfileTiers } from './report.js';
import type { DoctorReport } from './report.js';

/** What a probe function may use. */
export interface ProbeContext {
  /** The answers of a probe process group (lib/doctor/units.ts), run once per doctor run. */
  readonly group: (g: Group) => Promise<ReadonlyMap<ProbeName, ProbeResult>>;
  /** readFileSync(path, 'utf8'); throws as it does. */
  readonly readFile: (path: string) => string;
}

/** One probe: an answer, or an exception (which doctor turns into a "no" with its message). */
export type ProbeFn = (ctx: ProbeContext) => ProbeResult | Promise<ProbeResult>;

export interface DoctorOptions {
  /** Replace probe functions by name (tests: a failing probe). */
  readonly probes?: Partial<Record<ProbeName, ProbeFn>>;
  /** How a probe process is started (tests: one that dies). */
  readonly launch?: Launch;
  /** A probe process is killed after this long. Default 5000 ms. */
  readonly processTimeoutMs?: number;
  /** A probe function that has not answered after this long is a "no". Default 20000 ms. */
  readonly probeTimeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
  /** process.arch, as Node names it. */
  readonly arch?: string;
  /** process.version: the Node.js running syscage (tests: another one). */
  readonly nodeVersion?: string;
  /** Today, for the Node.js end-of-life check (tests: another day). */
  readonly now?: () => Date;
}

export const DEFAULT_PROCESS_TIMEOUT_MS = 5000;
export const DEFAULT_PROBE_TIMEOUT_MS = 20000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? message(e);

/** A line of /proc/self/status ('NoNewPrivs' -> '1'), or undefined. */
function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)\\s*$`, 'm').exec(status)?.[1];
}

function readStatus(ctx: ProbeContext): string {
  return ctx.readFile('/proc/self/status');
}

/** A probe answered by a probe process: its group's answer for it. */
const fromProcess = (name: ProbeName): ProbeFn => async (ctx) => {
  const unit = unitOf(name);
  if (!unit) throw new Error(`internal: ${name} is in no unit`);
  const answer = (await ctx.group(groupOf(unit))).get(name);
  if (!answer) throw new Error(`no answer for ${name} from the probe process`);
  return answer;
};

/** The probes doctor runs unless told otherwise. */
export const DEFAULT_PROBES: Readonly<Record<ProbeName, ProbeFn>> = Object.freeze({
  ...Object.fromEntries(Object.values(UNITS).flat().map((name) => [name, fromProcess(name)])) as Record<ProbeName, ProbeFn>,

  'process.no_new_privs': (ctx) => {
    let status: string;
    try {
      status = readStatus(ctx);
    } catch (e) {
      return { ok: false, detail: `cannot read /proc/self/status (${errCode(e)}): is /proc mounted?` };
    }
    const v = statusField(status, 'NoNewPrivs');
    return { ok: true, detail: explain.noNewPrivsState(v === '0' || v === '1' ? v : undefined) };
  },

  'process.seccomp': (ctx) => {
    let status: string;
    try {
      status = readStatus(ctx);
    } catch (e) {
      return { ok: false, detail: `cannot read /proc/self/status (${errCode(e)}): is /proc mounted?` };
    }
    return explain.seccompState(statusField(status, 'Seccomp'), statusField(status, 'Seccomp_filters'));
  },

  'yama.ptrace_scope': (ctx) => {
    let value: string | undefined;
    try {
      value = ctx.readFile('/proc/sys/kernel/yama/ptrace_scope').trim();
    } catch (e) {
      if (errCode(e) !== 'ENOENT') return { ok: true, detail: `unknown: /proc/sys/kernel/yama/ptrace_scope cannot be read (${errCode(e)}); ptrace.seize says whether ptrace works.` };
    }
    let capSysPtrace = false;
    try {
      const eff = statusField(readStatus(ctx), 'CapEff');
      capSysPtrace = eff !== undefined && /^[0-9a-f]+$/i.test(eff) && ((BigInt(`0x${eff}`) >> 19n) & 1n) === 1n;
    } catch { /* unknown: as if not */ }
    return explain.yamaScope(value, capSysPtrace);
  },
});

function syscageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The probe's answer, or a "no" when it throws, answers nonsense or does not answer in time. */
async function guarded(fn: ProbeFn, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `the probe did not answer within ${timeoutMs} ms: run syscage doctor again, and report it if it persists.` }), timeoutMs);
  });
  try {
    const r = await Promise.race([Promise.resolve().then(() => fn(ctx)), late]);
    if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean' || typeof r.detail !== 'string') {
      return { ok: false, detail: 'the probe gave no usable answer; this is a bug in syscage doctor, please report it.' };
    }
    return { ok: r.ok, detail: r.detail };
  } catch (e) {
    return { ok: false, detail: `the probe failed: ${message(e)}.` };
  } finally {
    clearTimeout(timer);
  }
}

/** Run every probe and decide the mode. Never rejects. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const nodeArch = opts.arch ?? process.arch;
  const arch = parseArch(nodeArch);
  const launch = opts.launch ?? launchProbeProcess;
  const processTimeout = opts.processTimeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;
  const groups = new Map<Group, Promise<ReadonlyMap<ProbeName, ProbeResult>>>();
  const ctx: ProbeContext = {
    group: (g) => {
      let p = groups.get(g);
      if (!p) {
        p = runUnits(GROUPS[g], launch, processTimeout);
        groups.set(g, p);
      }
      return p;
    },
    readFile: opts.readFile ?? ((path) => readFileSync(path, 'utf8')),
  };
  const fns: Record<ProbeName, ProbeFn> = { ...DEFAULT_PROBES, ...opts.probes };
  const timeout = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  // The tests' faults: an exception nothing catches while the probe processes run, and one after.
  if (faultArmed('doctor.probing')) setTimeout(() => { throw new InjectedFault('doctor.probing'); }, 100);
  const answers = await Promise.all(PROBE_NAMES.map(async (name) => [name, await guarded(fns[name], ctx, timeout)] as const));
  faultPoint('doctor.decide');
  const probes = Object.fromEntries(answers) as Record<ProbeName, ProbeResult>;

  const mode = decideMode(probes, arch !== undefined, nodeArch);
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME || null;
  const executionEnv = env.AWS_EXECUTION_ENV || null;
  let kernel: string;
  try {
    kernel = release();
  } catch {
    kernel = 'unknown';
  }
  const node = opts.nodeVersion ?? process.version;
  return {
    version: syscageVersion(),
    arch: arch ?? nodeArch,
    kernel,
    node,
    nodeEndOfLife: nodeEndOfLife(node, (opts.now ?? (() => new Date()))()),
    lambda: { inside: functionName !== null || executionEnv !== null, functionName, executionEnv },
    probes,
    ...mode,
    ...tierAndBackend(probes, mode.mode, env, kernel),
    limits: LIMITS,
  };
}

/**
 * The tier, and in the kernel tier the supervisor's backend an enforcing run gets here: the one
 * `syscage run` and the bootstrap choose with the same probe.
 */
function tierAndBackend(probes: Readonly<Record<ProbeName, ProbeResult>>, mode: Mode, env: Readonly<Record<string, string | undefined>>, kernel: string) {
  const t = platformTier(probes, mode);
  if (t.tier !== 'kernel') return t;
  // From the probes shown above (this process makes no native call): seccomp.action.user_notif, process.seccomp.
  const facts = {
    userNotif: probes['seccomp.action.user_notif'].ok,
    kernel: kernelVersion(kernel),
    filtered: !probes['process.seccomp'].ok || /^2\b/.test(probes['process.seccomp'].detail),
  };
  try {
    const { backend, why } = chooseBackend(true, env, () => notifyUsable(facts));
    return { ...t, backend: { name: backend, why } };
  } catch (e) {
    return { ...t, backend: { name: 'ptrace' as const, why: (e as Error).message } };
  }
}
