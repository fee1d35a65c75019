// Choosing a run's tier (lib/tier/select.ts) with the tracer's answer and doctor's probes injected:
// the probes run only when the tracer could not seize; the tracer is kept for the tiers that use
// it and cancelled otherwise, also when the choice fails.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlatformTier } from '../../lib/doctor/index.js';
import { loadProfile } from '../../lib/profile/load.js';
import { selectTier, TierError } from '../../lib/tier/index.js';
import type { PreparedTracer } from '../../lib/trace/index.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-select-'));
const profile = (lines: string[]) => {
  const p = join(dir, `p${Math.random()}.yaml`);
  writeFileSync(p, ['version: 1', 'name: p', ...lines].join('\n') + '\n');
  return loadProfile(p).profile;
};

/** A tracer whose start-up said `mode` (or failed), and which counts its cancels. */
function tracer(ready: { mode: 'supervised' | 'bpf-only'; note?: string } | Error) {
  const fake = {
    cancelled: 0,
    ready: ready instanceof Error ? Promise.reject(ready) : Promise.resolve({ pid: 42, ...ready }),
    cancel: async () => { fake.cancelled++; },
  };
  fake.ready.catch(() => undefined);
  return fake;
}
const asPrepared = (f: ReturnType<typeof tracer>) => f as unknown as PreparedTracer;

const noPtrace: PlatformTier = { tier: 'bpf', refusals: [{ probe: 'ptrace.seize', detail: 'PTRACE_SEIZE refused (EPERM).' }] };
const neither: PlatformTier = { tier: 'runtime', refusals: [{ probe: 'seccomp.filter', detail: 'no filter (EPERM).' }, ...noPtrace.refusals] };

t.test('the tracer seized: the kernel tier, no probe run, the tracer kept', async (t) => {
  const f = tracer({ mode: 'supervised' });
  let probed = 0;
  const d = await selectTier(profile([]), { prepared: asPrepared(f), probe: async () => { probed++; return neither; } });
  t.equal(d.tier, 'kernel');
  t.equal(d.prepared, asPrepared(f));
  t.equal(probed, 0, 'a platform that allows everything pays nothing for the choice');
  t.equal(f.cancelled, 0);
});

t.test('ptrace refused: doctor\'s probes decide; bpf keeps the tracer, runtime cancels it', async (t) => {
  const a = tracer({ mode: 'bpf-only', note: 'ptrace is not permitted' });
  const bpf = await selectTier(profile([]), { prepared: asPrepared(a), probe: async () => noPtrace });
  t.equal(bpf.tier, 'bpf');
  t.equal(bpf.prepared, asPrepared(a), 'the unseized stage-2 runs the bpf tier');
  t.equal(a.cancelled, 0);
  t.same(bpf.refusals, noPtrace.refusals);

  const b = tracer({ mode: 'bpf-only' });
  const rt = await selectTier(profile(['weakest_tier: runtime']), { prepared: asPrepared(b), probe: async () => neither });
  t.equal(rt.tier, 'runtime');
  t.equal(rt.prepared, undefined);
  t.equal(b.cancelled, 1, 'the runtime tier needs no tracer');
  t.match(rt.why, /strongest tier this platform allows/);
});

t.test('the probes say kernel but the tracer could not seize: its own answer stands', async (t) => {
  const f = tracer({ mode: 'bpf-only', note: 'seize refused just now' });
  const d = await selectTier(profile(['weakest_tier: runtime']), { prepared: asPrepared(f), probe: async () => ({ tier: 'kernel', refusals: [] }) });
  t.equal(d.tier, 'bpf');
  t.same(d.refusals, [{ probe: 'ptrace.seize', detail: 'seize refused just now' }]);
});

t.test('a tracer that failed to start is syscage\'s failure, not a weaker tier: it goes on, no probe run', async (t) => {
  const f = tracer(new Error('worker died'));
  let probed = 0;
  await t.rejects(selectTier(profile(['weakest_tier: runtime']), { prepared: asPrepared(f), probe: async () => { probed++; return neither; } }), /worker died/);
  t.equal(probed, 0);
});

t.test('no tier the profile accepts: TierError (exit 71), the tracer cancelled', async (t) => {
  const f = tracer({ mode: 'bpf-only' });
  const e = await selectTier(profile(['weakest_tier: kernel']), { prepared: asPrepared(f), probe: async () => noPtrace }).catch((x: unknown) => x);
  t.ok(e instanceof TierError);
  t.equal((e as TierError).status, 71);
  t.match((e as TierError).message, /needs the kernel tier .* ptrace\.seize: PTRACE_SEIZE refused \(EPERM\)/);
  t.equal(f.cancelled, 1);
});

t.test('the probes themselves fail: the error goes on, the tracer is cancelled', async (t) => {
  const f = tracer({ mode: 'bpf-only' });
  await t.rejects(selectTier(profile([]), { prepared: asPrepared(f), probe: async () => { throw new Error('probe broke'); } }), /probe broke/);
  t.equal(f.cancelled, 1);
});
