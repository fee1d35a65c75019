// Every shipped and test profile, compiled for both arches, run in the BPF
// interpreter over every syscall number of the arch, x32 numbers, nr -1,
// unknown numbers and wrong-arch inputs — and checked against the action the
// independent oracle (test/helpers/oracle.ts) derives from the profile.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, AUDIT_ARCH, syscallTable, type Arch } from '../../lib/arch/index.js';
import { compile as load, disassemble, retAction, retData, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG, SECCOMP_RET_TRACE } from '../../lib/bpf/index.js';
import { compileProfile, type Compiled } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';
import type { Profile } from '../../lib/profile/types.js';
import { packageRoot } from '../../lib/paths.js';
import { expectedAction, interestingArgs, type Expected, type Input } from '../helpers/oracle.js';

const root = packageRoot();
const yamls = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f));
const PROFILES = [
  ...yamls('profiles'),
  ...yamls('profiles/examples'),
  ...yamls('test/fixtures/compile'),
  'test/fixtures/compile-extends/child.yaml',
];

const AUDIT_ARCH_I386 = 0x40000003;
const WRONG_ARCH: Record<Arch, number[]> = {
  x86_64: [AUDIT_ARCH.aarch64, AUDIT_ARCH_I386, 0],
  aarch64: [AUDIT_ARCH.x86_64, 0x40000028 /* AUDIT_ARCH_ARM */, 0],
};

function actual(c: Compiled, ret: number): Expected {
  const data = retData(ret);
  switch (retAction(ret)) {
    case SECCOMP_RET_ALLOW: return { action: 'allow' };
    case SECCOMP_RET_LOG: return { action: 'log' };
    case SECCOMP_RET_KILL_PROCESS: return { action: 'kill' };
    case SECCOMP_RET_ERRNO: return { action: 'errno', errno: data };
    case SECCOMP_RET_TRACE: {
      const trap = c.traps[data];
      if (!trap) return { action: 'trace', checks: [`<no trap entry ${data}>`], then: 'allow' };
      const refuse = trap.refuse && (trap.refuse.kind === 'errno' ? `errno(${trap.refuse.errno})` : trap.refuse.kind);
      return { action: 'trace', checks: [...trap.checks], then: trap.then, ...(refuse ? { refuse } : {}) };
    }
    default: return { action: 'allow', unexpected: ret } as Expected;
  }
}

function inputs(p: Profile, arch: Arch): Input[] {
  const table = syscallTable();
  const a = AUDIT_ARCH[arch];
  const out: Input[] = [];
  const numbers = table.numbers(arch);
  const max = numbers[numbers.length - 1]!;
  for (const nr of numbers) {
    for (const args of interestingArgs(p, arch, table.name(arch, nr)!)) out.push({ nr, arch: a, args });
  }
  // Numbers the table does not know: gaps, past the end, the x32 range, negatives.
  const unknown = [max + 1, max + 2, 1000, 4095, 0x3fffffff, -1, -2, 0x7fffffff];
  for (let n = 0; n <= max; n++) if (!numbers.includes(n)) unknown.push(n);
  if (arch === 'x86_64') for (const nr of numbers) unknown.push((nr | 0x40000000) | 0);
  for (const nr of unknown) out.push({ nr, arch: a, args: [0n, 0n, 0n, 0n, 0n, 0n] });
  for (const wrong of WRONG_ARCH[arch]) for (const nr of [0, 1, 59, 221, 257, -1]) out.push({ nr, arch: wrong, args: [0n, 0n, 0n, 0n, 0n, 0n] });
  return out;
}

for (const file of PROFILES) {
  t.test(file, async (t) => {
    const { profile } = loadProfile(join(root, file));
    for (const arch of ARCHES) {
      for (const supervised of [true, false]) {
        let c: Compiled;
        try {
          c = compileProfile(profile, arch, { supervised });
        } catch (e) {
          t.fail(`${arch}: does not compile: ${(e as Error).message}`);
          continue;
        }
        const prog = load(c.insns);
        let checked = 0;
        const wrong: string[] = [];
        for (const input of inputs(profile, arch)) {
          const want = expectedAction(profile, arch, input, supervised);
          const got = actual(c, prog.run(input));
          checked++;
          if (JSON.stringify(got) !== JSON.stringify(want) && wrong.length < 10) {
            const name = syscallTable().name(arch, input.nr >>> 0) ?? '?';
            wrong.push(`nr ${input.nr} (${name}) arch 0x${(input.arch >>> 0).toString(16)} args [${input.args.map((x) => '0x' + x.toString(16)).join(', ')}]: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
          }
        }
        t.same(wrong, [], `${arch}${supervised ? '' : ' (BPF-only)'}: ${checked} inputs agree with the oracle`, {
          disassembly: wrong.length ? disassemble(c.insns, { syscallName: (n) => syscallTable().name(arch, n) }) : undefined,
        });
      }
    }
  });
}
