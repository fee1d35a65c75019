// The command line as a whole: --help and --version, and every way to get the
// command line wrong ends in exit 2 and one line on stderr — never a stack
// trace. In-process through main() with a fake io, plus one run of the real
// bin/syscage to prove the same holds in a separate process.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';

const run = (...argv: string[]) => runCli(argv);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOOD = join(ROOT, 'test', 'fixtures', 'good', 'minimal.yaml');
const BAD = join(ROOT, 'test', 'fixtures', 'bad', 'unknown-top-level-key.yaml');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;


const STACK = /^\s+at |node:internal/m;

t.test('--version prints the package version', async (t) => {
  const r = await run('--version');
  t.equal(r.status, 0, 'exit status');
  t.equal(r.out, `${VERSION}\n`, 'stdout');
  t.equal(r.err, '', 'stderr');
});

const HELP: readonly { argv: string[]; shows: RegExp }[] = [
  { argv: ['--help'], shows: /syscage check <profiles\.\.>[\s\S]*syscage compile <profile>/ },
  { argv: ['-h'], shows: /syscage check <profiles\.\.>[\s\S]*syscage compile <profile>/ },
  { argv: ['check', '--help'], shows: /syscage check <profiles\.\.>[\s\S]*--arch/ },
  { argv: ['compile', '--help'], shows: /syscage compile <profile>[\s\S]*--format[\s\S]*--output/ },
  { argv: ['compile', '-h'], shows: /syscage compile <profile>/ },
];

for (const { argv, shows } of HELP) {
  t.test(`${argv.join(' ')}: usage on stdout, exit 0`, async (t) => {
    const r = await run(...argv);
    t.equal(r.status, 0, 'exit status', { stderr: r.err });
    t.match(r.out, shows, 'the usage of that command');
    t.equal(r.err, '', 'nothing on stderr');
  });
}

t.test('--help does not run the command', async (t) => {
  const r = await run('check', BAD, '--help');
  t.equal(r.status, 0, 'exit 0 although the profile is bad');
  t.notMatch(r.err, /E_UNKNOWN_KEY/, 'the profile was not checked');
});

interface Misuse {
  readonly argv: readonly string[];
  /** What the one line must say. */
  readonly says: RegExp;
}

const MISUSE: readonly Misuse[] = [
  { argv: [], says: /command/ },
  { argv: ['chek', GOOD], says: /check/ },
  { argv: ['frobnicate'], says: /frobnicate/ },
  { argv: ['check'], says: /not enough|profile/i },
  { argv: ['compile'], says: /not enough|profile/i },
  { argv: ['check', GOOD, '--bogus'], says: /bogus/ },
  { argv: ['compile', GOOD, '--bogus'], says: /bogus/ },
  { argv: ['--bogus'], says: /bogus|command/ },
  { argv: ['compile', GOOD, 'extra.yaml'], says: /extra\.yaml|argument/ },
  {
    argv: ['compile', GOOD, '--format', 'xml'], says: /format/,
  },
  {
    argv: ['check', '--arch', 'mips', GOOD], says: /mips/,
  },
  {
    argv: ['compile', GOOD, '--arch', 'sparc'], says: /sparc/,
  },
];

for (const m of MISUSE) {
  t.test(`syscage ${m.argv.join(' ').replaceAll(ROOT, '')}: exit 2, one line`, async (t) => {
    const r = await run(...m.argv);
    t.equal(r.status, 2, 'exit status', { stderr: r.err });
    t.equal(r.out, '', 'nothing on stdout');
    t.match(r.err, /^syscage: [^\n]+\n$/, 'exactly one line on stderr, starting "syscage: "', { stderr: r.err });
    t.match(r.err, m.says, 'it says what is wrong', { stderr: r.err });
    t.notMatch(r.err, STACK, 'no stack trace');
  });
}

t.test('the hint to see --help is given once', async (t) => {
  const r = await run();
  t.equal(r.err.match(/--help/g)?.length, 1, 'one mention of --help', {
    stderr: r.err,
  });
});

t.test('the real bin/syscage: exit 2 and no stack trace', async (t) => {
  const entry = join(ROOT, 'dist', 'lib', 'cli', 'main.js');
  if (!t.ok(existsSync(entry), 'dist/ is built (run: npx tsc -p tsconfig.json)')) return;
  // As a user runs it: without SYSCAGE_DEBUG, and without the loaders tap puts in NODE_OPTIONS
  // (tap re-adds them to any child's environment, and they load the extensionless bin/syscage
  // as CommonJS), hence `env -u` between tap and node.
  const { SYSCAGE_DEBUG: _debug, ...env } = process.env;
  const syscage = (...argv: string[]) =>
    spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'bin', 'syscage'), ...argv], { cwd: ROOT, encoding: 'utf8', env });

  const bad = syscage('check', BAD);
  t.equal(bad.status, 2, 'a bad profile: exit 2', { stderr: bad.stderr });
  t.equal(bad.stdout, '', 'a bad profile: nothing on stdout');
  t.match(bad.stderr, /unknown-top-level-key\.yaml:3:1: error E_UNKNOWN_KEY: /, 'a bad profile: the diagnostic');
  t.notMatch(bad.stderr, STACK, 'a bad profile: no stack trace');

  const flag = syscage('check', GOOD, '--bogus');
  t.equal(flag.status, 2, 'a bogus flag: exit 2', { stderr: flag.stderr });
  t.match(flag.stderr, /^syscage: [^\n]*bogus[^\n]*\n$/, 'a bogus flag: one line naming it');
  t.notMatch(flag.stderr, STACK, 'a bogus flag: no stack trace');
});
