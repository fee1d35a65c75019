// Size and depth: a profile that names every syscall stays far under the
// kernel's 4096-instruction limit, and the dispatch is a balanced search.
//
// Depth bound: the dispatch splits the syscall numbers into ranges of equal
// outcome, and any tree of binary comparisons that tells R ranges apart needs
// ceil(log2 R) comparisons on its longest path; ours makes exactly that many.
// n named syscalls scattered among unnamed ones make up to 2n+3 ranges, so
// the depth is at most ceil(log2 n) + 2 (and less when neighbours share an
// outcome, as in real profiles).
import t from 'tap';
import { ARCHES, AUDIT_ARCH, syscallTable } from '../../lib/arch/index.js';
import { BPF_MAXINSNS, compile as load } from '../../lib/bpf/index.js';
import { compileProfile } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';

for (const arch of ARCHES) {
  t.test(`${arch}: a profile naming every syscall`, async (t) => {
    const names = syscallTable().names(arch);
    // Alternate outcomes so that no two neighbours merge into one range: the worst case for size.
    const lists: Record<string, string[]> = { allow: [], deny: [], kill: [], log: [] };
    names.forEach((n, i) => lists[['allow', 'deny', 'log', 'kill'][i % 4]!]!.push(n));
    const text = `version: 1\nsyscalls:\n${Object.entries(lists).map(([k, v]) => `  ${k}: [${v.join(', ')}]`).join('\n')}\n`;
    const { profile } = loadProfile('every.yaml', { readFile: () => text });
    const c = compileProfile(profile, arch);
    t.ok(c.stats.length < BPF_MAXINSNS, `${c.stats.length} instructions < ${BPF_MAXINSNS}`);
    t.equal(c.stats.named, names.length, 'every syscall named');
    t.equal(c.stats.depth, Math.ceil(Math.log2(c.stats.ranges)), `depth ${c.stats.depth} = ceil(log2(${c.stats.ranges} ranges)), the least possible`);

    // The measured worst path agrees with the reported depth: the prelude,
    // `depth` comparisons, then a jump or return (syscalls without argument rules).
    const prog = load(c.insns);
    let longest = 0;
    for (const p of c.plan.syscalls.filter((p) => p.steps.length === 0)) {
      longest = Math.max(longest, prog.trace({ nr: p.nr, arch: AUDIT_ARCH[arch] }).path.length);
    }
    t.ok(longest <= c.stats.prelude + c.stats.depth + 2, `longest executed path ${longest} <= prelude ${c.stats.prelude} + depth ${c.stats.depth} + 2`);

    // All allowed: neighbours merge; what remains apart are the signal
    // senders (always checked by the supervisor) and prctl (its built-in rule).
    const all = `version: 1\nsyscalls:\n  allow: [${names.join(', ')}]\n`;
    const c2 = compileProfile(loadProfile('all.yaml', { readFile: () => all }).profile, arch);
    t.ok(c2.stats.ranges <= 20, `allowing everything leaves ${c2.stats.ranges} ranges`);
    t.ok(c2.stats.length < 60, `and ${c2.stats.length} instructions`);
  });
}

t.test('depth stays logarithmic as profiles grow', async (t) => {
  const names = syscallTable().names('x86_64');
  for (const n of [8, 32, 128, names.length]) {
    const pick = names.filter((_, i) => i % Math.max(1, Math.floor(names.length / n)) === 0).slice(0, n);
    const text = `version: 1\nsyscalls:\n  allow: [${pick.join(', ')}]\n`;
    const c = compileProfile(loadProfile('grow.yaml', { readFile: () => text }).profile, 'x86_64');
    const bound = Math.ceil(Math.log2(pick.length)) + 2;
    t.ok(c.stats.depth <= bound, `${pick.length} scattered syscalls: depth ${c.stats.depth} <= ceil(log2 n) + 2 = ${bound} (${c.stats.ranges} ranges)`);
    t.equal(c.stats.depth, Math.ceil(Math.log2(c.stats.ranges)), 'and exactly ceil(log2 ranges)');
  }
});
