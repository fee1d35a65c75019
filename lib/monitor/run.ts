// Running a command in the runtime tier: started as a plain child, watched by
// the process monitor (monitor.ts) until it ends. The counterpart of
// lib/trace/supervisor.ts's supervise() for a platform that refuses seccomp
// filters and ptrace; the outcome has the same shape, so the bootstrap and
// `syscage run` treat both alike.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import type { Reported } from '../audit/index.js';
import { resolveCommand } from '../launch/resolve.js';
import type { Profile } from '../profile/types.js';
import { compileMatchers } from '../trace/decide/index.js';
import { LaunchError } from '../trace/supervisor.js';
import type { SharedText } from '../trace/shared-text.js';
import { Monitor, type Offender, type ProcReader } from './monitor.js';
import { formatDestination, type Finding } from './policy.js';
import { reportFinding } from './seatbelt.js';
import { procfs } from './procfs.js';
import { faultPoint } from '../fault.js';
import { atLastWords } from '../last-words.js';
import type { SeatbeltRuntime } from '../seatbelt/command.js';
import { readChannel } from '../seatbelt/channel.js';
import { CHANNEL_FD } from '../seatbelt/types.js';
import { Bindings } from '../dns/bindings.js';
import { readResolvConf } from '../dns/resolv-conf.js';
import { parseIP } from '../profile/address.js';
import { normaliseHost } from '../profile/host.js';

const EACCES = 13;

/** How often the monitor looks (ms): the bound on how long a refused act goes on before its kill. */
export const POLL_MS = 10;
/**
 * How often it looks while the command idles (the Lambda bootstrap: no invocation in flight, when
 * Lambda freezes the sandbox anyway): a poll costs a walk of every descriptor of every process.
 */
export const IDLE_POLL_MS = 200;

export interface WatchOptions {
  readonly profile: Profile;
  readonly command: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Report, never kill (also when the profile says mode: audit). */
  readonly audit?: boolean;
  /** Destinations always reachable ("127.0.0.1:PORT": the Runtime API proxy). */
  readonly alwaysConnect?: readonly string[];
  /** The Lambda request id being served: every event names it. */
  readonly requestId?: SharedText;
  /** Called for every finding, before its kill. */
  readonly onReport?: (v: Reported, time: number, requestId?: string) => void;
  /** Signals to pass on to the command (default SIGINT, SIGTERM, SIGHUP). */
  readonly forward?: readonly NodeJS.Signals[];
  readonly pollMs?: number;
  /** True while the command idles (no invocation in flight): polls every IDLE_POLL_MS only. */
  readonly idle?: () => boolean;
  /**
   * Hands over a function that ends an idle spell (the bootstrap calls it when an invocation
   * starts: the next poll within POLL_MS); undefined again when the run is over.
   */
  readonly onWake?: (wake: (() => void) | undefined) => void;
  /** /proc (tests may give another reader). */
  readonly proc?: ProcReader;
  /** The command is running (its pid). */
  readonly onStart?: (pid: number) => void;
  /** What the platform refused the monitor itself, one sentence each (it runs on, weaker). */
  readonly onNote?: (text: string) => void;
  /**
   * The command runs under its seatbelt (lib/seatbelt: command and env already rewritten): give it
   * the report channel on descriptor 3, and report and act on each refusal it sends.
   */
  readonly seatbelt?: SeatbeltRuntime;
  /** Files of syscage's own the command may hold open (its seatbelt's): never a finding. */
  readonly own?: readonly string[];
}

export interface WatchOutcome {
  readonly code?: number;
  readonly signal?: number;
  /** The finding for which the monitor ended the command. */
  readonly policyKill?: Reported;
  readonly counts: Readonly<Record<string, number>>;
  readonly launched: boolean;
}

/** A finding as the audit log reports it: the act where a syscall would be, the process killed. */
export function findingReport(f: Finding, who: Offender, enforced: boolean, killed = true): Reported {
  if (f.seatbelt) {
    // Refused inside the process, before the act: a deny (EACCES, as the seatbelts raise), a kill under violation: kill.
    return {
      trap: { tid: who.pid, syscall: f.act },
      tracee: who,
      enforced,
      decision: killed
        ? { action: 'kill', rule: f.rule, reason: f.reason, detail: f.detail }
        : { action: 'deny', errno: EACCES, rule: f.rule, reason: f.reason, detail: f.detail },
    };
  }
  return {
    trap: { tid: who.pid, syscall: f.act },
    tracee: who,
    enforced,
    decision: { action: 'kill', rule: f.rule, reason: `${f.reason} (seen by the process monitor, after the fact)`, detail: f.detail },
  };
}

type Native = typeof import('../native/index.js');
/** Polls between two reapings of orphans. */
const REAP_EVERY = 20;
/** The watcher's own set-up: the native layer (to reap orphans), and what could not be done. */
interface Setup {
  readonly native?: Native;
  /** What the platform refused, in a sentence each: the run goes on, weaker, and says so. */
  readonly weaker: readonly string[];
}
let setup: Promise<Setup> | undefined;

/**
 * Keep orphans in view: as a child subreaper, this process (not init) inherits a process whose
 * parent ends, so a daemon the command leaves behind stays in the watched tree. And keep the
 * command (same user) out of this process's memory and /proc: non-dumpable, as the tracer makes
 * itself. Both once per process.
 */
function watcherSetup(): Promise<Setup> {
  return (setup ??= import('../native/index.js').then((n) => {
    const weaker: string[] = [];
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        weaker.push(`${what} (${(e as Error).message})`);
      }
    };
    attempt('the monitor cannot make itself non-dumpable: the command may read its memory and /proc', () => n.setNotDumpable());
    attempt('the monitor cannot be a child subreaper: a process the command orphans goes to init, out of view', () => n.prctl(n.PR_SET_CHILD_SUBREAPER, 1));
    return { native: n, weaker };
  }, (e: Error) => ({ weaker: [`the native layer does not load (${e.message}): the monitor is neither a child subreaper nor non-dumpable, so orphans leave its view`] })));
}

/** Reap the orphans that ended as children of this process (child_process reaps only its own). */
function reapOrphans(native: Native | undefined, proc: ProcReader, own: number): void {
  if (!native) return;
  for (const pid of proc.descendants(process.pid)) {
    if (pid === process.pid || pid === own || proc.stat(pid)?.ppid !== process.pid) continue;
    try {
      native.waitFor(pid, native.WNOHANG);
    } catch { /* not ours to reap, or gone */ }
  }
}

/** This process and what runs below it now, pid → start time. */
function beforeMap(proc: ProcReader): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of proc.descendants(process.pid)) {
    const st = proc.stat(pid);
    if (st) out.set(pid, st.start);
  }
  return out;
}

/** What this process's descriptors 0-2 lead to: the command inherits them (never a finding). */
export const stdioTargets = (): Set<string> => {
  const out = new Set<string>();
  for (const fd of [0, 1, 2]) {
    try {
      out.add(readlinkSync(`/proc/self/fd/${fd}`));
    } catch { /* closed */ }
  }
  return out;
};

/**
 * The destinations the monitor never holds against the command: the caller's (the Runtime API
 * proxy), and, where host rules are checked by name, the system's name servers on port 53 — the
 * seatbelt lets an allowed name be looked up, and glibc's lookup connects a UDP (or TCP) socket to
 * a name server for the while it takes: seen by a poll, it was killed as a connection no rule
 * allows. (A lookup's queries go out in this tier whatever the monitor does: docs/security.md.)
 */
export function alwaysReachable(always: readonly string[], nameservers: readonly string[]): Set<string> {
  return new Set([...always, ...nameservers.map((ip) => formatDestination(ip.includes(':') ? 6 : 4, ip, 53))]);
}

export async function watchCommand(o: WatchOptions): Promise<WatchOutcome> {
  const [cmd, ...rest] = o.command;
  if (cmd === undefined) throw new LaunchError('no command given', 127);
  const env = o.env ?? process.env;
  const resolved = resolveCommand(cmd, env);
  if ('status' in resolved) throw new LaunchError(resolved.message, resolved.status);
  const proc = o.proc ?? procfs;
  const matchers = compileMatchers(o.profile);
  const audit = !!o.audit || matchers.audit;
  // Host rules: the seatbelt's lookups bind names to addresses. Without a seatbelt nothing does,
  // and the monitor holds a host rule to its ports (the run's init note says so).
  const bindings = o.seatbelt && matchers.network?.connect.namesHosts ? new Bindings() : undefined;
  const { native, weaker } = await watcherSetup();
  for (const w of weaker) o.onNote?.(w);

  // What runs already is not the command's (by pid and start time: a reused pid is the command's).
  const before = beforeMap(proc);
  const stdio = o.seatbelt ? ['inherit', 'inherit', 'inherit', 'pipe'] as const : 'inherit';
  if (o.seatbelt && CHANNEL_FD !== 3) throw new Error('internal: the report channel must be descriptor 3');
  const child = spawn(resolved.path, rest, { argv0: cmd, env, stdio: stdio as 'inherit' });
  const started = await new Promise<number | Error>((resolve) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (e) => resolve(e));
  });
  if (started instanceof Error) {
    const code = (started as NodeJS.ErrnoException).code;
    throw new LaunchError(`cannot execute ${cmd}: ${code ?? started.message}`, code === 'ENOENT' ? 127 : 126);
  }
  const root = started;
  o.onStart?.(root);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const monitor = new Monitor({
    matchers,
    proc,
    watch: process.pid,
    before,
    root,
    inherited: stdioTargets(),
    own: new Set(o.own ?? []),
    always: alwaysReachable(o.alwaysConnect ?? [], bindings ? readResolvConf().nameservers : []),
    ...(bindings ? { boundNames: (family: 4 | 6, addr: bigint) => ({ live: bindings.live({ family, addr }, Date.now()), ever: bindings.names({ family, addr }) }) } : {}),
    audit,
    kill: (pid) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch { /* gone */ }
    },
    onFinding: (f, who, killed) => {
      const enforced = f.seatbelt ? !audit : killed !== 'none';
      o.onReport?.(findingReport(f, who, enforced, killed !== 'none'), Date.now(), o.requestId?.get());
    },
  });

  // The seatbelt's refusals: each one is about this run; the pid it names must be one of its processes.
  let refusals = 0;
  const channel = o.seatbelt && child.stdio[3]
    ? readChannel(child.stdio[3] as Readable, {
      onReport: (r) => {
        refusals++;
        const tree = proc.descendants(root);
        const pid = tree.includes(r.pid) ? r.pid : root;
        if (pid !== r.pid) o.onNote?.(`a seatbelt report names pid ${r.pid}, which is not one of the handler's processes: reported as the handler's`);
        const st = proc.stat(pid);
        const exe = proc.exe(pid);
        monitor.refusedInside(reportFinding(r), { pid, ppid: st?.ppid ?? 0, ...(typeof exe === 'string' ? { exe } : {}) });
      },
      onBinding: (b) => {
        // The seatbelt's lookups: what lets a host rule allow a connection the monitor sees. A name
        // no host rule allows binds nothing, whoever wrote the line.
        if (!bindings || !matchers.network?.connect.whichName(normaliseHost(b.name))) return;
        const now = Date.now();
        for (const text of b.addresses) {
          const ip = parseIP(text);
          if (ip) bindings.add(normaliseHost(b.name), ip, 0, now);
        }
      },
      onBad: (why) => o.onNote?.(`a line on the seatbelt's report channel is not a report (${why}): ignored`),
    })
    : undefined;

  const signals = o.forward ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (sig: NodeJS.Signals): void => {
    try {
      process.kill(root, sig);
    } catch { /* gone */ }
  };
  for (const s of signals) process.on(s, forward);
  const interval = o.pollMs ?? POLL_MS;
  let timer: NodeJS.Timeout | undefined;
  /** The poll under way (it awaits the socket tables, read off the event loop). */
  let polling: Promise<void> | undefined;
  let failed: unknown;
  let over = false;
  const pollOnce = async (): Promise<void> => {
    faultPoint('monitor.poll');
    await monitor.poll();
    // Orphans that ended (killed or not) are this process's zombies: reap them now and then.
    if (monitor.polls % REAP_EVERY === 0) reapOrphans(native, proc, root);
  };
  const tick = (): void => {
    clearTimeout(timer);
    if (over || polling) return;
    polling = pollOnce().then(() => {
      polling = undefined;
      // Idle, the timer itself sleeps longer (each wake-up of a Node timer costs CPU too).
      if (!over) timer = setTimeout(tick, o.idle?.() ? Math.max(interval, IDLE_POLL_MS) : interval);
    }, (e: unknown) => {
      // Fail closed: what the monitor cannot watch does not run on.
      polling = undefined;
      failed ??= e;
      over = true;
      monitor.killAll();
    });
  };
  // An invocation starts: the next poll comes within POLL_MS, not at the end of an idle spell
  // (not at once: the invocation is being handed over on this very event loop).
  o.onWake?.(() => {
    if (over || polling) return;
    clearTimeout(timer);
    timer = setTimeout(tick, interval);
  });
  // However syscage ends (an internal error, the exit after a status), the command ends first: the
  // kernel tier has PTRACE_O_EXITKILL for that, this tier its last words. A SIGKILL of syscage
  // itself leaves it to the platform (Lambda ends the sandbox with its runtime).
  const forget = atLastWords(() => monitor.killAll());
  try {
    tick();
    const end = await exited;
    over = true;
    clearTimeout(timer);
    await polling;
    // What the seatbelt wrote before the end is read before the outcome is decided.
    await channel?.drained();
    if (failed !== undefined) throw failed;
    // One last look (what the command left behind is still checked and reported), then nothing of
    // it runs on unwatched.
    await monitor.poll();
    monitor.killAll();
    reapOrphans(native, proc, root);
    const ended = monitor.ended;
    return {
      launched: true,
      ...(end.signal ? { signal: constants.signals[end.signal] } : { code: end.code ?? 0 }),
      ...(ended ? { policyKill: findingReport(ended.finding, ended.who, true) } : {}),
      counts: { polls: monitor.polls, findings: monitor.findings, killed: monitor.killed, ...(o.seatbelt ? { refusals } : {}) },
    };
  } finally {
    over = true;
    clearTimeout(timer);
    o.onWake?.(undefined);
    // However this ended (the last poll may throw: a report to a closed pipe), nothing of the command runs on.
    monitor.killAll();
    forget();
    for (const s of signals) process.off(s, forward);
  }
}
