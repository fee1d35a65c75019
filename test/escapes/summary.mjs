#!/usr/bin/env node
// The escape corpus's summary: adds up the results the corpus test files
// wrote to test/escapes/out/results/*.json and prints, last, the line
//
//     N attempts, N blocked, 0 escaped
//
// for the strict-profile corpus (the issue's "every one blocked, with an
// audit line"). Before it, one line per attempt that is not simply blocked
// (escaped, blocked without an audit event, broken), and the default-allow
// tier's own count. Exit 1 when there are no results, when a part of the
// corpus is missing (a test file did not finish) or when results are partial
// (ESCAPES_ONLY); 0 otherwise — escapes are counted and listed here, and the
// tap tests fail for them (known ones are tap todos).
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
const parts = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
const missing = PARTS.filter((p) => !parts.some((x) => x.file === p));
const partial = parts.filter((x) => x.partial).map((x) => x.file);

const all = parts.flatMap((p) => p.results);
const tiers = { strict: all.filter((r) => r.tier === 'strict'), 'default-allow': all.filter((r) => r.tier === 'default-allow') };
const count = (rs, o) => rs.filter((r) => r.outcome === o).length;
const line = (rs) => `${rs.length} attempts, ${count(rs, 'blocked')} blocked, ${count(rs, 'escaped')} escaped`;

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
  // Attempts outside the threat model (docs/security.md) are run and shown, not counted in the line.
  const outside = tiers.strict.filter((r) => (r.known ?? '').startsWith('out of the threat model'));
  if (outside.length) console.log(`escapes: outside the threat model (documented in docs/security.md, not counted below): ${line(outside)}`);
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
  console.log(st.length ? line(st) + note : 'no escape corpus results (run make escapes or make test)');
}
process.exit(!all.length || missing.length || partial.length ? 1 : 0);
