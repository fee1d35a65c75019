// Egress by hostname in the kernel tier: what a lookup and a connect to a named host cost under a
// host rule ("allowed.test:8443": syscage's resolver in the path, lib/dns), against the same
// program under an address rule ("192.0.2.10:8443": lookups go straight to the name server) and
// natively — in the same run, inside a DNS world (test/helpers/dns-world/world.mjs: its own
// network and mount namespaces, a logging name server on 127.0.0.53:53, a listener on
// 192.0.2.10:8443, resolv.conf bind-mounted).
//
//   workload  egressloop (bench/workloads/egressloop.c), N iterations, each timed by the program
//             itself (CLOCK_MONOTONIC), a GAP_US pause before each (not timed):
//               lookup  getaddrinfo("allowed.test", "8443")
//               name    getaddrinfo, then socket + connect + close to its address
//               addr    socket + connect + close to the literal 192.0.2.10:8443 (one untimed
//                       getaddrinfo before the loop: under the host rule it binds the address)
//   modes     native; `syscage run` with the address rule; `syscage run` with the host rule
//
// One world per round; every (mode, variant) pair runs once a round, the order rotated each
// round; each run's first iteration is left out. p50 and p99 are over every iteration of every
// round; the ratios are the same run's, and per round (median [min–max]) for the main ones.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand } from '../lib/launch/index.js';
import { packageRoot } from '../lib/paths.js';
import { median, quantile, spread, table, type Spread } from './stats.js';

export interface EgressBenchOptions {
  /** Iterations of egressloop per run. */
  readonly iterations: number;
  /** Rounds: one DNS world each, every (mode, variant) run once in it. */
  readonly rounds: number;
  /** Pause before each iteration (µs, not timed): the world's listener, a Node process, must keep up. */
  readonly gapUs: number;
  readonly log?: (line: string) => void;
}

export const EGRESS_DEFAULT_OPTIONS: EgressBenchOptions = { iterations: 1000, rounds: 5, gapUs: 200 };
export const EGRESS_QUICK_OPTIONS: EgressBenchOptions = { iterations: 400, rounds: 2, gapUs: 200 };

export type EgressMode = 'native' | 'address' | 'host';
export const EGRESS_MODES: readonly EgressMode[] = ['native', 'address', 'host'];
export type EgressVariant = 'lookup' | 'name' | 'addr';
const VARIANTS: readonly EgressVariant[] = ['lookup', 'name', 'addr'];

/** What a row times. */
export type EgressOp = 'lookup' | 'named connect' | 'named: its lookup' | 'named: its connection' | 'literal connect';
const OPS: readonly { op: EgressOp; variant: EgressVariant; label: string; value: (l: number, c: number) => number }[] = [
  { op: 'lookup', variant: 'lookup', label: 'lookup: getaddrinfo("allowed.test")', value: (l) => l },
  { op: 'named connect', variant: 'name', label: 'connect to a named host: getaddrinfo + connection', value: (l, c) => l + c },
  { op: 'named: its lookup', variant: 'name', label: '  of which the getaddrinfo', value: (l) => l },
  { op: 'named: its connection', variant: 'name', label: '  of which the connection', value: (_l, c) => c },
  { op: 'literal connect', variant: 'addr', label: 'connection to 192.0.2.10:8443 (no lookup)', value: (_l, c) => c },
];

const MODE_LABEL: Record<EgressMode, string> = {
  native: 'native',
  address: 'address rule',
  host: 'host rule',
};

const HOST = 'allowed.test';
const ADDRESS = '192.0.2.10';
const PORT = 8443;
const NAMESERVER = '127.0.0.53';
/** glibc tries nscd's socket first (and again every 100 lookups after a failure): both profiles let it fail as it does natively (ENOENT) rather than be refused and reported. */
const NSCD = ['unix:/var/run/nscd/socket', 'unix:/run/nscd/socket'];
const PROFILES: Record<Exclude<EgressMode, 'native'>, readonly string[]> = {
  address: [`${ADDRESS}:${PORT}`, `${NAMESERVER}:53`, ...NSCD],
  host: [`${HOST}:${PORT}`, ...NSCD],
};

export interface EgressRow {
  readonly op: EgressOp;
  readonly mode: EgressMode;
  /** Iterations timed (each run's first left out). */
  readonly n: number;
  /** µs. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** p50 of each round's iterations (µs), in round order. */
  readonly p50ByRound: readonly number[];
}

export interface EgressRunNote {
  readonly mode: EgressMode;
  readonly variant: EgressVariant;
  /** From syscage's last line (syscage modes): checked calls and denials per run, the tier. */
  readonly checked?: Spread;
  readonly denied?: number;
  readonly tier?: string;
  /** Why a run failed, if one did (the pair is then left out of the table). */
  readonly failed?: string;
}

export interface EgressResults {
  readonly options: Omit<EgressBenchOptions, 'log'>;
  /** Set when the section could not run here, and why. */
  readonly skipped?: string;
  readonly rows: readonly EgressRow[];
  readonly runs: readonly EgressRunNote[];
  /** Questions the world's name server received, and the lookups the runs made (A + AAAA each expected). */
  readonly questions?: { readonly received: number; readonly lookups: number };
  /** Iterations slower than 0.5 s (a SYN retransmitted after 1 s: the listener's accept queue overflowed). */
  readonly stalls: number;
  /** Rounds whose world ran to its end, and why the next one did not (the rounds after it are not run). */
  readonly roundsRun: number;
  readonly worldFailed?: string;
  readonly seconds: number;
}


/** Why the world cannot run here, or undefined. */
function worldUnavailable(script: string): string | undefined {
  if (process.platform !== 'linux') return 'n/a (Linux only)';
  if (process.getuid?.() !== 0) return 'skipped: the DNS world needs root (unshare --net --mount, ip, mount)';
  if (!existsSync(script)) return `skipped: the DNS world is not in this checkout (${script})`;
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.stderr?.trim().split('\n').pop() || `exit status ${r.status}`);
    return `skipped: unshare --net --mount is not possible here (it needs root and the ip command): ${why}`;
  }
  return undefined;
}

/** egressloop, built with gcc -O2 into bench/out/ (again only when its source is newer), or why not. */
function buildWorkload(root: string): { bin: string } | { missing: string } {
  const src = join(root, 'bench', 'workloads', 'egressloop.c');
  const bin = join(root, 'bench', 'out', 'egressloop');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return { bin };
  const find = (name: string): string | undefined => {
    const r = resolveCommand(name);
    return 'path' in r ? r.path : undefined;
  };
  const gcc = find('gcc') ?? find('cc');
  if (!gcc) return { missing: 'n/a (no gcc)' };
  mkdirSync(join(root, 'bench', 'out'), { recursive: true });
  const r = spawnSync(gcc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) return { missing: `n/a (gcc failed on egressloop.c: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]})` };
  return { bin };
}

interface WorldStepResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut?: boolean; error?: string }
interface WorldOutput { steps: WorldStepResult[]; queries: unknown[]; accepted: unknown[] }

/** Run one world (config → its JSON), or say why it failed. */
function runWorld(script: string, config: object, dir: string, timeoutMs: number): WorldOutput | { failed: string } {
  const file = join(dir, 'world.json');
  writeFileSync(file, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', process.execPath, script, file], {
    encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim().split('\n').pop() || `status ${r.status}, signal ${r.signal}`);
    return { failed: `the DNS world failed: ${why}` };
  }
  return JSON.parse(r.stdout) as WorldOutput;
}

const failure = (s: WorldStepResult): string =>
  `failed (${s.error ?? (s.timedOut ? 'timed out' : s.signal ? `signal ${s.signal}` : `exit ${s.code}`)}: ${s.stderr.trim().split('\n').pop()?.slice(0, 160) ?? ''})`;

/** "syscage: 4021 checked calls: 0 denied, 0 killed, …, tier kernel" */
const summaryOf = (stderr: string): { checked?: number; denied?: number; tier?: string } => {
  const m = /syscage: (\d+) checked calls: (\d+) denied.*?(?:tier (\S+))?\s*$/m.exec(stderr);
  return m ? { checked: Number(m[1]), denied: Number(m[2]), tier: m[3] } : {};
};

/** egressloop's lines → [lookup µs, connection µs] per iteration, the first left out. */
function parseTimes(stdout: string): [number, number][] {
  return stdout.trim().split('\n').slice(1).map((line) => {
    const [l, c] = line.split(' ');
    return [l === '-' ? NaN : Number(l) / 1e3, c === '-' ? NaN : Number(c) / 1e3];
  });
}

export function benchEgress(o: EgressBenchOptions = EGRESS_DEFAULT_OPTIONS): EgressResults {
  const t0 = Date.now();
  const root = packageRoot();
  const { log: _log, ...options } = o;
  const empty = (skipped: string): EgressResults => ({ options, skipped, rows: [], runs: [], stalls: 0, roundsRun: 0, seconds: (Date.now() - t0) / 1000 });
  const script = join(root, 'test', 'helpers', 'dns-world', 'world.mjs');
  const why = worldUnavailable(script);
  if (why) return empty(why);
  const built = buildWorkload(root);
  if ('missing' in built) return empty(built.missing);

  const dir = mkdtempSync(join(tmpdir(), 'syscage-bench-egress-'));
  try {
    const profile = (mode: Exclude<EgressMode, 'native'>): string => {
      const file = join(dir, `${mode}.yaml`);
      writeFileSync(file, [
        'version: 1', `name: bench-egress-${mode}`, 'default: allow', 'network:', '  connect:',
        ...PROFILES[mode].map((r) => `    - "${r}"`), '',
      ].join('\n'));
      return file;
    };
    const profiles = { address: profile('address'), host: profile('host') };
    const work = (variant: EgressVariant, n: number): string[] => [built.bin, variant, String(n), HOST, String(PORT), ADDRESS, String(o.gapUs)];
    const argv = (mode: EgressMode, variant: EgressVariant): string[] => mode === 'native'
      ? work(variant, o.iterations + 1)
      : [process.execPath, join(root, 'bin', 'syscage'), 'run', '--profile', profiles[mode], '--', ...work(variant, o.iterations + 1)];
    const pairs = EGRESS_MODES.flatMap((mode) => VARIANTS.map((variant) => ({ mode, variant })));
    const key = (mode: EgressMode, variant: EgressVariant) => `${mode}/${variant}`;

    // times[pair][round] = per-iteration [lookup, connection] µs
    const times = new Map<string, [number, number][][]>(pairs.map((p) => [key(p.mode, p.variant), []]));
    const checked = new Map<string, number[]>();
    const denied = new Map<string, number>();
    const tiers = new Map<string, string>();
    const failed = new Map<string, string>();
    let received = 0;
    let lookups = 0;
    let worldFailed: string | undefined;
    let roundsRun = 0;
    const warmUp = 20;
    const perRunMs = 5_000 + o.iterations * (o.gapUs / 1000 + 20);
    for (let round = 0; round < o.rounds; round++) {
      const order = pairs.map((_, j) => pairs[(round + j) % pairs.length]!);
      const config = {
        zone: { [HOST]: { ttl: 5, A: [ADDRESS] } },
        listeners: [`${ADDRESS}:${PORT}`],
        // A short native run first, not counted: the world's name server and listener warm up.
        steps: [{ run: work('name', warmUp), timeoutMs: 30_000 }, ...order.map((p) => ({ run: argv(p.mode, p.variant), timeoutMs: perRunMs }))],
      };
      const world = runWorld(script, config, dir, perRunMs * order.length + 60_000);
      if ('failed' in world) {
        // Keep the rounds that ran; without any, every pair says why.
        worldFailed = `round ${round + 1}: ${world.failed}`;
        if (round === 0) for (const p of pairs) failed.set(key(p.mode, p.variant), world.failed);
        break;
      }
      received += world.queries.length;
      lookups += warmUp;
      order.forEach((p, j) => {
        const k = key(p.mode, p.variant);
        const s = world.steps[j + 1]!;
        lookups += p.variant === 'addr' ? 1 : o.iterations + 1;
        if (s.code !== 0) {
          failed.set(k, failure(s));
          return;
        }
        times.get(k)!.push(parseTimes(s.stdout));
        if (p.mode !== 'native') {
          const sum = summaryOf(s.stderr);
          if (sum.checked !== undefined) checked.set(k, [...(checked.get(k) ?? []), sum.checked]);
          if (sum.denied !== undefined) denied.set(k, (denied.get(k) ?? 0) + sum.denied);
          if (sum.tier !== undefined) tiers.set(k, sum.tier);
        }
      });
      roundsRun++;
      o.log?.(`  egress: round ${round + 1}/${o.rounds}`);
    }

    let stalls = 0;
    const rows: EgressRow[] = [];
    for (const { op, variant, value } of OPS) {
      for (const mode of EGRESS_MODES) {
        const k = key(mode, variant);
        if (failed.has(k)) continue;
        const byRound = times.get(k)!.map((run) => run.map(([l, c]) => value(l, c)));
        const all = byRound.flat();
        if (all.length === 0) continue;
        if (op !== 'named: its lookup' && op !== 'named: its connection') stalls += all.filter((x) => x > 500_000).length;
        rows.push({ op, mode, n: all.length, p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: Math.max(...all), p50ByRound: byRound.map((xs) => quantile(xs, 0.5)) });
      }
    }
    const runs: EgressRunNote[] = pairs.map(({ mode, variant }) => {
      const k = key(mode, variant);
      const c = checked.get(k);
      return {
        mode, variant,
        ...(c?.length ? { checked: spread(c) } : {}),
        ...(denied.has(k) ? { denied: denied.get(k) } : {}),
        ...(tiers.has(k) ? { tier: tiers.get(k) } : {}),
        ...(failed.has(k) ? { failed: failed.get(k) } : {}),
      };
    });
    return {
      options, rows, runs, questions: { received, lookups }, stalls, roundsRun,
      ...(worldFailed ? { worldFailed } : {}), seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (r: EgressResults, op: EgressOp, mode: EgressMode): EgressRow | undefined => r.rows.find((x) => x.op === op && x.mode === mode);
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
/** a ÷ b round by round: median [min–max]. */
const perRound = (a: EgressRow, b: EgressRow): string => {
  const rs = a.p50ByRound.map((x, i) => x / (b.p50ByRound[i] ?? NaN)).filter(Number.isFinite);
  return rs.length ? `${median(rs).toFixed(2)}× [${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}]` : '—';
};
const signed = (x: number, d: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;

export function renderEgress(r: EgressResults): string {
  const o = r.options;
  const out: string[] = [];
  out.push(`## Egress by hostname (kernel tier): a lookup and a connect to a named host, host rule against address rule\n`);
  if (r.skipped) {
    out.push(r.skipped);
    return out.join('\n');
  }
  out.push('Inside a DNS world (test/helpers/dns-world: own network and mount namespaces, a Node name server on 127.0.0.53 that logs every question, ' +
    `a listener on ${ADDRESS}:${PORT}), bench/workloads/egressloop.c times each of its ${o.iterations} iterations itself (CLOCK_MONOTONIC; ` +
    `a ${o.gapUs} µs pause before each, not timed; the first left out): getaddrinfo("${HOST}", AF_UNSPEC: an A and an AAAA question); ` +
    'getaddrinfo then a connection to its address; or a connection to the literal address (one untimed lookup before the loop). ' +
    'A connection is socket + connect + close (RST). Modes: native; `syscage run` with `network.connect: ' +
    `["${ADDRESS}:${PORT}", "${NAMESERVER}:53"]\` (address rule: lookups go straight to the name server; its connects are checked all the same); ` +
    `\`syscage run\` with \`["${HOST}:${PORT}"]\` (host rule: syscage's resolver answers, forwards allowed names, binds their addresses). ` +
    `p50 and p99 over all iterations of ${r.roundsRun} rounds (a world each, every mode × workload once, order rotated); ratios from this run only.\n`);
  const body: string[][] = [];
  for (const { op, label } of OPS) {
    const native = row(r, op, 'native');
    const address = row(r, op, 'address');
    for (const mode of EGRESS_MODES) {
      const x = row(r, op, mode);
      const note = r.runs.find((n) => n.mode === mode && n.variant === OPS.find((e) => e.op === op)!.variant);
      if (!x) {
        body.push([mode === 'native' ? label : '', MODE_LABEL[mode], note?.failed ?? 'n/a', '', '', '', '', '', '']);
        continue;
      }
      body.push([mode === 'native' ? label : '', MODE_LABEL[mode], String(x.n), x.p50.toFixed(1), x.p99.toFixed(1),
        mode === 'native' ? '—' : ratio(x.p50, native?.p50), mode === 'native' ? '—' : ratio(x.p99, native?.p99),
        mode === 'host' ? ratio(x.p50, address?.p50) : '—', mode === 'host' ? ratio(x.p99, address?.p99) : '—']);
    }
  }
  out.push(table(['operation', 'mode', 'n', 'p50 µs', 'p99 µs', 'p50 × native', 'p99 × native', 'p50 × address rule', 'p99 × address rule'], body));

  const lines: string[] = [];
  const nh = row(r, 'named connect', 'host');
  const na = row(r, 'named connect', 'address');
  if (nh && na) {
    lines.push(`Naming hosts: a connect to ${HOST}:${PORT} by name (getaddrinfo + connection) takes ${nh.p50.toFixed(0)} µs at p50 under the host rule, ` +
      `${(nh.p50 / na.p50).toFixed(2)}× the same program under the address rule (${signed(nh.p50 - na.p50, 0)} µs; per round ${perRound(nh, na)}), ` +
      `${(nh.p99 / na.p99).toFixed(2)}× at p99 (${signed(nh.p99 - na.p99, 0)} µs).`);
  }
  const lh = row(r, 'lookup', 'host');
  const la = row(r, 'lookup', 'address');
  const ln = row(r, 'lookup', 'native');
  if (lh && la) {
    lines.push(`syscage's resolver: a lookup through it takes ${lh.p50.toFixed(0)} µs at p50 against ${la.p50.toFixed(0)} µs straight to the name server ` +
      `(both traced): ${signed(lh.p50 - la.p50, 0)} µs, ${(lh.p50 / la.p50).toFixed(2)}× (per round ${perRound(lh, la)}); p99 ${signed(lh.p99 - la.p99, 0)} µs` +
      `${ln ? `; native ${ln.p50.toFixed(0)} µs` : ''}.`);
  }
  const ch = row(r, 'named: its connection', 'host');
  const ca = row(r, 'named: its connection', 'address');
  const th = row(r, 'literal connect', 'host');
  const ta = row(r, 'literal connect', 'address');
  if (ch && ca) {
    lines.push(`The connect check through a binding: the connection after a lookup takes ${ch.p50.toFixed(0)} µs at p50 under the host rule against ` +
      `${ca.p50.toFixed(0)} µs under the address rule (per round ${perRound(ch, ca)})` +
      `${th && ta ? `; to the literal address, bound once, ${th.p50.toFixed(0)} against ${ta.p50.toFixed(0)} µs (per round ${perRound(th, ta)})` : ''}.`);
  }
  const traced = r.runs.filter((n) => n.mode !== 'native' && !n.failed);
  if (traced.length) {
    const denials = traced.reduce((s, n) => s + (n.denied ?? 0), 0);
    const tierSet = [...new Set(traced.map((n) => n.tier ?? '?'))];
    lines.push(`syscage's checked calls per run: ${traced.map((n) => `${MODE_LABEL[n.mode]} ${n.variant} ${n.checked ? n.checked.median : '?'}`).join(', ')}; ` +
      `${denials} denied in all; tier ${tierSet.join(', ')}.`);
  }
  for (const n of r.runs.filter((x) => x.failed)) lines.push(`${MODE_LABEL[n.mode]} ${n.variant}: ${n.failed}`);
  if (r.questions && r.questions.lookups > 0) {
    lines.push(`The name server received ${r.questions.received} questions for ${r.questions.lookups} lookups ` +
      `(${(r.questions.received / r.questions.lookups).toFixed(2)} per lookup; 2 expected: A and AAAA, none cached on the way).`);
  }
  if (r.worldFailed) lines.push(`Only ${r.roundsRun} of ${o.rounds} rounds ran: ${r.worldFailed}`);
  if (r.stalls) lines.push(`${r.stalls} iteration(s) took over 0.5 s: a SYN retransmitted after 1 s (the listener's accept queue overflowed: raise the gap).`);
  out.push('\n' + lines.join('\n'));
  out.push(`\n(egress benchmark took ${r.seconds.toFixed(0)} s)`);
  return out.join('\n');
}
