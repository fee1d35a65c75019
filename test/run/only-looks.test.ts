// A program that only looks does not die (docs/profile.md, "What a profile shows"): four programs
// — python3, node, a dynamically linked C program, a shell script — each run from a directory
// tree that is its only grant besides the system's libraries and runtime files, under
// `violation: kill`. The loader's access("/etc/ld.so.preload"), Python's stat of
// ~/.local/lib/python3.X/site-packages, Node's lstat of every ancestor of its main module, the
// shell's PATH search: all look at paths the profile does not grant. Each program runs to exit 0.
// Then each opens a secret beside its tree, and is killed, with an event naming it.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { events, NODE, PYTHON, seen, syscage, tempDir } from '../fixtures/record-run/harness.js';
import { packageRoot } from '../../lib/paths.js';

const fixtures = join(packageRoot(), 'test', 'fixtures', 'looks');
const work = tempDir(t, 'syscage-looks-');
const home = tempDir(t, 'syscage-looks-home-');
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'data.txt'), 'data\n');
writeFileSync(join(work, 'secret.txt'), 'SECRET-beside-the-app\n');
for (const f of ['main.py', 'main.mjs', 'main.sh']) copyFileSync(join(fixtures, f), join(app, f));
chmodSync(join(app, 'main.sh'), 0o755);
let cc: string | false = false;
try {
  execFileSync('gcc', ['-O1', '-o', join(app, 'main'), join(fixtures, 'main.c')]);
} catch (e) {
  cc = `gcc cannot build the C program: ${(e as Error).message.split('\n')[0]}`;
}

// The system's libraries and the runtime files the interpreters read at start; nothing else.
const SYSTEM = ['/usr/**', '/lib/**', '/lib64/**', '/etc/ld.so.cache', '/etc/locale.alias', '/etc/localtime', '/etc/ssl/**',
  '/proc/self/**', '/proc/meminfo', '/sys/fs/cgroup/**'];
const profile = join(work, 'app.yaml');
writeFileSync(profile, [
  'version: 1',
  'name: only-its-tree',
  'default: allow',
  'violation: kill',
  'files:',
  `  read: [${[`${app}/**`, ...SYSTEM].map((g) => JSON.stringify(g)).join(', ')}]`,
  '  write: [/dev/null]',
  'exec:',
  `  allow: ["/usr/bin/*", "${app}/*"]`,
  '',
].join('\n'));

const PROGRAMS = [
  { name: 'python3', command: [PYTHON, join(app, 'main.py')], skip: existsSync(PYTHON) ? false : `${PYTHON} is not installed` },
  { name: 'node', command: [NODE, join(app, 'main.mjs')], skip: existsSync(NODE) ? false : `${NODE} is not installed` },
  { name: 'a dynamically linked C program', command: [join(app, 'main')], skip: cc },
  { name: 'a shell script', command: [join(app, 'main.sh')], skip: false },
] as const;

/** syscage's exit when the program is killed: 100; the script's cat is killed, and the shell exits 128 + SIGKILL. */
const killedStatus = (name: string): number => (name === 'a shell script' ? 137 : 100);

const summary = /syscage: (\d+) checked calls: (\d+) denied, (\d+) killed, (\d+) logged, (\d+) hidden/;

for (const p of PROGRAMS) {
  t.test(p.name, { skip: p.skip }, async (t) => {
    const o = { home, cwd: work };
    const r = await syscage(['run', '--profile', profile, '--', ...p.command], o);
    t.equal(r.status, 0, 'runs to exit 0 under violation: kill', seen(r));
    t.equal(r.stdout, 'data\n', 'and does its work', seen(r));
    const [, traps, denied, killed, , hiddenCalls] = summary.exec(r.stderr) ?? [];
    t.same([denied, killed], ['0', '0'], 'nothing refused, nothing killed', seen(r));
    t.same(events(r.stderr), [], 'no event: a look is not a violation', seen(r));
    t.comment(`${p.name}: ${traps} checked calls, ${hiddenCalls} hidden`);

    const s = await syscage(['run', '--profile', profile, '--', ...p.command, 'secret'], o);
    t.equal(s.status, killedStatus(p.name), `opening the secret beside its tree: killed (exit ${killedStatus(p.name)})`, seen(s));
    t.notMatch(s.stdout, /SECRET/, 'the secret is not printed', seen(s));
    const kills = events(s.stderr).filter((e) => e.decision === 'kill');
    t.equal(kills.length, 1, 'one kill event', seen(s));
    t.equal(kills[0]?.path, join(work, 'secret.txt'), 'naming the secret', seen(s));
  });
}

t.test('hiding opens no way around the rules: a look at the secret says ENOENT, not its size', { skip: PROGRAMS[0].skip }, async (t) => {
  const secret = join(work, 'secret.txt');
  const probe = [
    'import os, sys',
    `s = ${JSON.stringify(secret)}`,
    'for what, f in [("stat", os.stat), ("lstat", os.lstat), ("exists", lambda p: os.path.exists(p) or (_ for _ in ()).throw(FileNotFoundError(2, "no")))]:',
    '    try: print(what, "sees", f(s))',
    '    except OSError as e: print(what, "errno", e.errno)',
    'print("access", os.access(s, os.R_OK))',
    'try: os.chdir(os.path.dirname(s)); print("chdir ok")',
    'except OSError as e: print("chdir errno", e.errno)',
  ].join('\n');
  const r = await syscage(['run', '--profile', profile, '--', PYTHON, '-c', probe], { home, cwd: app });
  t.equal(r.status, 0, 'the program only looked: it runs on', seen(r));
  t.same(r.stdout.trim().split('\n'), [
    'stat errno 2', 'lstat errno 2', 'exists errno 2', 'access False',
    // The secret's directory is an ancestor of the app's tree: visible.
    'chdir ok',
  ], 'stat, lstat, exists: ENOENT; access: no; its directory, an ancestor of a grant, is visible', seen(r));
  t.notMatch(r.stdout, /st_size/, 'no size, no times');
  const v = await syscage(['run', '--verbose', '--profile', profile, '--', PYTHON, '-c', probe], { home, cwd: app });
  const hidden = events(v.stderr).filter((e) => e.path === secret);
  t.ok(hidden.length >= 3 && hidden.every((e) => e.decision === 'deny' && e.errno === 'ENOENT' && (e as { hidden?: boolean }).hidden === true),
    '--verbose reports each look at it: deny, ENOENT, hidden', seen(v));
});
