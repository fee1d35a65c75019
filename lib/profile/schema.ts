// A validator for the subset of JSON Schema (draft 2020-12) that
// profiles/schema.json uses, run directly on YAML nodes so that every error
// carries the node's line:col. profiles/schema.json is the single source of
// truth: editors read it for completion, this module enforces it.
//
// Supported keywords: $ref (local #/$defs/…), type, const, enum, properties,
// additionalProperties (false or a schema), required, items, minItems,
// minimum, maximum, minLength, pattern, anyOf, oneOf. Annotations (title,
// description, markdownDescription, default, examples, $comment, $schema, $id,
// $defs) are ignored. Two vendor keywords shape diagnostics:
//   x-syscage-code  the diagnostic code for an enum/pattern failure
//   x-syscage-what  the noun for it ("syscall", "errno name")
// A keyword outside this list is a bug in schema.json and throws at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { packageRoot } from '../paths.js';
import { didYouMean, suggest, type Diagnostic, type DiagnosticCode } from './diagnostic.js';
import type { Source } from './source.js';

export interface JsonSchema {
  readonly [keyword: string]: unknown;
}

const KNOWN = new Set([
  '$ref', 'type', 'const', 'enum', 'properties', 'additionalProperties', 'required', 'items', 'minItems',
  'minimum', 'maximum', 'minLength', 'pattern', 'anyOf', 'oneOf',
  'title', 'description', 'markdownDescription', 'default', 'examples', '$comment', '$schema', '$id', '$defs',
  'x-syscage-code', 'x-syscage-what',
]);

let cachedSchema: JsonSchema | undefined;

/** Enum lists as sets (the syscall list has ~360 names, checked once per entry). */
const enumSets = new WeakMap<readonly unknown[], Set<unknown>>();
const enumSet = (values: readonly unknown[]): Set<unknown> => {
  let set = enumSets.get(values);
  if (!set) enumSets.set(values, (set = new Set(values.map((v) => (typeof v === 'number' ? BigInt(v) : v)))));
  return set;
};

/** profiles/schema.json, checked once for keywords this validator does not implement. */
export function profileSchema(): JsonSchema {
  if (!cachedSchema) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), 'profiles', 'schema.json'), 'utf8')) as JsonSchema;
    assertSupported(schema, '#');
    cachedSchema = schema;
  }
  return cachedSchema;
}

function assertSupported(s: unknown, where: string): void {
  if (typeof s !== 'object' || s === null) return;
  for (const [k, v] of Object.entries(s)) {
    if (!KNOWN.has(k)) throw new Error(`internal: schema.json uses unsupported keyword "${k}" at ${where}`);
    if (k === 'properties' || k === '$defs') {
      for (const [name, sub] of Object.entries(v as object)) assertSupported(sub, `${where}/${k}/${name}`);
    } else if (k === 'items' || k === 'additionalProperties') {
      assertSupported(v, `${where}/${k}`);
    } else if (k === 'anyOf' || k === 'oneOf') {
      (v as unknown[]).forEach((sub, i) => assertSupported(sub, `${where}/${k}/${i}`));
    }
  }
}

type Kind = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

const ARTICLE: Record<Kind, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number',
  boolean: 'true or false', null: 'nothing (null)',
};

export function kindOf(node: unknown): Kind {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  const v = isScalar(node) ? node.value : node;
  switch (typeof v) {
    case 'string': return 'string';
    case 'bigint': return 'integer';
    case 'number': return Number.isInteger(v) ? 'integer' : 'number';
    case 'boolean': return 'boolean';
    default: return 'null';
  }
}

const matchesType = (kind: Kind, t: string): boolean => t === kind || (t === 'number' && kind === 'integer');

export class SchemaValidator {
  constructor(private readonly root: JsonSchema, private readonly src: Source) {}

  validate(node: unknown, schema: JsonSchema = this.root, path = ''): Diagnostic[] {
    const out: Diagnostic[] = [];
    this.visit(node, schema, path, out);
    return out;
  }

  private visit(raw: unknown, schema: JsonSchema, path: string, out: Diagnostic[]): void {
    const node = this.deref(raw);
    if (this.again(node, schema) && isAlias(raw)) return;
    this.check(node, schema, path, out);
  }

  /**
   * Was this anchored node already checked against this schema? An alias
   * repeats its anchor's node; its errors are reported once, at the anchor
   * (400 aliases of a rule with 400 bad arguments made 160,000 diagnostics).
   */
  private again(node: unknown, schema: JsonSchema): boolean {
    if (typeof node !== 'object' || node === null) return false;
    let schemas = this.checked.get(node);
    if (!schemas) this.checked.set(node, (schemas = new Set()));
    if (schemas.has(schema)) return true;
    schemas.add(schema);
    return false;
  }

  private readonly checked = new WeakMap<object, Set<JsonSchema>>();

  private deref(node: unknown): unknown {
    return this.src.deref(node);
  }


  private readonly resolved = new WeakMap<JsonSchema, JsonSchema>();

  /** Follow $ref (sibling keywords override the target's); memoised per schema object. */
  private resolve(schema: JsonSchema): JsonSchema {
    let out = this.resolved.get(schema);
    if (!out) this.resolved.set(schema, (out = this.follow(schema)));
    return out;
  }

  private follow(schema: JsonSchema): JsonSchema {
    let s = schema;
    while (typeof s.$ref === 'string') {
      const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
      const target = m ? (this.root.$defs as Record<string, JsonSchema> | undefined)?.[m[1]!] : undefined;
      if (!target) throw new Error(`internal: schema.json has a dangling $ref ${s.$ref}`);
      s = { ...target, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
    }
    return s;
  }

  private check(node: unknown, schemaIn: JsonSchema, path: string, out: Diagnostic[]): void {
    const s = this.resolve(schemaIn);
    const kind = kindOf(node);
    const label = path || 'the profile';
    const err = (code: DiagnosticCode, msg: string, at: unknown = node): void => {
      out.push(this.src.diag(code, msg, at));
    };

    for (const key of ['anyOf', 'oneOf'] as const) {
      const branches = s[key] as JsonSchema[] | undefined;
      if (!branches) continue;
      const results = branches.map((b) => this.validate(node, b, path));
      const passing = results.filter((r) => r.length === 0).length;
      if (key === 'anyOf' ? passing > 0 : passing === 1) continue;
      if (passing > 1) { err('E_VALUE', `${label} matches more than one allowed form`); return; }
      // Report the branch whose type fits: its errors are the informative ones.
      const fitting = branches.map((b, i) => ({ b: this.resolve(b), r: results[i]! }))
        .filter(({ b }) => typeof b.type !== 'string' || matchesType(kind, b.type));
      if (fitting.length === 1) { for (const d of fitting[0]!.r) out.push(d); return; }
      const kinds = [...new Set(branches.map((b) => this.resolve(b).type).filter((t): t is Kind => typeof t === 'string'))];
      if (kinds.length > 0 && !kinds.some((t) => matchesType(kind, t))) {
        err('E_TYPE', `${label} must be ${kinds.map((t) => ARTICLE[t]).join(' or ')}, got ${ARTICLE[kind]}`);
      } else {
        for (const d of fitting[0]?.r ?? results[0] ?? []) out.push(d);
      }
      return;
    }

    if (typeof s.type === 'string' && !matchesType(kind, s.type)) {
      err('E_TYPE', `${label} must be ${ARTICLE[s.type as Kind]}, got ${ARTICLE[kind]}`);
      return;
    }

    const value = isScalar(node) ? node.value : undefined;
    const code = (s['x-syscage-code'] as DiagnosticCode | undefined) ?? 'E_VALUE';
    const what = s['x-syscage-what'] as string | undefined;

    if ('const' in s && !sameScalar(value, s.const)) {
      err('E_VALUE', `${label} must be ${JSON.stringify(s.const)}, got ${show(value)}`);
    }
    if (Array.isArray(s.enum) && !enumSet(s.enum).has(typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value)) {
      const names = s.enum.filter((e): e is string => typeof e === 'string');
      const hint = typeof value === 'string' ? didYouMean(suggest(value, names)) : '';
      if (what) err(code, `unknown ${what} ${show(value)}${hint}`);
      else err(code, `${label} must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}; got ${show(value)}${hint}`);
    }
    if (typeof value === 'string') {
      if (typeof s.minLength === 'number' && value.length < s.minLength) err(code, `${label} must not be empty`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) {
        err(code, `${what ? `${what} ` : `${label} `}${show(value)} is malformed (${s.description ?? `must match ${s.pattern}`})`);
      }
    }
    if (typeof value === 'bigint' || typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) err('E_VALUE', `${label} must be at least ${s.minimum}, got ${value}`);
      if (typeof s.maximum === 'number' && value > s.maximum) err('E_VALUE', `${label} must be at most ${s.maximum}, got ${value}`);
    }

    if (isSeq(node)) {
      if (typeof s.minItems === 'number' && node.items.length < s.minItems) {
        err('E_VALUE', `${label} must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
      }
      const items = s.items as JsonSchema | undefined;
      if (items) node.items.forEach((item, i) => this.visit(item, items, `${path}[${i}]`, out));
    }

    if (isMap(node)) {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof key !== 'string') { err('E_TYPE', `keys of ${label} must be strings`, pair.key); continue; }
        seen.add(key);
        const sub = props[key] ?? (typeof s.additionalProperties === 'object' ? (s.additionalProperties as JsonSchema) : undefined);
        const childPath = path ? `${path}.${key}` : key;
        if (!sub) {
          if (s.additionalProperties === false) {
            const where = path ? ` in ${path}` : '';
            err('E_UNKNOWN_KEY', `unknown key "${key}"${where}${didYouMean(suggest(key, Object.keys(props)))}`, pair.key);
          }
          continue;
        }
        this.visit(pair.value, sub, childPath, out);
      }
      for (const req of (s.required ?? []) as string[]) {
        if (!seen.has(req)) err('E_REQUIRED', `missing required key "${req}"${path ? ` in ${path}` : ''}`);
      }
    }
  }
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' && typeof b === 'number') return a === BigInt(b);
  return a === b;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'nothing';
  return String(v);
}

/** Validate a parsed profile against profiles/schema.json. */
export function validateAgainstSchema(src: Source): Diagnostic[] {
  return new SchemaValidator(profileSchema(), src).validate(src.doc.contents as Node | null);
}
