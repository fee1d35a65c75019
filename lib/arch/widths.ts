// How many bits of each syscall argument the kernel reads. An `int`
// argument is taken from the low 32 bits of its 64-bit register and the rest
// is ignored, so a filter must compare only those bits: a 64-bit compare of
// socket's family would let socket(0x1_0000_0002) — AF_INET to the kernel —
// through a rule that denies AF_INET (2).
//
// The C types come from lib/arch/syscall-types.csv (the kernel's own
// declarations, scripts/gen-syscall-types.mjs). Syscalls without a tracepoint
// there (module loading, kexec, uselib, long-gone ones) are compared in full.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export type ArgBits = 16 | 32 | 64;

/** Widths of the C types that appear in syscall prototypes. Pointers are 64-bit. */
const WIDTH: Readonly<Record<string, ArgBits>> = {
  int: 32, 'unsigned int': 32, unsigned: 32, u32: 32, __u32: 32, __s32: 32, pid_t: 32, uid_t: 32, gid_t: 32,
  clockid_t: 32, timer_t: 32, mqd_t: 32, key_t: 32, key_serial_t: 32, qid_t: 32, rwf_t: 32, 'enum landlock_rule_type': 32,
  umode_t: 16,
  long: 64, 'unsigned long': 64, size_t: 64, off_t: 64, loff_t: 64, aio_context_t: 64, __u64: 64, u64: 64,
  cap_user_header_t: 64, cap_user_data_t: 64,
};

/** The width of a C type as the kernel declares it, or undefined for a type this table does not know. */
export function typeBits(ctype: string): ArgBits | undefined {
  if (ctype.includes('*')) return 64;
  return WIDTH[ctype.replace(/^const\s+/, '').replace(/\s+const$/, '').trim()];
}

let types: Map<string, readonly string[]> | undefined;

/** Argument C types by syscall name. */
export function syscallTypes(): ReadonlyMap<string, readonly string[]> {
  if (!types) {
    types = new Map();
    const file = join(packageRoot(), 'lib', 'arch', 'syscall-types.csv');
    for (const line of readFileSync(file, 'utf8').split('\n').slice(2)) {
      if (!line) continue;
      const [name, list] = line.split(',') as [string, string];
      types.set(name, list ? list.split('|') : []);
    }
  }
  return types;
}

/** How many low bits of argument `index` the kernel reads for `syscall` (64 when unknown). */
export function argBits(syscall: string, index: number): ArgBits {
  const t = syscallTypes().get(syscall)?.[index];
  return (t === undefined ? undefined : typeBits(t)) ?? 64;
}
