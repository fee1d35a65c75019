// The profile compiled for the in-runtime seatbelts (types.ts): the same
// entries the supervisor and the monitor match (lib/trace/decide/matchers.ts),
// written out as plain JSON that the Node preload and the Python audit hook
// both read. Each entry keeps its text and file:line, so that the error the
// handler sees and the event the bootstrap logs name the rule.
import { locText, type SourceLoc } from '../profile/diagnostic.js';
import { globSource } from '../profile/glob.js';
import type { Address, Located, Profile } from '../profile/types.js';
import type { PolicyAddress, PolicyAddressList, PolicyGlobList, PolicyRule, SeatbeltPolicy } from './types.js';

const at = (loc?: SourceLoc): string | undefined => (loc ? locText(loc) : undefined);

/** Where "not in LIST" points: the list's first entry, else its section (as the matchers do). */
const listLoc = (entries: readonly Located<unknown>[], section?: SourceLoc): string | undefined => at(entries.find((e) => e.loc)?.loc ?? section);

const rule = (what: string, text?: string, loc?: SourceLoc): PolicyRule => ({ what, ...(text !== undefined ? { text } : {}), ...(loc ? { loc: at(loc) } : {}) });

function globList(what: string, globs: readonly Located<string>[], section?: SourceLoc): PolicyGlobList {
  const loc = listLoc(globs, section);
  return {
    entries: globs.map((g) => ({ ...rule(what, g.value, g.loc), re: `^(?:${globSource(g.value)})$` })),
    missing: { what, text: `not in ${what}`, ...(loc ? { loc } : {}) },
  };
}

function address(what: string, a: Located<Address>): PolicyAddress {
  const r = a.value;
  const base = rule(what, r.text, a.loc);
  if (r.kind === 'unix') {
    // The matcher's own source: an abstract name is matched as "/" + name (address.ts).
    return { ...base, kind: 'unix', abstract: r.abstract, re: r.match.source };
  }
  if (r.kind === 'host') return { ...base, kind: 'host', re: r.match.source, portLo: r.portLo, portHi: r.portHi };
  return { ...base, kind: 'ip', family: r.family === 'any' ? 0 : r.family, lo: r.lo.toString(), hi: r.hi.toString(), portLo: r.portLo, portHi: r.portHi };
}

function addressList(what: string, entries: readonly Located<Address>[], section?: SourceLoc): PolicyAddressList {
  const loc = listLoc(entries, section);
  return { entries: entries.map((e) => address(what, e)), missing: { what, text: `not in ${what}`, ...(loc ? { loc } : {}) } };
}

export interface PolicyOptions {
  /** Destinations always reachable ("127.0.0.1:PORT": the Runtime API proxy). */
  readonly always?: readonly string[];
}

export function seatbeltPolicy(profile: Profile, o: PolicyOptions = {}): SeatbeltPolicy {
  const f = profile.files;
  const x = profile.exec;
  const n = profile.network;
  const fork = profile.process?.fork;
  return {
    version: 1,
    profile: profile.name,
    enforce: profile.mode.value !== 'audit',
    violation: profile.violation.value,
    ...(f ? { files: { read: globList('files.read', f.read, f.loc), write: globList('files.write', f.write, f.loc), deny: globList('files.deny', f.deny, f.loc) } } : {}),
    ...(x ? { exec: { allow: globList('exec.allow', x.allow, x.loc) } } : {}),
    fork: { allowed: fork?.value !== false, rule: rule('process.fork', fork?.loc ? String(fork.value) : undefined, fork?.loc ?? profile.process?.loc) },
    ...(n ? { network: { connect: addressList('network.connect', n.connect, n.loc), bind: addressList('network.bind', n.bind, n.loc) } } : {}),
    always: [...(o.always ?? [])],
    native: globList('seatbelts.native', profile.seatbelts.native, profile.seatbelts.loc),
  };
}
