// Running the probe process (lib/doctor/probe.ts) for a group of units, and
// turning however it ended into an answer for every probe of those units.
//
// A probe process that dies during a unit (a fatal signal: SIGSYS from a
// platform's seccomp policy; a hang ended by the timeout) fails that unit with
// the reason; doctor then starts a new probe process for the units after it,
// so one refused call costs only the probes that depend on it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { UNITS, parseProbeLine, type ProbeName, type ProbeResult, type Unit } from './units.js';

/** How one probe process ended, and what it wrote. Never a rejection: a failure to start is `error`. */
export interface LaunchResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status, when it exited. */
  readonly code: number | null;
  /** The signal that ended it ('SIGSYS'...), when one did. */
  readonly signal: string | null;
  /** It was killed after `timeoutMs`. */
  readonly timedOut: boolean;
  /** It could not be started (or the launcher itself failed). */
  readonly error?: string;
}

/** Start a probe process for these units and wait for its end; kill it after timeoutMs. */
export type Launch = (units: readonly Unit[], timeoutMs: number) => Promise<LaunchResult>;

/** The compiled probe script: dist/lib/doctor/probe.js from a checkout, else next to this module. */
export function probeScript(): string {
  const root = packageRoot();
  for (const p of [join(root, 'dist', 'lib', 'doctor', 'probe.js'), join(root, 'lib', 'doctor', 'probe.js')]) {
    if (existsSync(p)) return p;
  }
  throw new Error('syscage doctor: lib/doctor/probe.js is not built (run npm run build)');
}

const MAX_OUTPUT = 256 * 1024;

/**
 * What a probe process's environment keeps of doctor's: only what the dynamic loader may need to
 * start node (a node of a Lambda layer may find its libraries through LD_LIBRARY_PATH). Nothing
 * for Node itself: NODE_OPTIONS could load code into the probe.
 */
export function probeEnv(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  // The probe dies with doctor (PR_SET_PDEATHSIG); it compares its parent with this pid to see
  // whether doctor ended before it asked (doctor may be pid 1 itself, in a container).
  return { ...(env.LD_LIBRARY_PATH ? { LD_LIBRARY_PATH: env.LD_LIBRARY_PATH } : {}), [DOCTOR_PID]: String(process.pid) };
}

/** The variable that tells a probe process its doctor's pid. */
export const DOCTOR_PID = 'SYSCAGE_DOCTOR_PID';

/** The real launcher: `node probe.js UNIT...` with the environment of probeEnv(). */
export const launchProbeProcess: Launch = (units, timeoutMs) => new Promise((resolve) => {
  let script: string;
  try {
    script = probeScript();
  } catch (e) {
    resolve({ stdout: '', stderr: '', code: null, signal: null, timedOut: false, error: (e as Error).message });
    return;
  }
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let settled = false;
  let exit: { code: number | null; signal: string | null } | undefined;
  let stdoutEnded = false;
  let timer: NodeJS.Timeout | undefined;
  let grace: NodeJS.Timeout | undefined;
  const finish = (error?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    clearTimeout(grace);
    resolve({ stdout, stderr, code: exit?.code ?? null, signal: exit?.signal ?? null, timedOut, ...(error ? { error } : {}) });
  };
  let child;
  try {
    child = spawn(process.execPath, [script, ...units], { stdio: ['ignore', 'pipe', 'pipe'], env: probeEnv() });
  } catch (e) {
    finish(`cannot start node: ${(e as Error).message}`);
    return;
  }
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => { if (stdout.length < MAX_OUTPUT) stdout += d; });
  child.stderr.on('data', (d: string) => { if (stderr.length < MAX_OUTPUT) stderr += d; });
  // Its stdout is its own (the tracee writes to a pipe of its own), so it ends with it. Its stderr
  // may be held open a little longer by the tracee: what arrived by then is enough.
  child.stdout.on('end', () => { stdoutEnded = true; if (exit) finish(); });
  child.on('error', (e) => { if (!exit) finish(`cannot start node: ${e.message}`); });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    if (stdoutEnded) finish();
    else grace = setTimeout(() => finish(), 200);
  });
  timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
});

/** "was killed by SIGSYS" / "did not finish within 5000 ms" / ... : how a probe process ended, for sentences. */
export function howItEnded(r: LaunchResult, timeoutMs: number): string {
  if (r.error !== undefined) return `could not be started (${r.error})`;
  if (r.timedOut) return `did not finish within ${timeoutMs} ms`;
  if (r.signal) return `was killed by ${r.signal}`;
  const last = r.stderr.trim().split('\n').pop()?.trim();
  return `exited with status ${r.code ?? '?'}${last ? ` (${last.slice(0, 300)})` : ''}`;
}

/** What the user can do about it, by how it ended. */
function advice(r: LaunchResult): string {
  if (r.signal === 'SIGSYS') return 'a seccomp policy of this platform kills processes that make that call';
  if (r.timedOut) return 'the machine may be overloaded: run syscage doctor again';
  if (r.error !== undefined) return 'syscage cannot start its probe processes here';
  return 'run syscage doctor again, and report it if it persists';
}

/**
 * Run the units of a group, relaunching after a death during a unit, and answer every probe of
 * every unit.
 */
export async function runUnits(units: readonly Unit[], launch: Launch, timeoutMs: number): Promise<Map<ProbeName, ProbeResult>> {
  const answers = new Map<ProbeName, ProbeResult>();
  const probesOf = (u: Unit): readonly ProbeName[] => UNITS[u];
  const unanswered = (u: Unit): ProbeName[] => probesOf(u).filter((p) => !answers.has(p));
  let remaining = [...units];

  while (remaining.length > 0) {
    let r: LaunchResult;
    try {
      r = await launch(remaining, timeoutMs);
    } catch (e) {
      r = { stdout: '', stderr: '', code: null, signal: null, timedOut: false, error: (e as Error)?.message ?? String(e) };
    }
    let last: { probe: ProbeName; doing: string } | undefined;
    for (const text of r.stdout.split('\n')) {
      const l = parseProbeLine(text);
      if (!l || !remaining.some((u) => probesOf(u).includes(l.probe))) continue;
      if (l.t === 'step') last = { probe: l.probe, doing: l.doing };
      else if (!answers.has(l.probe)) answers.set(l.probe, { ok: l.ok, detail: l.detail });
    }
    remaining = remaining.filter((u) => unanswered(u).length > 0);
    if (remaining.length === 0) break;

    const ended = howItEnded(r, timeoutMs);
    const clean = r.error === undefined && !r.timedOut && r.signal === null && r.code === 0;
    const failedUnit = last && remaining.find((u) => probesOf(u).includes(last!.probe));
    if (clean || !last || !failedUnit) {
      // Nothing to blame on one unit (it died starting up, or between units, or said nothing):
      // everything left gets the same answer, and no new process would do better.
      const why = clean
        ? 'the probe process ended without answering this probe; this is a bug in syscage doctor, please report it.'
        : `the probe process ${ended}${last ? ` after ${last.probe}` : ' before any probe ran'}: ${advice(r)}.`;
      for (const u of remaining) for (const p of unanswered(u)) answers.set(p, { ok: false, detail: why });
      break;
    }
    for (const p of unanswered(failedUnit)) {
      answers.set(p, {
        ok: false,
        detail: p === last.probe
          ? `the probe process ${ended} during ${last.doing}: ${advice(r)}.`
          : `not tried: the probe process ${ended} during ${last.probe} (${last.doing}).`,
      });
    }
    // Units before the failed one that still lack answers never will: the process went past them.
    const at = remaining.indexOf(failedUnit);
    for (const u of remaining.slice(0, at)) {
      for (const p of unanswered(u)) answers.set(p, { ok: false, detail: 'the probe process skipped this probe; this is a bug in syscage doctor, please report it.' });
    }
    remaining = remaining.slice(at + 1);
  }
  return answers;
}
