// `syscage run` given bad input: a missing or invalid profile, a command that
// does not exist or cannot be executed, no "--", an unknown flag, a log that
// cannot be opened. Each is a non-zero exit with a clear error on stderr
// (one line; a profile diagnostic is its positioned line plus the source
// excerpt under it), never a stack trace — and the command never starts:
// every command here would create a marker file.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seen, STACK, syscage, tempDir, writeProfile } from './fixtures/harness.js';

const D = tempDir(t);
const MARKER = join(D, 'marker');
const GOOD = writeProfile(D, 'good.yaml', `version: 1
name: good
default: allow
files:
  read: [/, /usr/**, /lib/**, /lib64/**, /etc/**, /proc/**, /dev/**, ${D}/**]
  write: [${D}/**, /dev/null]
`);
const INVALID = writeProfile(D, 'invalid.yaml', `version: 1
default: allow
files:
  raed: [/usr/**]
`);
const NOEXEC = join(D, 'not-executable.sh');
writeFileSync(NOEXEC, `#!/bin/sh\ntouch ${MARKER}\n`);
chmodSync(NOEXEC, 0o644);
const GARBAGE = join(D, 'garbage');
writeFileSync(GARBAGE, 'not a program\n');
chmodSync(GARBAGE, 0o755);
const BAD_SHEBANG = join(D, 'bad-shebang');
writeFileSync(BAD_SHEBANG, `#!/nonexistent/interpreter\ntouch ${MARKER}\n`);
chmodSync(BAD_SHEBANG, 0o755);
mkdirSync(join(D, 'a-directory'));

const TOUCH = ['/usr/bin/touch', MARKER];

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  readonly status: number;
  /** The first line of stderr. */
  readonly says: RegExp;
  /** Lines on stderr (default 1). */
  readonly lines?: number;
  /** Known bugs (reported): the assertion is marked todo with the reason. */
  readonly todo?: { readonly says?: string; readonly lines?: string };
}

const CASES: readonly Case[] = [
  { name: 'missing profile file', argv: ['run', '--profile', join(D, 'nope.yaml'), '--', ...TOUCH], status: 2, says: /E_READ: cannot read profile .*nope\.yaml: no such file/ },
  { name: 'a directory as the profile', argv: ['run', '--profile', D, '--', ...TOUCH], status: 2, says: /E_READ: cannot read profile/ },
  {
    name: 'invalid profile (the diagnostic and its source excerpt)', argv: ['run', '--profile', INVALID, '--', ...TOUCH], status: 2,
    says: /^.*invalid\.yaml:4:3: error E_UNKNOWN_KEY: unknown key "raed".*\(did you mean "read"\?\)$/, lines: 3,
  },
  { name: 'no --profile', argv: ['run', '--', ...TOUCH], status: 2, says: /^syscage: missing required argument: profile/ },
  { name: 'missing command', argv: ['run', '--profile', GOOD, '--', 'nonexistent-cmd'], status: 127, says: /^syscage: nonexistent-cmd: command not found$/ },
  { name: 'missing command by path', argv: ['run', '--profile', GOOD, '--', join(D, 'nope')], status: 127, says: /^syscage: .*\/nope: no such file or directory$/ },
  { name: 'not executable', argv: ['run', '--profile', GOOD, '--', NOEXEC], status: 126, says: /^syscage: .*not-executable\.sh: permission denied$/ },
  { name: 'a directory as the command', argv: ['run', '--profile', GOOD, '--', join(D, 'a-directory')], status: 126, says: /^syscage: .*a-directory: is a directory$/ },
  {
    name: 'executable but not a program (ENOEXEC)', argv: ['run', '--profile', GOOD, '--', GARBAGE], status: 126, says: /^syscage: .*garbage: cannot execute: ENOEXEC$/,
  },
  {
    // As bash: 126 and "bad interpreter".
    name: 'a script whose interpreter does not exist', argv: ['run', '--profile', GOOD, '--', BAD_SHEBANG], status: 126, says: /^syscage: .*bad-shebang: .*: bad interpreter: No such file or directory$/,
  },
  { name: 'no -- (the command is taken for an argument)', argv: ['run', '--profile', GOOD, ...TOUCH], status: 2, says: /^syscage: unknown arguments?: .*touch/ },
  { name: 'nothing after --', argv: ['run', '--profile', GOOD, '--'], status: 2, says: /^syscage: give the command after --/ },
  { name: 'no command at all', argv: ['run', '--profile', GOOD], status: 2, says: /^syscage: give the command after --/ },
  { name: 'unknown flag', argv: ['run', '--profile', GOOD, '--bogus', '--', ...TOUCH], status: 2, says: /^syscage: unknown argument: bogus/ },
  { name: 'a --log that cannot be opened', argv: ['run', '--profile', GOOD, '--log', join(D, 'no', 'such', 'dir', 'x.log'), '--', ...TOUCH], status: 2, says: /^syscage: cannot open the log .*x\.log: ENOENT$/ },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    rmSync(MARKER, { force: true });
    const r = await syscage(c.argv, { cwd: D });
    const diag = seen(r);
    const lines = r.stderr.split('\n').filter(Boolean);
    t.equal(r.status, c.status, `exit ${c.status}`, diag);
    t.match(lines[0] ?? '', c.says, 'the error says what is wrong', { ...diag, ...(c.todo?.says ? { todo: c.todo.says } : {}) });
    t.equal(lines.length, c.lines ?? 1, `${c.lines ?? 1} line(s) on stderr`, { ...diag, ...(c.todo?.lines ? { todo: c.todo.lines } : {}) });
    t.notMatch(r.stderr, STACK, 'no stack trace', diag);
    t.equal(r.stdout, '', 'nothing on stdout', diag);
    t.notOk(existsSync(MARKER), 'the command never ran', diag);
  });
}

t.test('the valid twin of these runs the command (the marker check would notice)', async (t) => {
  rmSync(MARKER, { force: true });
  const r = await syscage(['run', '--profile', GOOD, '--', ...TOUCH], { cwd: D });
  t.equal(r.status, 0, 'exit 0', seen(r));
  t.ok(existsSync(MARKER), 'the marker was created', seen(r));
});
