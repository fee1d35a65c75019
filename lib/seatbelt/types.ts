// The seatbelt policy: what the bootstrap hands a Node or Python handler's
// in-runtime seatbelt (the Node preload, the Python audit hook), compiled from
// the profile by policy.ts. Plain JSON, so both interpreters read the same
// thing: globs arrive as regular-expression sources that JavaScript and
// Python's `re` both accept (anchored, matched with the "dot matches newline"
// flag: JS `s`, Python re.DOTALL), addresses as ranges in decimal strings.
//
// The seatbelt refuses before the act; the bootstrap learns of each refusal
// over the report channel (the descriptor in SYSCAGE_SEATBELT_FD, one JSON line
// per refusal, see SeatbeltReport) and never trusts it further than the run it
// belongs to.

import { FLOOR_S } from '../dns/bindings.js';

/** The environment variable that carries the policy (JSON text). */
export const POLICY_ENV = 'SYSCAGE_SEATBELT_POLICY';
/** The environment variable that names the report channel's descriptor (a number). */
export const CHANNEL_ENV = 'SYSCAGE_SEATBELT_FD';
/** The descriptor the bootstrap gives the handler for reports. */
export const CHANNEL_FD = 3;

/** A profile entry as an error message and an event name it: "files.deny /var/task/.env (syscage.yaml:12)". */
export interface PolicyRule {
  /** 'files.deny', 'files.read', 'files.write', 'exec.allow', 'network.connect', 'network.bind', 'process.fork', 'seatbelts.native'; 'seatbelts' for what a seatbelt refuses whatever the profile says. */
  readonly what: string;
  /** The entry's text (a glob, an address), or "not in files.read" for a list that does not grant. */
  readonly text?: string;
  /** "FILE:LINE", where the entry is written; absent for built-in defaults. */
  readonly loc?: string;
}

/** One glob of a list. */
export interface PolicyGlob extends PolicyRule {
  /** An anchored regular-expression source ("^(?:...)$"), DOTALL. */
  readonly re: string;
}

/** One profile list of globs. */
export interface PolicyGlobList {
  readonly entries: readonly PolicyGlob[];
  /** The rule a path matched by no entry is refused by ("not in files.read"). */
  readonly missing: PolicyRule;
}

/** One address entry. IPv4-mapped IPv6 destinations (::ffff:a.b.c.d) are matched as the IPv4 address. */
export type PolicyAddress =
  | (PolicyRule & {
    readonly kind: 'ip';
    /** 4, 6, or 0 for any family ("*:443"). */
    readonly family: 0 | 4 | 6;
    /** The range of addresses, inclusive, as decimal integers (an IPv6 address is 128 bits). */
    readonly lo: string;
    readonly hi: string;
    readonly portLo: number;
    readonly portHi: number;
  })
  | (PolicyRule & {
    /**
     * A host name or pattern ("api.stripe.com:443", "*.amazonaws.com:443"): `re` is matched against
     * the name as the handler wrote it, lower-cased and without a final dot. The addresses a lookup
     * of a matching name returns are bound to it (for the entry's ports) for BINDING_FLOOR_S.
     */
    readonly kind: 'host';
    readonly re: string;
    readonly portLo: number;
    readonly portHi: number;
  })
  | (PolicyRule & {
    readonly kind: 'unix';
    /** An abstract name: matched as "/" + the name without its leading NUL. */
    readonly abstract: boolean;
    readonly re: string;
  });

export interface PolicyAddressList {
  readonly entries: readonly PolicyAddress[];
  readonly missing: PolicyRule;
}

/**
 * How long a name's answer binds its addresses in a seatbelt: getaddrinfo returns no TTL, so the
 * floor is the whole lifetime (seconds).
 */
export const BINDING_FLOOR_S = FLOOR_S;

export interface SeatbeltPolicy {
  readonly version: 1;
  /** The profile's name. */
  readonly profile: string;
  /** false under mode: audit: report what would be refused, refuse nothing. */
  readonly enforce: boolean;
  /** What the bootstrap does to a process after a refusal: deny (it goes on) or kill (it is ended). */
  readonly violation: 'deny' | 'kill';
  /** Absent: the profile has no files section, paths are not checked. deny wins over read and write; write implies read. */
  readonly files?: { readonly read: PolicyGlobList; readonly write: PolicyGlobList; readonly deny: PolicyGlobList };
  /** Absent: programs are not checked. A program is allowed when an entry matches its absolute path. */
  readonly exec?: { readonly allow: PolicyGlobList };
  /** process.fork: may the handler create processes at all (false: every spawn, fork, exec refused). */
  readonly fork: { readonly allowed: boolean; readonly rule: PolicyRule };
  /**
   * Absent: destinations are not checked. When `connect` holds a 'host' entry, names are governed:
   * a lookup of a name that no 'host' entry matches (whatever its ports) is refused before it
   * resolves (Node: ENOTFOUND; Python: socket.gaierror EAI_NONAME), and an address is reachable
   * when an 'ip' entry allows it or a lookup of an allowed name returned it (bound to that
   * name's entries' ports). Without a 'host' entry, lookups are not checked.
   */
  readonly network?: { readonly connect: PolicyAddressList; readonly bind: PolicyAddressList };
  /** Destinations always reachable whatever the profile says ("127.0.0.1:9001": the Runtime API proxy). */
  readonly always: readonly string[];
  /**
   * Native code the handler may load: Node addons (process.dlopen), Python extension modules
   * outside the interpreter's own standard library, ctypes and cffi libraries. An empty list
   * allows none.
   */
  readonly native: PolicyGlobList;
}

/** What the handler did that its seatbelt refused (or would have, under mode: audit). */
export type SeatbeltAct =
  | { readonly act: 'open'; readonly path: string; readonly access: 'read' | 'write' }
  | { readonly act: 'exec'; readonly path: string; readonly argv?: readonly string[] }
  | { readonly act: 'fork' }
  /** resolvedFrom: the names lookups bound the refused address to (for another port), if any. */
  | { readonly act: 'connect'; readonly address: string; readonly resolvedFrom?: readonly string[] }
  | { readonly act: 'bind'; readonly address: string }
  /** A lookup of a name that no 'host' entry allows (refused before it resolved). */
  | { readonly act: 'resolve'; readonly name: string }
  | { readonly act: 'native'; readonly path: string }
  /** Something the seatbelt refuses whatever the profile says (a subinterpreter, a Worker without the preload). */
  | { readonly act: 'other'; readonly what: string };

/** One line on the report channel: JSON, newline-terminated. */
export type SeatbeltReport = SeatbeltAct & {
  /** The reporting process (checked by the bootstrap: it must be in the handler's tree). */
  readonly pid: number;
  /** 'node' | 'python'. */
  readonly runtime: 'node' | 'python';
  /** The rule that refused it, as the seatbelt found it (the bootstrap finds it again itself). */
  readonly rule: PolicyRule;
  /** The API the handler called ("fs.readFileSync", "open", "subprocess.Popen", "net.Socket.connect"). */
  readonly api: string;
};

/**
 * Not a refusal: a lookup of an allowed name, and the addresses it returned, so that the process
 * monitor binds them too (it sees connections, never names). A line on the same channel; `rule` is
 * the 'host' entry that allowed the name.
 */
export interface SeatbeltBinding {
  readonly act: 'resolved';
  readonly name: string;
  /** Addresses as text ("192.0.2.10", "2001:db8::10"). */
  readonly addresses: readonly string[];
  readonly pid: number;
  readonly runtime: 'node' | 'python';
  readonly rule: PolicyRule;
  readonly api: string;
}

/** The code of the error a seatbelt throws in the handler (Node: err.code; Python: PermissionError with errno EACCES). */
export const REFUSED_CODE = 'ERR_SYSCAGE_REFUSED';
