// Shared by the in-VM checks of test-arm64/ (see main.mjs): the check/summary bookkeeping, where
// the layer and the test programs are, running processes, audit events, /proc helpers.
//
// Plain JS on purpose: it runs with the arm64 layer's own bin/node and imports nothing but
// node: modules and the layer's compiled syscage (<layer>/syscage/dist/lib/...).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

// ---- configuration (main.mjs sets it from its arguments) -----------------------------------

export const config = {
  /** The unpacked layer, laid out like /opt on Lambda. */
  layer: '/opt',
  /** The cross-compiled static test programs (attempt, victim, hello, runtime). */
  bin: '',
  /** A scratch directory of this run (real path). */
  scratch: '',
};

export const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The layer's node and the syscage CLI in the layer, as the layer's bootstrap runs them. */
export const layerNode = () => join(config.layer, 'bin', 'node');
// What the layer's /opt/bootstrap runs (lib/runtime/layer.ts): the bundle's entry.
export const layerEntry = () => join(config.layer, 'syscage', 'dist', 'bundle', 'cli', 'entry.js');
/** A test program by name (test-arm64/c/NAME.c, built by scripts/arm64/test-arm64.sh). */
export const prog = (name) => join(config.bin, name);

/** import() of a module of the layer's compiled syscage: lib('compile/index.js'). */
export const lib = (path) => import(pathToFileURL(join(config.layer, 'syscage', 'dist', 'lib', path)).href);

// ---- checks ----------------------------------------------------------------------------------

const tally = { passed: 0, failed: 0 };
/** Long diagnostic texts already printed → the check that printed them (each is shown once). */
const shown = new Map();
export const summary = () => ({ ...tally });

const indent = (text) => String(text).replace(/\s+$/, '').split('\n').map((l) => `    ${l}`).join('\n');
const show = (v) => (typeof v === 'string' ? v : inspect(v, { depth: 6, breakLength: 120, maxStringLength: 4000 }));

/** One check: prints "ok N - name" or "not ok N - name" and, when it failed, what was seen. */
export function check(name, cond, diag) {
  const n = tally.passed + tally.failed + 1;
  if (cond) {
    tally.passed++;
    console.log(`ok ${n} - ${name}`);
  } else {
    tally.failed++;
    console.log(`not ok ${n} - ${name}`);
    if (diag !== undefined) {
      for (const [k, v] of Object.entries(typeof diag === 'object' && diag !== null ? diag : { seen: diag })) {
        const text = show(v);
        if (text.length > 200 && shown.has(text)) {
          console.log(`  ${k}: (as shown at check ${shown.get(text)})`);
          continue;
        }
        if (text.length > 200) shown.set(text, n);
        console.log(`  ${k}:\n${indent(text)}`);
      }
    }
  }
  return !!cond;
}

/** check(a === b) that shows both. */
export const equal = (name, got, want, diag = {}) => check(name, Object.is(got, want), { got, want, ...diag });

/** check on a string matching a RegExp. */
export const matches = (name, text, re, diag = {}) => check(name, re.test(String(text ?? '')), { text, want: String(re), ...diag });

/** Runs one area (compile, run, invoke, doctor); a crash is a failed check, not the end of the run. */
export async function area(name, fn) {
  const t0 = performance.now();
  console.log(`# ${name}`);
  try {
    await fn();
  } catch (e) {
    check(`${name}: the checks ran to the end`, false, { error: e?.stack ?? String(e) });
  }
  console.log(`# ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---- processes -------------------------------------------------------------------------------

/**
 * Runs a program; resolves with { status, signal, stdout, stderr, ms, pid } when it has exited and
 * its output is closed. Killed with SIGKILL after timeoutMs. env is the whole environment.
 */
export function runProcess(file, args, o = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: o.cwd ?? config.scratch, env: o.env ?? { PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'], detached: o.detached ?? false });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; o.onStdout?.(stdout); });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - t0, pid: child.pid ?? -1, timedOut });
    });
    o.started?.(child);
  });
}

/** The environment every syscage run gets (and so its command): nothing from this process. */
export const BASE_ENV = Object.freeze({ PATH: '/usr/bin:/bin', HOME: '/root' });

/**
 * The layer's lib/ (its libatomic.so.1, which the layer's Node.js 26 links and this VM lacks): on
 * Lambda LD_LIBRARY_PATH includes /opt/lib, so every run of the layer's node here gets it too.
 */
export const withLayerLib = (env) => ({ ...env, LD_LIBRARY_PATH: join(config.layer, 'lib') });

/** `syscage ARGV...` with the layer's node and syscage (o.env: the environment, plus the layer's lib/). */
export const syscage = (argv, o = {}) => runProcess(layerNode(), [layerEntry(), ...argv], { ...o, env: withLayerLib(o.env ?? BASE_ENV) });

/** syscage started for a check that acts on it while it runs: { child, done, waitStdout(re, ms) }. */
export function launch(argv, o = {}) {
  let child;
  let out = '';
  const done = syscage(argv, { ...o, started: (c) => { child = c; }, onStdout: (s) => { out = s; } });
  const waitStdout = (re, ms = 60_000) => new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const look = () => {
      if (re.test(out)) resolve();
      else if (Date.now() > end || child.exitCode !== null || child.signalCode !== null) reject(new Error(`stdout never matched ${re}: ${JSON.stringify(out)}`));
      else setTimeout(look, 50);
    };
    look();
  });
  return { get child() { return child; }, done, waitStdout };
}

/** A long text cut to its first lines, for diagnostics. */
export function clip(text, lines = 40) {
  const all = String(text ?? '').split('\n');
  return all.length <= lines ? String(text ?? '') : `${all.slice(0, lines).join('\n')}\n… ${all.length - lines} more lines`;
}

/** Everything about a finished process, for a failed check's diagnostic (long texts clipped). */
export const seen = (r, extra = {}) => ({
  status: r.status, signal: r.signal, timedOut: r.timedOut, ms: Math.round(r.ms), stdout: clip(r.stdout), stderr: clip(r.stderr),
  ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' ? clip(v) : v])),
});

// ---- files and audit events ------------------------------------------------------------------

/** A fresh directory under the scratch directory (its real path: globs match resolved paths). */
let serial = 0;
export function tempDir(prefix) {
  const d = join(config.scratch, `${prefix}-${serial++}`);
  mkdirSync(d, { recursive: true });
  return realpathSync(d);
}

export function write(path, text) {
  writeFileSync(path, text);
  return path;
}

export const readIf = (p) => (existsSync(p) ? readFileSync(p, 'utf8') : '');

/** The JSON audit events in a log (other lines are syscage's own messages). */
export const events = (text) => String(text).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** The 1-based line of the first line of text containing needle. */
export function lineOf(text, needle) {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`internal (test): "${needle}" is not in the text`);
  return i + 1;
}

/** Lines of `attempt` output that start with this op's name. */
export const opLines = (stdout, op) => stdout.split('\n').filter((l) => l.startsWith(`${op} `));

// ---- /proc -----------------------------------------------------------------------------------

/** "PID@STARTTIME" for a live (non-zombie) process, undefined when it is gone. */
export function identity(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return `${pid}@${fields[19]}`;
  } catch {
    return undefined;
  }
}

export const stillRunning = (id) => identity(Number(id.split('@')[0])) === id;

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of pid, by the ppid chain. */
export function descendants(pid) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) parent.set(Number(name), ppidOf(Number(name)));
  const out = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const p = frontier.pop();
    for (const [c, pp] of parent) if (pp === p && !out.includes(c)) { out.push(c); frontier.push(c); }
  }
  return out;
}

/** Polls until pred() holds or ms pass; resolves to whether it held. */
export async function until(pred, ms = 10_000, every = 50) {
  const end = Date.now() + ms;
  for (;;) {
    if (pred()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Run async jobs with at most `limit` at a time; resolves to their results in order. */
export async function inParallel(limit, jobs) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
