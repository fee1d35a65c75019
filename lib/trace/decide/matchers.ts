// The profile's path, program, address and signal rules, compiled once at
// load. The hot path asks one question per list ("does any glob match?") with
// one combined RegExp; only when a call is refused or logged do we look for
// the entry that decided, to name it with its file:line.
import { ipMatches, parseAddress } from '../../profile/address.js';
import type { SourceLoc } from '../../profile/diagnostic.js';
import { compileGlobs } from '../../profile/glob.js';
import type { Address, Located, Profile, Violation } from '../../profile/types.js';
import type { RuleRef } from '../types.js';

/**
 * Where "not in LIST" points: the list itself, i.e. its first entry (the
 * profile keeps no position for a list's key). The section's position is only
 * the fallback for an empty or absent list: it is where the section's first
 * key is written, so for any other list of the section — "not in
 * files.write" under `files: { read: …, write: … }` — it named the wrong line.
 */
function listLoc(entries: readonly Located<unknown>[], sectionLoc?: SourceLoc): SourceLoc | undefined {
  return entries.find((e) => e.loc)?.loc ?? sectionLoc;
}

/** One profile list of globs, e.g. files.read. */
export class GlobList {
  /** Matches when any glob of the list does. */
  private readonly any: RegExp;
  private readonly entries: readonly { readonly re: RegExp; readonly rule: RuleRef }[];
  /** "not in files.read", pointing at that list (see listLoc). */
  readonly missing: RuleRef;

  constructor(readonly what: string, globs: readonly Located<string>[], sectionLoc?: SourceLoc) {
    this.any = compileGlobs(globs.map((g) => g.value));
    this.entries = globs.map((g) => ({ re: compileGlobs([g.value]), rule: { what, text: g.value, loc: g.loc } }));
    this.missing = { what, text: `not in ${what}`, loc: listLoc(globs, sectionLoc) };
  }

  test(path: string): boolean {
    return this.any.test(path);
  }

  /** The first entry that matches (off the hot path). */
  which(path: string): RuleRef | undefined {
    return this.entries.find((e) => e.re.test(path))?.rule;
  }
}

export interface FileMatchers {
  readonly read: GlobList;
  readonly write: GlobList;
  readonly deny: GlobList;
  /** read ∪ write: `write` implies `read`, and this asks both in one test. */
  readonly readable: RegExp;
  /**
   * The ancestors of every grant of files.read, files.write and exec.allow: what a program that
   * only looks (stat, access, readlink, chdir) may see on its way to what it may use.
   */
  readonly ancestors: RegExp;
  readonly loc?: SourceLoc;
}

/** A socket destination as the address rules see it. */
export type AddressQuery =
  | { readonly kind: 'ip'; readonly family: 4 | 6; readonly addr: bigint; readonly port: number }
  | { readonly kind: 'unix'; readonly abstract: boolean; readonly path: string };

/**
 * A destination as events and recordings write it ("203.0.113.7:443", "[::1]:80", "unix:/run/x.sock",
 * "unix:@name", an abstract name's NULs as "\0") → what the address rules match; undefined for a
 * host name, a range or anything else that is not one socket address.
 */
export function addressQuery(text: string): AddressQuery | undefined {
  if (text.startsWith('unix:@')) return { kind: 'unix', abstract: true, path: text.slice(6).replace(/\\0/g, '\0') };
  if (text.startsWith('unix:')) return { kind: 'unix', abstract: false, path: text.slice(5) };
  const r = parseAddress(text);
  if ('message' in r || r.kind !== 'ip' || r.family === 'any') return undefined;
  return { kind: 'ip', family: r.family, addr: r.lo, port: r.portLo };
}

/** One profile list of addresses, e.g. network.connect. */
export class AddressList {
  readonly missing: RuleRef;

  constructor(readonly what: string, private readonly entries: readonly Located<Address>[], sectionLoc?: SourceLoc) {
    this.missing = { what, text: `not in ${what}`, loc: listLoc(entries, sectionLoc) };
  }

  /** The first entry that allows the destination. Lists are short; a loop is cheaper than building ranges. */
  which(q: AddressQuery): RuleRef | undefined {
    for (const e of this.entries) {
      const r = e.value;
      const hit = q.kind === 'ip'
        ? ipMatches(r, q.family, q.addr, q.port)
        // Abstract names are matched as one segment under a fake root (see address.ts).
        : r.kind === 'unix' && r.abstract === q.abstract && r.match.test(q.abstract ? '/' + q.path : q.path);
      if (hit) return { what: this.what, text: r.text, loc: e.loc };
    }
    return undefined;
  }

  /** Does the list name hosts? Then lookups are governed: a name no host rule matches is not looked up. */
  get namesHosts(): boolean {
    return this.entries.some((e) => e.value.kind === 'host');
  }

  /** The first host rule that matches a (normalised) name, for this port when one is given. */
  whichName(name: string, port?: number): RuleRef | undefined {
    for (const e of this.entries) {
      const r = e.value;
      if (r.kind !== 'host' || !r.match.test(name)) continue;
      if (port === undefined || (port >= r.portLo && port <= r.portHi)) return { what: this.what, text: r.text, loc: e.loc };
    }
    return undefined;
  }

  /** Does some host rule cover this port (what a check that cannot see names can hold it to)? */
  hostPorts(port: number): RuleRef | undefined {
    const e = this.entries.find((x) => x.value.kind === 'host' && port >= x.value.portLo && port <= x.value.portHi);
    return e && { what: this.what, text: e.value.text, loc: e.loc };
  }

  /**
   * Does the list allow any abstract name at all (`unix:@*`)? A UNIX socket
   * bound with an empty address gets a name the kernel chooses (autobind), so
   * only such a rule can allow it.
   */
  anyAbstract(): RuleRef | undefined {
    const e = this.entries.find((x) => x.value.kind === 'unix' && x.value.abstract && /^@\*+$/.test(x.value.pattern));
    return e && { what: this.what, text: e.value.text, loc: e.loc };
  }
}

export interface Matchers {
  readonly name: string;
  /** Absent sections leave that kind of access to the syscall lists: their checks never run. */
  readonly files?: FileMatchers;
  readonly exec?: { readonly allow: GlobList; readonly loc?: SourceLoc };
  readonly network?: { readonly connect: AddressList; readonly bind: AddressList; readonly loc?: SourceLoc };
  /** process.signal, 'tree' when the process section or the key is absent. */
  readonly signal: { readonly scope: 'tree' | 'any'; readonly rule: RuleRef };
  /** process.fork: may the program create processes (true when the section or the key is absent). */
  readonly fork: { readonly allowed: boolean; readonly rule: RuleRef };
  readonly violation: Located<Violation>;
  readonly errno: Located<number>;
  /** mode: audit. */
  readonly audit: boolean;
}

export function compileMatchers(profile: Profile): Matchers {
  const f = profile.files;
  const x = profile.exec;
  const n = profile.network;
  const signal = profile.process?.signal;
  return {
    name: profile.name,
    files: f && {
      read: new GlobList('files.read', f.read, f.loc),
      write: new GlobList('files.write', f.write, f.loc),
      deny: new GlobList('files.deny', f.deny, f.loc),
      readable: compileGlobs([...f.read, ...f.write].map((g) => g.value)),
      ancestors: compileGlobs(ancestorGlobs([...f.read, ...f.write, ...(x?.allow ?? [])].map((g) => g.value))),
      loc: f.loc,
    },
    exec: x && { allow: new GlobList('exec.allow', x.allow, x.loc), loc: x.loc },
    network: n && {
      connect: new AddressList('network.connect', n.connect, n.loc),
      bind: new AddressList('network.bind', n.bind, n.loc),
      loc: n.loc,
    },
    signal: {
      scope: signal?.value ?? 'tree',
      rule: {
        what: 'process.signal',
        text: signal?.loc ? signal.value : `${signal?.value ?? 'tree'} (default)`,
        loc: signal?.loc ?? profile.process?.loc,
      },
    },
    fork: {
      allowed: profile.process?.fork.value !== false,
      rule: { what: 'process.fork', loc: profile.process?.fork.loc ?? profile.process?.loc },
    },
    violation: profile.violation,
    errno: profile.errno,
    audit: profile.mode.value === 'audit',
  };
}

// The directories above each glob, as globs: "/var/task/**" gives /, /var; "/opt/*/bin/x" gives
// /, /opt, "/opt/*", "/opt/*/bin". A "**" segment keeps its meaning: any directory below it may
// lead to a match.
export function ancestorGlobs(globs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const g of globs) {
    const segs = g.split('/').slice(1);
    const own = segs.at(-1) === '**' ? segs.length - 1 : segs.length;
    out.add('/');
    for (let i = 1; i < own; i++) out.add('/' + segs.slice(0, i).join('/'));
  }
  return [...out].sort();
}
