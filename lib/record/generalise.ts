// From what one run did to what the command needs: observed paths, programs
// and addresses become profile entries that also match the next run.
//
// Paths, in this order:
//
//   1. Per-run names. Within one path segment a per-run part becomes "*" and
//      the rest stays literal (/tmp/upload-3f2a.json → /tmp/upload-*.json):
//        anywhere:   UUIDs (8-4-4-4-12 hex, e.g. Lambda request ids), X-Ray
//                    trace ids (1-xxxxxxxx-24 hex), hex runs of 16+ with a
//                    digit and a letter, digit runs of 10+ (timestamps),
//                    base64/base32-ish runs of 12+ (2+ digits, and a change
//                    of digit/lower/upper at least every 3 characters), mktemp's
//                    tmp.XXXXXX;
//        in temporary directories (/tmp, /var/tmp, /dev/shm) also: runs of
//                    2+ digits that are not part of a dotted version (pids),
//                    lowercase hex runs of 4+ with a digit and a letter (77de),
//                    runs of 4+ letters and digits that change class at
//                    least every other character (3f2a, a8Zk2q), a final
//                    6-character mkdtemp suffix with digits and letters or
//                    both cases (upload-Ab3xYz), Python's tmpXXXXXXXX;
//        /proc/self/...: every all-digit segment (fd numbers, thread ids);
//        /dev/pts/N: the terminal number.
//      The first segment is never changed, so no entry is ever "/*...".
//   2. Other processes' /proc/N/... (the traced ones arrive as /proc/self):
//      /proc/*/... when what is read there is harmless (stat, status,
//      cmdline, comm, cgroup, ...: what ps reads); anything else — mem,
//      environ, fd/, root/, maps, ... — stays exact and is reported. /proc/1
//      (init, the same every run) stays exact.
//   3. Shared libraries (*.so, *.so.N...) read: their directory, DIR/**
//      (not a temporary directory; at the top level only /lib, /lib32,
//      /lib64, /libx32; never over a sensitive place).
//   4. Directories: DIR/** when at least `dirThreshold` (8) distinct entries
//      (after 1-3, so /tmp/upload-*.json or a library directory counts once)
//      lie at or below DIR, taking the shallowest such DIR that may be
//      generalised, then the deepest directory below it that still holds
//      all of them (/var/task/lib/** rather than /var/task/** when every
//      entry is in lib/). DIR may be generalised when it is at least two
//      levels deep (never /, /** or /etc/**, /usr/**, /home/**, ...), not /var/lib, /var/log, /var/mail,
//      /var/spool, /var/run, /run/user, /mnt, /media, not under /dev,
//      not another process's /proc/N, never at or over a sensitive place
//      (so /home/alice/** is never granted: it holds ~/.ssh) nor inside a
//      secret one; writes are never generalised under /etc, /usr, /bin,
//      /sbin, /lib*, /boot, /sys or /proc.
//      Temporary directories (/tmp, /var/tmp, /dev/shm): /tmp/x/** follows
//      the rule above; /tmp/** itself only when at least `dirThreshold`
//      distinct names directly in /tmp were used (a directory below counts
//      once, however many files it holds): a command that uses /tmp as its
//      scratch space, not one that made one scratch directory there.
//   5. An entry that another entry of the same list covers is dropped, and a
//      path written is listed in files.write only (write implies read).
//
// Programs get step 1 only: each program started stays an entry of its own.
// Addresses: a port of this machine in the ephemeral range (the kernel's
// ip_local_port_range, by default 32768-60999) — any bound port, and a
// loopback destination's — becomes that range; other ports stay exact.
// UNIX socket paths get step 1, abstract names the temporary-directory rules.
// The unnamed address (bind's autobind) becomes unix:@*.
import type { FileUse, Observation } from '../trace/observation.js';
import { checkGlob, compileGlobs, normalizePath } from '../profile/glob.js';
import { parseAddress } from '../profile/address.js';
import { mayGeneraliseTo, sensitiveAddress, sensitivePath, sensitiveProgram, sensitiveWrite } from './sensitive.js';
import { globSegment, isTemp, literal, nameGlob, TEMP_DIRS, type NameRule } from './names.js';
import { PORT_RANGE } from './ports.js';

export { nameGlob, TEMP_DIRS } from './names.js';
export { localPortRange, PORT_RANGE } from './ports.js';

/** Which rule made an entry differ from what was observed. */
export type Rule = NameRule | 'shared libraries' | 'directory' | 'ephemeral port' | 'autobind' | 'host names';

/** One profile entry and what it stands for. */
export interface Entry {
  /** The glob or address written in the profile. */
  readonly value: string;
  /** Distinct observed paths, programs or addresses it covers. */
  readonly count: number;
  /** Calls that used them. */
  readonly calls: number;
  /** Set when the entry is not simply what was observed. */
  readonly rule?: Rule;
  /** One concrete observed item, when the entry is generalised. */
  readonly example?: string;
  /** Why this grant deserves a look (sensitive places). */
  readonly warnings: readonly string[];
}

export interface GeneraliseOptions {
  /** Entries at or below a directory from which it becomes DIR/** (default 8). */
  readonly dirThreshold?: number;
  /** The kernel's net.ipv4.ip_local_port_range (default 32768-60999). */
  readonly portRange?: readonly [number, number];
  /** Temporary directories (default /tmp, /var/tmp, /dev/shm). */
  readonly tempDirs?: readonly string[];
}

export const DIR_THRESHOLD = 8;

export interface Generalised {
  readonly entries: Entry[];
  /** One line each, grouped by reason: sensitive grants and entries kept exact that will not match again. */
  readonly warnings: string[];
}

// ---------------------------------------------------------------------------
// Steps 3-5 over a list.

interface Group {
  glob: string;
  rule?: Rule;
  readonly paths: Map<string, number>;
}

const isSharedLib = (path: string): boolean => /\.so(?:\.\d+)*$/.test(path.slice(path.lastIndexOf('/') + 1));

const parentOf = (glob: string): string => {
  const i = glob.lastIndexOf('/');
  return i <= 0 ? '/' : glob.slice(0, i);
};

/** The directory a glob stands at: D for D/**, else the glob itself (a path at or below D is "in" D). */
const baseOf = (glob: string): string => (glob.endsWith('/**') ? glob.slice(0, -3) || '/' : glob);

const atOrBelow = (glob: string, dir: string): boolean => {
  const b = baseOf(glob);
  return b === dir || b.startsWith(dir + '/');
};

const depth = (dir: string): number => (dir === '/' ? 0 : dir.split('/').length - 1);

const NEVER = new Set(['/var/lib', '/var/log', '/var/mail', '/var/spool', '/var/run', '/run/user', '/mnt', '/media']);
const SYSTEM = /^\/(?:etc|usr|bin|sbin|lib|lib32|lib64|libx32|boot|sys|proc)(?:\/|$)/;

/** May a directory collapse into DIR/** (step 4, temporary directories aside)? */
export function collapsible(dir: string, access: 'read' | 'write', temps: readonly string[] = TEMP_DIRS): boolean {
  if (depth(dir) < 2 || temps.includes(dir) || NEVER.has(dir)) return false;
  if (/^\/proc\/(?:\d+|\*)(?:\/|$)/.test(dir)) return false;
  if (dir.startsWith('/dev/') && !isTemp(dir, temps)) return false;
  if (access === 'write' && SYSTEM.test(dir)) return false;
  return mayGeneraliseTo(dir);
}

/** May a shared library's directory be granted as DIR/**? */
function libraryDir(dir: string, temps: readonly string[]): boolean {
  if (dir === '/' || temps.includes(dir)) return false;
  // Top-level: only the library directories themselves (/lib64/**, never /opt/** or /etc/**).
  if (depth(dir) < 2 && !/^\/lib(?:32|64|x32)?$/.test(dir)) return false;
  if (/^\/(?:proc|dev|sys)(?:\/|$)/.test(dir)) return false;
  return mayGeneraliseTo(dir);
}

const wildcard = (g: string): boolean => g.includes('*') || g.includes('?');

const compiledGlobs = new Map<string, RegExp>();
function globRe(g: string): RegExp {
  let re = compiledGlobs.get(g);
  if (!re) {
    if (compiledGlobs.size > 10000) compiledGlobs.clear();
    compiledGlobs.set(g, (re = compileGlobs([g])));
  }
  return re;
}

/**
 * Does glob `b` match every path glob `a` matches? Sound for the globs this
 * module writes (only "*" and a final "/**"); conservative (false) when `b`
 * has "?" and `a` is not a plain path.
 */
export function covers(b: string, a: string): boolean {
  if (a === b) return true;
  if (!wildcard(b)) return false;
  const re = globRe(b);
  if (a.endsWith('/**')) return b.endsWith('/**') && !b.slice(0, -3).includes('?') && re.test(baseOf(a));
  if (b.includes('?') && wildcard(a)) return false;
  if (a.includes('**')) return false;
  return re.test(a);
}

function merge(into: Group, from: Group): void {
  for (const [p, n] of from.paths) into.paths.set(p, (into.paths.get(p) ?? 0) + n);
}

/** Steps 1-5 for one list. */
function generaliseList(paths: ReadonlyMap<string, number>, access: 'read' | 'write', opts: GeneraliseOptions, notes: Map<string, string[]>): Group[] {
  const temps = opts.tempDirs ?? TEMP_DIRS;
  const threshold = opts.dirThreshold ?? DIR_THRESHOLD;
  const byGlob = new Map<string, Group>();
  for (const [path, calls] of paths) {
    const named = nameGlob(path, opts);
    if (named.note) (notes.get(named.note) ?? notes.set(named.note, []).get(named.note)!).push(path);
    let glob = named.glob;
    let rule: Rule | undefined = named.rule;
    if (access === 'read' && isSharedLib(path) && libraryDir(parentOf(glob), temps)) {
      glob = parentOf(glob) + '/**';
      rule = 'shared libraries';
    }
    const g = byGlob.get(glob);
    if (g) g.paths.set(path, (g.paths.get(path) ?? 0) + calls);
    else byGlob.set(glob, { glob, rule, paths: new Map([[path, calls]]) });
  }
  let groups = [...byGlob.values()];

  // Step 4: the shallowest directory with enough entries, again and again.
  for (;;) {
    const count = new Map<string, number>();
    for (const g of groups) {
      const b = baseOf(g.glob);
      for (let d = g.glob.endsWith('/**') || !wildcard(g.glob) ? b : parentOf(b); depth(d) >= 2; d = parentOf(d)) {
        count.set(d, (count.get(d) ?? 0) + 1);
      }
    }
    const pick = [...count.entries()]
      .filter(([d, n]) => n >= threshold && collapsible(d, access, temps))
      .sort(([a], [b]) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))[0]?.[0];
    if (pick === undefined) break;
    // Not wider than the entries need: /var/task/lib/** rather than /var/task/** when all are in lib/.
    let dir = pick;
    for (;;) {
      const n = count.get(dir)!;
      const child = [...count.entries()].find(([d, m]) => m === n && parentOf(d) === dir && collapsible(d, access, temps))?.[0];
      if (child === undefined) break;
      dir = child;
    }
    groups = collapseInto(groups, dir);
  }
  // Temporary directories: enough distinct names directly in them.
  for (const t of temps) {
    const names = new Set(groups.filter((g) => atOrBelow(g.glob, t) && baseOf(g.glob) !== t).map((g) => baseOf(g.glob).slice(t.length + 1).split('/')[0]));
    if (names.size >= threshold && mayGeneraliseTo(t)) groups = collapseInto(groups, t);
  }

  // Step 5: drop what another entry covers, into the broadest entry that covers it.
  const patterns = groups.filter((g) => wildcard(g.glob));
  const coverer = new Map<Group, Group>();
  for (const g of groups) {
    const by = patterns.find((p) => p !== g && covers(p.glob, g.glob) && !(covers(g.glob, p.glob) && g.glob < p.glob));
    if (by) coverer.set(g, by);
  }
  const kept = groups.filter((g) => !coverer.has(g));
  for (const [g] of coverer) {
    let top = g;
    const seen = new Set<Group>();
    while (coverer.has(top) && !seen.has(top)) {
      seen.add(top);
      top = coverer.get(top)!;
    }
    if (coverer.has(top)) kept.push(g); // a cycle: keep it rather than lose it
    else merge(top, g);
  }
  return kept;
}

function collapseInto(groups: Group[], dir: string): Group[] {
  const into: Group = { glob: dir + '/**', rule: 'directory', paths: new Map() };
  const rest: Group[] = [];
  for (const g of groups) {
    if (atOrBelow(g.glob, dir)) merge(into, g);
    else rest.push(g);
  }
  return [...rest, into];
}

// ---------------------------------------------------------------------------
// Entries and warnings.

const byValue = (a: Entry, b: Entry): number => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

function toEntry(value: string, rule: Rule | undefined, items: ReadonlyMap<string, number>, why: (item: string) => string | undefined): Entry {
  const sorted = [...items.keys()].sort();
  const calls = [...items.values()].reduce((a, b) => a + b, 0);
  const warnings = [...new Set(sorted.map(why).filter((w): w is string => !!w))].sort();
  const plain = sorted.length === 1 && sorted[0] === value;
  // For DIR/**, an example below DIR says more than DIR itself.
  const example = value.endsWith('/**') ? sorted.find((p) => p !== value.slice(0, -3)) ?? sorted[0] : sorted[0];
  return { value, count: sorted.length, calls, rule: plain ? undefined : rule, example: plain ? undefined : example, warnings };
}

/** Sensitive grants, one line per (verb, reason): "reads /root/.aws/credentials: AWS credentials". */
function warn(out: string[], verb: string, items: readonly string[], why: (item: string) => string | undefined): void {
  const byWhy = new Map<string, string[]>();
  for (const it of [...items].sort()) {
    const w = why(it);
    if (w) (byWhy.get(w) ?? byWhy.set(w, []).get(w)!).push(it);
  }
  for (const [w, its] of [...byWhy.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`${verb} ${its.length === 1 ? its[0] : `${its.length} paths such as ${its[0]}`}: ${w}`);
  }
}

function noteLines(notes: Map<string, string[]>): string[] {
  return [...notes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([note, ps]) => {
    const uniq = [...new Set(ps)].sort();
    return `${uniq.length === 1 ? uniq[0] : `${uniq.length} paths such as ${uniq[0]}`}: ${note}`;
  });
}

/** Only looked at (stat, access...), never opened or written. */
const onlyLooked = (n: FileUse): boolean => n.write === 0 && n.looks === n.read;
/** Only read while it was not there. */
const onlyMissing = (n: FileUse): boolean => n.write === 0 && n.missing === n.read;

/** The directories above a path: /a/b/c → /, /a, /a/b. */
function ancestorsOf(p: string): string[] {
  const out = ['/'];
  for (let i = p.indexOf('/', 1); i > 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}

/** A path as recorded → the absolute, normalised path rules are compared with, or undefined. */
function cleanPath(p: string): string | undefined {
  if (!p.startsWith('/') || p.includes('\0')) return undefined;
  return normalizePath(p);
}

/**
 * files.read and files.write for what was observed: a path written is listed
 * under write only (write implies read), and a read that a write entry covers
 * is dropped.
 */
export function generaliseFiles(files: Observation['files'], opts: GeneraliseOptions = {}): { read: Entry[]; write: Entry[]; warnings: string[] } {
  const written = new Map<string, number>();
  const read = new Map<string, number>();
  const skipped: string[] = [];
  const used = Object.entries(files).map(([raw, n]) => [cleanPath(raw), n, raw] as const);
  // The ancestors of what the profile will grant (not of what it leaves out: a path only read while missing).
  const prefixes = new Set(used.flatMap(([p, n]) => (p && !onlyLooked(n) && !onlyMissing(n) ? ancestorsOf(p) : [])));
  for (const [p, n, raw] of used) {
    if (!p) {
      skipped.push(raw);
      continue;
    }
    // What a profile need not grant (unveil's semantics, docs/profile.md): a path that was only
    // read while missing (the kernel answers ENOENT either way), and one only looked at that is an
    // ancestor of a path the command used (looks at ancestors of grants are let through).
    if (onlyMissing(n) || (onlyLooked(n) && prefixes.has(p))) continue;
    if (n.write > 0) written.set(p, (written.get(p) ?? 0) + n.read + n.write);
    else if (n.read > 0) read.set(p, (read.get(p) ?? 0) + n.read);
  }
  const notes = new Map<string, string[]>();
  const w = generaliseList(written, 'write', opts, notes);
  const writes = compileGlobs(w.map((g) => g.glob));
  for (const p of [...read.keys()]) if (writes.test(p)) read.delete(p);
  const r = generaliseList(read, 'read', opts, notes).filter((g) => !w.some((x) => covers(x.glob, g.glob)));

  const warnings: string[] = [];
  warn(warnings, 'writes', [...written.keys()], sensitiveWrite);
  warn(warnings, 'reads', [...read.keys()], sensitivePath);
  warnings.push(...noteLines(notes));
  if (skipped.length > 0) warnings.push(`${skipped.length} recorded path(s) are not absolute and were left out, e.g. ${JSON.stringify(skipped.sort()[0])}`);
  return {
    write: w.map((g) => toEntry(g.glob, g.rule, g.paths, sensitiveWrite)).sort(byValue),
    read: r.map((g) => toEntry(g.glob, g.rule, g.paths, sensitivePath)).sort(byValue),
    warnings,
  };
}

/** exec.allow for the programs started: per-run names only; each program stays its own entry. */
export function generalisePrograms(exec: Observation['exec'], opts: GeneraliseOptions = {}): Generalised {
  const groups = new Map<string, Group>();
  const skipped: string[] = [];
  for (const [raw, n] of Object.entries(exec)) {
    const p = cleanPath(raw);
    if (!p) {
      skipped.push(raw);
      continue;
    }
    const { glob, rule } = nameGlob(p, opts);
    const g = groups.get(glob) ?? groups.set(glob, { glob, rule, paths: new Map() }).get(glob)!;
    g.paths.set(p, (g.paths.get(p) ?? 0) + n);
  }
  const warnings: string[] = [];
  const programs = [...groups.values()].flatMap((g) => [...g.paths.keys()]);
  warn(warnings, 'starts', programs, sensitiveProgram);
  if (skipped.length > 0) warnings.push(`${skipped.length} program(s) without an absolute path were left out, e.g. ${JSON.stringify(skipped.sort()[0])}`);
  return { entries: [...groups.values()].map((g) => toEntry(g.glob, g.rule, g.paths, sensitiveProgram)).sort(byValue), warnings };
}

const isLoopback = (rule: { family: 4 | 6 | 'any'; lo: bigint }): boolean =>
  (rule.family === 4 && rule.lo >> 24n === 127n) || (rule.family === 6 && rule.lo === 1n);

/** An abstract UNIX name → its glob: temporary-directory rules on each "/"-separated part. */
function abstractGlob(name: string): string {
  // The tracer writes NUL bytes of a name as "\0": one character, matched by "?".
  return name.replace(/\\0/g, '\u0000').split('/').map((s) => globSegment(literal(s), true)).join('/').replace(/\u0000/g, '?');
}

/**
 * network.connect or network.bind for the destinations seen. Text the
 * address rules cannot express is left out and reported.
 */
export function generaliseAddresses(addrs: Record<string, number>, kind: 'connect' | 'bind', opts: GeneraliseOptions = {}): Generalised {
  const [lo, hi] = opts.portRange ?? PORT_RANGE;
  const groups = new Map<string, { rule?: Rule; items: Map<string, number> }>();
  const bad: string[] = [];
  const names: SeenName[] = [];
  const add = (value: string, rule: Rule | undefined, item: string, n: number) => {
    const g = groups.get(value) ?? groups.set(value, { rule, items: new Map() }).get(value)!;
    g.items.set(item, (g.items.get(item) ?? 0) + n);
  };
  for (const [whole, n] of Object.entries(addrs)) {
    // A sendmsg may name several destinations ("a, b").
    const texts = 'message' in parseAddress(whole) && whole.includes(', ') && whole !== 'unix:' ? whole.split(', ') : [whole];
    for (const text of texts) {
      if (text === 'unix:') {
        if (kind === 'bind') add('unix:@*', 'autobind', text, n);
        continue;
      }
      if (text.startsWith('unix:')) {
        const name = text.slice(5);
        const glob = name.startsWith('@') ? `unix:@${abstractGlob(name.slice(1))}`
          : name.startsWith('/') ? `unix:${nameGlob(normalizePath(name), opts).glob}` : text;
        if ('message' in parseAddress(glob)) bad.push(text);
        else add(glob, glob !== text ? 'per-run name' : undefined, text, n);
        continue;
      }
      const rule = parseAddress(text);
      // A name a DNS answer gave (observe.ts writes it for the address); "netlink:0" is no name.
      if (!('message' in rule) && rule.kind === 'host' && rule.pattern.includes('.')) {
        names.push({ text, name: rule.pattern, port: rule.portLo, n });
        continue;
      }
      if ('message' in rule || rule.kind !== 'ip') {
        bad.push(text);
        continue;
      }
      const host = text.slice(0, text.lastIndexOf(':'));
      const local = kind === 'bind' || isLoopback(rule);
      if (local && rule.portLo === rule.portHi && rule.portLo >= lo && rule.portLo <= hi && lo < hi) add(`${host}:${lo}-${hi}`, 'ephemeral port', text, n);
      else add(text, undefined, text, n);
    }
  }
  for (const [value, items] of generaliseNames(names)) for (const [item, n] of items) add(value, value.startsWith('*.') ? 'host names' : undefined, item, n);
  const warnings: string[] = [];
  const verb = kind === 'bind' ? 'binds' : 'connects to';
  const items = [...groups.values()].flatMap((g) => [...g.items.keys()]);
  const why = (t: string) => sensitiveAddress(t);
  for (const t of [...items].sort()) {
    const w = why(t);
    if (w) warnings.push(`${verb} ${t}: ${w}`);
  }
  if (bad.length > 0) warnings.push(`${kind}: left out ${bad.length} address(es) no rule can express, e.g. ${JSON.stringify(bad.sort()[0])}`);
  const entries = [...groups.entries()].map(([value, g]) => toEntry(value, g.rule, g.items, why)).sort(byValue);
  return { entries, warnings };
}

interface SeenName { readonly text: string; readonly name: string; readonly port: number; readonly n: number }

/** Names under one parent domain, on one port, before they are written as one pattern. */
export const NAMES_TO_COLLAPSE = 3;

/**
 * Host names as paths are generalised: names that differ only in their first label, under a
 * parent of at least two labels, on one port, become "*.PARENT:PORT" once there are
 * NAMES_TO_COLLAPSE of them (bucket names, per-request hosts); the rest stay as they were seen.
 */
function generaliseNames(seen: readonly SeenName[]): Map<string, Map<string, number>> {
  const byParent = new Map<string, SeenName[]>();
  for (const s of seen) {
    const dot = s.name.indexOf('.');
    const parent = dot > 0 && s.name.slice(dot + 1).includes('.') ? s.name.slice(dot + 1) : undefined;
    const key = parent === undefined ? `=${s.text}` : `${parent}:${s.port}`;
    (byParent.get(key) ?? byParent.set(key, []).get(key)!).push(s);
  }
  const out = new Map<string, Map<string, number>>();
  for (const [key, group] of byParent) {
    const distinct = new Set(group.map((g) => g.name));
    const value = !key.startsWith('=') && distinct.size >= NAMES_TO_COLLAPSE ? `*.${key}` : undefined;
    for (const g of group) {
      const v = value ?? `${g.name}:${g.port}`;
      const items = out.get(v) ?? out.set(v, new Map()).get(v)!;
      items.set(g.text, (items.get(g.text) ?? 0) + g.n);
    }
  }
  return out;
}

/** checkGlob for the globs this module writes (used by the tests). */
export const validGlob = (g: string): boolean => checkGlob(g) === undefined;
