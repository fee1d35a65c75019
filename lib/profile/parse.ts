// One profile file → a partial profile (what this file itself says) plus the
// profiles it extends. Validation happens in three passes, each positioned:
// YAML syntax, the JSON Schema (structure, names), then what a schema cannot
// say (globs, addresses, rule shapes). The merge of `extends` is load.ts's job.
import { isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap } from 'yaml';
import { errnoNumber } from '../arch/errno.js';
import { parseAddress } from './address.js';
import type { Diagnostic, SourceLoc } from './diagnostic.js';
import { checkGlob } from './glob.js';
import { validateAgainstSchema } from './schema.js';
import { Source } from './source.js';
import type {
  Action, Address, ArchName, ArgCondition, ArgValue, CompareOp, Located, Mode, SyscallLists, SyscallRule, SyscallSection, Tier, Violation,
} from './types.js';

/** What one file says, before merging with what it extends. */
export interface PartialProfile {
  readonly file: string;
  readonly name?: string;
  readonly extends: readonly Located<string>[];
  readonly command?: Located<readonly string[]>;
  readonly mode?: Located<Mode>;
  readonly default?: Located<Action>;
  readonly errno?: Located<number>;
  readonly defaultErrno?: Located<number>;
  readonly violation?: Located<Violation>;
  readonly weakestTier?: Located<Tier>;
  readonly syscalls: SyscallSection;
  readonly files?: { read: Located<string>[]; write: Located<string>[]; deny: Located<string>[]; loc?: SourceLoc };
  readonly exec?: { allow: Located<string>[]; loc?: SourceLoc };
  readonly network?: { connect: Located<Address>[]; bind: Located<Address>[]; loc?: SourceLoc };
  readonly process?: { fork?: Located<boolean>; signal?: Located<'tree' | 'any'>; loc?: SourceLoc };
  readonly seatbelts?: { tiers?: Located<readonly Tier[]>; native: Located<string>[]; loc?: SourceLoc };
}

export interface ParseResult {
  readonly profile?: PartialProfile;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseProfile(file: string, text: string): ParseResult {
  const src = new Source(file, text);
  const diags: Diagnostic[] = [];

  if (src.doc.errors.length > 0) {
    for (const e of src.doc.errors) {
      let msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const at = syntaxErrorOffset(text, e.code, e.pos[0], msg);
      if (e.code === 'DUPLICATE_KEY') msg = `duplicate key "${/^[^\s:]+/.exec(text.slice(at))?.[0] ?? ''}" (${msg})`;
      diags.push(src.diag('E_YAML_SYNTAX', `YAML syntax: ${msg}`, at));
    }
    return { diagnostics: diags };
  }
  const root = src.doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
    return { diagnostics: [src.diag('E_EMPTY', 'the profile is empty; it needs at least "version: 1"', 0)] };
  }
  if (!isMap(root)) {
    return { diagnostics: [src.diag('E_NOT_MAPPING', 'a profile must be a mapping of keys (version, syscalls, files, ...)', root)] };
  }

  diags.push(...validateAgainstSchema(src));
  if (diags.length > 0) return { diagnostics: diags };

  const p = new Reader(src, diags).profile(root);
  return { profile: diags.some((d) => d.severity === 'error') ? undefined : p, diagnostics: diags };
}

/**
 * Where to point for a YAML syntax error. The parser reports some errors where
 * it noticed them rather than where they are: an unclosed quote at the end of
 * the file, a bad indent at the start of the line.
 */
function syntaxErrorOffset(text: string, code: string, pos: number, message: string): number {
  if (code === 'MISSING_CHAR' && /quote/i.test(message)) {
    const quote = message.includes("'") && !message.includes('"') ? "'" : '"';
    // The opening quote: the last one before `pos` that starts a scalar.
    for (let i = Math.min(pos, text.length) - 1; i >= 0; i--) {
      if (text[i] === quote && (i === 0 || /[\s:[,{-]/.test(text[i - 1]!))) return i;
    }
  }
  let at = pos;
  while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
  return at;
}

/** Offset in the source of the character at `offset` of a string scalar's decoded value. */
function sourceOffset(text: string, node: Scalar, offset: number): number {
  const start = node.range?.[0] ?? 0;
  if (node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE') return start + offset;
  let i = start + 1;
  for (let d = 0; d < offset && i < text.length; d++) {
    if (node.type === 'QUOTE_SINGLE') i += text[i] === "'" && text[i + 1] === "'" ? 2 : 1;
    else if (text[i] !== '\\') i += 1;
    else i += ({ x: 4, u: 6, U: 10 } as Record<string, number>)[text[i + 1] ?? ''] ?? 2;
  }
  return i;
}

/** Walks a schema-valid document into typed, located values. */
class Reader {
  constructor(private readonly src: Source, private readonly diags: Diagnostic[]) {}

  /**
   * An alias (*name) read as the node its anchor (&name) names. The schema
   * validator already resolves them; every read here must too, or an aliased
   * list (files.deny: *secrets) would silently read as empty.
   */
  private deref<T>(node: T): T {
    return this.src.deref(node);
  }

  /** The items of a sequence node, aliases resolved; [] for anything else. */
  private items(node: unknown): unknown[] {
    const n = this.deref(node);
    return isSeq(n) ? n.items.map((i) => this.deref(i)) : [];
  }

  private get(map: unknown, key: string): Node | undefined {
    const m = this.deref(map);
    if (!isMap(m)) return undefined;
    const pair = (m as YAMLMap).items.find((it) => {
      const k = this.deref(it.key);
      return isScalar(k) && k.value === key;
    });
    return this.deref(pair?.value ?? undefined) as Node | undefined;
  }

  private loc(node: unknown) {
    return this.src.locOf(node);
  }

  private scalar<T>(map: unknown, key: string, convert: (v: unknown) => T = (v) => v as T): Located<T> | undefined {
    const node = this.get(map, key);
    if (!isScalar(node)) return undefined;
    return { value: convert(node.value), loc: this.loc(node) };
  }

  private strings(map: unknown, key: string): Located<string>[] {
    const node = this.get(map, key);
    if (isScalar(node)) return [{ value: String(node.value), loc: this.loc(node) }];
    return this.items(node).map((item) => ({ value: String((item as Scalar).value), loc: this.loc(item) }));
  }

  /** Error inside a string scalar, at `length` characters from `offset` of its decoded value. */
  private errAt(node: unknown, offset: number, code: 'E_BAD_GLOB' | 'E_BAD_ADDRESS' | 'W_BROAD_HOST', message: string, length?: number): void {
    const n = node as Scalar;
    const start = sourceOffset(this.src.text, n, offset);
    const end = sourceOffset(this.src.text, n, offset + (length ?? String(n.value).length - offset));
    const d = this.src.diag(code, message, start, code.startsWith('W_') ? 'warning' : 'error');
    this.diags.push({ ...d, loc: { ...d.loc!, length: Math.max(1, end - start) } });
  }

  private globs(map: unknown, key: string): Located<string>[] {
    const out: Located<string>[] = [];
    for (const item of this.items(this.get(map, key))) {
      const glob = String((item as Scalar).value);
      const bad = checkGlob(glob);
      if (bad) this.errAt(item, bad.offset, 'E_BAD_GLOB', `bad glob "${glob}": ${bad.message}`, bad.length);
      else out.push({ value: glob, loc: this.loc(item) });
    }
    return out;
  }

  private addresses(map: unknown, key: string): Located<Address>[] {
    const out: Located<Address>[] = [];
    for (const item of this.items(this.get(map, key))) {
      const text = String((item as Scalar).value);
      const parsed = parseAddress(text);
      if ('message' in parsed) {
        this.errAt(item, parsed.offset ?? 0, 'E_BAD_ADDRESS', `bad address "${text}": ${parsed.message}`, parsed.length);
        continue;
      }
      if (parsed.kind === 'host' && key === 'bind') {
        this.errAt(item, 0, 'E_BAD_ADDRESS', `bad address "${text}": bind takes an address, not a host name (a name is looked up, a socket is bound to an address)`, text.lastIndexOf(':'));
        continue;
      }
      if (parsed.kind === 'host' && parsed.broad) {
        this.errAt(item, 0, 'W_BROAD_HOST', `"${text}" allows almost any host: a pattern needs two labels written out after its wildcards to mean something ("*.example.com")`, text.lastIndexOf(':'));
      }
      out.push({ value: { ...parsed, text }, loc: this.loc(item) });
    }
    return out;
  }

  private errno(node: Node | undefined): number | undefined {
    if (!isScalar(node)) return undefined;
    return typeof node.value === 'string' ? errnoNumber(node.value) : Number(node.value);
  }

  profile(root: YAMLMap): PartialProfile {
    const sys = this.get(root, 'syscalls');
    const errnoNode = this.get(root, 'errno');
    const errno = this.errno(errnoNode);
    const defaultErrnoNode = this.get(root, 'default_errno');
    const defaultErrno = this.errno(defaultErrnoNode);
    const command = this.get(root, 'command');
    const section = (key: string) => this.get(root, key);
    const present = (key: string) => this.get(root, key) !== undefined || root.items.some((it) => isScalar(it.key) && it.key.value === key);

    return {
      file: this.src.file,
      name: this.scalar<string>(root, 'name')?.value,
      extends: this.strings(root, 'extends'),
      command: isSeq(command) ? { value: this.items(command).map((i) => String((i as Scalar).value)), loc: this.loc(command) } : undefined,
      mode: this.scalar<Mode>(root, 'mode'),
      default: this.scalar<Action>(root, 'default'),
      errno: errno === undefined ? undefined : { value: errno, loc: this.loc(errnoNode) },
      defaultErrno: defaultErrno === undefined ? undefined : { value: defaultErrno, loc: this.loc(defaultErrnoNode) },
      violation: this.scalar<Violation>(root, 'violation'),
      weakestTier: this.scalar<Tier>(root, 'weakest_tier'),
      syscalls: {
        ...this.lists(sys),
        rules: this.rules(this.get(sys, 'rules')),
        arch: Object.fromEntries((['x86_64', 'aarch64'] as ArchName[])
          .filter((a) => this.get(sys, a) !== undefined)
          .map((a) => [a, this.lists(this.get(sys, a))])),
      },
      files: present('files')
        ? { read: this.globs(section('files'), 'read'), write: this.globs(section('files'), 'write'), deny: this.globs(section('files'), 'deny'), loc: this.loc(section('files')) }
        : undefined,
      exec: present('exec') ? { allow: this.globs(section('exec'), 'allow'), loc: this.loc(section('exec')) } : undefined,
      network: present('network')
        ? { connect: this.addresses(section('network'), 'connect'), bind: this.addresses(section('network'), 'bind'), loc: this.loc(section('network')) }
        : undefined,
      process: present('process')
        ? {
            fork: this.scalar<boolean>(section('process'), 'fork'),
            signal: this.scalar<'tree' | 'any'>(section('process'), 'signal'),
            loc: this.loc(section('process')),
          }
        : undefined,
      seatbelts: present('seatbelts')
        ? {
            tiers: this.get(section('seatbelts'), 'tiers') === undefined
              ? undefined
              : { value: this.strings(section('seatbelts'), 'tiers').map((t) => t.value as Tier), loc: this.loc(this.get(section('seatbelts'), 'tiers')) },
            native: this.globs(section('seatbelts'), 'native'),
            loc: this.loc(section('seatbelts')),
          }
        : undefined,
    };
  }

  private lists(node: unknown): SyscallLists {
    return { allow: this.strings(node, 'allow'), deny: this.strings(node, 'deny'), kill: this.strings(node, 'kill'), log: this.strings(node, 'log') };
  }

  private rules(node: Node | undefined): SyscallRule[] {
    const out: SyscallRule[] = [];
    for (const item of this.items(node) as Node[]) {
      const one = this.get(item, 'syscall');
      const many = this.get(item, 'syscalls');
      if (one === undefined && many === undefined) {
        this.diags.push(this.src.diag('E_REQUIRED', 'a rule needs "syscall: NAME" or "syscalls: [NAMES]"', item));
        continue;
      }
      if (one !== undefined && many !== undefined) {
        this.diags.push(this.src.diag('E_VALUE', 'a rule names its syscalls with "syscall" or "syscalls", not both', item));
        continue;
      }
      const action = this.scalar<Action>(item, 'action')!.value;
      const errnoNode = this.get(item, 'errno');
      if (errnoNode !== undefined && action !== 'deny') {
        this.diags.push(this.src.diag('E_VALUE', `"errno" only applies to action deny, not ${action}`, errnoNode));
      }
      const args = this.get(item, 'args');
      out.push({
        syscalls: this.strings(item, one ? 'syscall' : 'syscalls'),
        args: this.items(args).map((a) => this.condition(a as Node)).filter((c): c is ArgCondition => !!c),
        action,
        errno: this.errno(errnoNode),
        loc: this.loc(item),
      });
    }
    return out;
  }

  private condition(node: Node): ArgCondition | undefined {
    const op = this.scalar<CompareOp>(node, 'op')!.value;
    const value = this.argValue(this.get(node, 'value'));
    const maskNode = this.get(node, 'mask');
    const mask = maskNode === undefined ? undefined : this.argValue(maskNode);
    if (op === 'masked_eq' && !mask) {
      this.diags.push(this.src.diag('E_REQUIRED', 'op masked_eq needs a "mask"', node));
      return undefined;
    }
    if (op !== 'masked_eq' && mask) {
      this.diags.push(this.src.diag('E_VALUE', `"mask" only applies to op masked_eq, not ${op}`, maskNode));
      return undefined;
    }
    if (!value || (maskNode !== undefined && !mask)) return undefined;
    return { index: Number(this.scalar(node, 'index')!.value), op, value, mask, loc: this.loc(node) };
  }

  private argValue(node: Node | undefined): Located<ArgValue> | undefined {
    if (!isScalar(node)) return undefined;
    const v = node.value;
    if (typeof v === 'string') return { value: { name: v }, loc: this.loc(node) };
    const n = BigInt(v as bigint);
    if (n < -(1n << 63n) || n >= 1n << 64n) {
      this.diags.push(this.src.diag('E_VALUE', `${n} does not fit in a 64-bit argument`, node));
      return undefined;
    }
    return { value: { int: BigInt.asUintN(64, n) }, loc: this.loc(node) };
  }
}
