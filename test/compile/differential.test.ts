// Differential property test: random profiles compiled with the binary search
// dispatch and with a plain linear chain of jeq must return the same value
// for every input — every syscall number, x32 and unknown numbers, and
// arguments seeded from the rules' interesting values (boundaries, masks,
// 32-bit halves). Reproduce a failure with SEED=<seed>.
import t from 'tap';
import { ARCHES, AUDIT_ARCH, syscallTable, type Arch } from '../../lib/arch/index.js';
import { constantNames, constantValue } from '../../lib/arch/constants.js';
import { argBits } from '../../lib/arch/widths.js';
import { compile as load } from '../../lib/bpf/index.js';
import { compileProfile } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';
import { interestingArgs } from '../helpers/oracle.js';
import { Rng } from '../helpers/random.js';

const M64 = (1n << 64n) - 1n;
const OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq'] as const;
const ACTIONS = ['allow', 'deny', 'kill', 'log'] as const;

/** A random but valid profile, as YAML text. */
function randomProfile(rng: Rng, arch: Arch): string {
  const names = syscallTable().names(arch);
  const some = (n: number) => Array.from({ length: n }, () => rng.pick(names));
  // A value that fits the argument in every syscall of the rule (a 32-bit
  // `int` argument cannot be compared with 0x1_0000_0000: a compile error).
  const value = (bits: number): string => {
    if (rng.chance(0.2)) {
      const fitting = constantNames(arch).filter((c) => (constantValue(arch, c)! & M64) < 1n << BigInt(bits));
      return rng.pick(fitting);
    }
    const interesting = [0n, 1n, 0xffffn, 0x7fffn, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 0x7fffffffn, 0x80000000n];
    const v = rng.chance(0.5) ? rng.pick(interesting) : rng.u64();
    return '0x' + (v & ((1n << BigInt(bits)) - 1n)).toString(16);
  };
  const rules = Array.from({ length: rng.int(12) }, () => {
    const targets = rng.chance(0.3) ? some(1 + rng.int(3)) : [rng.pick(names)];
    const conds = Array.from({ length: rng.int(4) }, () => {
      const op = rng.pick(OPS);
      const index = rng.int(6);
      const bits = Math.min(...targets.map((s) => argBits(s, index)));
      return `{ index: ${index}, op: ${op}, value: ${value(bits)}${op === 'masked_eq' ? `, mask: ${value(64)}` : ''} }`;
    });
    const action = rng.pick(ACTIONS);
    const errno = action === 'deny' && rng.chance(0.5) ? `\n      errno: ${1 + rng.int(133)}` : '';
    const sys = targets.length > 1 ? `syscalls: [${targets.join(', ')}]` : `syscall: ${targets[0]}`;
    return `    - ${sys}\n      args: [${conds.join(', ')}]\n      action: ${action}${errno}`;
  });
  return [
    'version: 1',
    `default: ${rng.pick(ACTIONS)}`,
    `mode: ${rng.chance(0.2) ? 'audit' : 'enforce'}`,
    `violation: ${rng.pick(['deny', 'kill'])}`,
    'syscalls:',
    `  allow: [${some(rng.int(120)).join(', ')}]`,
    `  deny: [${some(rng.int(10)).join(', ')}]`,
    `  kill: [${some(rng.int(5)).join(', ')}]`,
    `  log: [${some(rng.int(5)).join(', ')}]`,
    rules.length ? `  rules:\n${rules.join('\n')}` : '',
    rng.chance(0.5) ? 'files: { read: [/etc/**] }' : '',
    rng.chance(0.3) ? 'network: { connect: ["127.0.0.1:80"] }' : '',
    rng.chance(0.3) ? 'exec: { allow: [] }' : '',
    rng.chance(0.3) ? 'process: { fork: false }' : '',
  ].join('\n') + '\n';
}

const RUNS = Number(process.env.RUNS ?? 60);
const firstSeed = process.env.SEED ? Number(process.env.SEED) : 1;

t.test(`BST and linear dispatch agree on ${RUNS} random profiles per arch`, async (t) => {
  let inputs = 0;
  for (const arch of ARCHES) {
    for (let seed = firstSeed; seed < firstSeed + (process.env.SEED ? 1 : RUNS); seed++) {
      const rng = new Rng(seed * 7919 + (arch === 'x86_64' ? 0 : 1));
      const text = randomProfile(rng, arch);
      const { profile } = loadProfile(`random-${seed}.yaml`, { readFile: () => text });
      const bst = compileProfile(profile, arch, { dispatch: 'bst' });
      const linear = compileProfile(profile, arch, { dispatch: 'linear' });
      const a = load(bst.insns);
      const b = load(linear.insns);
      const numbers = [...syscallTable().numbers(arch), -1, -2, 0x40000000, 0x40000000 | 59, 0x7fffffff, 999, 5000];
      let mismatch: string | undefined;
      for (const nr of numbers) {
        const name = syscallTable().name(arch, nr >>> 0) ?? '';
        for (const args of interestingArgs(profile, arch, name)) {
          const data = { nr, arch: AUDIT_ARCH[arch], args };
          inputs++;
          const x = a.run(data);
          const y = b.run(data);
          if (x !== y && !mismatch) mismatch = `nr ${nr} (${name}) args ${args.map((v) => v.toString(16))}: bst 0x${x.toString(16)} linear 0x${y.toString(16)}`;
        }
      }
      if (mismatch) {
        t.fail(`SEED=${seed} ${arch}: ${mismatch}`, { profile: text });
        return;
      }
    }
  }
  t.ok(inputs > 50_000, `${inputs} inputs compared, all equal`);
});
