// Fuzzing the profile loader (lib/profile: loadProfile → parseProfile →
// schema → Reader → merge of `extends`). Every generated input must either
// load, or fail with a ProfileError whose diagnostics are typed: a known
// DiagnosticCode, a message, and a position (file:line:col) that points at a
// real line of the file it names, and that formatDiagnostic can render. Any
// other throw is a crash; any input slower than 1 s is a hang.
//
// Inputs are structure-aware: valid profiles generated from the schema's own
// vocabulary (syscall, errno and constant names), then mutated at the model
// level (wrong types, unknown and misspelt keys, deep nesting, huge and
// fractional numbers, inconsistent rules, glob metacharacters, malformed
// CIDRs and ports, long strings) and at the text level (tabs, BOM, CRLF and
// CR, anchors / aliases / merge keys, tags, directives, several documents,
// truncation, random YAML punctuation, invalid UTF-8, lone surrogates), plus
// raw random bytes, plus chains of `extends` between generated files
// (cycles, diamonds, missing files, built-in names and typos of them).
//
// A second property reads unmutated valid profiles back: what loads must be
// what was written (a loader that drops a list "successfully" is worse than
// one that crashes). A third does the same with YAML anchors and aliases
// (the loader used to drop aliased lists: a files.deny written as *alias was empty).
//
// FUZZ_SEED, FUZZ_N, FUZZ_CASE: see fixtures/kit.ts. FUZZ_DUMP=1 prints every case's files
// (use with FUZZ_CASE=i to see one input).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isScalar, parse, type Node } from 'yaml';
import { errnoNumber } from '../../lib/arch/errno.js';
import { packageRoot, profilesDir } from '../../lib/paths.js';
import {
  builtinProfiles, checkGlob, formatDiagnostic, loadProfile, ProfileError, type Diagnostic, type Loaded,
} from '../../lib/profile/index.js';
import type { Located, Profile } from '../../lib/profile/types.js';
import { compileMatchers } from '../../lib/trace/decide/matchers.js';
import type { Rng } from '../helpers/random.js';
import { caseRange, caseRng, clip, Failures, fuzzCount, fuzzSeed, LIMIT_MS, now, replacer, timed, Timing } from './fixtures/kit.js';

const SEED = fuzzSeed();
const N = fuzzCount(100_000);
// 100,000 inputs take ~80 s of CPU; beside the rest of the suite on 2 vCPUs the file once ran past
// tap's 120 s and was killed (CI, 2026-12-07): this file's own limit.
t.setTimeout(300_000);

// --- the vocabulary, from the schema (the loader's single source of truth) ------------------

type JsonSchema = Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(packageRoot(), 'profiles', 'schema.json'), 'utf8')) as JsonSchema;
const defs = schema.$defs as Record<string, JsonSchema>;
const SYSCALLS = defs.syscallName!.enum as string[];
const ERRNOS = defs.errnoName!.enum as string[];
const CONSTANTS = defs.constantName!.enum as string[];
const BUILTINS = builtinProfiles();
const BUILTIN_DIR = profilesDir();
/** Every DiagnosticCode and WarningCode, read from the type's declaration. */
const CODES = new Set(
  [...readFileSync(join(packageRoot(), 'lib', 'profile', 'diagnostic.ts'), 'utf8').matchAll(/^\s*\|?\s*'([EW]_[A-Z_]+)'/gm)].map((m) => m[1]!),
);

const TOP_KEYS = ['version', 'name', 'extends', 'command', 'mode', 'default', 'errno', 'default_errno', 'violation', 'weakest_tier', 'syscalls', 'files', 'exec', 'network', 'process'];
const NESTED_KEYS = ['allow', 'deny', 'kill', 'log', 'rules', 'x86_64', 'aarch64', 'read', 'write', 'connect', 'bind', 'fork', 'signal', 'syscall', 'syscalls', 'args', 'action', 'index', 'op', 'value', 'mask'];
const ACTIONS = ['allow', 'deny', 'kill', 'log'];
const OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq'];

// --- generators -------------------------------------------------------------------------------

const pickN = <T>(r: Rng, xs: readonly T[], max: number): T[] => Array.from({ length: r.int(max + 1) }, () => r.pick(xs));

const UNICODE = ['é', 'ß', '日本', 'Ω', '🙂', '\u200b', '\u0301', 'ﬁ', 'Ⅻ', '\u202e', 'İ'];
const SEGMENTS = ['var', 'task', 'tmp', 'opt', 'lib', 'etc', 'ssl', 'proc', 'self', 'x', 'a.b', '.hidden', '...', 'a b', 'python3*', '*', '*.js', '?', 'a?c', '**', 'node_modules', '-', '_', '%20', '~', '@scope', 'a:b', "it's", 'q"q', '#no', '&', '!x'];

function genSegment(r: Rng): string {
  const k = r.int(10);
  if (k < 7) return r.pick(SEGMENTS);
  if (k < 9) return r.pick(UNICODE) + (r.chance(0.5) ? r.pick(SEGMENTS).replace(/\*\*/, 'x') : '');
  return 'n' + r.int(1000);
}

function genGlob(r: Rng): string {
  if (r.chance(0.03)) return '/';
  const segs = Array.from({ length: 1 + r.int(5) }, () => genSegment(r));
  return '/' + segs.join('/') + (r.chance(0.05) ? '/' : '');
}

const ipv4 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

function genAddress(r: Rng): string {
  const port = (): string => {
    const k = r.int(4);
    if (k === 0) return '*';
    const a = r.int(65536);
    if (k === 1) return String(a);
    if (k === 2) return String(r.pick([22, 53, 80, 443, 5432, 8080, 65535]));
    const b = a + r.int(65536 - a);
    return `${a}-${b}`;
  };
  switch (r.int(7)) {
    case 0: return `*:${port()}`;
    case 1: {
      const len = r.int(33);
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      return `${ipv4((r.int(2 ** 32) & mask) >>> 0)}${r.chance(0.7) ? `/${len}` : ''}:${port()}`.replace(/\/32:/, r.chance(0.5) ? ':' : '/32:');
    }
    case 2: {
      // IPv6 prefixes with no host bits set below their length.
      const [addr, lens] = r.pick([['::1', ['', '/128']], ['::', ['', '/0', '/64', '/96', '/128']], ['2001:db8::', ['', '/32', '/64', '/128']], ['fe80::', ['/10', '/64']],
        ['fd00::', ['/8', '']], ['::ffff:10.0.0.0', ['', '/104', '/128']], ['2001:db8:0:0:0:0:0:1', ['', '/128']], ['::ffff:192.168.1.1', ['']]] as const);
      return `[${addr}]${r.pick(lens)}:${port()}`;
    }
    case 3: return `unix:${genGlob(r)}`.replace(/\*\*\//g, '**/');
    case 4: return `unix:@${r.pick(['agent-*', 'x', '*', '**', 'dbus', 'é'])}`;
    case 5: return `${r.pick(['10.0.0.0/8', '169.254.78.1', '127.0.0.1', '0.0.0.0/0', '192.168.0.0/16'])}:${port()}`;
    default: return r.chance(0.5) ? `[2001:db8::/32]:${port()}` : `[::/0]:${port()}`;
  }
}

function genArgValue(r: Rng): bigint | string {
  if (r.chance(0.3)) return r.pick(CONSTANTS);
  return r.pick([0n, 1n, 2n, -1n, 0xffn, 1n << 63n, (1n << 64n) - 1n, -(1n << 63n), BigInt(r.int(2 ** 31)), r.u64()]);
}

type Obj = Record<string, unknown>;

function genRule(r: Rng): Obj {
  const rule: Obj = {};
  if (r.chance(0.5)) rule.syscall = r.pick(SYSCALLS);
  else rule.syscalls = Array.from({ length: 1 + r.int(3) }, () => r.pick(SYSCALLS));
  if (r.chance(0.7)) {
    rule.args = Array.from({ length: r.int(3) }, () => {
      const op = r.pick(OPS);
      const c: Obj = { index: r.int(6), op, value: genArgValue(r) };
      if (op === 'masked_eq') c.mask = genArgValue(r);
      return c;
    });
  }
  rule.action = r.pick(ACTIONS);
  if (rule.action === 'deny' && r.chance(0.5)) rule.errno = r.chance(0.5) ? r.pick(ERRNOS) : 1 + r.int(4095);
  return rule;
}

const genLists = (r: Rng, max: number): Obj => {
  const o: Obj = {};
  for (const k of ['allow', 'deny', 'kill', 'log']) if (r.chance(0.4)) o[k] = pickN(r, SYSCALLS, max);
  return o;
};

/** A profile that the schema and the semantic checks accept. */
function genValid(r: Rng, refs: readonly string[] = []): Obj {
  const p: Obj = { version: 1 };
  if (r.chance(0.5)) p.name = r.pick(['orders-api', 'x', 'é', 'a b', 'n' + r.int(99)]);
  if (refs.length > 0) p.extends = r.chance(0.3) ? r.pick(refs) : pickN(r, refs, 3);
  if (r.chance(0.2)) p.command = ['/var/lang/bin/python3', ...pickN(r, ['-m', 'app', 'x y', 'é'], 3)];
  if (r.chance(0.3)) p.mode = r.pick(['enforce', 'audit']);
  if (r.chance(0.3)) p.default = r.pick(ACTIONS);
  if (r.chance(0.3)) p.errno = r.chance(0.5) ? r.pick(ERRNOS) : 1 + r.int(4095);
  if (r.chance(0.2)) p.default_errno = r.chance(0.5) ? r.pick(ERRNOS) : 1 + r.int(4095);
  if (r.chance(0.3)) p.violation = r.pick(['deny', 'kill']);
  if (r.chance(0.7)) {
    const s = genLists(r, 4);
    if (r.chance(0.4)) s.rules = Array.from({ length: r.int(3) }, () => genRule(r));
    if (r.chance(0.2)) s.x86_64 = genLists(r, 4);
    if (r.chance(0.2)) s.aarch64 = genLists(r, 4);
    p.syscalls = s;
  }
  if (r.chance(0.5)) {
    const f: Obj = {};
    for (const k of ['read', 'write', 'deny']) if (r.chance(0.6)) f[k] = Array.from({ length: r.int(4) }, () => genGlob(r));
    p.files = f;
  }
  if (r.chance(0.3)) p.exec = r.chance(0.2) ? {} : { allow: Array.from({ length: r.int(4) }, () => genGlob(r)) };
  if (r.chance(0.4)) {
    const n: Obj = {};
    for (const k of ['connect', 'bind']) if (r.chance(0.6)) n[k] = Array.from({ length: r.int(5) }, () => genAddress(r));
    p.network = n;
  }
  if (r.chance(0.3)) {
    const pr: Obj = {};
    if (r.chance(0.7)) pr.fork = r.chance(0.5);
    if (r.chance(0.5)) pr.signal = r.pick(['tree', 'any']);
    p.process = pr;
  }
  return p;
}

const EDGE_NUMBERS: readonly unknown[] = [
  0, -1, 1, 5, 6, 4095, 4096, 2 ** 31, 2 ** 32, 2 ** 53 + 1, -(2 ** 53), 0.5, -0, 1e308, NaN, Infinity, -Infinity,
  1n << 63n, (1n << 64n) - 1n, 1n << 64n, -(1n << 63n), -(1n << 63n) - 1n, 10n ** 40n, -(10n ** 40n),
];

const JUNK_STRINGS = [
  '', ' ', '~', 'null', 'yes', 'no', 'on', 'true', '0x10', '0o7', '1e3', '.inf', '-.nan', '1_000', '08', '+1', '=', '<<', '- x', ': x', '#x', '&a', '*a', '!tag',
  '|', '>', '%YAML', '---', '...', '\t', '\0', '\u0085', '\u2028', '\ud800', '\udfff', '\\', '"', "'", '`', '@', '{}', '[]', '{a: 1}', '[1, 2]',
];

function genString(r: Rng): string {
  const k = r.int(8);
  if (k < 3) return r.pick(JUNK_STRINGS);
  if (k < 5) return r.pick([...SYSCALLS, ...ERRNOS, ...CONSTANTS, ...TOP_KEYS]).slice(0, r.int(20) || undefined);
  if (k < 7) return Array.from({ length: r.int(12) }, () => String.fromCodePoint(r.chance(0.8) ? 32 + r.int(95) : r.int(0x11000))).join('');
  return 'x'.repeat(r.chance(0.05) ? r.int(1500) : r.int(100));
}

function genJunk(r: Rng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 6 : 9);
  switch (k) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: case 3: return r.pick(EDGE_NUMBERS);
    case 4: case 5: return genString(r);
    case 6: return Array.from({ length: r.int(4) }, () => genJunk(r, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.chance(0.5) ? r.pick([...TOP_KEYS, ...NESTED_KEYS]) : genString(r), genJunk(r, depth + 1)]));
    default: return r.pick([genGlob(r), genAddress(r), r.pick(SYSCALLS)]);
  }
}

function nest(r: Rng, depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = r.chance(0.5) ? [v] : { [r.pick(NESTED_KEYS)]: v };
  return v;
}

/** Bad globs: what checkGlob must refuse, and metacharacter soup around good ones. */
function badGlob(r: Rng): string {
  const g = genGlob(r);
  const at = r.int(g.length + 1);
  const ins = r.pick(['[', ']', '{', '}', '\\', '\0', '//', '/./', '/../', '/.', '/..', '***', 'a**', '**b', '*?*', '[!a-z]', '{a,b}', '\n', '\t', '\u0000x']);
  // Long ones are rare and capped: a long unknown name costs the loader O(length) per candidate
  // name (see the reproducer for what 16,000 characters cost).
  const len = (): number => r.int(r.chance(0.05) ? 1500 : 200);
  switch (r.int(6)) {
    case 0: return g.slice(1);
    case 1: return g.slice(0, at) + ins + g.slice(at);
    case 2: return '/' + r.pick(['*', '?', '**', '*'.repeat(1 + len()), '?'.repeat(len()), 'a*'.repeat(len() / 2)]);
    case 3: return '/' + Array.from({ length: len() / 2 }, () => r.pick(['**', '*', 'a', '?'])).join('/');
    case 4: return '';
    default: return '/' + 'é'.repeat(len());
  }
}

/** Bad addresses: malformed hosts, CIDRs, brackets, ports. */
function badAddress(r: Rng): string {
  const a = genAddress(r);
  const junk = ['1.2.3.4', '1.2.3.256:1', '01.2.3.4:1', '1.2.3:1', 'host.example:80', '::1:80', '[::1]/129:1', '[::1]:65536', '1.2.3.4:5-1', '1.2.3.4/33:1',
    '1.2.3.4/24:1', '[::1/64]/64:1', '[1:2:3:4:5:6:7:8:9]:1', '[:::]:1', '[::ffff:1.2.3.4]/96:1', 'unix:', 'unix:@', 'unix:rel', 'unix:@a/**b', ':', '::', '*:', ':*',
    '[]:1', '[', ']:1', '1.2.3.4:+1', '1.2.3.4:0x10', '1.2.3.4:1e3', '1.2.3.4:99999999999999999999', '1.2.3.4/999999999999:1', '[::]/-1:1', ' 1.2.3.4:1', '1.2.3.4:1 '];
  switch (r.int(4)) {
    case 0: return r.pick(junk);
    case 1: {
      const at = r.int(a.length + 1);
      return a.slice(0, at) + r.pick([':', '[', ']', '/', '-', '.', '*', '@', '0', '9', 'ffff', '::']) + a.slice(at + r.int(2));
    }
    case 2: return Array.from({ length: 1 + r.int(30) }, () => r.pick(['1', '2', '5', '.', ':', '/', '[', ']', 'f', '-', '*'])).join('');
    default: return r.pick(['[', '']) + '1:'.repeat(r.int(r.chance(0.05) ? 2000 : 100)) + r.pick([']', '']) + ':1';
  }
}

/** Every (container, key) slot of a model, to mutate one at random. */
function slots(o: unknown, out: { parent: Obj | unknown[]; key: string | number }[] = []): { parent: Obj | unknown[]; key: string | number }[] {
  if (Array.isArray(o)) o.forEach((v, i) => { out.push({ parent: o, key: i }); slots(v, out); });
  else if (o !== null && typeof o === 'object') for (const [k, v] of Object.entries(o)) { out.push({ parent: o as Obj, key: k }); slots(v, out); }
  return out;
}

const maps = (o: unknown): Obj[] => {
  const out: Obj[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') { out.push(v as Obj); Object.values(v).forEach(walk); }
  };
  walk(o);
  return out;
};

const typo = (r: Rng, s: string): string => {
  if (s.length < 2) return s + 'x';
  const i = r.int(s.length);
  switch (r.int(4)) {
    case 0: return s.slice(0, i) + s.slice(i + 1);
    case 1: return s.slice(0, i) + s[i + 1 === s.length ? i : i + 1] + s[i] + s.slice(i + 2);
    case 2: return s.slice(0, i) + r.pick(['x', 'e', '_', '-']) + s.slice(i);
    default: return s.toUpperCase();
  }
};

function mutateModel(r: Rng, m: Obj): void {
  const all = slots(m);
  const slot = all.length > 0 ? r.pick(all) : undefined;
  const set = (v: unknown): void => {
    if (slot) (slot.parent as Record<string | number, unknown>)[slot.key] = v;
  };
  const cur = slot ? (slot.parent as Record<string | number, unknown>)[slot.key] : undefined;
  switch (r.int(r.chance(0.05) ? 12 : 10)) {
    case 0: set(genJunk(r)); break;
    case 1: {
      const target = r.pick(maps(m));
      const known = r.pick([...TOP_KEYS, ...NESTED_KEYS]);
      target[r.pick([typo(r, known), known, genString(r), '<<', 'Version', 'files ', 'x-' + known])] = genJunk(r);
      break;
    }
    case 2: {
      const target = r.pick(maps(m));
      const keys = Object.keys(target);
      if (keys.length > 0) delete target[r.pick(keys)];
      break;
    }
    case 3: set(typeof cur === 'string' ? typo(r, cur) : genString(r)); break;
    case 4: set(r.pick(EDGE_NUMBERS)); break;
    // Shallow here: the yaml library's stringify is exponential in flow nesting. Deep nesting is a text mutation.
    case 5: set(nest(r, 1 + r.int(6), genJunk(r, 4))); break;
    case 6: set(r.chance(0.5) ? badGlob(r) : badAddress(r)); break;
    case 7: {
      // Rule shapes the schema allows but the Reader must refuse.
      const rule = genRule(r);
      switch (r.int(5)) {
        case 0: rule.syscall = r.pick(SYSCALLS); rule.syscalls = [r.pick(SYSCALLS)]; break;
        case 1: delete rule.syscall; delete rule.syscalls; break;
        case 2: rule.action = r.pick(['allow', 'kill', 'log']); rule.errno = r.pick(ERRNOS); break;
        case 3: rule.args = [{ index: r.int(6), op: 'masked_eq', value: genArgValue(r) }]; break;
        default: rule.args = [{ index: r.int(6), op: r.pick(OPS.slice(0, 6)), value: genArgValue(r), mask: genArgValue(r) }];
      }
      if (m.syscalls === null || typeof m.syscalls !== 'object' || Array.isArray(m.syscalls)) m.syscalls = {};
      const s = m.syscalls as Obj;
      s.rules = [...(Array.isArray(s.rules) ? s.rules : []), rule];
      break;
    }
    case 8: m.version = r.pick([2, '1', 1.0, 0, null, true, [1], 10n ** 30n]); break;
    case 9: delete m.version; break;
    case 10: set(genString(r)); break;
    case 11: set(genString(r)); break;
    default: {
      // Many entries: lists of hundreds of names, globs, addresses (some wrong).
      const n = 50 + r.int(400);
      const k = r.int(3);
      const list = Array.from({ length: n }, () => (k === 0 ? (r.chance(0.9) ? r.pick(SYSCALLS) : typo(r, r.pick(SYSCALLS))) : k === 1 ? genGlob(r) : genAddress(r)));
      if (k === 0) m.syscalls = { allow: list };
      else if (k === 1) m.files = { read: list };
      else m.network = { connect: list };
    }
  }
}

// --- text-level mutations ------------------------------------------------------------------------

const PUNCT = [':', '-', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', '|', '>', '%', '@', '`', ',', '?', '\n', ' ', '  ', '\t', '\\', '\0', '\r', '\uFEFF', '---', '...', '<<: ', '&a ', '*a', '!!str ', '? '];
const TAGS = ['!!str', '!!int', '!!float', '!!bool', '!!null', '!!binary', '!!set', '!!omap', '!!pairs', '!!map', '!!seq', '!!timestamp', '!custom', '!<tag:yaml.org,2002:str>', '!e!x', '!!merge'];

function insertAt(s: string, at: number, what: string, del = 0): string {
  return s.slice(0, at) + what + s.slice(at + del);
}

/** Offsets where a value starts ("key: " and "- " followed by something). */
function valueStarts(s: string): number[] {
  const out: number[] = [];
  for (const m of s.matchAll(/(?::|-) (?=\S)/g)) out.push(m.index! + m[0].length);
  return out;
}

/** Deeply nested collections as text: flow sequences and maps, block sequences. */
function deep(r: Rng, depth: number): string {
  switch (r.int(4)) {
    case 0: return '['.repeat(depth) + 'x' + ']'.repeat(depth);
    case 1: return '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
    case 2: return '[{'.repeat(depth) + 'k: v' + '}]'.repeat(depth);
    default: return '\n' + Array.from({ length: depth }, (_, i) => ' '.repeat(2 + i) + '- ').join('\n') + 'x';
  }
}

function mutateText(r: Rng, s: string): string {
  switch (r.int(17)) {
    case 16: {
      const starts = valueStarts(s);
      const depth = 1 + r.int(r.chance(0.01) ? 1500 : r.chance(0.1) ? 200 : 30);
      const at = starts.length > 0 ? r.pick(starts) : s.length;
      const len = /^[^\n]*/.exec(s.slice(at))![0].length;
      return insertAt(s, at, deep(r, depth), len);
    }
    case 0: return '\uFEFF' + s;
    case 1: return s.replace(/\n/g, r.pick(['\r\n', '\r', '\n\n', '\n# c\n']));
    case 2: {
      const lines = s.split('\n');
      const i = r.int(lines.length);
      lines[i] = lines[i]!.replace(/^( *)/, (sp) => (r.chance(0.5) ? '\t' + sp : sp.replace(/ {2}/g, '\t')));
      return lines.join('\n');
    }
    case 3: return r.pick(['', '%YAML 1.1\n---\n', '%YAML 1.2\n---\n', '%TAG !e! tag:example.com,2000:\n---\n', '---\n', '--- !!map\n', '%YAML 2.0\n---\n']) + s + r.pick(['', '...\n', '---\n', '---\nversion: 1\n', '--- x\n', '...\n---\nname: 2\n']);
    case 4: {
      // An anchor on one value, an alias somewhere else (maybe before the anchor, maybe undefined).
      const starts = valueStarts(s);
      if (starts.length === 0) return s;
      const a = r.pick(starts);
      let out = insertAt(s, a, `&${r.pick(['a', 'b', 'x1'])} `);
      const b = r.pick(valueStarts(out));
      const len = /^[^\n,\]}]*/.exec(out.slice(b))![0].length;
      out = insertAt(out, b, r.pick(['*a', '*b', '*x1', '*nope', '*a ', '*']), r.chance(0.7) ? len : 0);
      return out;
    }
    case 5: {
      // Merge keys, which YAML 1.2 (the yaml library's default) does not have.
      const lines = s.split('\n');
      const i = 1 + r.int(Math.max(1, lines.length - 1));
      const indent = /^ */.exec(lines[i] ?? '')![0];
      lines.splice(i, 0, `${indent}<<: ${r.pick(['*a', '{name: x}', '[*a, *b]', '{version: 2}'])}`);
      return (r.chance(0.5) ? 'x: &a {name: y}\n' : '') + lines.join('\n');
    }
    case 6: {
      const starts = valueStarts(s);
      return starts.length === 0 ? s : insertAt(s, r.pick(starts), r.pick(TAGS) + ' ');
    }
    case 7: return s.slice(0, r.int(s.length + 1));
    case 8: case 9: {
      let out = s;
      for (let k = 1 + r.int(4); k > 0; k--) out = insertAt(out, r.int(out.length + 1), r.pick(PUNCT), r.int(3));
      return out;
    }
    case 10: {
      // Invalid UTF-8, decoded as the loader's readFile would (replacement characters), or as latin1.
      const b = Buffer.from(s, 'utf8');
      const at = r.int(b.length + 1);
      const bad = Buffer.from(r.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xfe, 0xff]]));
      const out = Buffer.concat([b.subarray(0, at), bad, b.subarray(at)]);
      return out.toString(r.chance(0.8) ? 'utf8' : 'latin1');
    }
    case 11: return insertAt(s, r.int(s.length + 1), r.pick(['\ud800', '\udc00', '\ud83d', '\u0000', '\u0085', '\u2028', '\u2029', '\ufffe', '\uffff']));
    case 12: {
      const lines = s.split('\n');
      const i = r.int(lines.length);
      lines.splice(i, 0, lines[r.int(lines.length)]!);
      return lines.join('\n');
    }
    case 13: return s.replace(/(\d+)/, (d) => r.pick([`0x${Number(d).toString(16)}`, `0o${Number(d).toString(8)}`, `${d}.0`, `+${d}`, `${d}e0`, `0${d}`, '1_0', '.inf', '-.Inf', '.NaN', '0b1', '~']));
    case 14: return s.replace(/"/g, "'").replace(/: /, ':');
    default: return s + r.pick(['\n', '', ' ', '#', '\n  x', '\n- a', '\n? a\n: b', '\nversion: 1\n', '\n"a\n', "\n'a", '\n[', '\n{']);
  }
}

function rawBytes(r: Rng): string {
  const n = r.int(r.chance(0.1) ? 4000 : 300);
  if (r.chance(0.5)) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = r.int(256);
    return b.toString(r.chance(0.7) ? 'utf8' : 'latin1');
  }
  // YAML-flavoured noise: punctuation, keys, names, newlines, indentation.
  return Array.from({ length: n / 4 }, () => r.pick([...PUNCT, ...TOP_KEYS, ...NESTED_KEYS, 'version: 1\n', '  ', '\n', 'a', '1', '- ', ': '])).join('');
}

function stringify(r: Rng, model: unknown, aliases = false): string {
  const doc = new Document(model, { aliasDuplicateObjects: aliases });
  return doc.toString({
    defaultStringType: r.pick(['PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL']),
    defaultKeyType: r.pick([null, null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE']),
    collectionStyle: r.pick(['any', 'any', 'block', 'flow']),
    indent: r.pick([2, 2, 3, 4]),
    indentSeq: r.chance(0.7),
    lineWidth: r.pick([0, 40, 80]),
    flowCollectionPadding: r.chance(0.5),
  })
    // The yaml library writes an empty collection on the line after its key, at the key's own
    // indentation when indentSeq is off ("allow:\n  []"), which it then cannot read back.
    .replace(/:\n( *)(\[\]|\{\})(?=\n|$)/g, ': $2');
}

// --- one case ------------------------------------------------------------------------------------

const VROOT = '/fuzz-virtual';
const TOP = `${VROOT}/root.yaml`;

interface Case {
  readonly kind: string;
  /** Absolute virtual path → text. TOP is always there. */
  readonly files: Record<string, string>;
}

const builtinText = new Map<string, string>();
function readVirtual(files: Record<string, string>): (p: string) => string {
  return (p) => {
    const text = files[p];
    if (text !== undefined) return text;
    if (p.startsWith(BUILTIN_DIR + '/')) {
      let b = builtinText.get(p);
      if (b === undefined) builtinText.set(p, (b = readFileSync(p, 'utf8')));
      return b;
    }
    if (p.endsWith('/locked.yaml')) throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
    if (p.endsWith('/')) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR' });
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
  };
}

function genCase(r: Rng): Case {
  const k = r.int(100);
  if (k < 8) return { kind: 'raw', files: { [TOP]: rawBytes(r) } };
  if (k < 18) {
    // A chain of extends between generated files, some of them broken.
    const names = ['base.yaml', 'sub/b.yaml', 'c.yml', 'locked.yaml'].slice(0, 1 + r.int(4));
    const refOf = (from: string, to: string): string => {
      const rel = from.includes('/') && !to.includes('/') ? `../${to}` : from.includes('/') ? `./${to.split('/')[1]}` : `./${to}`;
      return r.chance(0.9) ? rel : r.pick(['./nope.yaml', 'nodjs', 'pyhton', '', '/', './', '../../x.yaml', 'a\0b.yaml', 'x'.repeat(300) + '.yaml', 'root', './root.yaml', 'sub/']);
    };
    const files: Record<string, string> = {};
    const all = ['root.yaml', ...names];
    for (const name of all) {
      const refs = [...pickN(r, all, 2).map((to) => refOf(name, to)), ...(r.chance(0.2) ? [r.pick(BUILTINS)] : [])];
      const m = genValid(r, r.chance(0.8) ? refs : []);
      if (r.chance(0.3)) mutateModel(r, m);
      let text = stringify(r, m);
      if (r.chance(0.15)) text = mutateText(r, text);
      files[`${VROOT}/${name}`] = text;
    }
    return { kind: 'extends', files };
  }
  const m = genValid(r);
  const modelMutations = k >= 33 && k < 60 ? 1 + r.int(3) : 0;
  for (let i = 0; i < modelMutations; i++) mutateModel(r, m);
  let text = stringify(r, m);
  const textMutations = k >= 45 ? 1 + r.int(3) : 0;
  for (let i = 0; i < textMutations; i++) text = mutateText(r, text);
  return { kind: modelMutations && textMutations ? 'model+text' : modelMutations ? 'model' : textMutations ? 'text' : 'valid', files: { [TOP]: text } };
}

// --- the property --------------------------------------------------------------------------------

/** Source text of the file a diagnostic points into, when the test knows it. */
function textOf(files: Record<string, string>, file: string): string | undefined {
  if (files[file] !== undefined) return files[file];
  const abs = file.startsWith('/') ? file : join(process.cwd(), file);
  if (files[abs] !== undefined) return files[abs];
  if (abs.startsWith(BUILTIN_DIR + '/')) return readVirtual(files)(abs);
  return undefined;
}

/** Lines of the texts of the current case (cleared per case). */
const linesCache = new Map<string, string[]>();

/** What is wrong with a diagnostic, or undefined. */
function badDiagnostic(d: Diagnostic, files: Record<string, string>): string | undefined {
  if (d.severity !== 'error' && d.severity !== 'warning') return `severity ${String(d.severity)}`;
  if (!CODES.has(d.code)) return `unknown code ${String(d.code)}`;
  if (typeof d.message !== 'string' || d.message.length === 0) return 'no message';
  if (!d.loc) return `${d.code} has no position`;
  const { line, col, file, length } = d.loc;
  if (!Number.isInteger(line) || line < 1 || !Number.isInteger(col) || col < 1) return `${d.code} at a bad position ${line}:${col}`;
  if (length !== undefined && (!Number.isInteger(length) || length < 1)) return `${d.code} with a caret length ${length}`;
  const text = textOf(files, file);
  if (text === undefined) return `${d.code} points into an unknown file ${file}`;
  let lines = linesCache.get(text);
  if (!lines) linesCache.set(text, (lines = text.split(/\r?\n/)));
  if (line > lines.length) return `${d.code} at line ${line} of a ${lines.length}-line file`;
  if (d.sourceLine !== undefined && d.sourceLine !== lines[line - 1]) return `${d.code}: sourceLine is not line ${line} of ${file}`;
  if (col > lines[line - 1]!.length + 1) return `${d.code} at column ${col} of a ${lines[line - 1]!.length}-character line`;
  let shown: string;
  try {
    shown = formatDiagnostic(d);
  } catch (e) {
    return `formatDiagnostic threw ${String(e)}`;
  }
  if (!shown.includes(d.code)) return 'formatDiagnostic lost the code';
  return undefined;
}

const locOk = (l: Located<unknown>): boolean => l.loc === undefined || (l.loc.line >= 1 && l.loc.col >= 1);

/** What is wrong with a profile that loaded, or undefined. */
function badProfile(p: Profile): string | undefined {
  if (p.version !== 1) return 'version';
  if (!['enforce', 'audit'].includes(p.mode.value)) return `mode ${p.mode.value}`;
  if (!ACTIONS.includes(p.default.value)) return `default ${p.default.value}`;
  for (const e of [p.errno.value, p.defaultErrno.value]) if (!Number.isInteger(e) || e < 1 || e > 4095) return `errno ${e}`;
  const lists = [p.syscalls, ...Object.values(p.syscalls.arch)];
  for (const l of lists) {
    for (const n of [...l!.allow, ...l!.deny, ...l!.kill, ...l!.log]) {
      if (!SYSCALLS.includes(n.value)) return `syscall "${n.value}" is not a syscall name`;
      if (!locOk(n)) return 'syscall position';
    }
  }
  for (const rule of p.syscalls.rules) {
    if (rule.syscalls.length === 0 || rule.syscalls.some((s) => !SYSCALLS.includes(s.value))) return `rule syscalls ${rule.syscalls.map((s) => s.value)}`;
    if (!ACTIONS.includes(rule.action)) return `rule action ${rule.action}`;
    for (const a of rule.args) if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5 || !OPS.includes(a.op)) return 'rule arg';
  }
  for (const g of [...(p.files?.read ?? []), ...(p.files?.write ?? []), ...(p.files?.deny ?? []), ...(p.exec?.allow ?? [])]) {
    if (checkGlob(g.value)) return `glob "${g.value}" loaded but checkGlob refuses it`;
  }
  try {
    compileMatchers(p);
  } catch (e) {
    return `compileMatchers threw ${String(e)}`;
  }
  return undefined;
}

/** lib/ bugs this fuzzer found (see the reproducers at the end), recognised by their failure text. */
const KNOWN: readonly { title: string; fix: string; match: (what: string) => boolean }[] = [
  {
    title: 'a non-integer number where the schema has an enum (mode: 0.5, mode: .nan) throws RangeError',
    fix: 'lib/profile/schema.ts: enumSet(s.enum).has(BigInt(value)) — BigInt() of a non-integer number throws',
    match: (w) => /RangeError: The number .* cannot be converted to a BigInt/.test(w),
  },
  {
    title: 'after a YAML syntax error, positions can point past the end of their line (the wrong line)',
    fix: 'lib/profile/source.ts: yaml\'s LineCounter misses newlines inside the tokens of a syntax error; locAt should count lines in the text',
    match: (w) => /^refused, but E_YAML_SYNTAX at (?:column \d+ of a|line \d+ of a)/.test(w),
  },
  {
    title: 'an alias as a list item loads as the syscall name "undefined"; `syscall: *a` in a rule loads as a rule for no syscall',
    fix: 'lib/profile/parse.ts: Reader.strings() reads (item as Scalar).value of an Alias node, and get() returns the Alias itself; the schema validator resolved the alias, the Reader does not',
    match: (w) => /^loaded, but (?:syscall "undefined"|rule syscalls (?:$|.*undefined))/.test(w),
  },
  {
    title: 'an alias as a rule\'s action, an argument\'s op or index (action: *a) throws TypeError',
    fix: 'lib/profile/parse.ts Reader.rules / condition: this.scalar(...)!.value is undefined for an Alias node (the schema validator accepted it)',
    match: (w) => /TypeError: Cannot read properties of undefined \(reading 'value'\)\n\s+at Reader\.(?:rules|condition)/.test(w),
  },
];

type Verdict = { ok: true; loaded: Loaded } | { ok: false; error: ProfileError } | { crash: string };

function runLoader(files: Record<string, string>): Verdict {
  try {
    return { ok: true, loaded: loadProfile(TOP, { readFile: readVirtual(files), builtinDir: BUILTIN_DIR }) };
  } catch (e) {
    if (e instanceof ProfileError) return { ok: false, error: e };
    return { crash: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 5).join('\n')}` : String(e) };
  }
}

t.test(`the loader: ${N} generated inputs load or fail with positioned, typed diagnostics (seed ${SEED})`, async (t) => {
  t.comment(`FUZZ_SEED=${SEED} FUZZ_N=${N}`);
  const failures = new Failures('profile-loader', SEED);
  const timing = new Timing();
  const kinds: Record<string, number> = {};
  const kindMs: Record<string, number> = {};
  const codes: Record<string, number> = {};
  let loaded = 0;
  let refused = 0;
  const started = now();
  for (const i of caseRange(N)) {
    const r = caseRng(SEED, i);
    let c: Case;
    try {
      c = genCase(r);
    } catch (e) {
      failures.add(`case ${i}`, `the generator threw (a test bug): ${String(e)}`, {});
      continue;
    }
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    linesCache.clear();
    const id = `seed ${SEED} case ${i} (${c.kind})`;
    const { result: v, ms } = timed(() => runLoader(c.files), id, `case ${i}, ${c.kind}`, c.files, timing, failures);
    kindMs[c.kind] = (kindMs[c.kind] ?? 0) + ms;
    if (process.env.FUZZ_DUMP) t.comment(JSON.stringify({ i, ms, files: c.files }));
    if ('crash' in v) {
      failures.add(id, `threw something other than a ProfileError: ${v.crash}`, c.files);
    } else if (v.ok) {
      loaded++;
      const bad = badProfile(v.loaded.profile) ?? v.loaded.warnings.map((d) => badDiagnostic(d, c.files)).find((x) => x);
      if (bad) failures.add(id, `loaded, but ${bad}`, c.files);
    } else {
      refused++;
      const e = v.error;
      const errors = e.diagnostics.filter((d) => d.severity === 'error');
      codes[e.code] = (codes[e.code] ?? 0) + 1;
      const bad = errors.length === 0 ? 'a ProfileError without an error diagnostic'
        : e.code !== errors[0]!.code ? `ProfileError.code ${e.code} is not its first error's`
        : e.diagnostics.map((d) => badDiagnostic(d, c.files)).find((x) => x);
      if (bad) failures.add(id, `refused, but ${bad}`, c.files);
    }
  }
  const wall = (now() - started) / 1000;
  t.comment(`${loaded} loaded, ${refused} refused; kinds ${JSON.stringify(kinds)}`);
  t.comment(`mean ms by kind ${JSON.stringify(Object.fromEntries(Object.entries(kindMs).map(([k, v]) => [k, +(v / kinds[k]!).toFixed(3)])))}`);
  t.comment(`first error codes: ${JSON.stringify(Object.fromEntries(Object.entries(codes).sort((a, b) => b[1] - a[1])))}`);
  t.comment(`${timing.summary()}; wall ${wall.toFixed(1)} s`);
  // Failures are counted per lib/ bug this fuzzer found (all fixed since): each must stay at zero.
  const unknown = failures.list.filter((f) => !KNOWN.some((k) => k.match(f.what)));
  const rep = failures.report();
  for (const k of KNOWN) {
    const hits = failures.list.filter((f) => k.match(f.what));
    t.equal(hits.length, 0, `lib bug found by fuzzing, fixed (${k.fix}): ${k.title}`, { examples: hits.slice(0, 2).map((f) => ({ id: f.id, what: f.what, input: clip(JSON.stringify(f.input, replacer), 600) })) });
  }
  t.equal(unknown.length, 0, 'no crash, no hang, no untyped or unpositioned error', {
    seed: SEED, saved: rep.saved, failures: unknown.slice(0, 5).map((f) => ({ id: f.id, what: f.what, input: clip(JSON.stringify(f.input, replacer), 1500) })),
  });
  if (process.env.FUZZ_CASE === undefined) {
    t.ok(timing.count >= N, `${timing.count} inputs ran (asked for ${N})`);
    t.ok(loaded > N / 10 && refused > N / 10, 'both outcomes are well represented (the generator is not degenerate)');
    t.ok(Object.keys(codes).length >= 12, `${Object.keys(codes).length} distinct diagnostic codes reached`);
  }
  t.comment(`slowest input ${timing.max.toFixed(1)} ms (limit ${LIMIT_MS} ms, checked twice before it counts as a hang)`);
});

// --- read-back: what a valid profile says is what loads ---------------------------------------------

const dedup = (xs: readonly string[]): string[] => [...new Set(xs)];
const errnoOf = (v: unknown): number => (typeof v === 'string' ? errnoNumber(v)! : Number(v));
const argOf = (v: unknown): string => (typeof v === 'bigint' ? `int:${BigInt.asUintN(64, v)}` : `name:${String(v)}`);
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The loaded profile, as plain comparable data. */
function project(p: Profile): unknown {
  const names = (l: readonly Located<string>[]): string[] => l.map((x) => x.value);
  const lists = (l: { allow: readonly Located<string>[]; deny: readonly Located<string>[]; kill: readonly Located<string>[]; log: readonly Located<string>[] }) =>
    ({ allow: names(l.allow), deny: names(l.deny), kill: names(l.kill), log: names(l.log) });
  return {
    name: p.name, command: p.command?.value, mode: p.mode.value, default: p.default.value, errno: p.errno.value, defaultErrno: p.defaultErrno.value, violation: p.violation.value,
    syscalls: {
      ...lists(p.syscalls),
      rules: p.syscalls.rules.map((r) => ({
        syscalls: names(r.syscalls), action: r.action, errno: r.errno,
        args: r.args.map((a) => ({ index: a.index, op: a.op, value: 'int' in a.value.value ? `int:${a.value.value.int}` : `name:${a.value.value.name}`, mask: a.mask === undefined ? undefined : 'int' in a.mask.value ? `int:${a.mask.value.int}` : `name:${a.mask.value.name}` })),
      })),
      arch: Object.fromEntries(Object.entries(p.syscalls.arch).map(([k, v]) => [k, lists(v!)])),
    },
    files: p.files && { read: names(p.files.read), write: names(p.files.write), deny: names(p.files.deny) },
    exec: p.exec && { allow: names(p.exec.allow) },
    network: p.network && { connect: p.network.connect.map((a) => a.value.text), bind: p.network.bind.map((a) => a.value.text) },
    process: p.process && { fork: p.process.fork.value, signal: p.process.signal.value },
  };
}

/** What the model says, in the same shape, with the documented defaults. */
function expected(m: Obj): unknown {
  const s = (m.syscalls ?? {}) as Obj;
  const lists = (l: Obj) => ({ allow: dedup(asList(l.allow)), deny: dedup(asList(l.deny)), kill: dedup(asList(l.kill)), log: dedup(asList(l.log)) });
  const f = m.files as Obj | undefined;
  const x = m.exec as Obj | undefined;
  const n = m.network as Obj | undefined;
  const pr = m.process as Obj | undefined;
  return {
    name: m.name ?? 'root', command: m.command, mode: m.mode ?? 'enforce', default: m.default ?? 'deny',
    errno: m.errno === undefined ? 1 : errnoOf(m.errno), defaultErrno: m.default_errno === undefined ? 38 : errnoOf(m.default_errno), violation: m.violation ?? 'deny',
    syscalls: {
      ...lists(s),
      rules: ((s.rules ?? []) as Obj[]).map((r) => ({
        syscalls: r.syscall !== undefined ? [String(r.syscall)] : asList(r.syscalls), action: r.action, errno: r.errno === undefined ? undefined : errnoOf(r.errno),
        args: ((r.args ?? []) as Obj[]).map((a) => ({ index: a.index, op: a.op, value: argOf(a.value), mask: a.mask === undefined ? undefined : argOf(a.mask) })),
      })),
      arch: Object.fromEntries(['x86_64', 'aarch64'].filter((a) => s[a] !== undefined).map((a) => [a, lists(s[a] as Obj)])),
    },
    files: f && { read: dedup(asList(f.read)), write: dedup(asList(f.write)), deny: dedup(asList(f.deny)) },
    exec: x && { allow: dedup(asList(x.allow)) },
    network: n && { connect: dedup(asList(n.connect)), bind: dedup(asList(n.bind)) },
    process: pr && { fork: pr.fork ?? true, signal: pr.signal ?? 'tree' },
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a, replacer) === JSON.stringify(b, replacer);

const sameNumbersAsText = (a: unknown, b: unknown): boolean => {
  const j = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : v));
  return j(a) === j(b);
};

const READBACK_N = Math.max(1, Math.floor(N / 20));

t.test(`read-back: ${READBACK_N} valid generated profiles load as written`, async (t) => {
  const failures = new Failures('profile-readback', SEED);
  let n = 0;
  let skipped = 0;
  for (const i of caseRange(READBACK_N)) {
    const r = caseRng(SEED, i, 1);
    const m = genValid(r);
    const text = stringify(r, m);
    // A generator output that the yaml library itself does not read back is a yaml stringify bug, not ours.
    if (!sameNumbersAsText(parse(text, { intAsBigInt: true }), m)) {
      skipped++;
      continue;
    }
    const v = runLoader({ [TOP]: text });
    n++;
    const id = `seed ${SEED} readback case ${i}`;
    if ('crash' in v) failures.add(id, v.crash, text);
    else if (!v.ok) failures.add(id, `a valid profile was refused: ${v.error.message}`, text);
    else if (!same(project(v.loaded.profile), expected(m))) failures.add(id, 'loaded something else than was written', { text, got: project(v.loaded.profile), want: expected(m) });
  }
  const rep = failures.report();
  t.equal(failures.length, 0, 'every valid profile loads, and loads as written', { seed: SEED, saved: rep.saved, failures: rep.first });
  t.ok(skipped <= READBACK_N / 100, `${n} profiles read back; ${skipped} generator outputs the yaml library could not round-trip were skipped`);
});

// --- read-back through YAML anchors and aliases ----------------------------------------------------

/**
 * The same model written with anchors and aliases: two lists of the same kind
 * share one node (aliasDuplicateObjects), and list items are aliases of
 * earlier items. YAML says an alias IS the anchored node, and the schema
 * validator agrees (it resolves aliases); so must what loads.
 */
function aliased(r: Rng): { text: string; model: Obj } | undefined {
  const m = genValid(r);
  // Slots of the same kind, in document order.
  const kinds: string[][][] = [
    [['syscalls', 'allow'], ['syscalls', 'deny'], ['syscalls', 'kill'], ['syscalls', 'log'], ['syscalls', 'x86_64', 'allow'], ['syscalls', 'x86_64', 'kill'], ['syscalls', 'aarch64', 'allow'], ['syscalls', 'aarch64', 'kill']],
    [['files', 'read'], ['files', 'write'], ['files', 'deny'], ['exec', 'allow']],
    [['network', 'connect'], ['network', 'bind']],
  ];
  const get = (path: string[]): unknown => path.reduce<unknown>((o, k) => (o as Obj | undefined)?.[k], m);
  const parentOf = (path: string[]): Obj => {
    let o = m;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Obj;
    return o;
  };
  const kind = r.pick(kinds);
  const present = kind.filter((p) => Array.isArray(get(p)) && (get(p) as unknown[]).length > 0);
  if (present.length === 0) return undefined;
  const from = r.pick(present);
  const later = kind.slice(kind.indexOf(from) + 1);
  if (r.chance(0.5) && later.length > 0) {
    // A whole list aliased: `kill: *k`.
    const to = r.pick(later);
    parentOf(to)[to[to.length - 1]!] = get(from);
    return { text: stringify(r, m, true), model: m };
  }
  // One item aliased: `kill: [*a]`.
  const doc = new Document(m, { aliasDuplicateObjects: false });
  const src = get(from) as unknown[];
  const item = doc.getIn([...from, 0], true) as Node;
  if (!isScalar(item)) return undefined;
  const targets = [from, ...later].filter((p) => Array.isArray(get(p)) && (get(p) as unknown[]).length > (p === from ? 1 : 0));
  if (targets.length === 0) return undefined;
  const to = r.pick(targets);
  const j = to === from ? 1 + r.int(src.length - 1) : r.int((get(to) as unknown[]).length);
  doc.setIn([...to, j], doc.createAlias(item as never));
  (get(to) as unknown[])[j] = src[0];
  return { text: doc.toString(), model: m };
}

const ALIAS_N = Math.max(1, Math.floor(N / 50));


t.test(`read-back through anchors and aliases: ${ALIAS_N} valid profiles`, async (t) => {
  const failures = new Failures('profile-aliases', SEED);
  let n = 0;
  for (const i of caseRange(ALIAS_N)) {
    const r = caseRng(SEED, i, 2);
    const a = aliased(r);
    if (!a) continue;
    n++;
    const v = runLoader({ [TOP]: a.text });
    const id = `seed ${SEED} alias case ${i}`;
    if ('crash' in v) failures.add(id, v.crash, a.text);
    else if (!v.ok) failures.add(id, `refused: ${v.error.message.split('\n')[0]}`, a.text);
    else if (!same(project(v.loaded.profile), expected(a.model))) failures.add(id, 'loaded something else than was written', { text: a.text, got: project(v.loaded.profile), want: expected(a.model) });
  }
  const rep = failures.report(2);
  t.ok(n > ALIAS_N / 4, `${n} aliased profiles generated`);
  t.equal(failures.length, 0, 'a profile written with aliases loads as the same profile without them', { seed: SEED, saved: rep.saved, failures: rep.first });
});

// --- known-bad inputs found by the fuzzer, kept as reproducers ----------------------------------------
// Each was a failing case before its fix in lib/; they stay as regression tests.

t.test('reproducers of loader bugs found by fuzzing', async (t) => {
  const load = (text: string): Verdict => runLoader({ [TOP]: text });
  const value = (v: Verdict): Profile | undefined => ('ok' in v && v.ok ? v.loaded.profile : undefined);

  // Security-relevant: a kill list written once and aliased for the other arch is silently empty there.
  const arch = load('version: 1\ndefault: allow\nsyscalls:\n  x86_64: {kill: &k [ptrace]}\n  aarch64: {kill: *k}\n');
  t.ok(value(arch), 'an aliased list loads');
  t.same(value(arch)?.syscalls.arch.aarch64?.kill.map((n) => n.value), ['ptrace'], 'aliases: `aarch64: {kill: *k}` kills ptrace on aarch64 too');

  const deny = load('version: 1\nexec: {allow: &secret [/var/task/.env]}\nfiles: {read: [/var/task/**], deny: *secret}\n');
  t.same(value(deny)?.files?.deny.map((n) => n.value), ['/var/task/.env'], 'aliases: `files: {deny: *secret}` denies it');

  const item = load('version: 1\nsyscalls: {allow: [&s read], kill: [*s]}\n');
  t.same(value(item)?.syscalls.kill.map((n) => n.value), ['read'], 'aliases: `kill: [*s]` kills read (not a syscall named "undefined")');

  const scalar = load('version: 1\ndefault: &k kill\nviolation: *k\nprocess: {fork: false}\n');
  t.equal(value(scalar)?.violation.value, 'kill', 'aliases: `violation: *k` is kill');

  t.ok(value(load('version: 1\nsyscalls:\n  rules:\n    - {syscall: ptrace, action: kill}\n')), 'a plain rule loads');
  const aliasedRule = load('version: 1\nsyscalls:\n  rules:\n    - &r {syscall: ptrace, action: kill}\n    - *r\n');
  t.ok(value(aliasedRule), 'aliases: a rule given as an alias loads (it is refused with E_REQUIRED "a rule needs syscall")');

  for (const text of [
    'version: 1\ndefault: &a allow\nsyscalls: {rules: [{syscall: read, action: *a}]}\n',
    'version: 1\nsyscalls: {rules: [{syscall: read, action: allow, args: [{index: 0, op: &o eq, value: 1}, {index: 1, op: *o, value: 2}]}]}\n',
    'version: 1\nsyscalls: {rules: [{syscall: read, action: allow, args: [{index: &i 0, op: eq, value: 1}, {index: *i, op: ne, value: 2}]}]}\n',
  ]) {
    const v = load(text);
    t.ok(value(v), `aliases: a rule with an aliased action / op / index loads: ${JSON.stringify(text)}`, {
      crash: 'crash' in v ? v.crash.split('\n')[0] : undefined,
    });
  }

  for (const text of ['version: 1\nmode: 0.5\n', 'version: 1\nmode: .nan\n', 'version: 1\nprocess: {signal: -.inf}\n', 'version: 1\nsyscalls: {rules: [{syscall: read, action: allow, args: [{index: 0, op: 1.5, value: 1}]}]}\n']) {
    const v = load(text);
    t.notOk('crash' in v, `a fractional number where an enum is expected is a ProfileError: ${JSON.stringify(text)}`, {
      crash: 'crash' in v ? v.crash.split('\n')[0] : undefined,
    });
  }

  const syntax = load('[]},\nk:');
  const d = !('crash' in syntax) && !syntax.ok ? syntax.error.diagnostics.find((x) => x.message.includes('map-value-ind')) : undefined;
  t.match(d?.loc, { line: 2, col: 2 }, 'a syntax error after a newline inside an unexpected token is on line 2 (the ":"), not at 1:7', {
  });

  // Cost: a long unknown name is compared with every syscall name (edit distance, O(length x names)):
  // ~50 µs per character, so one 50 KB name takes seconds. Measured against a short unknown name, so
  // that the assertion does not depend on the machine: with a length filter in suggest() both cost the same.
  const timeOf = (text: string, times: number): number => {
    const t0 = now();
    for (let i = 0; i < times; i++) load(text);
    return (now() - t0) / times;
  };
  const short = timeOf('version: 1\nsyscalls: {allow: [xxxxxxxxxx]}\n', 20);
  const long = timeOf(`version: 1\nsyscalls: {allow: [${'x'.repeat(8000)}]}\n`, 1);
  t.ok(long < 20 * short + 20, `an 8,000-character unknown syscall name costs about what a 10-character one does (${long.toFixed(1)} ms vs ${short.toFixed(2)} ms)`, {
  });

  // 400 aliases of a rule with 400 bad conditions: 160,000 E_VALUE diagnostics from 16 KB of YAML.
  const n = 400;
  const many = 'version: 1\nsyscalls:\n  rules:\n    - &R {syscall: read, action: allow, args: [' + Array.from({ length: n }, () => '{index: 9, op: eq, value: 1}').join(',') + ']}\n'
    + '    - ' + Array.from({ length: n }, () => '*R').join('\n    - ') + '\n';
  const t0 = now();
  const v = load(many);
  const ms = now() - t0;
  t.notOk('crash' in v, '160,000 diagnostics are a ProfileError', {
    crash: 'crash' in v ? v.crash.split('\n')[0] : undefined,
  });
  const count = 'ok' in v && !v.ok ? v.error.diagnostics.length : undefined;
  t.ok(count !== undefined && count <= 1000, `with a bounded number of diagnostics (${count ?? 'none: it crashed'}; ${ms.toFixed(0)} ms)`, {
  });
});
