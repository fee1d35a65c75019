// The runtime tier's process monitor: where a platform refuses both seccomp
// filters and ptrace (AWS Lambda), the parent watches the command's processes
// through /proc, poll by poll, and ends a process that broke a rule:
//
//   a process runs a program exec.allow does not allow   (or any second process: process.fork false)
//   a TCP or UDP socket is connected to a peer network.connect does not allow
//   a descriptor is open on a file the files rules refuse
//
// It acts after the fact: what a process did before the next poll is done.
// What it never sees (docs/security.md): a file opened and closed between two
// polls, a connection shorter than a poll, anything the syscalls lists say.
//
// The monitor owns every descendant of the process it watches from (the
// bootstrap, made a child subreaper, so that orphans stay in view): the caller
// starts nothing else while it runs.
import { forMatch, type Matchers } from '../trace/decide/index.js';
import { checkFile, checkFork, checkPeer, checkProgram, DELETED, stripDeleted, type BoundNames, type Finding } from './policy.js';
import type { OpenFile } from './procfs.js';
import type { InetSocket } from './sockets.js';

/** An open descriptor on a path, as the policy reads it: /proc's (procfs.ts OpenFile), whose access 'none' (O_PATH) counts as 'read'. */
export type PolicyFile = Omit<OpenFile, 'access'> & { readonly access: 'read' | 'write' | 'readwrite' };

/** A socket of the network namespace, as the policy reads it: /proc's (sockets.ts InetSocket), TCP or UDP (UDP-Lite as UDP). */
export type PolicySocket = Omit<InetSocket, 'proto' | 'remote'> & { readonly proto: 'tcp' | 'udp'; readonly remote?: InetSocket['remote'] };

/** /proc refuses a live process (EACCES: it made itself non-dumpable, or runs a program it may not read). */
export interface Refused { readonly unreadable: string }
const refused = (x: unknown): x is Refused => typeof x === 'object' && x !== null && 'unreadable' in x;

/** What the monitor reads of /proc (lib/monitor/procfs.ts; a test may give another). Undefined: the process is gone. */
export interface ProcReader {
  /** `root` and all its descendant processes. */
  descendants(root: number): readonly number[];
  /** Parent and start time (clock ticks since boot: with the pid, names one process for good). */
  stat(pid: number): { readonly ppid: number; readonly start: number; readonly exiting: boolean } | undefined;
  exe(pid: number): string | Refused | undefined;
  /** How many of its threads are neither zombies nor exiting (0: gone, or ending as a whole). */
  liveThreads(pid: number): number;
  /** Its descriptors on paths, and its sockets (inode → fd), from one walk of /proc/PID/fd. */
  descriptors(pid: number): { readonly files: readonly PolicyFile[]; readonly sockets: ReadonlyMap<number, number> } | Refused | undefined;
  /** The TCP and UDP sockets of `pid`'s network namespace among `only`, by inode (off the event loop: the TCP table is a walk of the kernel's whole hash). */
  inet(pid: number, only: ReadonlySet<number>): Promise<ReadonlyMap<number, PolicySocket>>;
  /** The inodes of its namespace's UNIX, netlink and packet sockets: none of the monitor's rules apply to them. */
  local(pid: number): ReadonlySet<number>;
}

/** Who broke the rule. */
export interface Offender {
  readonly pid: number;
  readonly ppid: number;
  readonly exe?: string;
}

export interface MonitorOptions {
  readonly matchers: Matchers;
  readonly proc: ProcReader;
  /** The process whose descendants are watched. */
  readonly watch: number;
  /**
   * What ran already before the command started, by pid and start time (`watch` itself included):
   * not the command's, never watched. A later process that reuses such a pid is watched.
   */
  readonly before: ReadonlyMap<number, number>;
  /** The command the caller started: its program and its standard descriptors are the launch's own. */
  readonly root: number;
  /** Targets of descriptors the command inherited (the caller's stdio): never a finding on descriptors 0-2. */
  readonly inherited: ReadonlySet<string>;
  /** syscage's own files the command's seatbelt holds open (the Python launcher while it is compiled): never a finding. */
  readonly own?: ReadonlySet<string>;
  /** Destinations always allowed ("127.0.0.1:PORT": the Runtime API proxy). */
  readonly always: ReadonlySet<string>;
  /** The names the seatbelt's lookups bound an address to; absent: host rules are held to their ports. */
  readonly boundNames?: BoundNames;
  /** Report, never kill. */
  readonly audit: boolean;
  /** A finding, reported once per process and object; `killed` says what the monitor did about it. */
  readonly onFinding: (f: Finding, who: Offender, killed: 'process' | 'all' | 'none') => void;
  /** SIGKILL (injectable for tests). */
  readonly kill: (pid: number) => void;
}

interface Watched {
  readonly start: number;
  readonly ppid: number;
  /** The program it ran at the last poll. */
  exe?: string;
  /** The last program the monitor let it run (a fork may run its parent's: only an accepted one). */
  accepted?: string;
  /** At the last poll it showed no program while some of its threads lived on. */
  headless?: boolean;
  /** Socket inodes settled for good: a listener, a UNIX, netlink or packet socket. */
  readonly settled: Set<number>;
  /** Connected TCP sockets checked, looked at again every RECHECK_EVERY polls (they can reconnect). */
  readonly connected: Set<number>;
  /** Socket inodes found in the TCP/UDP tables: never UNIX, netlink or packet ones. */
  readonly inet: Set<number>;
  /** What was reported (act + object), so that a finding is reported once. */
  readonly reported: Set<string>;
}

/** A socket to look up in the namespace's tables, and whose it is. */
interface Pending {
  readonly pid: number;
  readonly w: Watched;
  readonly who: Offender;
}

const TCP_LISTEN = 10;
/** How many file verdicts are remembered before the memory starts over. */
const FILE_VERDICTS = 4096;
/**
 * Polls between two looks at every connected socket again: a TCP socket can be disconnected
 * (connect with AF_UNSPEC) and connected elsewhere, keeping its inode; the tables cost too much to
 * read at every poll.
 */
const RECHECK_EVERY = 10;
/** Rounds of killAll before it gives up on a tree that keeps forking. */
const KILL_ROUNDS = 20;

export class Monitor {
  private readonly procs = new Map<number, Watched>();
  /** checkFile's answers by access and path (null: allowed). */
  private readonly files = new Map<string, Finding | null>();
  private rootSeen = false;
  private killedAll = false;
  polls = 0;
  findings = 0;
  /** Processes ended for a finding (violation: kill ends them all: counted once). */
  killed = 0;
  /** The first finding that ended the command (violation: kill, or the command itself killed). */
  ended?: { readonly finding: Finding; readonly who: Offender };

  constructor(private readonly o: MonitorOptions) {}

  /**
   * One look at every process of the tree. Never throws for a process that goes away meanwhile.
   * Synchronous but for the socket tables, which are read only when a socket is unsettled.
   */
  async poll(): Promise<void> {
    this.polls++;
    const { proc, watch } = this.o;
    const alive = new Set<number>();
    const pending = new Map<number, Pending>();
    const recheck = this.polls % RECHECK_EVERY === 0;
    for (const pid of proc.descendants(watch)) {
      const st = proc.stat(pid);
      if (!st || this.o.before.get(pid) === st.start) continue;
      alive.add(pid);
      let w = this.procs.get(pid);
      const isNew = !w || w.start !== st.start;
      if (isNew) {
        w = { start: st.start, ppid: st.ppid, settled: new Set(), connected: new Set(), inet: new Set(), reported: new Set() };
        this.procs.set(pid, w);
      }
      this.check(pid, w!, isNew, pending, recheck);
      if (this.killedAll) return;
    }
    for (const pid of this.procs.keys()) if (!alive.has(pid)) this.procs.delete(pid);
    if (pending.size > 0) await this.checkSockets(pending);
  }

  private check(pid: number, w: Watched, isNew: boolean, pending: Map<number, Pending>, recheck: boolean): void {
    const { proc, matchers: m, root } = this.o;
    const exe = proc.exe(pid);
    const who: Offender = { pid, ppid: w.ppid, ...(typeof exe === 'string' ? { exe } : {}) };
    if (exe === undefined) {
      // Gone, or a zombie, or exiting; but a process whose main thread exited while others run
      // shows no exe and no descriptors either, for as long as they live: one the monitor cannot
      // vouch for. Seen twice in a row: a whole process on its way out can look so for an instant.
      const headless = proc.liveThreads(pid) > 0;
      if (headless && w.headless) this.act(unwatchable('the process shows neither its program nor its descriptors: its main thread has exited while other threads run on'), who, w, 'unwatchable');
      w.headless = headless;
      return;
    }
    w.headless = false;
    if (refused(exe)) {
      // Fail closed: a process the monitor cannot see into is one it cannot vouch for, unless it
      // is ending (its /proc entries turn root's as its memory goes).
      if (!this.ending(pid)) this.act(unwatchable(refusedBy(exe.unreadable)), who, w, 'unwatchable');
      return;
    }
    const isRoot = pid === root && !this.rootSeen;
    if (pid === root) this.rootSeen = true;
    if (isNew && pid !== root) {
      const f = checkFork(m);
      if (f && this.act(f, who, w, 'fork')) return;
    }
    if (exe !== w.exe) {
      // First sight: the launch's own program, or a fork's copy of the program the monitor let its
      // parent run, needs no exec.allow.
      const inherited = w.exe === undefined && (isRoot || (isNew && exe === this.procs.get(w.ppid)?.accepted));
      w.exe = exe;
      const f = checkProgram(m, exe, inherited);
      if (f && this.act(f, who, w, `exec ${exe}`)) return;
      if (!f) w.accepted = exe;
    }
    if (!m.files && !m.network) return;
    const d = proc.descriptors(pid);
    if (d === undefined) return;
    if (refused(d)) {
      if (!this.ending(pid)) this.act(unwatchable(refusedBy(d.unreadable)), who, w, 'unwatchable');
      return;
    }
    if (m.files) {
      for (const file of d.files) {
        // The command's stdio, as inherited, and memfds (anonymous memory, no path to check: as
        // in the kernel tier).
        if ((file.fd <= 2 && this.o.inherited.has(file.target)) || isMemfd(file.target) || this.o.own?.has(file.target)) continue;
        const path = forMatch(stripDeleted(file.target), pid);
        const f = this.fileVerdict(path, file.access);
        if (f && this.act(f, who, w, `open ${path} ${file.access}`)) return;
      }
    }
    if (m.network) {
      for (const inode of d.sockets.keys()) {
        if (!w.settled.has(inode) && (recheck || !w.connected.has(inode))) pending.set(inode, { pid, w, who });
      }
    }
  }

  /**
   * The sockets not settled yet, against the namespace's tables: read only while there are such,
   * and only as far as needed (the TCP table costs a walk of the kernel's whole hash).
   */
  private async checkSockets(pending: Map<number, Pending>): Promise<void> {
    const { proc, watch, matchers: m } = this.o;
    // The UNIX/netlink/packet tables only for a socket not yet found in the TCP/UDP ones: a UDP
    // socket looked at every poll needs them once.
    if ([...pending].some(([inode, p]) => !p.w.inet.has(inode))) {
      const local = proc.local(watch);
      for (const [inode, p] of pending) {
        if (local.has(inode)) {
          p.w.settled.add(inode);
          pending.delete(inode);
        }
      }
    }
    if (pending.size === 0) return;
    const table = await proc.inet(watch, new Set(pending.keys()));
    if (this.killedAll) return;
    for (const [inode, p] of pending) {
      const s = table.get(inode);
      // Not in the tables: neither bound nor connected yet. Look again next poll.
      if (!s) continue;
      p.w.inet.add(inode);
      if (s.proto === 'tcp' && s.state === TCP_LISTEN) {
        p.w.settled.add(inode);
        continue;
      }
      if (!s.remote) {
        p.w.connected.delete(inode);
        continue;
      }
      // A connected TCP socket is looked at again now and then only; a UDP socket, whose peer is
      // one connect() away, at every poll. A connection accepted from a listener is checked like
      // one made: the tables cannot tell them apart.
      if (s.proto === 'tcp') p.w.connected.add(inode);
      const f = checkPeer(m, s.family, s.remote.ip, s.remote.port, this.o.always, this.o.boundNames);
      if (f) this.act(f, p.who, p.w, `connect ${f.detail.address}`);
      if (this.killedAll) return;
    }
  }

  /** Is the process ending (or gone) now? Asked after /proc refused it. */
  private ending(pid: number): boolean {
    const st = this.o.proc.stat(pid);
    // A zombie leader whose other threads run on is not ending: only the whole process's exit counts.
    return !st || (st.exiting && this.o.proc.liveThreads(pid) === 0);
  }

  /** checkFile, remembered: the same few files are held open poll after poll. */
  private fileVerdict(path: string, access: PolicyFile['access']): Finding | undefined {
    const key = `${access}\0${path}`;
    let v = this.files.get(key);
    if (v === undefined) {
      if (this.files.size >= FILE_VERDICTS) this.files.clear();
      v = checkFile(this.o.matchers, path, access) ?? null;
      this.files.set(key, v);
    }
    return v ?? undefined;
  }

  /** Report a finding once; end the process (or all of them). True when the process is gone. */
  private act(f: Finding, who: Offender, w: Watched, key: string): boolean {
    if (w.reported.has(key)) return false;
    w.reported.add(key);
    this.findings++;
    if (this.o.audit) {
      this.o.onFinding(f, who, 'none');
      return false;
    }
    const all = this.o.matchers.violation.value === 'kill';
    // The event first, then the kill: the report is written before its effect, as the supervisor's.
    this.o.onFinding(f, who, all ? 'all' : 'process');
    this.killed++;
    if (all || who.pid === this.o.root) this.ended ??= { finding: f, who };
    if (all) this.killAll();
    else this.o.kill(who.pid);
    return true;
  }

  /**
   * A refusal the process's seatbelt made inside it, before the act (lib/seatbelt): nothing
   * happened, so the process goes on, as after the supervisor's deny; under violation: kill the
   * command is ended, as in the kernel tier.
   */
  refusedInside(f: Finding, who: Offender): void {
    this.findings++;
    const kill = !this.o.audit && this.o.matchers.violation.value === 'kill';
    this.o.onFinding(f, who, kill ? 'all' : 'none');
    if (!kill) return;
    this.killed++;
    this.ended ??= { finding: f, who };
    this.killAll();
  }

  /**
   * End every process of the command (violation: kill; and whatever is left when it ends): round
   * after round, until a listing finds only processes that are ending (a chain of forks outruns
   * one round).
   */
  killAll(): void {
    this.killedAll = true;
    const { proc, watch, before } = this.o;
    for (let round = 0; round < KILL_ROUNDS; round++) {
      let live = 0;
      for (const pid of proc.descendants(watch)) {
        const st = proc.stat(pid);
        if (!st || before.get(pid) === st.start || st.exiting) continue;
        live++;
        this.o.kill(pid);
      }
      if (live === 0) return;
    }
  }
}

/** A memfd: "/memfd:NAME (deleted)", as the kernel names one (a real path may start with /memfd: too). */
const isMemfd = (target: string): boolean => target.startsWith('/memfd:') && target.endsWith(DELETED);

/** A process /proc will not show us. */
/** A process the monitor cannot see into: `why`, a sentence. */
function unwatchable(why: string): Finding {
  return {
    act: 'unreadable',
    rule: { what: 'monitor', text: 'a process the monitor cannot read is ended' },
    reason: `${why}, so the monitor cannot check it`,
    detail: {},
  };
}

/** /proc refused it: `code` is the errno. */
const refusedBy = (code: string): string => `/proc refuses to show the process (${code}): it made itself non-dumpable or runs a program it may not read`;

