// One spawn-and-wait for the tests: run a program to its end (or to a timeout, then SIGKILL) and
// keep what it printed, or start it and watch it meanwhile. The harnesses of test/run,
// test/record-run, test/doctor, test/lifetime, test/package and test/escapes build on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time, ms. */
  readonly ms: number;
  readonly pid: number;
  /** Killed (SIGKILL) because it ran longer than timeoutMs. */
  readonly timedOut: boolean;
}

export interface SpawnOptions {
  readonly cwd?: string;
  /** The whole environment (default: this process's, less tap's loaders: cleanEnv()). */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its stdin, then closed; without it stdin is /dev/null. */
  readonly input?: string | Buffer;
  /** Its stdout goes to this file instead of a pipe (Ran.stdout is then ''). */
  readonly stdoutFile?: string;
  /** SIGKILL after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Called once it is spawned (to signal it, watch its stdout...). */
  readonly started?: (child: ChildProcess) => void;
}

/** This process's environment without tap's loaders (NODE_OPTIONS, _TAPJS_*): a child must not load them. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS')) env[k] = v;
  return { ...env, ...extra };
}

/** A program started and not yet waited for. */
export interface Started {
  readonly child: ChildProcess;
  /** Its end, once every holder of its stdout and stderr has closed them. */
  readonly done: Promise<Ran>;
  /** The process itself has exited (others may still hold its stdout: `done` waits for them). */
  readonly exited: Promise<void>;
  stdoutSoFar(): string;
  /** Resolves true once its stdout so far matches `re`; false after `ms`, or when it ended first. */
  stdoutMatches(re: RegExp, ms?: number): Promise<boolean>;
}

export function startProcess(file: string, args: readonly string[], o: SpawnOptions = {}): Started {
  const t0 = performance.now();
  const fd = o.stdoutFile === undefined ? undefined : openSync(o.stdoutFile, 'w');
  const child = spawn(file, args, {
    cwd: o.cwd, env: o.env ?? cleanEnv(), stdio: [o.input === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', 'pipe'],
  });
  if (fd !== undefined) closeSync(fd);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let ended = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  if (o.input !== undefined) {
    child.stdin!.on('error', () => undefined); // the program may not read its stdin
    child.stdin!.end(o.input);
  }
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 30_000);
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      ended = true;
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - t0, pid: child.pid ?? -1, timedOut });
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stdoutMatches = (re: RegExp, ms = 15_000): Promise<boolean> => new Promise((resolve) => {
    const end = Date.now() + ms;
    const look = () => {
      if (re.test(stdout)) resolve(true);
      else if (ended || Date.now() > end) resolve(false);
      else setTimeout(look, 20);
    };
    look();
  });
  o.started?.(child);
  return { child, done, exited, stdoutSoFar: () => stdout, stdoutMatches };
}

/** Run a program to its end (or its timeout). */
export const runProcess = (file: string, args: readonly string[], o: SpawnOptions = {}): Promise<Ran> => startProcess(file, args, o).done;

/**
 * SYSCAGE_BACKEND of the test run, as `env -i` arguments for a syscage started in a clean
 * environment: `make test` runs the kernel-tier suites a second time under the ptrace backend
 * (lib/trace/notify/backend.ts), and the choice must reach syscage. Put it first: a test that sets
 * SYSCAGE_BACKEND itself (after it, on the `env -i` line) has the last word.
 */
export const backendEnv = (): string[] => (process.env.SYSCAGE_BACKEND ? [`SYSCAGE_BACKEND=${process.env.SYSCAGE_BACKEND}`] : []);
