// The bad-input corpus: every file in test/fixtures/bad/ must fail with exactly
// the diagnostic below as its first error — the code, the file:line:col it
// points at, and (where it matters) part of the message, such as a "did you
// mean" suggestion. The positions were derived by reading the fixtures, not by
// running the loader: the fixtures are the contract. `token` is the text the
// caret should start at; the test checks it against the fixture itself, so a
// typo in this table fails loudly instead of pinning a wrong position.
//
// Rows with a `todo` are known loader bugs: the expectation is what a user
// should see; the assertions it breaks run as TODOs (reported, not failing)
// until lib/ is fixed, and everything else about the row is checked as usual.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../../lib/arch/index.js';
import { checkProfile } from '../../lib/compile/check.js';
import { formatDiagnostic, loadProfile, ProfileError, type Diagnostic } from '../../lib/profile/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const BAD = join(FIXTURES, 'bad');
const GOOD = join(FIXTURES, 'good');

interface Case {
  /** The fixture, in test/fixtures/bad/. */
  readonly file: string;
  readonly code: string;
  readonly line: number;
  readonly col: number;
  /** What the fixture has at line:col (the start of the underlined token). */
  readonly token: string;
  /** A substring of the message: the suggestion, or what is wrong. */
  readonly message?: string;
  /** The file the diagnostic points into, when it is not `file` (errors found through extends). */
  readonly in?: string;
  /** An error that only one target arch has: checked with `check --arch`. */
  readonly arch?: Arch;
  /** A known lib/ bug: which expectation the loader does not meet yet, and why. */
  readonly todo?: { readonly what: 'position' | 'message'; readonly why: string };
}

const CASES: readonly Case[] = [
  // YAML itself
  { file: 'yaml-syntax.yaml', code: 'E_YAML_SYNTAX', line: 3, col: 7, token: 'orders: api', message: 'YAML syntax' },
  {
    file: 'yaml-syntax-unclosed-quote.yaml', code: 'E_YAML_SYNTAX', line: 3, col: 7, token: '"orders-api', message: 'quote',
  },
  {
    file: 'yaml-syntax-indent.yaml', code: 'E_YAML_SYNTAX', line: 5, col: 5, token: 'deny', message: 'YAML syntax',
  },
  { file: 'duplicate-keys.yaml', code: 'E_YAML_SYNTAX', line: 6, col: 3, token: 'allow', message: 'unique' },
  { file: 'empty.yaml', code: 'E_EMPTY', line: 1, col: 1, token: '', message: 'version: 1' },
  { file: 'comments-only.yaml', code: 'E_EMPTY', line: 1, col: 1, token: '#', message: 'empty' },
  { file: 'not-mapping-list.yaml', code: 'E_NOT_MAPPING', line: 2, col: 1, token: '- version', message: 'mapping' },
  { file: 'not-mapping-scalar.yaml', code: 'E_NOT_MAPPING', line: 2, col: 1, token: 'orders-api', message: 'mapping' },

  // The schema: keys, types, values
  { file: 'unknown-top-level-key.yaml', code: 'E_UNKNOWN_KEY', line: 3, col: 1, token: 'fles', message: 'did you mean "files"?' },
  { file: 'unknown-nested-key.yaml', code: 'E_UNKNOWN_KEY', line: 5, col: 3, token: 'alow', message: 'did you mean "allow"?' },
  { file: 'wrong-type-syscall-list.yaml', code: 'E_TYPE', line: 3, col: 19, token: 'read', message: 'syscalls.allow must be a list' },
  { file: 'wrong-type-fork.yaml', code: 'E_TYPE', line: 3, col: 17, token: '"yes"', message: 'process.fork must be true or false' },
  { file: 'wrong-type-section.yaml', code: 'E_TYPE', line: 4, col: 3, token: '- /var/task/**', message: 'files must be a mapping' },
  { file: 'missing-version.yaml', code: 'E_REQUIRED', line: 2, col: 1, token: 'name:', message: '"version"' },
  { file: 'wrong-version.yaml', code: 'E_VALUE', line: 2, col: 10, token: '2', message: 'version must be 1' },
  { file: 'bad-enum-mode.yaml', code: 'E_VALUE', line: 3, col: 7, token: 'enforc', message: 'did you mean "enforce"?' },
  { file: 'arg-index-out-of-range.yaml', code: 'E_VALUE', line: 6, col: 23, token: '6', message: 'at most 5' },
  { file: 'errno-out-of-range.yaml', code: 'E_VALUE', line: 3, col: 8, token: '5000', message: '4095' },

  // Names: syscalls, errno, constants
  { file: 'unknown-syscall.yaml', code: 'E_UNKNOWN_SYSCALL', line: 4, col: 17, token: 'opne', message: 'did you mean "open"?' },
  { file: 'unknown-syscall-rule.yaml', code: 'E_UNKNOWN_SYSCALL', line: 5, col: 27, token: 'sockt', message: 'did you mean "socket"?' },
  { file: 'arch-only-syscall.yaml', arch: 'aarch64', code: 'E_SYSCALL_ARCH', line: 4, col: 24, token: 'open', message: 'aarch64' },
  { file: 'unknown-errno.yaml', code: 'E_UNKNOWN_ERRNO', line: 3, col: 8, token: 'EPRM', message: 'did you mean "EPERM"?' },
  { file: 'unknown-errno-rule.yaml', code: 'E_UNKNOWN_ERRNO', line: 7, col: 14, token: 'EACCESS', message: 'did you mean "EACCES"?' },
  { file: 'unknown-constant.yaml', code: 'E_UNKNOWN_CONSTANT', line: 6, col: 41, token: 'AF_INETT', message: 'did you mean "AF_INET"?' },

  // Globs: the caret goes to the offending part of the string
  { file: 'glob-relative.yaml', code: 'E_BAD_GLOB', line: 4, col: 19, token: 'var/task/**', message: 'absolute' },
  { file: 'glob-doublestar-in-segment.yaml', code: 'E_BAD_GLOB', line: 5, col: 29, token: '**', message: 'whole path segment' },
  { file: 'glob-dotdot.yaml', code: 'E_BAD_GLOB', line: 4, col: 21, token: '../sbin', message: '".." segment' },
  { file: 'glob-class.yaml', code: 'E_BAD_GLOB', line: 4, col: 25, token: '[a-z]', message: '"["' },
  {
    file: 'glob-escaped-quote.yaml', code: 'E_BAD_GLOB', line: 4, col: 23, token: '../etc', message: '".." segment',
  },

  // Addresses: the caret goes to the start of the address (inside the quotes)
  { file: 'address-bad-ipv4.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 32, token: '10.0.300.1', message: 'not an IPv4 address' },
  { file: 'address-bad-cidr.yaml', code: 'E_BAD_ADDRESS', line: 5, col: 7, token: '10.0.0.0/33', message: 'prefix length' },
  { file: 'address-port-too-big.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 24, token: '65536', message: '0-65535' },
  { file: 'address-port-backwards.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 19, token: '9000-8000', message: 'runs backwards' },
  { file: 'address-missing-port.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 14, token: '10.0.0.1"', message: 'no port' },
  { file: 'address-host-name.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 27, token: '.', message: 'empty label' },
  { file: 'address-host-bind.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 11, token: 'api.example.com', message: 'not a host name' },
  { file: 'address-ipv6-no-brackets.yaml', code: 'E_BAD_ADDRESS', line: 4, col: 14, token: '2001:db8::1', message: 'brackets' },

  // Rule shapes
  { file: 'rule-syscall-and-syscalls.yaml', code: 'E_VALUE', line: 5, col: 7, token: 'syscall: socket', message: 'not both' },
  { file: 'rule-no-syscall.yaml', code: 'E_REQUIRED', line: 5, col: 7, token: 'action: allow', message: 'needs "syscall: NAME"' },
  { file: 'masked-eq-without-mask.yaml', code: 'E_REQUIRED', line: 7, col: 11, token: 'index: 0', message: 'needs a "mask"' },
  { file: 'mask-without-masked-eq.yaml', code: 'E_VALUE', line: 6, col: 50, token: '0x10000', message: 'only applies to op masked_eq' },
  { file: 'errno-on-allow-rule.yaml', code: 'E_VALUE', line: 7, col: 14, token: 'EACCES', message: 'only applies to action deny' },
  { file: 'arg-value-too-big.yaml', code: 'E_VALUE', line: 6, col: 41, token: '18446744073709551616', message: '64-bit' },

  // extends: the error points at the entry that fails, in the file that has it
  {
    file: 'extends-cycle-a.yaml', in: 'extends-cycle-b.yaml', code: 'E_EXTENDS_CYCLE', line: 3, col: 11, token: './extends-cycle-a.yaml',
    message: 'extends-cycle-a.yaml -> extends-cycle-b.yaml -> extends-cycle-a.yaml',
  },
  {
    file: 'extends-cycle-b.yaml', in: 'extends-cycle-a.yaml', code: 'E_EXTENDS_CYCLE', line: 3, col: 11, token: './extends-cycle-b.yaml',
    message: 'extends-cycle-b.yaml -> extends-cycle-a.yaml -> extends-cycle-b.yaml',
  },
  { file: 'extends-self.yaml', code: 'E_EXTENDS_CYCLE', line: 3, col: 10, token: './extends-self.yaml', message: 'extends-self.yaml -> extends-self.yaml' },
  { file: 'extends-missing-file.yaml', code: 'E_EXTENDS_MISSING', line: 3, col: 11, token: './no-such-profile.yaml', message: 'no such file' },
  { file: 'extends-unknown-builtin.yaml', code: 'E_EXTENDS_MISSING', line: 3, col: 11, token: 'nodjs', message: 'did you mean "nodejs"?' },
  { file: 'extends-bad-base.yaml', in: 'unknown-syscall.yaml', code: 'E_UNKNOWN_SYSCALL', line: 4, col: 17, token: 'opne', message: '"opne"' },
];

const lineOf = (path: string, line: number): string => readFileSync(path, 'utf8').split(/\r?\n/)[line - 1] ?? '';
const firstError = (ds: readonly Diagnostic[]): Diagnostic | undefined => ds.find((d) => d.severity === 'error');
const show = (ds: readonly Diagnostic[]): string => ds.map(formatDiagnostic).join('\n') || '(no diagnostics)';

t.test('every bad fixture has a row, and every row a fixture', async (t) => {
  const files = readdirSync(BAD).filter((f) => f.endsWith('.yaml')).sort();
  t.same(files.filter((f) => !CASES.some((c) => c.file === f)), [], 'fixtures without a row in CASES');
  t.same(CASES.map((c) => c.file).filter((f) => !files.includes(f)), [], 'rows without a fixture');
  t.equal(new Set(CASES.map((c) => c.file)).size, CASES.length, 'one row per fixture');
});

t.test('every fixture says on its first line what it tests', async (t) => {
  for (const dir of [BAD, GOOD]) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'empty.yaml')) {
      t.match(lineOf(join(dir, f), 1), /^# tests: \S/, f);
    }
  }
  t.equal(readFileSync(join(BAD, 'empty.yaml'), 'utf8'), '', 'empty.yaml is empty (so it has no comment)');
});

for (const c of CASES) {
  const path = join(BAD, c.file);
  const target = join(BAD, c.in ?? c.file);
  const where = `${c.in ?? c.file}:${c.line}:${c.col}`;

  t.test(`${c.file}: ${c.code} at ${where}`, async (t) => {
    const src = lineOf(target, c.line);
    if (!t.equal(src.slice(c.col - 1, c.col - 1 + c.token.length), c.token, `the table's own check: ${where} starts with ${JSON.stringify(c.token)}`)) return;

    const { ok, diagnostics } = checkProfile(path, c.arch ? [c.arch] : undefined);
    t.notOk(ok, 'check refuses it');
    const d = firstError(diagnostics);
    if (!t.ok(d, 'an error is reported', { diagnostics: show(diagnostics) }) || !d) return;
    const shown = { got: formatDiagnostic(d) };
    // A known bug turns the assertions it breaks into TODOs: they still run and are reported.
    const at = { ...shown, ...(c.todo?.what === 'position' ? { todo: c.todo.why } : {}) };
    const says = { ...shown, ...(c.todo?.what === 'message' ? { todo: c.todo.why } : {}) };

    t.equal(d.code, c.code, 'code', shown);
    t.equal(d.loc && resolve(d.loc.file), target, 'file', shown);
    t.equal(d.loc && `${d.loc.line}:${d.loc.col}`, `${c.line}:${c.col}`, 'line:col', at);
    if (c.message) t.match(d.message, c.message, 'message', says);

    // Rendered: header, the source line, and a caret under the column.
    const [header, source, carets] = formatDiagnostic(d).split('\n');
    t.equal(header?.startsWith(`${d.loc?.file}:${c.line}:${c.col}: error ${c.code}: `), true, 'header: file:line:col: error CODE:', at);
    const gutter = ` ${c.line} | `;
    t.equal(source, gutter + src.replace(/\t/g, ' '), 'the source line, after the gutter', at);
    t.equal(carets?.indexOf('^'), gutter.length + c.col - 1, 'the first caret under the column', at);
    t.match(carets ?? '', /^ +\| +\^+$/, 'a caret line: gutter, spaces, carets', at);
  });

  if (!c.arch) {
    t.test(`${c.file}: loadProfile throws ProfileError ${c.code}`, async (t) => {
      let thrown: unknown;
      try {
        loadProfile(path);
      } catch (e) {
        thrown = e;
      }
      t.type(thrown, ProfileError, 'a ProfileError, not another exception', { thrown: String(thrown) });
      t.equal((thrown as ProfileError | undefined)?.code, c.code, 'its code is the first error\'s');
    });
  }
}

t.test('arch-only-syscall.yaml: loads, and without an arch "open" is only a warning', async (t) => {
  const path = join(BAD, 'arch-only-syscall.yaml');
  t.doesNotThrow(() => loadProfile(path), 'loadProfile accepts it: "open" is a real syscall');
  const { ok, diagnostics } = checkProfile(path);
  t.ok(ok, 'valid for check without --arch', { diagnostics: show(diagnostics) });
  const archDiag = diagnostics.find((d) => d.code === 'E_SYSCALL_ARCH');
  t.equal(archDiag?.severity, 'warning', 'E_SYSCALL_ARCH is a warning', { diagnostics: show(diagnostics) });
  t.equal(archDiag?.loc && `${archDiag.loc.line}:${archDiag.loc.col}`, '4:24', 'it points at "open"');
  t.ok(checkProfile(path, ['x86_64']).ok, 'valid for x86_64');
  t.notOk(checkProfile(path, ['x86_64', 'aarch64']).ok, 'invalid when both arches are required');
});

t.test('good fixtures load, and check finds nothing to say', async (t) => {
  for (const f of readdirSync(GOOD).filter((f) => f.endsWith('.yaml'))) {
    const path = join(GOOD, f);
    t.doesNotThrow(() => loadProfile(path), f);
    const { ok, diagnostics } = checkProfile(path);
    t.ok(ok, `${f} is valid`);
    t.same(diagnostics.map(formatDiagnostic), [], `${f} has no warnings`);
  }
});

t.test('good/full.yaml uses every part of PROFILE-v1.md', async (t) => {
  const { profile: p } = loadProfile(join(GOOD, 'full.yaml'));
  t.equal(p.name, 'orders-api', 'name');
  t.same(p.command?.value, ['/var/lang/bin/node', '/var/task/index.mjs'], 'command');
  t.same(p.sources.map((s) => s.replace(/.*\//, '')), ['full.yaml', 'base.yaml'], 'extends ./base.yaml');
  t.same([p.mode.value, p.default.value, p.errno.value, p.defaultErrno.value, p.violation.value], ['enforce', 'deny', 1, 38, 'deny'], 'mode, default, errno, default_errno, violation');
  for (const list of ['allow', 'deny', 'kill', 'log'] as const) t.ok(p.syscalls[list].length > 0, `syscalls.${list}`);
  t.ok(p.syscalls.arch.x86_64, 'syscalls.x86_64');
  t.same(p.syscalls.rules.map((r) => r.action), ['allow', 'allow', 'deny', 'kill', 'log', 'deny'], 'syscalls.rules');
  t.same(p.syscalls.rules.map((r) => r.errno), [undefined, undefined, 97, undefined, undefined, 1], 'rule errno, by name and by number');
  t.same(p.syscalls.rules[1]?.syscalls.map((s) => s.value), ['socket', 'socketpair'], 'a rule with `syscalls`');
  t.same(p.syscalls.rules[3]?.args.map((a) => a.op), ['masked_eq'], 'masked_eq with a mask');
  t.ok(p.files && p.files.read.length > 0 && p.files.write.length > 0 && p.files.deny.length > 0, 'files: read, write, deny');
  t.equal(p.exec?.allow.length, 2, 'exec.allow');
  t.equal(p.network?.connect.length, 8, 'network.connect');
  t.same(p.network?.bind, [], 'network.bind: []');
  t.same([p.process?.fork.value, p.process?.signal.value], [true, 'tree'], 'process');
});

t.test('good/extends-relative.yaml merges what it extends', async (t) => {
  const { profile: p } = loadProfile(join(GOOD, 'extends-relative.yaml'));
  t.same(p.sources.map((s) => s.replace(/.*\//, '')), ['extends-relative.yaml', 'minimal.yaml', 'base.yaml']);
  const allow = p.syscalls.allow.map((s) => s.value);
  t.ok(allow.includes('read') && allow.includes('getcwd'), 'its own allow list and its base\'s');
  t.same(p.files?.read.map((g) => g.value).slice(-1), ['/var/task/**'], 'files.read: bases first, then its own');
});
