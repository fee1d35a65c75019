// The typed profile: what PROFILE-v1.md describes, after validation and after
// `extends` has been merged. Every entry keeps where it was written, so that a
// decision can always name the rule (file:line) that made it.
import type { AddressRule } from './address.js';
import type { SourceLoc } from './diagnostic.js';

export interface Located<T> {
  readonly value: T;
  /** Where it was written; absent for built-in defaults. */
  readonly loc?: SourceLoc;
}

export type Action = 'allow' | 'deny' | 'kill' | 'log';
export type Mode = 'enforce' | 'audit';
export type Violation = 'deny' | 'kill';
/**
 * How syscage enforces a profile, strongest first: kernel (seccomp filter + ptrace supervisor),
 * bpf (the seccomp filter alone), runtime (neither: a process monitor watches through /proc).
 */
export type Tier = 'kernel' | 'bpf' | 'runtime';
export const TIERS: readonly Tier[] = ['kernel', 'bpf', 'runtime'];
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq';

/** An argument value: a 64-bit integer, or a constant name resolved per arch at compile time. */
export type ArgValue = { readonly int: bigint } | { readonly name: string };

export interface ArgCondition {
  readonly index: number;
  readonly op: CompareOp;
  readonly value: Located<ArgValue>;
  readonly mask?: Located<ArgValue>;
  readonly loc?: SourceLoc;
}

export interface SyscallRule {
  readonly syscalls: readonly Located<string>[];
  readonly args: readonly ArgCondition[];
  readonly action: Action;
  readonly errno?: number;
  readonly loc?: SourceLoc;
}

export interface SyscallLists {
  readonly allow: readonly Located<string>[];
  readonly deny: readonly Located<string>[];
  readonly kill: readonly Located<string>[];
  readonly log: readonly Located<string>[];
}

export type ArchName = 'x86_64' | 'aarch64';

export interface SyscallSection extends SyscallLists {
  readonly rules: readonly SyscallRule[];
  /** Lists that apply on one arch only (syscalls.x86_64, syscalls.aarch64). */
  readonly arch: Readonly<Partial<Record<ArchName, SyscallLists>>>;
}

/** The lists that apply on one arch: the common ones plus that arch's own. */
export function listsFor(s: SyscallSection, arch: ArchName): SyscallLists & { readonly rules: readonly SyscallRule[] } {
  const own = s.arch[arch];
  if (!own) return s;
  return { allow: [...s.allow, ...own.allow], deny: [...s.deny, ...own.deny], kill: [...s.kill, ...own.kill], log: [...s.log, ...own.log], rules: s.rules };
}

export interface FilesSection {
  readonly read: readonly Located<string>[];
  readonly write: readonly Located<string>[];
  readonly deny: readonly Located<string>[];
  readonly loc?: SourceLoc;
}

export interface ExecSection {
  readonly allow: readonly Located<string>[];
  readonly loc?: SourceLoc;
}

export type Address = AddressRule & { readonly text: string };

export interface NetworkSection {
  readonly connect: readonly Located<Address>[];
  readonly bind: readonly Located<Address>[];
  readonly loc?: SourceLoc;
}

export interface ProcessSection {
  readonly fork: Located<boolean>;
  readonly signal: Located<'tree' | 'any'>;
  readonly loc?: SourceLoc;
}

export interface SeatbeltsSection {
  /** The tiers in which the seatbelts run (default: runtime only). */
  readonly tiers: Located<readonly Tier[]>;
  /** Native code the handler may load (addons, extension modules, ctypes/cffi libraries). */
  readonly native: readonly Located<string>[];
  readonly loc?: SourceLoc;
}

export interface Profile {
  readonly version: 1;
  readonly name: string;
  /** The files this profile was loaded from: the named file first, then what it extends. */
  readonly sources: readonly string[];
  readonly command?: Located<readonly string[]>;
  readonly mode: Located<Mode>;
  readonly default: Located<Action>;
  readonly errno: Located<number>;
  /** errno for the syscalls that `default: deny` refuses (not named anywhere). */
  readonly defaultErrno: Located<number>;
  readonly violation: Located<Violation>;
  /** The weakest tier this profile accepts (default bpf: the seccomp filter at least). */
  readonly weakestTier: Located<Tier>;
  readonly syscalls: SyscallSection;
  /** A section that is absent leaves that kind of access to the syscall lists. */
  readonly files?: FilesSection;
  readonly exec?: ExecSection;
  readonly network?: NetworkSection;
  readonly process?: ProcessSection;
  /** The Node and Python seatbelts: always present (defaults: runtime tier only, no native code). */
  readonly seatbelts: SeatbeltsSection;
}
