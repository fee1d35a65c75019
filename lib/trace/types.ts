// What the supervisor knows at a trapped syscall, and what it decides.
// The tracer loop (worker thread, ptrace) fills a Trap and hands it to the
// pure decision code in decide/, which sees the tracee only through
// TraceeView — so tests can script any memory or /proc content.
import type { Arch } from '../arch/index.js';
import type { TrapEntry } from '../compile/plan.js';
import type { SourceLoc } from '../profile/diagnostic.js';

/** A trapped syscall, as PTRACE_GET_SYSCALL_INFO reports it at the seccomp stop. */
export interface Trap {
  /** The thread that made the call. */
  readonly tid: number;
  /** Its process (thread group). */
  readonly pid: number;
  readonly arch: Arch;
  readonly nr: number;
  /** The syscall's name on `arch` ('(unknown)' for numbers the table does not know). */
  readonly syscall: string;
  /** The six argument registers, as unsigned 64-bit values. */
  readonly args: readonly bigint[];
  /** The trap table entry the filter's SECCOMP_RET_DATA named. */
  readonly entry: TrapEntry;
}

/** A read of tracee memory or /proc that failed (unmapped address, process gone...). */
export interface Fault {
  readonly fault: string;
  /** The errno the kernel would give the call for it (EFAULT, ENAMETOOLONG...), when known. */
  readonly errno?: number;
}
export const isFault = (x: unknown): x is Fault => typeof x === 'object' && x !== null && 'fault' in x;

/** How decision code sees a tracee. Implemented with process_vm_readv and /proc; faked in tests. */
export interface TraceeView {
  /** A NUL-terminated string at addr, at most `max` bytes (PATH_MAX = 4096 for paths). */
  readString(addr: bigint, max: number): string | Fault;
  /** `len` bytes at addr. */
  readBytes(addr: bigint, len: number): Buffer | Fault;
  /** The tracee's working directory (readlink /proc/PID/cwd). */
  cwd(): string | Fault;
  /** What fd refers to (readlink /proc/PID/fd/N): a path, or e.g. "socket:[123]". */
  fdPath(fd: number): string | Fault;
  /** The tracee's root directory (readlink /proc/PID/root), normally "/". */
  root(): string | Fault;
}

/** A rule of the profile that a decision rests on, for reports. */
export interface RuleRef {
  /** e.g. 'files.deny', 'files.read', 'exec.allow', 'network.connect', 'process.signal', 'syscalls.deny', 'default' */
  readonly what: string;
  /** The entry's text where there is one: a glob, an address. */
  readonly text?: string;
  readonly loc?: SourceLoc;
}

/** What a trapped call was about, decoded for the audit event. */
export interface Detail {
  /** Absolute, normalised paths the call names (after dirfd/cwd resolution). */
  readonly paths?: readonly string[];
  /** How the call uses them. */
  readonly access?: 'read' | 'write' | 'exec';
  /** The call only looks (the stat, access and readlink families, statfs, chdir): it reads no content. */
  readonly looks?: boolean;
  /** The path was not there when the call was checked (the kernel answers ENOENT). */
  readonly missing?: boolean;
  /** Program and argv of an exec. */
  readonly exec?: { readonly path: string; readonly argv: readonly string[] };
  /** Socket destination: "1.2.3.4:443", "[::1]:80", "unix:/tmp/x.sock", "unix:@abstract", "netlink", "connected peer", "AF_UNSPEC". */
  readonly address?: string;
  /**
   * A host name: the name a refused lookup asked for, or the names an address was bound to by DNS
   * answers (lib/dns) when a connect to it is decided ("api.example.com", comma-separated).
   */
  readonly name?: string;
  /** The address and what its symlinks resolve to (UNIX paths), when they differ. */
  readonly addresses?: readonly string[];
  /** Signal target pid and signal number. */
  readonly signal?: { readonly target: number; readonly sig: number };
}

/** The supervisor's answer for one trapped call. */
export type Decision =
  | { readonly action: 'allow'; readonly log: boolean; readonly detail?: Detail; readonly rule?: RuleRef }
  /**
   * quiet: a mechanism (clone3's ENOSYS), never reported. hidden: ENOENT for a path outside the
   * profile's view (a probe, not a violation): counted, reported only in audit mode or --verbose.
   */
  | { readonly action: 'deny'; readonly errno: number; readonly detail?: Detail; readonly rule: RuleRef; readonly reason: string; readonly quiet?: boolean; readonly hidden?: boolean }
  | { readonly action: 'kill'; readonly detail?: Detail; readonly rule: RuleRef; readonly reason: string };
