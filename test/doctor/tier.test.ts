// The tier a platform allows and the tier a profile gets (lib/doctor/tier.ts): every pair of
// platform tier and weakest_tier, with and without an exec section, and what the refusals say.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coverage, platformTier, PROBE_NAMES, tierFor, type PlatformTier, type ProbeName, type ProbeResult } from '../../lib/doctor/index.js';
import { loadProfile } from '../../lib/profile/load.js';
import type { Tier } from '../../lib/profile/types.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-tier-'));
const profile = (lines: string[]) => {
  const p = join(dir, `p${Math.random()}.yaml`);
  writeFileSync(p, ['version: 1', 'name: p', ...lines].join('\n') + '\n');
  return loadProfile(p).profile;
};

const allOk = (): Record<ProbeName, ProbeResult> => Object.fromEntries(PROBE_NAMES.map((n) => [n, { ok: true, detail: `${n} ok.` }])) as Record<ProbeName, ProbeResult>;

t.test('platformTier: the mode\'s tier, and every needed probe that failed', async (t) => {
  t.same(platformTier(allOk(), 'supervised'), { tier: 'kernel', refusals: [] });
  const noPtrace = { ...allOk(), 'ptrace.seize': { ok: false, detail: 'EPERM.' } };
  t.same(platformTier(noPtrace, 'bpf-only'), { tier: 'bpf', refusals: [{ probe: 'ptrace.seize', detail: 'EPERM.' }] });
  const none = { ...noPtrace, 'seccomp.filter': { ok: false, detail: 'no filter.' } };
  t.same(platformTier(none, 'unavailable').refusals.map((r) => r.probe), ['seccomp.filter', 'ptrace.seize'], 'in the order doctor looks for reasons');
  t.equal(platformTier(none, 'unavailable').tier, 'runtime');
});

const platform = (tier: Tier): PlatformTier => ({
  tier,
  refusals: tier === 'kernel' ? [] : [
    ...(tier === 'runtime' ? [{ probe: 'seccomp.filter' as const, detail: 'filters are refused.' }] : []),
    { probe: 'ptrace.seize', detail: 'ptrace is refused.' },
  ],
});

t.test('tierFor: the strongest the platform allows, as far down as the profile accepts', async (t) => {
  const cases: [Tier, Tier | undefined, boolean, Tier | null][] = [
    // platform, weakest_tier (undefined: the default, bpf), exec section, expected
    ['kernel', 'kernel', true, 'kernel'],
    ['kernel', 'runtime', true, 'kernel'],
    ['bpf', undefined, false, 'bpf'],
    ['bpf', 'kernel', false, null],
    ['bpf', 'runtime', false, 'bpf'],
    ['bpf', 'bpf', true, null],
    ['bpf', 'runtime', true, 'runtime'],
    ['runtime', undefined, false, null],
    ['runtime', 'bpf', false, null],
    ['runtime', 'bpf', true, null],
    ['runtime', 'runtime', true, 'runtime'],
    ['runtime', 'runtime', false, 'runtime'],
  ];
  for (const [plat, weakest, exec, want] of cases) {
    const p = profile([...(weakest ? [`weakest_tier: ${weakest}`] : []), ...(exec ? ['exec: { allow: [/bin/true] }'] : [])]);
    const c = tierFor(p, platform(plat));
    const name = `platform ${plat}, weakest_tier ${weakest ?? '(default)'}${exec ? ', exec section' : ''}`;
    t.equal(c.ok ? c.tier : null, want, name);
    if (!c.ok) {
      t.match(c.message, weakest ? /weakest_tier: \w+ at .*\.yaml:3:15/ : /weakest_tier: bpf \(the default\)/, `${name}: names the rule`);
      t.match(c.message, plat === 'runtime' ? /refuses it: seccomp\.filter: filters are refused/ : /refuses it: ptrace\.seize: ptrace is refused/, `${name}: names the first refusal`);
      if (exec && (weakest ?? 'bpf') === 'bpf') t.match(c.message, /needs the kernel tier \(the bpf tier cannot start a profile with an exec section/, `${name}: the tier it really needs`);
    }
  }
});

t.test('coverage: what each tier does with a profile, only for what the profile says', async (t) => {
  const full = coverage(profile(['files: { read: ["/**"] }', 'exec: { allow: [/bin/true] }', 'network: { connect: ["*:443"] }', 'process: { fork: false }']));
  t.same(full.map((c) => c.tier), ['kernel', 'bpf', 'runtime']);
  const [kernel, bpf, runtime] = full;
  t.same(kernel!.after, [], 'the kernel tier acts before, never after');
  t.same(kernel!.not, []);
  t.match(bpf!.cannotStart, /exec section/);
  t.equal(runtime!.before.length, 1, 'the runtime tier stops before only what a seatbelt refuses');
  t.match(runtime!.before[0], /^for a Node\.js or Python handler \(its seatbelt\): .*files, exec\.allow, network\.connect and network\.bind, process\.fork: false, native code/);
  const off = coverage(profile(['files: { read: ["/**"] }', 'seatbelts: { tiers: [] }']))[2]!;
  t.same(off.before, [], 'seatbelts off: nothing before');
  t.ok(off.not.some((s) => /the handler's own reads included/.test(s)), 'and the handler\'s own reads go unseen');
  const said = (command: string): string => coverage(profile([`command: [${command}, x]`]))[2]!.before[0]!;
  t.match(said('/usr/bin/python3'), /^the Python seatbelt \(audit hook\)/, 'a Python command: its seatbelt named');
  t.match(said(process.execPath), /^the Node\.js seatbelt/, 'a Node command');
  t.match(said('/bin/sh'), /^nothing \(seatbelt none: the command is neither Node\.js nor Python, so the process monitor alone watches it\)/, 'neither: doctor says the monitor alone');
  t.equal(runtime!.after.length, 4, 'exec, network, files, fork: after the fact');
  t.ok(runtime!.not.some((s) => /syscalls lists/.test(s)), 'and says the syscalls lists go unenforced');
  t.ok(runtime!.not.some((s) => /shorter than a poll/.test(s)), 'and that a short connection goes unseen');
  const bare = coverage(profile(['default: allow']));
  t.same(bare[2]!.after, [], 'a profile without files, exec or network: nothing for the monitor');
  t.equal(bare[1]!.cannotStart, undefined);
});
