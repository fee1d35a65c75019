// Argument widths: every C type in lib/arch/syscall-types.csv has a known
// width, the ones that matter for rules are right, and the file agrees with
// the running kernel's own declarations where both know a syscall.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argBits, syscallTypes, typeBits } from '../../lib/arch/widths.js';
import { packageRoot } from '../../lib/paths.js';

t.test('every declared type has a width', async (t) => {
  const unknown = new Set<string>();
  for (const types of syscallTypes().values()) for (const ty of types) if (typeBits(ty) === undefined) unknown.add(ty);
  t.same([...unknown], [], 'add new types to WIDTH in lib/arch/widths.ts');
  t.ok(syscallTypes().size > 300, `${syscallTypes().size} syscalls`);
});

t.test('widths that argument rules depend on', async (t) => {
  const cases: [string, number, number][] = [
    ['socket', 0, 32], ['socket', 1, 32], ['prctl', 0, 32], ['prctl', 1, 64], ['ioctl', 1, 32], ['ioctl', 2, 64],
    ['clone', 0, 64], ['mmap', 2, 64], ['openat', 2, 32], ['openat', 3, 16], ['kill', 1, 32], ['personality', 0, 32],
    ['unshare', 0, 64], ['setns', 1, 32], ['fcntl', 1, 32], ['stat', 0, 64], ['fstat', 0, 32], ['umount2', 1, 32],
    ['init_module', 0, 64], // no tracepoint: compared in full
  ];
  for (const [s, i, bits] of cases) t.equal(argBits(s, i), bits, `${s} argument ${i}: ${bits} bits`);
});

t.test('agrees with the running kernel', async (t) => {
  const events = '/sys/kernel/tracing/events/syscalls';
  const out = join(mkdtempSync(join(tmpdir(), 'syscage-types-')), 'types.csv');
  try {
    execFileSync(process.execPath, [join(packageRoot(), 'scripts', 'gen-syscall-types.mjs'), '--out', out], { stdio: 'pipe' });
  } catch (e) {
    t.skip(`cannot read the kernel's syscall declarations (${events}: needs tracefs, CONFIG_FTRACE_SYSCALLS and root): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
    return;
  }
  t.ok(existsSync(out));
  const live = new Map(readFileSync(out, 'utf8').split('\n').slice(2).filter(Boolean).map((l) => l.split(',') as [string, string]));
  const differ: string[] = [];
  let compared = 0;
  for (const [name, types] of syscallTypes()) {
    const now = live.get(name);
    if (now === undefined) continue;
    compared++;
    const a = types.map((ty) => typeBits(ty));
    const b = now.split('|').map((ty) => typeBits(ty));
    if (a.join() !== b.join()) differ.push(`${name}: committed ${types.join('|')}, kernel ${now}`);
  }
  t.ok(compared > 300, `${compared} syscalls compared`);
  t.same(differ, [], 'argument widths match this kernel (regenerate with node scripts/gen-syscall-types.mjs)');
});
