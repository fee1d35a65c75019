// Loading a profile: read the file, parse it, follow `extends` depth-first,
// and merge. Lists are unions (bases first, then the profile itself); scalars
// of the profile override its bases'; a section present anywhere in the chain
// is present in the result. Deny and kill lists win over allows at compile
// time, whichever profile of the chain they come from.
import { faultPoint } from '../fault.js';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { profilesDir } from '../paths.js';
import { didYouMean, ProfileError, sourceLineOf, suggest, type Diagnostic, type SourceLoc } from './diagnostic.js';
import { parseProfile, type PartialProfile } from './parse.js';
import type { Located, Profile, SyscallLists } from './types.js';

export interface LoadOptions {
  /** Read a file (injected by tests); defaults to the filesystem. */
  readonly readFile?: (path: string) => string;
  /** Directory of built-in profiles; defaults to syscage's profiles/. */
  readonly builtinDir?: string;
}

export interface Loaded {
  readonly profile: Profile;
  readonly warnings: readonly Diagnostic[];
}

/** Load, validate and merge a profile. Throws ProfileError with every problem found. */
export function loadProfile(path: string, opts: LoadOptions = {}): Loaded {
  faultPoint('profile.load');
  const loader = new Loader(opts);
  const partials = loader.chain(path, []);
  const errors = loader.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !partials) throw new ProfileError(loader.diagnostics);
  return { profile: merge(partials), warnings: loader.diagnostics };
}

/** Names of the built-in profiles (profiles/NAME.yaml). */
export function builtinProfiles(dir = profilesDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

/** How a path is shown in diagnostics: relative to the working directory when shorter. */
export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/** A profile is a regular file of reasonable size: `extends: /dev/zero` or a FIFO must not hang the loader. */
const MAX_PROFILE_BYTES = 1 << 20;

function readProfileFile(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > MAX_PROFILE_BYTES) throw new Error(`larger than ${MAX_PROFILE_BYTES} bytes`);
  return readFileSync(path, 'utf8');
}

class Loader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly readFile: (path: string) => string;
  private readonly builtinDir: string;
  private readonly done = new Map<string, PartialProfile[]>();

  constructor(opts: LoadOptions) {
    this.readFile = opts.readFile ?? readProfileFile;
    this.builtinDir = opts.builtinDir ?? profilesDir();
  }

  /** The chain for one file, bases first, or undefined when anything failed. */
  chain(path: string, stack: readonly string[], from?: Located<string>): PartialProfile[] | undefined {
    const key = canonical(path);
    const shown = displayPath(path);
    if (stack.includes(key)) {
      const cycle = [...stack.slice(stack.indexOf(key)), key].map((p) => basename(p)).join(' -> ');
      this.diagnostics.push(this.at(from, 'E_EXTENDS_CYCLE', `extends cycle: ${cycle}`));
      return undefined;
    }
    const memo = this.done.get(key);
    if (memo) return memo;

    let text: string;
    try {
      text = this.readFile(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      this.diagnostics.push(this.at(from, from ? 'E_EXTENDS_MISSING' : 'E_READ', `cannot read profile ${shown}: ${why}`));
      return undefined;
    }
    const { profile, diagnostics } = parseProfile(shown, text);
    for (const d of diagnostics) this.diagnostics.push(d);
    if (!profile) return undefined;

    const out: PartialProfile[] = [];
    let ok = true;
    for (const ref of profile.extends) {
      const target = this.resolveRef(ref, path);
      const sub = target ? this.chain(target, [...stack, key], ref) : undefined;
      if (sub) out.push(...sub.filter((p) => !out.includes(p)));
      else ok = false;
    }
    if (!ok) return undefined;
    out.push(profile);
    this.done.set(key, out);
    return out;
  }

  /** `extends: NAME` is profiles/NAME.yaml; anything with a slash or .yaml suffix is a path. */
  private resolveRef(ref: Located<string>, from: string): string | undefined {
    const v = ref.value;
    const isPath = v.includes('/') || ['.yaml', '.yml'].includes(extname(v));
    const target = isPath ? resolve(dirname(from), v) : join(this.builtinDir, `${v}.yaml`);
    if (isPath || existsSync(target)) return target;
    const hint = didYouMean(suggest(v, builtinProfiles(this.builtinDir)));
    this.diagnostics.push(this.at(ref, 'E_EXTENDS_MISSING', `extends "${v}": no built-in profile of that name${hint}`));
    return undefined;
  }

  private at(ref: Located<string> | undefined, code: Diagnostic['code'], message: string): Diagnostic {
    const loc: SourceLoc | undefined = ref?.loc;
    return { severity: 'error', code, message, loc, sourceLine: loc ? sourceLineOf(loc, this.readFile) : undefined };
  }
}

function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Union of lists keeping the first occurrence of each value. */
function union<T>(lists: readonly (readonly Located<T>[])[], keyOf: (v: T) => string = String): Located<T>[] {
  const seen = new Set<string>();
  const out: Located<T>[] = [];
  for (const list of lists) {
    for (const item of list) {
      const k = keyOf(item.value);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(item);
      }
    }
  }
  return out;
}

/** The last profile in the chain that sets a scalar wins (the chain is bases first). */
function last<T>(chain: readonly PartialProfile[], pick: (p: PartialProfile) => Located<T> | undefined, fallback: T): Located<T> {
  for (let i = chain.length - 1; i >= 0; i--) {
    const v = pick(chain[i]!);
    if (v) return v;
  }
  return { value: fallback };
}

function mergeLists(ls: readonly SyscallLists[]): SyscallLists {
  return {
    allow: union(ls.map((l) => l.allow)),
    deny: union(ls.map((l) => l.deny)),
    kill: union(ls.map((l) => l.kill)),
    log: union(ls.map((l) => l.log)),
  };
}

function merge(chain: readonly PartialProfile[]): Profile {
  const self = chain[chain.length - 1]!;
  const withSection = <K extends 'files' | 'exec' | 'network' | 'process'>(k: K) =>
    chain.map((p) => p[k]).filter((s): s is NonNullable<PartialProfile[K]> => s !== undefined);
  const files = withSection('files');
  const exec = withSection('exec');
  const network = withSection('network');
  const processes = withSection('process');
  const seatbelts = chain.map((p) => p.seatbelts).filter((s): s is NonNullable<PartialProfile['seatbelts']> => s !== undefined);
  const lastSet = <T>(sections: readonly ({ loc?: SourceLoc } & Record<string, unknown>)[], key: string, fallback: T): Located<T> => {
    for (let i = sections.length - 1; i >= 0; i--) {
      const v = sections[i]![key] as Located<T> | undefined;
      if (v) return v;
    }
    return { value: fallback };
  };

  return {
    version: 1,
    name: [...chain].reverse().find((p) => p.name)?.name ?? basename(self.file).replace(/\.ya?ml$/, ''),
    sources: [...chain].reverse().map((p) => p.file),
    command: [...chain].reverse().find((p) => p.command)?.command,
    mode: last(chain, (p) => p.mode, 'enforce'),
    default: last(chain, (p) => p.default, 'deny'),
    errno: last(chain, (p) => p.errno, 1 /* EPERM */),
    defaultErrno: last(chain, (p) => p.defaultErrno, 38 /* ENOSYS */),
    violation: last(chain, (p) => p.violation, 'deny'),
    weakestTier: last(chain, (p) => p.weakestTier, 'bpf'),
    syscalls: {
      ...mergeLists(chain.map((p) => p.syscalls)),
      rules: chain.flatMap((p) => p.syscalls.rules),
      arch: Object.fromEntries((['x86_64', 'aarch64'] as const)
        .filter((a) => chain.some((p) => p.syscalls.arch[a]))
        .map((a) => [a, mergeLists(chain.map((p) => p.syscalls.arch[a]).filter((l): l is SyscallLists => !!l))])),
    },
    files: files.length === 0 ? undefined : {
      read: union(files.map((s) => s.read)),
      write: union(files.map((s) => s.write)),
      deny: union(files.map((s) => s.deny)),
      loc: files[files.length - 1]!.loc,
    },
    exec: exec.length === 0 ? undefined : { allow: union(exec.map((s) => s.allow)), loc: exec[exec.length - 1]!.loc },
    network: network.length === 0 ? undefined : {
      connect: union(network.map((s) => s.connect), (a) => a.text),
      bind: union(network.map((s) => s.bind), (a) => a.text),
      loc: network[network.length - 1]!.loc,
    },
    process: processes.length === 0 ? undefined : {
      fork: lastSet(processes, 'fork', true),
      signal: lastSet(processes, 'signal', 'tree'),
      loc: processes[processes.length - 1]!.loc,
    },
    seatbelts: {
      // The tiers are a scalar's kind: the nearest profile that says them decides.
      tiers: [...seatbelts].reverse().find((s) => s.tiers)?.tiers ?? { value: ['runtime'] },
      native: union(seatbelts.map((s) => s.native)),
      loc: seatbelts.at(-1)?.loc,
    },
  };
}
