// `syscage merge`: several recorded profiles of one command → one profile
// that allows what any of them allows, each entry saying in how many of the
// recordings it was seen, so that what only one run needed stands out.
//
//   - Lists (syscalls, files, exec, network) are unions. An entry another
//     entry of the union covers is dropped (/var/task/index.js under
//     /var/task/**), a read that a write entry covers too (write implies
//     read). "Seen in k of n" counts the recordings whose own entries allow
//     at least as much; recordings that needed only part of it are counted
//     apart ("part of it in m more").
//   - process.fork is what the commands did: true when any recording forked.
//   - seatbelts.native is a union; seatbelts.tiers the union of the tiers stated (more is stricter).
//   - The other scalars are policy (default, mode, violation, errno,
//     default_errno, weakest_tier, process.signal). Inputs that disagree get the
//     strictest (default kill > deny > log > allow, mode enforce > audit,
//     violation kill > deny, weakest_tier kernel > bpf > runtime, signal tree > any) and a comment saying so;
//     errno values have no order: the first input's is kept, said the same way.
//   - A section present in any input is present (absent means unrestricted,
//     so keeping it is the strict choice); files.deny, syscalls.deny/kill
//     are unions too (stricter). syscalls.rules: all of them, in input
//     order, duplicates once.
//   - extends: the union, paths rebased to where the output goes.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ARCHES, syscallTable, type Arch } from '../arch/index.js';
import { errnoName } from '../arch/errno.js';
import { parseAddress, type AddressRule } from '../profile/address.js';
import { ProfileError, type Diagnostic } from '../profile/diagnostic.js';
import { displayPath, loadProfile } from '../profile/load.js';
import { parseProfile, type PartialProfile } from '../profile/parse.js';
import { TIERS, type ArgValue, type SyscallRule, type Tier } from '../profile/types.js';
import { blockList, comments, scalar, type Item } from './yaml-text.js';
import { covers } from './generalise.js';
import { sensitiveAddress, sensitivePath, sensitiveProgram, sensitiveWrite } from './sensitive.js';

export interface MergeOptions {
  /** Read a file (injected by tests); defaults to the filesystem. */
  readonly readFile?: (path: string) => string;
  /** Directory of built-in profiles (for extends). */
  readonly builtinDir?: string;
  /** Where the merged profile will be written: extends paths are made relative to it. */
  readonly output?: string;
}

export interface Merged {
  readonly yaml: string;
  readonly warnings: string[];
}

interface Input {
  readonly path: string;
  readonly own: PartialProfile;
  /** "e.g." examples from the entries' comments, by list and entry. */
  readonly examples: ReadonlyMap<string, string>;
  readonly incomplete?: string;
}

/** One entry of the union: which inputs had it exactly, and which are counted as seeing it. */
interface Seen {
  readonly value: string;
  readonly had: Set<number>;
}

// ---------------------------------------------------------------------------
// Reading the inputs.

const LISTS = ['files.read', 'files.write', 'files.deny', 'exec.allow', 'network.connect', 'network.bind', 'seatbelts.native'] as const;
type ListKey = (typeof LISTS)[number];

/** The examples recorded in entry comments ("# 12 files, e.g. /tmp/upload-3f2a.json"). */
function examplesOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const doc = parseDocument(text);
  for (const key of LISTS) {
    const seq = doc.getIn(key.split('.'), true) as Node | undefined;
    if (!isSeq(seq)) continue;
    for (const it of seq.items) {
      if (!isScalar(it) || !it.comment) continue;
      const m = /e\.g\. (.+)$/.exec(it.comment.trim());
      if (m) out.set(`${key}\0${String(it.value)}`, m[1]!);
    }
  }
  return out;
}

function readInputs(paths: readonly string[], opts: MergeOptions): Input[] {
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems: Diagnostic[] = [];
  const inputs: Input[] = [];
  for (const path of paths) {
    try {
      loadProfile(path, { readFile: opts.readFile, builtinDir: opts.builtinDir });
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      problems.push(...e.diagnostics);
      continue;
    }
    const text = read(path);
    const own = parseProfile(displayPath(path), text).profile;
    if (!own) throw new Error(`internal: ${path} loaded but does not parse`);
    const incomplete = /^# INCOMPLETE: (.*?)(?: — the run did not finish.*)?$/m.exec(text)?.[1];
    inputs.push({ path, own, examples: examplesOf(text), incomplete });
  }
  if (problems.length > 0) throw new ProfileError(problems);
  return inputs;
}

// ---------------------------------------------------------------------------
// Coverage.

const parsedAddresses = new Map<string, ReturnType<typeof parseAddress>>();
function parsed(text: string): ReturnType<typeof parseAddress> {
  let r = parsedAddresses.get(text);
  if (!r) {
    if (parsedAddresses.size > 10000) parsedAddresses.clear();
    parsedAddresses.set(text, (r = parseAddress(text)));
  }
  return r;
}

/** Does address rule `b` allow every destination `a` allows? */
function addressCovers(bText: string, aText: string): boolean {
  if (aText === bText) return true;
  const a = parsed(aText);
  const b = parsed(bText);
  if ('message' in a || 'message' in b) return false;
  if (a.kind === 'ip' && b.kind === 'ip') {
    if (b.portLo > a.portLo || a.portHi > b.portHi) return false;
    if (b.family === 'any') return true;
    return a.family === b.family && b.lo <= a.lo && a.hi <= b.hi;
  }
  if (a.kind === 'unix' && b.kind === 'unix' && a.abstract === b.abstract) {
    const g = (r: AddressRule & { kind: 'unix' }) => (r.abstract ? '/' + r.pattern.slice(1) : r.pattern);
    return covers(g(b), g(a));
  }
  return false;
}

const isAddressList = (k: ListKey): boolean => k.startsWith('network.');

function valuesOf(p: PartialProfile, key: ListKey): string[] {
  switch (key) {
    case 'files.read': return p.files?.read.map((x) => x.value) ?? [];
    case 'files.write': return p.files?.write.map((x) => x.value) ?? [];
    case 'files.deny': return p.files?.deny.map((x) => x.value) ?? [];
    case 'exec.allow': return p.exec?.allow.map((x) => x.value) ?? [];
    case 'network.connect': return p.network?.connect.map((x) => x.value.text) ?? [];
    case 'network.bind': return p.network?.bind.map((x) => x.value.text) ?? [];
    case 'seatbelts.native': return p.seatbelts?.native.map((x) => x.value) ?? [];
  }
}

interface Counted {
  readonly value: string;
  /** Inputs with an entry allowing at least as much. */
  readonly seen: number;
  /** Inputs that allowed only part of it. */
  readonly part: number;
  readonly example?: string;
}

/** The union of one list, entries covered by others dropped (not for deny lists), counted. */
function unionList(inputs: readonly Input[], key: ListKey, alsoCoveredBy: readonly string[] = []): Counted[] {
  const cov = isAddressList(key) ? addressCovers : covers;
  const all = new Map<string, Seen>();
  inputs.forEach((inp, i) => {
    for (const v of valuesOf(inp.own, key)) {
      const s = all.get(v) ?? all.set(v, { value: v, had: new Set() }).get(v)!;
      s.had.add(i);
    }
  });
  let values = [...all.keys()];
  if (key !== 'files.deny') {
    values = values.filter((a) => !values.some((b) => b !== a && cov(b, a) && !(cov(a, b) && a < b)) && !alsoCoveredBy.some((b) => cov(b, a)));
  }
  const lists = inputs.map((inp) => valuesOf(inp.own, key));
  return values.sort().map((v) => {
    let seen = 0;
    let part = 0;
    lists.forEach((l) => {
      if (l.some((x) => cov(x, v))) seen++;
      else if (l.some((x) => cov(v, x))) part++;
    });
    const example = inputs.map((inp) => inp.examples.get(`${key}\0${v}`)).find((e) => e !== undefined);
    return { value: v, seen, part, example };
  });
}

// ---------------------------------------------------------------------------
// Syscalls.

type Kind = 'allow' | 'deny' | 'kill' | 'log';
const KINDS: readonly Kind[] = ['allow', 'deny', 'kill', 'log'];

interface SyscallUnion {
  readonly common: Map<Kind, Counted[]>;
  readonly arch: Map<Arch, Map<Kind, Counted[]>>;
}

function unionSyscalls(inputs: readonly Input[]): SyscallUnion {
  const table = syscallTable();
  const common = new Map<Kind, Counted[]>();
  const arch = new Map<Arch, Map<Kind, Counted[]>>(ARCHES.map((a) => [a, new Map()]));
  for (const kind of KINDS) {
    // name → arch → inputs granting it there.
    const on = new Map<string, Map<Arch, Set<number>>>();
    inputs.forEach((inp, i) => {
      const sc = inp.own.syscalls;
      const add = (name: string, arches: readonly Arch[]) => {
        const m = on.get(name) ?? on.set(name, new Map()).get(name)!;
        for (const a of arches) (m.get(a) ?? m.set(a, new Set()).get(a)!).add(i);
      };
      for (const n of sc[kind]) add(n.value, ARCHES);
      for (const a of ARCHES) for (const n of sc.arch[a]?.[kind] ?? []) add(n.value, [a]);
    });
    const c: Counted[] = [];
    const per = new Map<Arch, Counted[]>(ARCHES.map((a) => [a, []]));
    for (const [name, m] of on) {
      const exists = ARCHES.filter((a) => table.number(a, name) !== undefined);
      const granted = exists.filter((a) => m.has(a));
      const who = new Set(granted.flatMap((a) => [...m.get(a)!]));
      const entry: Counted = { value: name, seen: who.size, part: 0 };
      if (granted.length === ARCHES.length) c.push(entry);
      else for (const a of granted) per.get(a)!.push(entry);
    }
    const sort = (l: Counted[]) => l.sort((a, b) => (a.value < b.value ? -1 : 1));
    common.set(kind, sort(c));
    for (const a of ARCHES) arch.get(a)!.set(kind, sort(per.get(a)!));
  }
  return { common, arch };
}

const argText = (v: ArgValue): string => ('int' in v ? (v.int >= 1n << 63n ? String(BigInt.asIntN(64, v.int)) : `0x${v.int.toString(16)}`) : v.name);

function ruleText(r: SyscallRule): string {
  const names = r.syscalls.map((n) => n.value);
  const parts = [names.length === 1 ? `syscall: ${names[0]}` : `syscalls: [${names.join(', ')}]`];
  if (r.args.length > 0) {
    parts.push(`args: [${r.args.map((a) => `{ index: ${a.index}, op: ${a.op}, value: ${argText(a.value.value)}${a.mask ? `, mask: ${argText(a.mask.value)}` : ''} }`).join(', ')}]`);
  }
  parts.push(`action: ${r.action}`);
  if (r.errno !== undefined) parts.push(`errno: ${errnoName(r.errno) ?? r.errno}`);
  return `{ ${parts.join(', ')} }`;
}

// ---------------------------------------------------------------------------
// Scalars.

interface Ruling<T> {
  readonly value?: T;
  /** Why a comment is needed (inputs disagree). */
  readonly note?: string;
}

/** The strictest of the inputs' values (own value, else the default), noting disagreement. */
function strictest<T extends string | number | boolean>(
  inputs: readonly Input[], key: string, pick: (p: PartialProfile) => T | undefined, fallback: T, rank: (v: T) => number, show: (v: T) => string = String,
  orderless = false,
): Ruling<T> {
  const vals = inputs.map((inp) => pick(inp.own));
  if (vals.every((v) => v === undefined)) return {};
  const eff = vals.map((v) => v ?? fallback);
  const distinct = [...new Set(eff)];
  if (distinct.length === 1) return { value: distinct[0] };
  const kept = orderless ? eff[0]! : [...eff].sort((a, b) => rank(b) - rank(a))[0]!;
  const others = distinct.filter((v) => v !== kept).map((v) => `${show(v)} in ${inputs.filter((_, i) => eff[i] === v).map((x) => x.path).join(', ')}`);
  const how = orderless ? `kept the first input's, ${show(kept)} (errno values have no order)` : `kept the strictest, ${show(kept)}`;
  return { value: kept, note: `inputs disagree on ${key}: ${how}; ${others.join('; ')}` };
}

const DISAGREE = '  # the inputs disagree: see the NOTE above';

const RANK = {
  default: { kill: 3, deny: 2, log: 1, allow: 0 } as Record<string, number>,
  mode: { enforce: 1, audit: 0 } as Record<string, number>,
  violation: { kill: 1, deny: 0 } as Record<string, number>,
  signal: { tree: 1, any: 0 } as Record<string, number>,
  tier: { kernel: 2, bpf: 1, runtime: 0 } as Record<string, number>,
};

// ---------------------------------------------------------------------------

/** Load every input (all their errors at once, as ProfileError) and merge them into one profile text. */
export function mergeProfiles(paths: readonly string[], opts: MergeOptions = {}): Merged {
  if (paths.length === 0) throw new Error('internal: nothing to merge');
  const inputs = readInputs(paths, opts);
  const n = inputs.length;
  const warnings: string[] = [];
  const notes: string[] = [];
  const seenText = (c: Counted): string => {
    let s = `seen in ${c.seen} of ${n} recording${n === 1 ? '' : 's'}`;
    if (c.part > 0) s += ` (part of it in ${c.part} more)`;
    if (c.example) s += `, e.g. ${c.example}`;
    return s;
  };

  // Scalars.
  const named = inputs.filter((i) => i.own.name !== undefined);
  const nameSet = [...new Set(named.map((i) => i.own.name!))];
  const name: Ruling<string> = {
    value: nameSet[0],
    note: nameSet.length > 1 ? `inputs disagree on name: kept the first, ${nameSet[0]}; ${nameSet.slice(1).map((v) => `${v} in ${named.filter((i) => i.own.name === v).map((i) => i.path).join(', ')}`).join('; ')}` : undefined,
  };
  const mode = strictest(inputs, 'mode', (p) => p.mode?.value, 'enforce', (v) => RANK.mode[v] ?? 0);
  const dflt = strictest(inputs, 'default', (p) => p.default?.value, 'deny', (v) => RANK.default[v] ?? 0);
  const errnoShow = (v: number) => errnoName(v) ?? String(v);
  const errno = strictest(inputs, 'errno', (p) => p.errno?.value, 1, () => 0, errnoShow, true);
  const defaultErrno = strictest(inputs, 'default_errno', (p) => p.defaultErrno?.value, 38, () => 0, errnoShow, true);
  const violation = strictest(inputs, 'violation', (p) => p.violation?.value, 'deny', (v) => RANK.violation[v] ?? 0);
  const signal = strictest(inputs, 'process.signal', (p) => p.process?.signal?.value, 'tree', (v) => RANK.signal[v] ?? 0);
  const tier = strictest(inputs, 'weakest_tier', (p) => p.weakestTier?.value, 'bpf', (v) => RANK.tier[v] ?? 0);
  for (const d of [name, mode, dflt, errno, defaultErrno, violation, tier, signal]) if (d.note) notes.push(d.note);
  const belts = inputs.filter((i) => i.own.seatbelts !== undefined);
  const stated = belts.map((i) => i.own.seatbelts!.tiers?.value).filter((v): v is readonly Tier[] => v !== undefined);
  // More tiers under a seatbelt is the strict choice: the union of those stated.
  const beltTiers = stated.length === 0 ? undefined : (() => {
    const tiers = TIERS.filter((x) => stated.some((l) => l.includes(x)));
    return { tiers, agree: stated.length === n && stated.every((l) => l.length === tiers.length) };
  })();
  if (beltTiers && !beltTiers.agree) notes.push(`seatbelts.tiers: the inputs disagree; kept [${beltTiers.tiers.join(', ')}], every tier any of them names (the strict choice)`);
  const commands = [...new Set(inputs.map((i) => (i.own.command ? JSON.stringify(i.own.command.value) : '')))];
  const command = commands.length === 1 && commands[0] ? (JSON.parse(commands[0]) as string[]) : undefined;
  if (commands.length > 1) notes.push('inputs disagree on command: left out');

  // extends, rebased.
  const outDir = dirname(resolve(opts.output ?? 'merged.yaml'));
  const ext: string[] = [];
  for (const inp of inputs) {
    for (const ref of inp.own.extends) {
      const v = ref.value;
      const isPath = v.includes('/') || /\.ya?ml$/.test(v);
      let r = v;
      if (isPath) {
        const rel = relative(outDir, resolve(dirname(resolve(inp.path)), v));
        r = isAbsolute(rel) || rel.startsWith('../') ? rel : `./${rel}`;
      }
      if (!ext.includes(r)) ext.push(r);
    }
  }

  // Sections.
  const present = (k: 'files' | 'exec' | 'network' | 'process') => inputs.filter((i) => i.own[k] !== undefined).map((i) => i.path);
  for (const k of ['files', 'exec', 'network'] as const) {
    const has = present(k);
    if (has.length > 0 && has.length < n) {
      notes.push(`${k}: absent (unrestricted) in ${inputs.filter((i) => !i.own[k]).map((i) => i.path).join(', ')}; kept, from the others (the strict choice)`);
    }
  }
  const write = unionList(inputs, 'files.write');
  const read = unionList(inputs, 'files.read', write.map((w) => w.value));
  const deny = unionList(inputs, 'files.deny');
  const exec = unionList(inputs, 'exec.allow');
  const connect = unionList(inputs, 'network.connect');
  const bind = unionList(inputs, 'network.bind');
  const sys = unionSyscalls(inputs);
  const rules = new Map<string, Set<number>>();
  inputs.forEach((inp, i) => {
    for (const r of inp.own.syscalls.rules) {
      const t = ruleText(r);
      (rules.get(t) ?? rules.set(t, new Set()).get(t)!).add(i);
    }
  });

  // Warnings on what the union grants.
  const flag = (verb: string, list: readonly Counted[], why: (v: string) => string | undefined) => {
    for (const c of list) {
      const w = why(c.value);
      if (w) warnings.push(`${verb} ${c.value}: ${w}`);
    }
  };
  flag('writes', write, sensitiveWrite);
  flag('reads', read, sensitivePath);
  flag('starts', exec, sensitiveProgram);
  flag('connects to', connect, sensitiveAddress);
  flag('binds', bind, sensitiveAddress);

  // --- text ----------------------------------------------------------------
  const head = [`Merged by syscage merge from ${n} recording${n === 1 ? '' : 's'}:`, ...inputs.map((i) => `  ${i.path}`),
    'Each entry says in how many of them it was seen: an entry seen in few is what only some runs did; review those.'];
  for (const inp of inputs) if (inp.incomplete) head.push(`INCOMPLETE: ${inp.path} was recorded from a run that did not finish (${inp.incomplete})`);
  const text = [...comments(head)];
  text.push(...notes.map((x) => `# NOTE: ${x}`));
  text.push(...warnings.map((w) => `# WARNING: ${w}`));

  text.push('version: 1');
  if (name.value) text.push(`name: ${scalar(name.value)}${name.note ? DISAGREE : ''}`);
  if (ext.length === 1) text.push(`extends: ${scalar(ext[0]!)}`);
  else if (ext.length > 1) text.push(`extends: [${ext.map(scalar).join(', ')}]`);
  if (command) text.push(`command: [${command.map((c) => JSON.stringify(c)).join(', ')}]`);
  const said = (d: Ruling<unknown>) => (d.note ? DISAGREE : '');
  if (mode.value) text.push(`mode: ${mode.value}${said(mode)}`);
  if (dflt.value) text.push(`default: ${dflt.value}${said(dflt)}`);
  if (errno.value !== undefined) text.push(`errno: ${errnoShow(errno.value)}${said(errno)}`);
  if (defaultErrno.value !== undefined) text.push(`default_errno: ${errnoShow(defaultErrno.value)}${said(defaultErrno)}`);
  if (violation.value) text.push(`violation: ${violation.value}${said(violation)}`);
  if (tier.value) text.push(`weakest_tier: ${tier.value}${said(tier)}`);

  const seenItem = (c: Counted, quote = false, why?: (v: string) => string | undefined): Item => {
    const w = why?.(c.value);
    return { text: quote ? JSON.stringify(c.value) : scalar(c.value), comment: seenText(c), warnings: w ? [w] : [] };
  };
  const sysLines: string[] = [];
  for (const kind of KINDS) {
    const l = sys.common.get(kind)!;
    if (l.length > 0 || kind === 'allow') sysLines.push(...blockList(kind, 2, l.map((c) => seenItem(c))));
  }
  for (const a of ARCHES) {
    const m = sys.arch.get(a)!;
    const lines = KINDS.filter((k) => m.get(k)!.length > 0).flatMap((k) => blockList(k, 4, m.get(k)!.map((c) => seenItem(c))));
    if (lines.length > 0) sysLines.push(`  ${a}:`, ...lines);
  }
  if (rules.size > 0) {
    sysLines.push('  rules:');
    for (const [t, who] of rules) sysLines.push(`    - ${t}  # seen in ${who.size} of ${n}`);
  }
  text.push('syscalls:', ...sysLines);

  if (present('files').length > 0) {
    text.push('files:');
    text.push(...blockList('read', 2, read.map((c) => seenItem(c, false, sensitivePath))));
    text.push(...blockList('write', 2, write.map((c) => seenItem(c, false, sensitiveWrite))));
    if (deny.length > 0) text.push(...blockList('deny', 2, deny.map((c) => seenItem(c))));
  }
  if (present('exec').length > 0) text.push('exec:', ...blockList('allow', 2, exec.map((c) => seenItem(c, false, sensitiveProgram))));
  if (present('network').length > 0) {
    text.push('network:');
    text.push(...blockList('connect', 2, connect.map((c) => seenItem(c, true, sensitiveAddress))));
    text.push(...blockList('bind', 2, bind.map((c) => seenItem(c, true, sensitiveAddress))));
  }
  if (present('process').length > 0) {
    text.push('process:');
    if (inputs.some((i) => i.own.process?.fork !== undefined)) {
      // Absent means the default, true: a recording that may fork.
      const allowed = inputs.filter((i) => i.own.process?.fork?.value ?? true).length;
      text.push(`  fork: ${allowed > 0}  # ${allowed > 0 ? `allowed in ${allowed} of ${n} recordings` : `no process created in any of ${n} recordings`}`);
    }
    if (signal.value) text.push(`  signal: ${signal.value}${signal.note ? DISAGREE : ''}`);
  }
  if (belts.length > 0) {
    text.push('seatbelts:');
    if (beltTiers) text.push(`  tiers: [${beltTiers.tiers.join(', ')}]${beltTiers.agree ? '' : DISAGREE}`);
    text.push(...blockList('native', 2, unionList(inputs, 'seatbelts.native').map((c) => seenItem(c))));
  }
  return { yaml: text.join('\n') + '\n', warnings };
}
