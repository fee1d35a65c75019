// The package as users get it: a copy of the tracked files is packed with `npm pack` (its prepack
// builds dist/ there), the tarball is installed into a fresh project with npm as this machine has
// it (npm 11: install scripts need approval, and none is given, so koffi must load from its
// prebuilt package), and the installed CLI runs every command a user reaches for first.
import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { cleanEnv, runProcess } from '../helpers/spawn.js';

const root = packageRoot();
const work = mkdtempSync(join(tmpdir(), 'syscage-package-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command to its end; a non-zero exit is a result, not an exception. */
async function sh(cmd: string, args: readonly string[], cwd: string): Promise<{ status: number; out: string; err: string }> {
  const r = await runProcess(cmd, args, { cwd, env: cleanEnv({ npm_config_update_notifier: 'false' }), timeoutMs: 300_000 });
  return { status: r.status ?? 128, out: r.stdout, err: r.stderr };
}

interface Packed { size: number; files: { path: string }[] }
const paths = (p: Packed) => p.files.map((f) => f.path).sort();

// The copy: exactly the files git tracks (what a fresh clone has), with this checkout's
// node_modules for the build tools. Without git or without the registry nothing can be shown.
const src = join(work, 'src');
let skip: string | false = false;
const tracked = await sh('git', ['ls-files', '-z'], root).catch((e: Error) => ({ status: 1, out: '', err: e.message }));
if (tracked.status !== 0) skip = `not a git checkout, so there is no list of tracked files to pack: ${tracked.err.trim().split('\n').pop()}`;
else if (!existsSync(join(root, 'node_modules', 'typescript'))) skip = 'node_modules is not installed (npm ci)';
else {
  for (const f of tracked.out.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(join(root, f), join(src, f));
  }
  symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
}

let packed: Packed | undefined;
let tarball = '';
t.test('npm pack builds first (prepack) and packs what the CLI needs, and nothing else', { skip }, async (t) => {
  t.notOk(existsSync(join(src, 'dist')), 'the copy has no dist/ before packing');
  const r = await sh('npm', ['pack', '--json', '--pack-destination', work], src);
  t.equal(r.status, 0, 'npm pack succeeds', { stderr: r.err.slice(-2000) });
  if (r.status !== 0) return;
  packed = (JSON.parse(r.out) as Packed[])[0]!;
  tarball = join(work, (JSON.parse(r.out) as { filename: string }[])[0]!.filename);
  const files = paths(packed);
  t.ok(packed.size < 2 << 20, `the tarball is under 2 MB (${(packed.size / 1024).toFixed(0)} kB)`);
  t.same(files.filter((f) => f.endsWith('.zip')), [], 'no zip');
  t.same(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts')), [], 'no source maps, no TypeScript sources');
  t.same(files.filter((f) => /^(test|test-arm64|bench|scripts|docs|\.ci)\/|^dist\/(bench|scripts|test)\//.test(f)), [], 'no tests, benchmarks, scripts or docs');
  for (const need of ['bin/syscage', 'dist/bundle/cli/entry.js', 'dist/bundle/trace/worker.js', 'dist/bundle/launch/stage2.js', 'dist/lib/cli/entry.js', 'dist/lib/trace/worker.js', 'lib/arch/syscalls.csv',
    'lib/arch/syscall-types.csv', 'profiles/schema.json', 'profiles/examples/demo.yaml', 'package.json', 'README.md', 'LICENSE']) {
    t.ok(files.includes(need), `packs ${need}`);
  }
  // Every compiled module of lib/ is there: the CLI loads them lazily, a missing one fails late.
  const built = (await sh('find', ['dist/lib', '-name', '*.js'], src)).out.split('\n').filter(Boolean).sort();
  t.same(files.filter((f) => f.startsWith('dist/lib/')), built, `all ${built.length} modules of dist/lib`);
});

t.test('npm publish --dry-run lists the same files', { skip }, async (t) => {
  if (!packed) return t.fail('npm pack did not succeed');
  const r = await sh('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], src);
  t.equal(r.status, 0, 'npm publish --dry-run succeeds', { stderr: r.err.slice(-2000) });
  const listed = Object.values(JSON.parse(r.out) as Record<string, Packed>)[0]!;
  t.same(paths(listed), paths(packed));
});

t.test('installed from the tarball into a fresh project, npx syscage works', { skip }, async (t) => {
  if (!tarball) return t.fail('npm pack did not succeed');
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const install = await sh('npm', ['install', '--save-dev', '--no-audit', '--no-fund', tarball], app);
  if (install.status !== 0 && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(install.err)) {
    return t.skip(`the npm registry cannot be reached for syscage's dependencies: ${install.err.trim().split('\n').pop()}`);
  }
  t.equal(install.status, 0, 'npm install of the tarball succeeds', { stderr: install.err.slice(-2000) });
  if (install.status !== 0) return;
  // No install script was approved: koffi's native code comes from its prebuilt package.
  const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
  t.notOk('allowScripts' in installed, 'no install script was approved');
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  t.ok(existsSync(join(app, 'node_modules', '@koromix', `koffi-linux-${arch}`)), `koffi's prebuilt linux-${arch} package is installed`);

  const npx = (...args: string[]) => sh('npx', ['--no-install', 'syscage', ...args], app);
  const demo = 'node_modules/syscage/profiles/examples/demo.yaml';

  const version = await npx('--version');
  t.same([version.status, version.out.trim()], [0, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version], '--version');

  const check = await npx('check', demo);
  t.equal(check.status, 0, `check ${demo}`, { stderr: check.err });

  const compile = await npx('compile', demo);
  t.equal(compile.status, 0, 'compile', { stderr: compile.err });
  t.match(compile.out, /ld  \[4\] ; arch/, 'compile prints the filter');

  const hostname = readFileSync('/etc/hostname', 'utf8').trim();
  const run = await npx('run', '--profile', demo, '--', '/bin/cat', '/etc/hostname', '/etc/shadow');
  t.equal(run.out.trim(), hostname, 'run: the allowed file is printed');
  t.match(run.err, /"decision":"deny".*"path":"\/etc\/shadow"/, 'run: /etc/shadow is refused and reported');
  t.equal(run.status, 1, 'run: cat\'s own exit status (it could not read /etc/shadow)');

  const record = await npx('record', '-o', 'rec.yaml', '--', '/bin/ls', '/');
  t.equal(record.status, 0, 'record', { stderr: record.err });
  const replay = await npx('run', '--profile', 'rec.yaml', '--', '/bin/ls', '/');
  t.equal(replay.status, 0, 'the recorded profile lets the same command run', { stderr: replay.err });
  t.notMatch(replay.err, /"decision":"deny"/, 'with no refusal');

  const doctor = await npx('doctor');
  t.equal(doctor.status, 0, 'doctor', { stderr: doctor.err });
  t.match(doctor.out, /mode/, 'doctor reports the mode');
});
