// `syscage check`, run in-process through main() with a fake io: the exit
// status, diagnostics on stderr, and never anything on stdout.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';

const run = (...argv: string[]) => runCli(argv);

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const BAD = join(FIXTURES, 'bad');
const GOOD = join(FIXTURES, 'good');
const yamlIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

/** Fixtures whose error only one target arch has: check them with these flags. */
const ARCH_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'arch-only-syscall.yaml': ['--arch', 'aarch64'],
};


/** `file:line:col: severity CODE` of every diagnostic printed. */
const heads = (stderr: string): string[] =>
  [...stderr.matchAll(/^(\S+):(\d+):(\d+): (error|warning) ([EW]_[A-Z_]+):/gm)].map((m) => `${m[1]}:${m[2]}:${m[3]}: ${m[4]} ${m[5]}`);

t.test('good profiles: exit 0, nothing printed', async (t) => {
  for (const f of yamlIn(GOOD)) {
    const r = await run('check', join(GOOD, f));
    t.equal(r.status, 0, `${f}: exit status`, { stderr: r.err });
    t.equal(r.out, '', `${f}: nothing on stdout`);
    t.equal(r.err, '', `${f}: nothing on stderr (the good fixtures have no warnings)`);
  }
});

t.test('bad profiles: exit 2, an error on stderr, nothing on stdout', async (t) => {
  for (const f of yamlIn(BAD)) {
    const r = await run('check', ...(ARCH_FLAGS[f] ?? []), join(BAD, f));
    t.equal(r.status, 2, `${f}: exit status`, { stderr: r.err });
    t.equal(r.out, '', `${f}: nothing on stdout`);
    t.match(r.err, /^(\S+:\d+:\d+: )?error E_[A-Z_]+: /m, `${f}: an "error CODE:" diagnostic on stderr`, { stderr: r.err });
    t.notMatch(r.err, /^\s+at |node:internal/m, `${f}: no stack trace`);
  }
});

t.test('a diagnostic on stderr is positioned and shows the line with a caret', async (t) => {
  const file = join(BAD, 'unknown-syscall.yaml');
  const r = await run('check', file);
  t.equal(r.err, [
    `${relative(process.cwd(), file)}:4:17: error E_UNKNOWN_SYSCALL: unknown syscall "opne" (did you mean "open"?)`,
    ' 4 |   allow: [read, opne, close]',
    '   |                 ^^^^',
    '',
  ].join('\n'));
});

t.test('several files: each is checked, and one bad file makes the status 2', async (t) => {
  const good = ['minimal.yaml', 'full.yaml'].map((f) => join(GOOD, f));
  const bad = ['unknown-top-level-key.yaml', 'glob-dotdot.yaml'].map((f) => join(BAD, f));

  const allGood = await run('check', ...good);
  t.equal(allGood.status, 0, 'all good: exit 0', { stderr: allGood.err });
  t.equal(allGood.err, '', 'all good: nothing on stderr');

  const mixed = await run('check', good[0]!, bad[0]!, good[1]!, bad[1]!);
  t.equal(mixed.status, 2, 'one bad among good: exit 2');
  t.equal(mixed.out, '', 'nothing on stdout');
  t.same(heads(mixed.err).map((h) => h.replace(/:\d+:\d+:/, ':')), [
    `${relative(process.cwd(), bad[0]!)}: error E_UNKNOWN_KEY`,
    `${relative(process.cwd(), bad[1]!)}: error E_BAD_GLOB`,
  ], 'one error per bad file, in the order given, none for the good ones');

  const badFirst = await run('check', bad[0]!, good[0]!);
  t.equal(badFirst.status, 2, 'a bad file first does not stop the others from being checked, nor reset the status');
});

t.test('--arch: a syscall only x86_64 has', async (t) => {
  const file = join(BAD, 'arch-only-syscall.yaml');
  const shown = relative(process.cwd(), file);

  const both = await run('check', file);
  t.equal(both.status, 0, 'no --arch: valid (exit 0)', { stderr: both.err });
  t.equal(both.out, '', 'no --arch: nothing on stdout');
  t.ok(heads(both.err).includes(`${shown}:4:24: warning E_SYSCALL_ARCH`), 'no --arch: a warning at "open"', { stderr: both.err });
  t.notMatch(both.err, /: error /, 'no --arch: no error');

  const arm = await run('check', '--arch', 'aarch64', file);
  t.equal(arm.status, 2, '--arch aarch64: invalid (exit 2)', { stderr: arm.err });
  t.equal(arm.out, '', '--arch aarch64: nothing on stdout');
  t.same(heads(arm.err), [`${shown}:4:24: error E_SYSCALL_ARCH`], '--arch aarch64: one error at "open"');

  const alias = await run('check', '--arch', 'arm64', file);
  t.equal(alias.status, 2, '--arch arm64 is aarch64');

  const x86 = await run('check', '--arch', 'x86_64', file);
  t.equal(x86.status, 0, '--arch x86_64: valid', { stderr: x86.err });
  t.notMatch(x86.err, /E_SYSCALL_ARCH/, '--arch x86_64: not even a warning about the arch');

  const repeated = await run('check', '--arch', 'x86_64', '--arch', 'aarch64', file);
  t.equal(repeated.status, 2, '--arch x86_64 --arch aarch64: both required, so invalid');

  const afterFiles = await run('check', join(GOOD, 'minimal.yaml'), file, '--arch', 'aarch64');
  t.equal(afterFiles.status, 2, '--arch after the files applies to them too');
});

t.test('a file that cannot be read: exit 2, one E_READ diagnostic', async (t) => {
  const r = await run('check', join(BAD, 'no-such-file.yaml'));
  t.equal(r.status, 2, 'exit status');
  t.equal(r.out, '', 'nothing on stdout');
  t.match(r.err, /^error E_READ: cannot read profile .*no-such-file\.yaml: no such file\n$/, 'one line naming the file', { stderr: r.err });
});

t.test('host names in network.connect: accepted, and a pattern that allows most hosts is a warning', async (t) => {
  const file = join(FIXTURES, 'warn', 'broad-host.yaml');
  const r = await run('check', file);
  t.equal(r.status, 0, 'a warning does not fail the check', { stderr: r.err });
  t.same(heads(r.err), [`${relative(process.cwd(), file)}:4:64: warning W_BROAD_HOST`], 'one warning, at "*.com"');
  t.match(r.err, /"\*\.com:443" allows almost any host/);
  t.match(r.err, /\^{5}$/m, 'the caret under the host');
});
