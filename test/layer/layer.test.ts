// The Lambda layer (scripts/build-layer.mjs): built here, for both arches, twice for x86_64.
// The x86_64 layer is unpacked into a temp dir laid out like /opt and its bootstrap runs a
// sandboxed Python custom runtime under `env -i` with only Lambda's variables, from a cwd outside
// the repo: it must bring its own node and node_modules. The arm64 layer is checked structurally.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmulator, type InvocationResult } from '../../lib/runtime/emulator.js';
import { packageRoot } from '../../lib/paths.js';

const run = promisify(execFile);
const root = packageRoot();
const python = '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'syscage-layer-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const zips = { x86_64: join(work, 'x86_64.zip'), again: join(work, 'x86_64-again.zip'), arm64: join(work, 'arm64.zip') };
const build = (arch: string, out: string) =>
  run(process.execPath, [join(root, 'scripts', 'build-layer.mjs'), '--arch', arch, '--out', out], { cwd: root, maxBuffer: 16 << 20 });

// Building the layers is the first step; where that is impossible (no npm registry, no build) all is skipped, saying why.
let skip: string | false = false;
let report = '';
if (!existsSync(join(root, 'dist', 'lib', 'cli', 'entry.js'))) skip = 'dist/ is not built (npm run build)';
else if (!existsSync('/usr/bin/unzip')) skip = 'unzip is not installed';
else {
  try {
    const outs = await Promise.all([build('x86_64', zips.x86_64), build('x86_64', zips.again), build('arm64', zips.arm64)]);
    report = outs.map((o) => o.stdout.trim()).join('\n');
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    skip = `the layer zip cannot be built here: ${(err.stderr || err.message).trim().split('\n').pop()}`;
  }
}
if (report) t.comment(report);

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const unzip = async (zip: string, dir: string) => {
  mkdirSync(dir, { recursive: true });
  await run('unzip', ['-q', zip, '-d', dir]);
  return dir;
};
/** The ELF e_machine of a file (62 x86_64, 183 aarch64). */
const elfMachine = (file: string) => {
  const b = readFileSync(file).subarray(0, 20);
  if (b.readUInt32BE(0) !== 0x7f454c46) return -1;
  return b.readUInt16LE(18);
};

t.test('building the layer twice gives the same bytes', { skip }, async (t) => {
  t.equal(sha256(zips.x86_64), sha256(zips.again), `sha256 ${sha256(zips.x86_64)}`);
});

t.test('zip entries: sorted, 1980-01-01, fixed modes, no extra fields', { skip }, async (t) => {
  const { stdout } = await run('unzip', ['-Z', zips.x86_64], { maxBuffer: 16 << 20 });
  const lines = stdout.split('\n').filter((l) => /^[-d]r/.test(l));
  const names = lines.map((l) => l.split(/\s+/).slice(8).join(' '));
  t.same(names, [...names].sort(), 'entries sorted by name');
  t.ok(lines.every((l) => l.includes('80-Jan-01 00:00')), 'every timestamp 1980-01-01 00:00');
  const mode = (name: string) => lines[names.indexOf(name)]?.split(/\s+/)[0];
  t.equal(mode('bootstrap'), '-rwxr-xr-x');
  t.equal(mode('bin/node'), '-rwxr-xr-x');
  t.equal(mode('syscage/package.json'), '-rw-r--r--');
  t.ok(lines.every((l) => /^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x)/.test(l)), 'only 755 and 644');
  t.equal(lines.filter((l) => l.startsWith('-rwx')).length, 2, 'only bootstrap and bin/node are executable');
  t.equal(mode('lib/libatomic.so.1'), '-rw-r--r--', 'lib/libatomic.so.1, for Node.js 26');
  const { stdout: verbose } = await run('zipinfo', ['-v', zips.x86_64], { maxBuffer: 64 << 20 });
  const extras = [...verbose.matchAll(/length of extra field:\s+(\d+) bytes/g)].map((m) => Number(m[1]));
  t.ok(extras.length > 0 && extras.every((n) => n === 0), 'no extra fields');
  t.same(names.filter((n) => n.endsWith('.map') || n.endsWith('.d.ts')), [], 'no source maps or type declarations');
  t.notOk(names.some((n) => n.startsWith('syscage/dist/test') || n.startsWith('syscage/dist/bench') || n.startsWith('syscage/dist/scripts')), 'no tests, bench or scripts in syscage/dist');
  t.notOk(names.some((n) => /node_modules\/(tap|typescript|@types)\//.test(n)), 'no dev dependencies');
  const natives = names.filter((n) => n.endsWith('.node'));
  t.same(natives, ['syscage/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node'], 'one koffi binary: linux x64 (glibc)');
});

t.test('the arm64 layer: aarch64 node and koffi, the same bootstrap script', { skip }, async (t) => {
  const x86 = await unzip(zips.x86_64, join(work, 'x86-tree'));
  const arm = await unzip(zips.arm64, join(work, 'arm-tree'));
  t.equal(elfMachine(join(arm, 'bin', 'node')), 183, 'bin/node is aarch64');
  const koffi = join(arm, 'syscage', 'node_modules', '@koromix', 'koffi-linux-arm64', 'linux_arm64', 'koffi.node');
  t.equal(elfMachine(koffi), 183, 'koffi.node is aarch64');
  t.equal(elfMachine(join(x86, 'bin', 'node')), 62, 'and the x86_64 layer\'s node is x86_64');
  // Node.js >= 25 links libatomic.so.1, which minimal images lack: each layer brings its arch's.
  t.equal(elfMachine(join(arm, 'lib', 'libatomic.so.1')), 183, 'lib/libatomic.so.1 is aarch64');
  t.equal(elfMachine(join(x86, 'lib', 'libatomic.so.1')), 62, 'and the x86_64 layer\'s is x86_64');
  t.ok(readFileSync(join(arm, 'bootstrap')).equals(readFileSync(join(x86, 'bootstrap'))), 'bootstrap byte-identical');
  t.notOk(existsSync(join(arm, 'syscage', 'node_modules', '@koromix', 'koffi-linux-x64')), 'no x64 koffi in the arm64 layer');
});

t.test('the layer\'s node resolves libatomic.so.1 to the layer\'s lib/ through LD_LIBRARY_PATH, as on Lambda (/opt/lib)', { skip: skip || (process.arch !== 'x64' ? 'not an x86_64 host' : false) }, async (t) => {
  const opt = await unzip(zips.x86_64, join(work, 'ld-tree'));
  const node = join(opt, 'bin', 'node');
  const { stdout: needed } = await run('readelf', ['-d', node]);
  t.match(needed, /\(NEEDED\)\s+Shared library: \[libatomic\.so\.1\]/, 'node links libatomic.so.1');
  // The dynamic loader's own report of what it would load (no code of node runs).
  const { stdout } = await run(node, [], { env: { LD_TRACE_LOADED_OBJECTS: '1', LD_LIBRARY_PATH: join(opt, 'lib') } });
  t.match(stdout, new RegExp(`libatomic\\.so\\.1 => ${join(opt, 'lib', 'libatomic.so.1').replace(/[.]/g, '\\.')} `), 'found in the layer\'s lib/');
  const { stdout: version } = await run(node, ['--version'], { env: { LD_LIBRARY_PATH: join(opt, 'lib') } });
  t.match(version.trim(), /^v26\./, `the layer runs Node.js 26 (${version.trim()})`);
});

t.test('smoke: the unpacked x86_64 layer serves a sandboxed Python runtime with only Lambda\'s environment', { skip: skip || (process.arch !== 'x64' ? 'not an x86_64 host' : !existsSync(python) ? `${python} is not installed` : false) }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'syscage-layer-smoke-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const opt = await unzip(zips.x86_64, join(base, 'opt'));
  const task = join(base, 'task');
  mkdirSync(task);
  copyFileSync(join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py'), join(task, 'echo-runtime.py'));
  writeFileSync(join(task, 'syscage.yaml'), [
    'version: 1',
    'name: layer-smoke',
    `command: [${python}, ${join(task, 'echo-runtime.py')}]`,
    'default: allow',
    'violation: kill',
    'files:',
    '  read: ["/**"]',
    '  deny: [/etc/shadow]',
    '',
  ].join('\n'));
  const cwd = join(base, 'elsewhere');
  mkdirSync(cwd);

  const emulator = await startEmulator({ events: [{ n: 1 }, { n: 2, secret: true }, { n: 3 }], taskRoot: task });
  const env = { ...emulator.env(), LAMBDA_TASK_ROOT: task };
  const child = spawn('/usr/bin/env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), join(opt, 'bootstrap')], {
    cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`the bootstrap exited (${signal ?? code})`)));
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    emulator.results,
    exited,
    new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timed out after 60 s'), 60_000); }),
  ]);
  clearTimeout(timer);
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  await emulator.close();
  if (typeof outcome === 'string') {
    t.fail(outcome, { output });
    return;
  }
  const results: InvocationResult[] = outcome;
  t.same(results.map((r) => r.status), ['response', 'error', 'response'], 'every event answered');
  t.same(JSON.parse(results[0]!.body!.toString()), { echo: { n: 1 } });
  t.equal(results[1]!.error?.errorType, 'Runtime.SyscallViolation', 'the sandbox works from the layer: reading /etc/shadow kills the handler');
  t.match(results[1]!.error?.errorMessage, /\/etc\/shadow/);
  t.same(JSON.parse(results[2]!.body!.toString()), { echo: { n: 3 } }, 'a restarted handler serves the next one');
  t.notMatch(output, /Cannot find|ERR_MODULE_NOT_FOUND/, 'nothing missing from the layer');
});
