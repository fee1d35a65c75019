// syscage merge: the union of recordings with per-entry counts, the
// strictest of disagreeing scalars, and how the output is written.
import t from 'tap';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARCHES } from '../../lib/arch/index.js';
import { compileProfile } from '../../lib/compile/index.js';
import { loadProfile, ProfileError } from '../../lib/profile/index.js';
import { mergeProfiles } from '../../lib/record/merge.js';
import { writeProfile } from '../../lib/record/profile-text.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, fixtureObservation, observation, refusals } from './helpers.js';

const names = (l: readonly { value: string }[]) => l.map((x) => x.value);
const line = (yaml: string, entry: string): string | undefined => yaml.split('\n').find((l) => l.trimStart().startsWith(`- ${entry} `) || l.trimStart() === `- ${entry}`);

/** Three recordings of one command, written to a test directory. */
function recordings(t: Tap.Test): { dir: string; paths: string[]; observations: ReturnType<typeof observation>[] } {
  const base = { syscalls: { read: 10, openat: 4, close: 3 }, paths: { '/etc/hosts': 'r' as const, '/var/task/index.mjs': 'r' as const } };
  const observations = [
    observation({ ...base, paths: { ...base.paths, '/tmp/upload-3f2a.json': 'w' }, connect: { '10.0.0.1:443': 2 } }),
    observation({ ...base, syscalls: { ...base.syscalls, wait4: 1, clone: 1 }, forks: 1, exec: { '/bin/sh': 1 }, paths: { ...base.paths, '/tmp/upload-9b1c.json': 'w' } }),
    observation({ ...base, paths: { ...base.paths, '/var/task/rare.txt': 'r', '/tmp/upload-77de.json': 'rw' }, connect: { '10.0.0.1:443': 1, '127.0.0.1:41234': 1 } }),
  ];
  const dir = t.testdir({});
  const paths = observations.map((o, i) => {
    const p = join(dir, `run${i + 1}.yaml`);
    writeFileSync(p, writeProfile(o, { command: ['node', 'index.mjs'], extendsName: 'nodejs', incomplete: i === 2 ? 'interrupted by SIGINT' : undefined }).yaml);
    return p;
  });
  return { dir, paths, observations };
}

t.test('the union, each entry with how many recordings saw it', async (t) => {
  const { dir, paths, observations } = recordings(t);
  const { yaml } = mergeProfiles(paths, { output: join(dir, 'merged.yaml') });
  t.match(line(yaml, '/etc/hosts'), /# seen in 3 of 3 recordings$/);
  t.match(line(yaml, '/var/task/rare.txt'), /# seen in 1 of 3 recordings$/, 'a rare path stands out');
  t.match(line(yaml, '/tmp/upload-*.json'), /# seen in 3 of 3 recordings, e\.g\. \/tmp\/upload-3f2a\.json$/, 'the example comes along');
  t.match(line(yaml, '/bin/sh'), /# seen in 1 of 3 recordings$/);
  t.match(line(yaml, '"10.0.0.1:443"'), /# seen in 2 of 3 recordings$/);
  t.match(line(yaml, 'wait4'), /# seen in 1 of 3 recordings$/);
  t.match(line(yaml, 'openat'), /# seen in 3 of 3 recordings$/);
  t.match(line(yaml, 'fork'), /# seen in 1 of 3 recordings$/, 'an x86_64-only name, under syscalls.x86_64');
  t.match(yaml, /\nprocess:\n {2}fork: true {2}# allowed in 1 of 3 recordings\n/);
  const lines = yaml.split('\n');
  t.equal(lines[0], '# Merged by syscage merge from 3 recordings:');
  t.same(lines.slice(1, 4), paths.map((p) => `#   ${p}`), 'the header lists the inputs');
  t.ok(lines.includes(`# INCOMPLETE: ${paths[2]} was recorded from a run that did not finish (interrupted by SIGINT)`));

  const file = join(dir, 'merged.yaml');
  writeFileSync(file, yaml);
  const { profile, warnings } = loadProfile(file);
  t.same(warnings, []);
  t.same(profile.sources.map((s) => s.split('/').pop()), ['merged.yaml', 'nodejs.yaml']);
  for (const arch of ARCHES) t.same(compileProfile(profile, arch).warnings, [], `compiles for ${arch}`);
  for (const o of observations) t.same(refusals({ profile, warnings: [] }, o), [], 'allows what every recording saw');
  t.equal(mergeProfiles(paths, { output: join(dir, 'merged.yaml') }).yaml, yaml, 'stable');
});

t.test('covered entries are dropped; partial coverage is counted apart', async (t) => {
  const dir = t.testdir({
    'a.yaml': 'version: 1\nfiles:\n  read: [/var/task/**, /etc/hosts]\n  write: [/tmp/a.json]\nnetwork:\n  connect: ["10.0.0.0/8:443"]\n',
    'b.yaml': 'version: 1\nfiles:\n  read: [/var/task/index.mjs, /tmp/a.json, /etc/hosts]\n  write: []\nnetwork:\n  connect: ["10.0.0.5:443", "10.1.0.0/16:443"]\n',
  });
  const { yaml } = mergeProfiles([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
  t.match(line(yaml, '/var/task/**'), /# seen in 1 of 2 recordings \(part of it in 1 more\)$/);
  t.equal(line(yaml, '/var/task/index.mjs'), undefined, 'covered by /var/task/**');
  t.match(yaml, /\n {2}read:\n {4}- \/etc\/hosts +# seen in 2 of 2 recordings\n {4}- \/var\/task\/\*\* /, 'a read covered by a write is not listed');
  t.match(line(yaml, '"10.0.0.0/8:443"'), /seen in 1 of 2 recordings \(part of it in 1 more\)/);
  t.equal(line(yaml, '"10.0.0.5:443"'), undefined, 'an address inside a CIDR');
  t.equal(line(yaml, '"10.1.0.0/16:443"'), undefined, 'a CIDR inside a CIDR');
});

t.test('disagreeing scalars: the strictest, said in a comment; lists, rules and sections united', async (t) => {
  const strict = join(FIXTURES, 'strict.yaml');
  const loose = join(FIXTURES, 'loose.yaml');
  const { yaml } = mergeProfiles([loose, strict]);
  const lines = yaml.split('\n');
  t.ok(lines.includes('mode: enforce  # the inputs disagree: see the NOTE above'));
  t.ok(lines.includes('default: kill  # the inputs disagree: see the NOTE above'));
  t.ok(lines.includes('violation: kill  # the inputs disagree: see the NOTE above'));
  t.ok(lines.includes('errno: EPERM  # the inputs disagree: see the NOTE above'), "errno: the first input's");
  t.ok(lines.includes('  signal: tree  # the inputs disagree: see the NOTE above'));
  t.ok(lines.includes('name: loose  # the inputs disagree: see the NOTE above'));
  t.match(yaml, new RegExp(`# NOTE: inputs disagree on default: kept the strictest, kill; allow in ${loose.replace(/[.]/g, '\\.')}`));
  t.match(yaml, /# NOTE: inputs disagree on mode: kept the strictest, enforce; audit in /);
  t.match(yaml, /# NOTE: inputs disagree on errno: kept the first input's, EPERM \(errno values have no order\); EACCES in /);
  t.match(yaml, /# NOTE: inputs disagree on violation: kept the strictest, kill; deny in /, 'an unset value is the default');
  t.match(yaml, /\n {2}fork: true {2}# allowed in 1 of 2 recordings\n/, 'fork: what the commands did, not a policy');

  const file = join(t.testdir({}), 'merged.yaml');
  writeFileSync(file, yaml);
  const { profile } = loadProfile(file);
  t.equal(profile.default.value, 'kill');
  t.equal(profile.mode.value, 'enforce');
  t.same(names(profile.syscalls.deny), ['ptrace'], 'deny lists are united');
  t.same(names(profile.syscalls.arch.x86_64!.allow), ['open']);
  t.equal(profile.syscalls.rules.length, 2, 'the shared rule once, the other kept');
  t.same(profile.syscalls.rules.map((r) => [names(r.syscalls), r.action, r.errno]), [[['socket'], 'allow', undefined], [['personality'], 'deny', 1]]);
  t.same(profile.syscalls.rules[1]!.args[0]!.value.value, { int: 0xffffffffffffffffn }, 'a negative value survives');
  t.same(names(profile.files!.write), ['/tmp/*.json'], '/tmp/out.json is covered by /tmp/*.json');
  t.same(names(profile.exec!.allow), ['/bin/sh']);
  for (const arch of ARCHES) compileProfile(profile, arch);
});

t.test('bad inputs: every diagnostic of every input', async (t) => {
  const broken = join(FIXTURES, 'broken.yaml');
  let caught: unknown;
  try {
    mergeProfiles([join(FIXTURES, 'strict.yaml'), broken, join(FIXTURES, 'no-such.yaml')]);
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof ProfileError, 'a ProfileError');
  t.same((caught as ProfileError).diagnostics.map((d) => d.code), ['E_UNKNOWN_SYSCALL', 'E_READ']);
});

t.test('extends paths are rebased to where the output goes', async (t) => {
  const dir = t.testdir({ profiles: { 'base.yaml': 'version: 1\nsyscalls: {allow: [read]}\n' }, recs: { 'a.yaml': 'version: 1\nextends: ../profiles/base.yaml\n' }, out: {} });
  const { yaml } = mergeProfiles([join(dir, 'recs', 'a.yaml')], { output: join(dir, 'out', 'm.yaml') });
  t.match(yaml, /\nextends: \.\.\/profiles\/base\.yaml\n/);
  const here = mergeProfiles([join(dir, 'recs', 'a.yaml')], { output: join(dir, 'profiles', 'm.yaml') });
  t.match(here.yaml, /\nextends: \.\/base\.yaml\n/);
});

t.test('syscage merge: writes -o, never over an existing file without --force', async (t) => {
  const { dir, paths } = recordings(t);
  const out = join(dir, 'merged.yaml');
  const r = await runCli(['merge', ...paths, '-o', out]);
  t.equal(r.status, 0, 'exit 0', { err: r.err });
  t.equal(r.out, '');
  t.match(r.err, /^syscage: wrote .*merged\.yaml \(3 recordings merged\)\n$/);
  const first = readFileSync(out, 'utf8');
  t.equal(first, mergeProfiles(paths, { output: out }).yaml);

  writeFileSync(out, 'mine\n');
  const again = await runCli(['merge', ...paths, '-o', out]);
  t.equal(again.status, 2);
  t.equal(again.err, `syscage: ${out} already exists; use --force to overwrite it\n`, 'one line');
  t.equal(readFileSync(out, 'utf8'), 'mine\n', 'untouched');

  const forced = await runCli(['merge', ...paths, '-o', out, '--force']);
  t.equal(forced.status, 0);
  t.equal(readFileSync(out, 'utf8'), first);
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');

  const overInput = await runCli(['merge', ...paths, '-o', paths[0]!, '--force']);
  t.equal(overInput.status, 0, 'an input may be the output, with --force: all inputs are read first');
});

t.test('syscage merge: stdout without -o; unwritable or bad outputs and inputs exit 2 with one line', async (t) => {
  const { dir, paths } = recordings(t);
  const r = await runCli(['merge', ...paths]);
  t.equal(r.status, 0);
  t.equal(r.out, mergeProfiles(paths).yaml);

  const missing = join(dir, 'no', 'm.yaml');
  const m = await runCli(['merge', ...paths, '-o', missing]);
  t.equal(m.status, 2);
  t.equal(m.err, `syscage: ${missing}: the directory ${join(dir, 'no')} does not exist\n`);
  t.notOk(existsSync(join(dir, 'no')));

  const d = await runCli(['merge', ...paths, '-o', dir]);
  t.equal(d.status, 2);
  t.equal(d.err, `syscage: ${dir} is a directory; give a file name\n`);

  const ro = process.getuid?.() === 0 ? '/proc/self' : undefined;
  if (ro) {
    const u = await runCli(['merge', ...paths, '-o', join(ro, 'm.yaml')]);
    t.equal(u.status, 2);
    t.equal(u.err, `syscage: ${join(ro, 'm.yaml')}: cannot write to ${ro}: permission denied\n`);
  }

  const broken = join(FIXTURES, 'broken.yaml');
  const b = await runCli(['merge', paths[0]!, broken, '-o', join(dir, 'x.yaml')]);
  t.equal(b.status, 2);
  t.match(b.err, new RegExp(`^${relative(process.cwd(), broken).replace(/[.]/g, '\\.')}:4:17: error E_UNKNOWN_SYSCALL: unknown syscall "opne"`));
  t.notMatch(b.err, /^\s+at /m, 'no stack trace');
  t.notOk(existsSync(join(dir, 'x.yaml')), 'nothing written');

  const none = await runCli(['merge']);
  t.equal(none.status, 2, 'no inputs: a usage error');
});

t.test('sensitive entries of the union are flagged', async (t) => {
  const dir = t.testdir({});
  const p = join(dir, 'a.yaml');
  writeFileSync(p, writeProfile(fixtureObservation(), { command: ['node'] }).yaml);
  const { yaml, warnings } = mergeProfiles([p]);
  t.ok(warnings.includes('reads /home/sbx_user1051/.aws/credentials: AWS credentials'));
  t.match(yaml, /# WARNING: AWS credentials\n {4}- \/home\/sbx_user1051\/\.aws\/credentials +# seen in 1 of 1 recording\n/);
});

t.test('seatbelts: native code united, the tiers every input names (the strict choice), said', async (t) => {
  const dir = t.testdir({
    'a.yaml': 'version: 1\nseatbelts:\n  tiers: [runtime]\n  native: [/var/task/node_modules/sharp/**]\n',
    'b.yaml': 'version: 1\nseatbelts:\n  tiers: [kernel, runtime]\n  native: [/var/task/node_modules/sharp/build/sharp.node, /opt/x.node]\n',
    'c.yaml': 'version: 1\n',
  });
  const { yaml } = mergeProfiles(['a.yaml', 'b.yaml', 'c.yaml'].map((f) => join(dir, f)));
  t.ok(yaml.split('\n').includes('  tiers: [kernel, runtime]  # the inputs disagree: see the NOTE above'), yaml);
  t.match(yaml, /# NOTE: seatbelts\.tiers: the inputs disagree; kept \[kernel, runtime\]/);
  const file = join(dir, 'merged.yaml');
  writeFileSync(file, yaml);
  const { profile } = loadProfile(file);
  t.same(profile.seatbelts.tiers.value, ['kernel', 'runtime']);
  t.same(names(profile.seatbelts.native), ['/opt/x.node', '/var/task/node_modules/sharp/**'], 'a union; the covered entry dropped');
  const none = mergeProfiles([join(dir, 'c.yaml'), join(dir, 'c.yaml')]).yaml;
  t.notMatch(none, /^seatbelts:/m, 'no input says anything: nothing written (the defaults)');
});
