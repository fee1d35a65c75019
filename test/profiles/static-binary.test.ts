// profiles/static-binary.yaml with a real workload: a tiny Lambda runtime loop
// in C (test/fixtures/profiles/static-runtime.c: HTTP/1.1 over a raw socket,
// GET next / POST response, a write in /tmp, a read of /proc/self) compiled
// here with `gcc -static`, behind `syscage bootstrap` against the local
// emulator. The test profile extends the shipped one only with where this
// binary lives (Lambda: /var/task). Every event answered, nothing refused.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { ancestors, serve } from '../fixtures/profiles/serve.js';

const root = packageRoot();
const source = join(root, 'test', 'fixtures', 'profiles', 'static-runtime.c');
const dir = mkdtempSync('/tmp/syscage-profile-static-');
const binary = join(dir, 'runtime');

function build(): string | false {
  const gcc = spawnSync('gcc', ['-static', '-O2', '-o', binary, source], { encoding: 'utf8' });
  if (gcc.error) return `gcc is not installed (${gcc.error.message})`;
  if (gcc.status !== 0) return `gcc -static failed (static libc missing? install libc6-dev / glibc-static): ${gcc.stderr.trim().split('\n').slice(-1)[0]}`;
  const file = spawnSync('file', [binary], { encoding: 'utf8' });
  if (file.status === 0 && !/statically linked/.test(file.stdout)) return `gcc -static did not produce a static binary: ${file.stdout.trim()}`;
  return false;
}
const skip = build();

const profile = join(dir, 'static-here.yaml');
writeFileSync(profile, [
  'version: 1',
  'name: static-here',
  'extends: [static-binary]',
  'files:',
  `  read: [${[binary, ...ancestors(binary)].map((p) => JSON.stringify(p)).join(', ')}]`,
].join('\n') + '\n');

const events = [{ n: 1 }, { n: 2, text: 'two' }, { n: 3, list: [1, 2, 3] }];

t.test('the static C runtime answers every event under profiles/static-binary.yaml, nothing refused', { skip }, async (t) => {
  const { results, audit } = await serve({ events, profile, command: [binary], taskRoot: dir });
  t.same(results.map((r) => r.status), ['response', 'response', 'response'], 'every event answered');
  t.same(results.map((r) => JSON.parse(r.body!.toString())), events.map((e) => ({ echo: e })), 'each with its own echo');
  t.same(audit.map((a) => a.message), [], 'no denial, no kill');
  t.same(JSON.parse(readFileSync('/tmp/static-runtime-last-event.json', 'utf8')), events[2], 'its write in /tmp happened');
});

t.test('in audit mode too: not one would-be refusal', { skip }, async (t) => {
  const audited = join(dir, 'static-here-audit.yaml');
  writeFileSync(audited, `version: 1\nname: static-here-audit\nextends: [${JSON.stringify(profile)}]\nmode: audit\n`);
  const { results, audit } = await serve({ events, profile: audited, command: [binary], taskRoot: dir });
  t.equal(results.filter((r) => r.status === 'response').length, 3, 'every event answered');
  t.same(audit.map((a) => a.message), [], 'no event at all');
});
