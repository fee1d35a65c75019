// Syscall tables per arch, loaded from lib/arch/syscalls.csv.
//
// The CSV is generated from the kernel's uapi headers by scripts/gen-syscalls.mjs (numbers) and
// scripts/syscall-args.txt (argument kinds); nobody edits per-arch lists by hand. Its first line
// names the kernel version the numbers come from.
import { EXIT, SyscageError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { syscallsCsv } from '../paths.js';

export type Arch = 'x86_64' | 'aarch64';

export const ARCHES: readonly Arch[] = Object.freeze(['x86_64', 'aarch64'] as const);

/**
 * `seccomp_data.arch` values: EM_* machine number | __AUDIT_ARCH_64BIT (0x80000000) |
 * __AUDIT_ARCH_LE (0x40000000), from linux/audit.h. EM_X86_64 = 62, EM_AARCH64 = 183.
 * Unsigned, as BPF compares them.
 */
export const AUDIT_ARCH: Readonly<Record<Arch, number>> = Object.freeze({
  x86_64: 0xc000003e,
  aarch64: 0xc00000b7,
});

/**
 * x32 (ILP32 on x86_64) syscalls arrive with AUDIT_ARCH_X86_64 but have this bit set in the
 * syscall number (arch/x86/include/uapi/asm/unistd.h __X32_SYSCALL_BIT). A filter that checks
 * only the arch must also refuse numbers with this bit, or x32 reaches the x86_64 table.
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** The arch this Node.js process runs on. */
export function hostArch(): Arch {
  const arch = parseArch(process.arch);
  if (!arch) {
    throw new SyscageError(`syscage supports x86_64 and aarch64, not ${process.arch}`, 'ERR_UNSUPPORTED_ARCH', EXIT.unavailable);
  }
  return arch;
}

const ARCH_ALIASES: ReadonlyMap<string, Arch> = new Map([
  ['x86_64', 'x86_64'],
  ['x64', 'x86_64'], // Node's process.arch
  ['amd64', 'x86_64'], // Debian, Go
  ['aarch64', 'aarch64'],
  ['arm64', 'aarch64'], // Node, Debian, Lambda
]);

/** Accepts the usual spellings (x86_64, x64, amd64, aarch64, arm64), case-insensitively. */
export function parseArch(s: string): Arch | undefined {
  return ARCH_ALIASES.get(s.toLowerCase());
}

/** What an argument holds, for the syscalls the supervisor decodes (see scripts/syscall-args.txt). */
export type ArgKind = 'path' | 'dirfd' | 'exec' | 'sockaddr' | 'socklen' | 'msghdr' | 'mmsghdr' | 'argv' | 'fd' | 'flags' | 'mode' | '-';

const ARG_KINDS: ReadonlySet<string> = new Set<ArgKind>(['path', 'dirfd', 'exec', 'sockaddr', 'socklen', 'msghdr', 'mmsghdr', 'argv', 'fd', 'flags', 'mode', '-']);

export interface Syscall {
  readonly name: string;
  /** Number per arch; absent where the arch has no such syscall (e.g. `open` on aarch64). */
  readonly nr: Readonly<Partial<Record<Arch, number>>>;
  /** Kinds by argument position; empty when nothing needs decoding. Missing positions are `-`. */
  readonly args: readonly ArgKind[];
}

export interface SyscallTable {
  /** Kernel version of the headers the numbers come from, e.g. '6.1.4'. */
  readonly kernel: string;
  /** Every syscall of any arch, sorted by name. */
  readonly all: readonly Syscall[];
  byName(name: string): Syscall | undefined;
  number(arch: Arch, name: string): number | undefined;
  name(arch: Arch, nr: number): string | undefined;
  /** Sorted names of the syscalls that exist on `arch`. */
  names(arch: Arch): readonly string[];
  /** Sorted numbers of the syscalls that exist on `arch`. */
  numbers(arch: Arch): readonly number[];
}

let table: SyscallTable | undefined;

/** The syscall table of lib/arch/syscalls.csv, read on first use. */
export function syscallTable(): SyscallTable {
  table ??= parseSyscallCsv(readFileSync(syscallsCsv(), 'utf8'), syscallsCsv());
  return table;
}

/** A broken CSV is a packaging bug, not a user error: fail at once, saying where. */
function corrupt(file: string, line: number, msg: string): never {
  throw new SyscageError(`${file}:${line}: ${msg}`, 'ERR_SYSCALL_TABLE');
}

/**
 * Parses the generated CSV:
 *   # syscall numbers from Linux <version> uapi headers (...) ...
 *   name,<arch>,<arch>...,args
 *   <name>,<nr or empty>,...,<space-separated kinds or empty>
 */
export function parseSyscallCsv(text: string, file = 'syscalls.csv'): SyscallTable {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();

  const kernel = /^# syscall numbers from Linux (\S+) /.exec(lines[0] ?? '')?.[1];
  if (!kernel) corrupt(file, 1, 'first line does not name the kernel version');

  const header = (lines[1] ?? '').split(',');
  const columns = header.slice(1, -1);
  if (header[0] !== 'name' || header.at(-1) !== 'args' || columns.length !== ARCHES.length || !ARCHES.every((a, i) => columns[i] === a)) {
    corrupt(file, 2, `header must be name,${ARCHES.join(',')},args`);
  }

  const all: Syscall[] = [];
  const byName = new Map<string, Syscall>();
  const byNumber = new Map<Arch, Map<number, string>>(ARCHES.map((a) => [a, new Map()]));

  for (let i = 2; i < lines.length; i++) {
    const line = i + 1;
    const cells = (lines[i] ?? '').split(',');
    if (cells.length !== header.length) corrupt(file, line, `expected ${header.length} columns`);
    const name = cells[0] ?? '';
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) corrupt(file, line, `bad syscall name "${name}"`);
    const prev = all.at(-1);
    if (prev && prev.name >= name) corrupt(file, line, `${name} is not in sorted order`);

    const nr: Partial<Record<Arch, number>> = {};
    ARCHES.forEach((arch, j) => {
      const cell = cells[j + 1] ?? '';
      if (cell === '') return;
      if (!/^\d+$/.test(cell)) corrupt(file, line, `bad ${arch} number "${cell}"`);
      const n = Number(cell);
      const numbers = byNumber.get(arch)!;
      const other = numbers.get(n);
      if (other !== undefined) corrupt(file, line, `${name} and ${other} share ${arch} number ${n}`);
      numbers.set(n, name);
      nr[arch] = n;
    });
    if (Object.keys(nr).length === 0) corrupt(file, line, `${name} has no number on any arch`);

    const argCell = cells.at(-1) ?? '';
    const args = argCell === '' ? [] : argCell.split(' ');
    for (const k of args) if (!ARG_KINDS.has(k)) corrupt(file, line, `unknown argument kind "${k}"`);

    const sc: Syscall = Object.freeze({ name, nr: Object.freeze(nr), args: Object.freeze(args as ArgKind[]) });
    all.push(sc);
    byName.set(name, sc);
  }

  const names = new Map<Arch, readonly string[]>(ARCHES.map((a) => [a, Object.freeze(all.filter((s) => s.nr[a] !== undefined).map((s) => s.name))]));
  const numbers = new Map<Arch, readonly number[]>(ARCHES.map((a) => [a, Object.freeze([...byNumber.get(a)!.keys()].sort((x, y) => x - y))]));

  return Object.freeze({
    kernel,
    all: Object.freeze(all),
    byName: (n: string) => byName.get(n),
    number: (arch: Arch, n: string) => byName.get(n)?.nr[arch],
    name: (arch: Arch, nr: number) => byNumber.get(arch)?.get(nr),
    names: (arch: Arch) => names.get(arch) ?? [],
    numbers: (arch: Arch) => numbers.get(arch) ?? [],
  });
}
