// Cold start and memory: a Node handler run by aws-lambda-ric behind `syscage bootstrap`, inside a
// 128 MiB memory cgroup (cgroup v1: memory.limit_in_bytes, and memory.memsw.limit_in_bytes where
// swap accounting is on, so that swap cannot hide an overrun), serves 1000 sequential invocations
// without being OOM-killed. The same 1000 invocations against aws-lambda-ric alone, on the same
// Node.js, in the same 128 MiB, are the baseline.
//
//   baseline  the layer's Node.js runs aws-lambda-ric, which talks to the Runtime API emulator
//             directly: a Node function on Lambda without syscage
//   kernel    `syscage bootstrap` (the layer's Node.js running syscage, as the layer's bootstrap
//             script does) with a task whose syscage.yaml extends lambda-nodejs, as root outside the
//             platform simulator: the kernel tier
//   runtime   the same bootstrap under the platform simulator (variant nnp0): the runtime tier, with
//             the handler under its seatbelt and the process monitor polling
//
// Each case gets its own memory group; the process tree is put in it before it starts (a shell
// writes its own pid to cgroup.procs, then execs the command), so everything it starts is charged
// there. The group must see no OOM kill (memory.oom_control) and never reach its limit
// (memory.failcnt), the bootstrap (or the bare runtime) must still be running when the last answer
// arrives and the bootstrap must never have restarted its handler, and each invocation must be
// answered with its own event, in order. Then the test stops it: SIGTERM, and SIGKILL by pid for
// whatever is left in the group 2 s later. memory.max_usage_in_bytes of each case,
// and its ratio to the baseline's, go to the diagnostics (t.comment). Page cache counts in that
// figure (the kernel reclaims it under the limit), so the peak of anonymous memory (memory.stat rss,
// sampled while the invocations run) is reported beside it.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type InvocationResult } from '../../lib/runtime/emulator.js';
import { packageRoot } from '../../lib/paths.js';
import { layerNode } from '../helpers/layer-node.js';
import { BOOTSTRAP_ENTRY, BOOTSTRAP_NODE_FLAGS } from '../../lib/runtime/layer.js';

const root = packageRoot();
const MEMORY = '/sys/fs/cgroup/memory';
const LIMIT = 128 * 1024 * 1024;
const INVOCATIONS = 1000;
// What the layer's /opt/bootstrap runs: the bundle's entry, with its Node.js flags.
const entry = join(root, BOOTSTRAP_ENTRY);
const simulate = join(root, 'test', 'platform', 'simulate.mjs');
const ric = join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
const MiB = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MiB`;

function why(): string | false {
  if (process.platform !== 'linux') return 'memory cgroups are Linux';
  if (process.getuid?.() !== 0) return 'creating a memory cgroup and moving a process into it needs root';
  if (!existsSync(join(MEMORY, 'memory.limit_in_bytes'))) return `no cgroup v1 memory controller at ${MEMORY}`;
  if (!existsSync(entry)) return 'dist/ is not built (npm run build)';
  if (!existsSync(ric)) return 'aws-lambda-ric is not installed: run scripts/install-ric.sh';
  // A group of our own, made and removed: a read-only or delegated-away hierarchy refuses it.
  const probe = join(MEMORY, `syscage-test-${process.pid}-probe`);
  try {
    mkdirSync(probe);
    writeFileSync(join(probe, 'memory.limit_in_bytes'), String(LIMIT));
  } catch (e) {
    return `cannot make a memory cgroup under ${MEMORY}: ${(e as Error).message}`;
  } finally {
    try { rmdirSync(probe); } catch { /* never made */ }
  }
  return false;
}

let skip = why();
const node = skip ? undefined : layerNode();
if (node && 'skip' in node) skip = node.skip;
const nodePath = node && 'path' in node ? node.path : '';

// Under the simulator the bootstrap runs as uid 993: everything it sees must be world-readable.
const base = mkdtempSync(join(tmpdir(), 'syscage-memory-'));
chmodSync(base, 0o755);
t.teardown(() => rmSync(base, { recursive: true, force: true }));

const q = (s: string): string => JSON.stringify(s);
/** /a/b/c → /a, /a/b: the directories Node's module resolution looks at. */
const ancestors = (p: string): string[] => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'));

// The task: the echoing handler and a profile that extends the curated one with where this
// checkout and the layer's Node.js live (on Lambda: /var/task and /opt, which it already names).
const task = join(base, 'task');
mkdirSync(task);
chmodSync(task, 0o755);
copyFileSync(join(root, 'test', 'fixtures', 'platform', 'handler.mjs'), join(task, 'handler.mjs'));
if (!skip) {
  const read = [`${root}/**`, ...ancestors(root), `${base}/**`, ...ancestors(base), `${dirname(dirname(nodePath))}/**`, '/usr/lib/**'];
  writeFileSync(join(task, 'syscage.yaml'), [
    'version: 1',
    'name: memory-node',
    'extends: [lambda-nodejs]',
    `command: [${q(nodePath)}, ${q(ric)}]`,
    // The runtime client's own addon, where the tests install it.
    `seatbelts: { native: [${q(join(dirname(ric), '**'))}] }`,
    `files: { read: [${[...new Set(read)].map(q).join(', ')}] }`,
  ].join('\n') + '\n', { mode: 0o644 });
  // A file's page cache is charged to the group of whoever reads it first. The big shared files are
  // read here, charged to the test's own group, so that no case pays for them for having run first.
  const chunk = Buffer.alloc(1 << 20);
  for (const f of [nodePath, join(dirname(ric), 'rapid-client.node')]) {
    const fd = openSync(f, 'r');
    try { while (readSync(fd, chunk) > 0); } finally { closeSync(fd); }
  }
}

/** The numbers a v1 memory group keeps. */
interface Usage {
  readonly maxUsage: number;
  readonly maxMemsw?: number;
  readonly failcnt: number;
  readonly oomKill?: number;
  readonly underOom: number;
}

class Group {
  readonly path: string;
  /** Its numbers once its processes were gone, just before it was removed. */
  last?: Usage;
  constructor(name: string) {
    this.path = join(MEMORY, `syscage-test-${process.pid}-${name}`);
    mkdirSync(this.path);
    this.write('memory.limit_in_bytes', LIMIT);
    // Swap accounting (memsw) exists only when the kernel has it on; then swap counts against the limit too.
    if (existsSync(join(this.path, 'memory.memsw.limit_in_bytes'))) this.write('memory.memsw.limit_in_bytes', LIMIT);
  }
  write(file: string, value: number): void {
    writeFileSync(join(this.path, file), String(value));
  }
  read(file: string): string {
    return readFileSync(join(this.path, file), 'utf8');
  }
  num(file: string): number {
    return Number(this.read(file).trim());
  }
  stat(): Record<string, number> {
    return Object.fromEntries(this.read('memory.stat').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));
  }
  pids(): number[] {
    return this.read('cgroup.procs').split('\n').filter(Boolean).map(Number);
  }
  usage(): Usage {
    const oom = Object.fromEntries(this.read('memory.oom_control').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));
    return {
      maxUsage: this.num('memory.max_usage_in_bytes'),
      ...(existsSync(join(this.path, 'memory.memsw.max_usage_in_bytes')) ? { maxMemsw: this.num('memory.memsw.max_usage_in_bytes') } : {}),
      failcnt: this.num('memory.failcnt'),
      ...(oom['oom_kill'] !== undefined ? { oomKill: oom['oom_kill'] } : {}),
      underOom: oom['under_oom'] ?? 0,
    };
  }
  /** Kills what is left in the group (by pid), keeps its numbers, then removes it once it is empty. */
  async remove(): Promise<void> {
    for (let i = 0; existsSync(this.path); i++) {
      if (i >= 100) throw new Error(`cannot remove ${this.path}: ${this.pids().length} process(es) will not die`);
      const left = this.pids();
      for (const pid of left) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      if (left.length === 0) {
        this.last = this.usage();
        try {
          rmdirSync(this.path);
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        }
      }
      await sleep(50);
    }
  }
}

interface Proc { readonly cmd: string; readonly anonKb: number }

interface Served {
  readonly results: InvocationResult[] | string;
  /** How the first process ended before the test stopped it, if it did. */
  readonly early?: string;
  /** How the stop went: the first process ended by SIGTERM, or the test killed what was left. */
  readonly stop: string;
  readonly usage: Usage;
  /** The group's anonymous memory (memory.stat rss) every 25 ms: when (epoch ms), how much. */
  readonly rss: { readonly at: number; readonly bytes: number }[];
  /** Every process seen in the group while it served, with its highest RssAnon. */
  readonly procs: Proc[];
  /** What it wrote until the last answer (before the stop). */
  readonly output: string;
  readonly logs: Record<string, any>[];
  readonly ms: number;
}

/** A /proc file of a process, or undefined when it is gone. */
function procRead(pid: number, file: string): string | undefined {
  try { return readFileSync(`/proc/${pid}/${file}`, 'utf8'); } catch { return undefined; }
}

/** Starts argv in a fresh 128 MiB group behind the emulator, serves every event, stops it, removes the group. */
async function serve(name: string, argv: string[], events: unknown[]): Promise<Served> {
  const group = new Group(name);
  t.teardown(() => group.remove());
  const emulator = await startEmulator({ events, taskRoot: task, handler: 'handler.handler', timeoutMs: 30_000 });
  t.teardown(() => emulator.close());
  const env: NodeJS.ProcessEnv = { ...emulator.env(), LAMBDA_TASK_ROOT: task, AWS_LAMBDA_LOG_FORMAT: 'JSON', HOME: '/tmp' };

  const started = Date.now();
  // The shell joins the group, then becomes the command: everything it starts is charged there.
  // Through env -u: tap puts its own loader in NODE_OPTIONS of every process a test spawns, and the
  // function must get only what Lambda gives it (and be measured without tap's hooks).
  const child: ChildProcess = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', '/bin/sh', '-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', join(group.path, 'cgroup.procs'), ...argv], {
    cwd: task, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  let exit: string | undefined;
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(exit = signal ?? `exit ${code}`)));

  // While it serves: the group's anonymous memory, and each of its processes'.
  const rss: { at: number; bytes: number }[] = [];
  const procs = new Map<number, Proc>();
  const sample = (): void => {
    try { rss.push({ at: Date.now(), bytes: group.stat()['rss'] ?? 0 }); } catch { /* removed */ }
    let pids: number[] = [];
    try { pids = group.pids(); } catch { /* removed */ }
    for (const pid of pids) {
      const anon = /^RssAnon:\s+(\d+)/m.exec(procRead(pid, 'status') ?? '');
      if (!anon) continue;
      // Its latest command line: a launcher execs the handler, the simulator execs the bootstrap.
      const cmd = (procRead(pid, 'cmdline') ?? '').split('\0').filter(Boolean).map((a) => a.split('/').pop()).join(' ');
      const p = procs.get(pid) ?? { cmd: '', anonKb: 0 };
      procs.set(pid, { cmd: cmd ? `${pid} ${cmd}`.slice(0, 80) : p.cmd, anonKb: Math.max(p.anonKb, Number(anon[1])) });
    }
  };
  const sampler = setInterval(sample, 25);

  const results = await emulator.resultsBy(exited, 90_000);
  const ms = Date.now() - started;
  clearInterval(sampler);
  sample();
  const early = exit;
  const served = output;
  // The stop: SIGTERM to the first process (the bootstrap, or the bare runtime); what is left after
  // 2 s is killed by pid, and the group removed once empty.
  if (exit === undefined) {
    try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ }
  }
  let stop = await Promise.race([exited.then((how) => `ended by ${how}`), sleep(2000).then(() => 'still running 2 s after SIGTERM')]);
  await sleep(100);
  const left = group.pids().length;
  if (left) stop += `; ${left} process(es) left in the group, killed`;
  await group.remove();
  await emulator.close();
  return { results, ...(early !== undefined ? { early } : {}), stop, usage: group.last!, rss, procs: [...procs.values()], output: served, logs: parseLogs(served), ms };
}

const parseLogs = (output: string): Record<string, any>[] =>
  output.split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });

const body = (r: InvocationResult): any => { try { return JSON.parse(r.body?.toString() ?? 'null'); } catch { return undefined; } };

interface Case {
  readonly name: string;
  readonly what: string;
  readonly argv: () => string[];
  /** The tier the bootstrap's init log names; none for the bare runtime. */
  readonly tier?: string;
}
const cases: Case[] = [
  { name: 'baseline', what: 'aws-lambda-ric alone', argv: () => [nodePath, ric] },
  { name: 'kernel', what: 'syscage bootstrap, kernel tier', argv: () => [nodePath, ...BOOTSTRAP_NODE_FLAGS, entry, 'bootstrap'], tier: 'kernel' },
  {
    name: 'runtime', what: 'syscage bootstrap under the platform simulator (nnp0), runtime tier',
    argv: () => [process.execPath, simulate, '--variant', 'nnp0', '--', nodePath, ...BOOTSTRAP_NODE_FLAGS, entry, 'bootstrap'], tier: 'runtime',
  },
];

/** What each case used, for the ratios to the baseline. */
const seen = new Map<string, { maxUsage: number; peakRss: number }>();

for (const c of cases) {
  t.test(`${c.name}: ${c.what}, ${INVOCATIONS} invocations in ${MiB(LIMIT)}`, { skip }, async (t) => {
    const events = Array.from({ length: INVOCATIONS }, (_, n) => ({ n }));
    const s = await serve(c.name, c.argv(), events);
    const diag = { output: s.output.slice(-4000), usage: s.usage, stop: s.stop };
    if (typeof s.results === 'string') {
      t.fail(s.results, diag);
      return;
    }
    if (c.tier) {
      const init = s.logs.find((l) => /^syscage: tier /.test(l.message ?? ''));
      t.equal(init?.tier, c.tier, `the init log names the tier: ${init?.message}`, diag);
    }
    t.equal(s.results.length, INVOCATIONS, 'every invocation has a result', diag);
    const wrong = s.results
      .map((r, n) => (r.status === 'response' && body(r)?.echo?.n === n ? undefined : { n, status: r.status, body: r.body?.toString(), error: r.error }))
      .filter(Boolean);
    t.same(wrong.slice(0, 5), [], `each answered with its own event, in order (${wrong.length} not)`, diag);

    // Nothing was killed while it served: the first process still ran when the last answer came,
    // the bootstrap never had to restart its handler (it logs each restart, with how the handler
    // ended), and the kernel's OOM killer never fired in the group.
    t.equal(s.early, undefined, 'it was still running when the last answer came', diag);
    if (c.tier) {
      const restarts = s.logs.filter((l) => /restarting the handler/.test(l.message ?? '')).map((l) => l.message);
      t.same(restarts, [], 'the handler was never restarted', diag);
      // Lambda's shutdown: the handler gets SIGTERM too, and the bootstrap ends rather than restart it.
      t.match(s.stop, /^ended by exit 0$/, 'SIGTERM ends the bootstrap (status 0), its handler with it', diag);
    }
    if (s.usage.oomKill !== undefined) t.equal(s.usage.oomKill, 0, 'memory.oom_control: oom_kill 0', diag);
    else t.equal(s.usage.underOom, 0, 'memory.oom_control: under_oom 0 (this kernel does not count oom_kill)', diag);
    // failcnt counts each time a charge met the limit, reclaimed or not: 0 is "never got there".
    t.equal(s.usage.failcnt, 0, `memory.failcnt 0: it never reached ${MiB(LIMIT)} (peak ${MiB(s.usage.maxUsage)})`, diag);

    // Anonymous memory before the first invocation was handed out (init: for syscage, its tier probes
    // and the handler's start) and after (serving).
    const first = s.results[0]?.handedOutAt ?? Infinity;
    const peak = (from: number, to: number): number => Math.max(0, ...s.rss.filter((r) => r.at >= from && r.at < to).map((r) => r.bytes));
    const peakRss = peak(0, Infinity);
    seen.set(c.name, { maxUsage: s.usage.maxUsage, peakRss });
    const b = seen.get('baseline');
    const ratio = (k: 'maxUsage' | 'peakRss', v: number): string => (b && c.name !== 'baseline' ? ` = ${(v / b[k]).toFixed(2)}× the baseline` : '');
    t.comment(`${c.name}: ${INVOCATIONS} invocations in ${(s.ms / 1000).toFixed(1)} s (from the start of the process); `
      + `memory.max_usage_in_bytes ${s.usage.maxUsage} (${MiB(s.usage.maxUsage)}${ratio('maxUsage', s.usage.maxUsage)}), `
      + `peak rss ${MiB(peakRss)}${ratio('peakRss', peakRss)} (init ${MiB(peak(0, first))}, serving ${MiB(peak(first, Infinity))}); `
      + `failcnt ${s.usage.failcnt}, oom_kill ${s.usage.oomKill ?? 'not counted'}, under_oom ${s.usage.underOom}`
      + `${s.usage.maxMemsw !== undefined ? `, memsw.max_usage ${MiB(s.usage.maxMemsw)}` : ''}`);
    t.comment(`${c.name}: processes (peak RssAnon): ${s.procs.map((p) => `${p.cmd} ${MiB(p.anonKb * 1024)}`).join('; ')}`);
    t.comment(`${c.name}: stop: ${s.stop}`);
  });
}
