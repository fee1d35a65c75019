#!/usr/bin/env node
// The escape corpus's summary: adds up the results the corpus test files
// wrote to test/escapes/out/results/*.json and prints one line per
// enforcement tier (lib/doctor/tier.ts), the kernel tier's last:
//
//     runtime (simulated Lambda): N attempts, N blocked, N killed after the fact, N escaped
//       escaped: ID — why (every escape by name, none left out)
//     bpf (simulated, ptrace refused): N attempts, N blocked, N escaped, N cannot start ...
//     runtime seatbelts (simulated Lambda, Node 26 and Python): N attempts, N blocked, N killed after the fact, N escaped
//       escaped: ID — the known hole it shows (every escape by name)
//     kernel: N attempts, N blocked, 0 escaped
//
// The kernel line is the strict-profile corpus (the issue's "every one blocked, with an audit
// line"); before it, one line per kernel-tier attempt that is not simply blocked (escaped,
// blocked without an audit event, broken) and the default-allow profile's own count. The runtime
// and bpf lines come from corpus-runtime-tier and corpus-bpf-tier (fixtures/tiers.ts), run under
// the platform simulator; their escapes are the documented limits of those tiers. The seatbelt
// line comes from corpus-seatbelts (Node.js and Python attempts under the in-runtime seatbelts,
// same simulator); its escapes are the seatbelts' known holes. Exit 1 when
// there are no results, when a part of the corpus is missing (a test file did not finish) or when
// results are partial (ESCAPES_ONLY); 0 otherwise — escapes are counted and listed here, and the
// tap tests fail for the kernel tier's (known ones are tap todos).
//
//   node test/escapes/summary.mjs [--json]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npx tap test/escapes/` runs every script of the directory: this one is not a test.
if (process.env.TAP === '1' || process.env.TAP_CHILD_ID !== undefined) {
  console.log('1..0 # SKIP the corpus summary script (node test/escapes/summary.mjs), not a test');
  process.exit(0);
}

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'out', 'results');
/** The corpus test files; each must have written its results. */
const PARTS = readdirSync(here).filter((f) => /^corpus-.*\.test\.ts$/.test(f)).map((f) => f.replace(/\.test\.ts$/, '')).sort();

const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
/** The kernel tier's second pass under the ptrace backend (NAME.ptrace.json, fixtures/suite.ts): summed on its own line. */
const read = (fs) => fs.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8'))).filter((p) => PARTS.includes(p.file));
const parts = read(files.filter((f) => !f.endsWith('.ptrace.json')));
const ptraceParts = read(files.filter((f) => f.endsWith('.ptrace.json')));
const missing = PARTS.filter((p) => !parts.some((x) => x.file === p));
const partial = parts.filter((x) => x.partial).map((x) => x.file);

const all = parts.flatMap((p) => p.results);
const tiers = { strict: all.filter((r) => r.tier === 'strict'), 'default-allow': all.filter((r) => r.tier === 'default-allow') };
const count = (rs, o) => rs.filter((r) => r.outcome === o).length;
const line = (rs) => `${rs.length} attempts, ${count(rs, 'blocked')} blocked, ${count(rs, 'escaped')} escaped`;
/** Attempts outside the threat model (docs/security.md): run and shown in every tier, counted in none. */
const isOutside = (r) => (r.known ?? '').startsWith('out of the threat model');

/** The weaker tiers, from fixtures/tiers.ts: label, results (outside the threat model set apart), skip reason. */
const TIER_LABEL = { runtime: 'runtime (simulated Lambda)', bpf: 'bpf (simulated, ptrace refused)' };
const OUTCOME_TEXT = { killed: 'killed after the fact', 'cannot-start': 'cannot start' };
const BY_TEXT = {
  'platform-policy': "the platform's seccomp policy",
  'no-capability': 'uid 993 without capabilities',
  'not-dumpable': "syscage's non-dumpable flag",
  'end-of-run': "the monitor's end-of-run kill",
  'nothing-to-attack': 'nothing to attack in this tier',
  kernel: 'the kernel',
};
const weaker = ['runtime', 'bpf'].map((tier) => {
  const ps = parts.filter((p) => p.tier === tier);
  const rs = ps.flatMap((p) => p.results);
  return { tier, parts: ps, skipped: ps.find((p) => p.skipped)?.skipped, counted: rs.filter((r) => !isOutside(r)), outside: rs.filter(isOutside) };
}).filter((x) => x.parts.length > 0);

/**
 * The seatbelt column (corpus-seatbelts: the Node.js and Python attempts of test/escapes/seatbelt/
 * under the in-runtime seatbelts, simulated Lambda): its own line, before the kernel's. Its escapes
 * are listed by name with their reason (the manifest's known hole); like the runtime tier's, they
 * never change the exit status (the tap test fails for one that is not known).
 */
const SEATBELT_LABEL = 'runtime seatbelts (simulated Lambda, Node 26 and Python)';
const SEATBELT_BY = { 'node-seatbelt': 'the Node.js seatbelt', 'python-seatbelt': 'the Python seatbelt' };
const seatbeltParts = parts.filter((p) => p.tier === 'seatbelts');

function seatbeltLines() {
  const skipped = seatbeltParts.find((p) => p.skipped)?.skipped;
  if (skipped) return [`${SEATBELT_LABEL}: skipped: ${skipped}`];
  const all = seatbeltParts.flatMap((p) => p.results);
  const skips = all.filter((r) => r.outcome === 'skipped');
  const rs = all.filter((r) => r.outcome !== 'skipped');
  const un = count(rs, 'unreported');
  const broken = count(rs, 'broken');
  const out = [`${SEATBELT_LABEL}: ${rs.length} attempts, ${count(rs, 'blocked')} blocked, ${count(rs, 'killed')} killed after the fact, ${count(rs, 'escaped')} escaped`
    + `${un ? `, ${un} blocked without an audit event` : ''}${broken ? `, ${broken} broken (a test failure)` : ''}`];
  const blocked = rs.filter((r) => r.outcome === 'blocked');
  if (blocked.length) {
    const by = {};
    for (const r of blocked) by[r.by ?? 'unknown'] = (by[r.by ?? 'unknown'] ?? 0) + 1;
    out.push(`  blocked by: ${Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${SEATBELT_BY[k] ?? k} ${n}`).join(', ')} (each refusal before the act, with its audit event)`);
  }
  for (const r of rs.filter((x) => x.outcome === 'killed')) out.push(`  killed after the fact: ${r.id} — ${r.why}${r.known ? ` [known: ${r.known}]` : ''}`);
  for (const r of rs.filter((x) => x.outcome === 'escaped')) out.push(`  escaped: ${r.id} — ${r.limit ?? r.known ?? r.why}`);
  for (const r of rs.filter((x) => x.outcome === 'unreported')) out.push(`  blocked without an audit event: ${r.id} — ${r.unreportedWhy ?? `NOT KNOWN: ${r.why}`}`);
  for (const r of rs.filter((x) => x.outcome === 'broken')) out.push(`  BROKEN: ${r.id} — ${r.why}`);
  for (const r of skips) out.push(`  skipped: ${r.id} — ${r.why}`);
  return out;
}

function weakerLines({ tier, skipped, counted: rs }) {
  const out = [];
  const label = TIER_LABEL[tier];
  if (skipped) return [`${label}: skipped: ${skipped}`];
  const broken = count(rs, 'broken');
  const tail = `${count(rs, 'cannot-start') ? `, ${count(rs, 'cannot-start')} cannot start` : ''}${broken ? `, ${broken} broken (a test failure)` : ''}`;
  if (tier === 'runtime') {
    out.push(`${label}: ${rs.length} attempts, ${count(rs, 'blocked')} blocked, ${count(rs, 'killed')} killed after the fact, ${count(rs, 'escaped')} escaped${tail}`);
  } else {
    out.push(`${label}: ${rs.length} attempts, ${count(rs, 'blocked')} blocked, ${count(rs, 'escaped')} escaped${tail}`);
  }
  const blocked = rs.filter((r) => r.outcome === 'blocked');
  if (blocked.length) {
    const by = {};
    for (const r of blocked) by[r.by ?? 'kernel'] = (by[r.by ?? 'kernel'] ?? 0) + 1;
    out.push(`  blocked by: ${Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${BY_TEXT[k] ?? k} ${n}`).join(', ')}${tier === 'runtime' ? ' (the monitor refuses no call)' : ''}`);
  }
  for (const r of rs.filter((x) => x.outcome === 'killed')) out.push(`  killed after the fact: ${r.id} — ${r.why}`);
  for (const r of rs.filter((x) => x.outcome === 'escaped')) out.push(`  escaped: ${r.id} — ${r.limit ?? r.why}`);
  for (const r of rs.filter((x) => x.outcome === 'broken')) out.push(`  BROKEN: ${r.id} — ${r.why}`);
  const cannot = rs.filter((x) => x.outcome === 'cannot-start');
  if (cannot.length) {
    const ran = cannot.filter((r) => !r.why.startsWith('decided'));
    const reason = /cannot start a profile with an exec section/.test(cannot[0].why) && cannot.every((r) => /cannot start a profile with an exec section/.test(r.why))
      ? 'every profile has an exec section, which the bpf tier cannot start' : cannot[0].why;
    out.push(`  cannot start: ${reason} (${ran.length} run under the simulator: exit 71, the command never ran; ${cannot.length - ran.length} decided by syscage's tierFor)`);
  }
  // Bugs of lib/monitor the runs met (fixtures/tiers.ts falseFinding): shown, never counted as kills.
  const falses = rs.filter((r) => r.falseFindings?.length);
  if (falses.length) {
    const kinds = (k) => falses.filter((r) => r.falseFindings.some((f) => f.startsWith(`${k}:`))).map((r) => r.id);
    const said = [
      kinds('transient').length && `an exiting process reported as one the monitor cannot read: ${kinds('transient').join(', ')}`,
      kinds('memfd').length && `a memfd checked as a file: ${kinds('memfd').join(', ')}`,
    ].filter(Boolean);
    out.push(`  false findings of the monitor, not counted as kills: ${said.join('; ')}`);
  }
  return out;
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ parts: parts.map(({ results, ...p }) => ({ ...p, attempts: results.length })), missing, partial, results: all }, null, 2) + '\n');
} else {
  const label = { escaped: 'ESCAPED', unreported: 'BLOCKED, NO AUDIT EVENT', broken: 'BROKEN' };
  for (const [tier, rs] of Object.entries(tiers)) {
    for (const r of rs.filter((x) => x.outcome !== 'blocked')) {
      console.log(`escapes: ${tier}: ${label[r.outcome]} ${r.id} — ${r.title}: ${r.why}${r.known ? ' [known]' : ''}`);
    }
  }
  const da = tiers['default-allow'];
  if (da.length) {
    const un = count(da, 'unreported');
    console.log(`escapes: under a default: allow profile: ${line(da)}${un ? `, ${un} blocked without an audit event` : ''}`);
  }
  // Attempts outside the threat model (docs/security.md) are run and shown, not counted in the tier lines.
  const outside = tiers.strict.filter(isOutside);
  if (outside.length) {
    const others = weaker.filter((x) => x.outside.length).map((x) => `; ${x.tier}: ${x.outside.map((r) => `${r.id} ${OUTCOME_TEXT[r.outcome] ?? r.outcome}`).join(', ')}`).join('');
    console.log(`escapes: outside the threat model (documented in docs/security.md, not counted below): ${line(outside)}${others}`);
  }
  for (const w of weaker) for (const l of weakerLines(w)) console.log(l);
  if (seatbeltParts.length) for (const l of seatbeltLines()) console.log(l);
  const st = tiers.strict.filter((r) => !outside.includes(r));
  const un = count(st, 'unreported');
  const br = count(st, 'broken');
  if (un || br) console.log(`escapes: strict: ${[un && `${un} blocked without an audit event`, br && `${br} broken`].filter(Boolean).join(', ')} (counted as attempts, not as blocked)`);
  const secs = parts.reduce((s, p) => s + (p.seconds ?? 0), 0);
  if (parts.length) console.log(`escapes: ${parts.length} parts, ${secs.toFixed(0)} s of runs in all (they overlap under tap)`);
  if (missing.length) console.log(`escapes: MISSING results of ${missing.join(', ')} (did the test file finish?)`);
  if (partial.length) console.log(`escapes: PARTIAL results (ESCAPES_ONLY) in ${partial.join(', ')}`);
  const byDesign = st.filter((r) => r.outcome === 'unreported' && (r.known ?? '').startsWith('by design'));
  const note = byDesign.length ? ` (${byDesign.length} refused by design without an audit event: ${byDesign.map((r) => r.id).join(', ')})` : '';
  const pt = ptraceParts.flatMap((p) => p.results).filter((r) => r.tier === 'strict' && !isOutside(r));
  if (pt.length) {
    for (const r of pt.filter((x) => x.outcome !== 'blocked')) console.log(`escapes: kernel (ptrace backend): ${label[r.outcome]} ${r.id} — ${r.title}: ${r.why}${r.known ? ' [known]' : ''}`);
    console.log(`kernel (ptrace backend): ${line(pt)}`);
  }
  // Last, as always: the line `make test` ends with (README.md, docs/security.md).
  const backend = parts.find((p) => p.tier === 'strict' && p.backend)?.backend;
  console.log(st.length ? `kernel${backend ? ` (${backend} backend)` : ''}: ${line(st)}${note}` : 'no escape corpus results (run make escapes or make test)');
}
// exitCode, not exit(): process.exit would cut a long --json short on a pipe.
process.exitCode = !all.length || missing.length || partial.length ? 1 : 0;
