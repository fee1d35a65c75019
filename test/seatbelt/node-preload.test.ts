// The Node.js seatbelt (lib/seatbelt/node-preload.ts) in real processes: the tests' own Node 20
// (no permission model: the preload alone) and the layer's Node 26 (with the permission-model
// flags from nodeFlags), each started as the bootstrap starts a handler — NODE_OPTIONS = the flags
// and --import of the compiled preload, the policy in SYSCAGE_SEATBELT_POLICY, the report channel
// on descriptor 3 (a UNIX stream socket: a 'pipe' stdio entry). The handler stand-in is
// fixtures/node/act.mjs; each scenario prints one JSON line per attempt.
//
// Children are started through `env -i` (tap re-adds its loaders to every child it sees spawned;
// env clears them after tap's hooks have run).
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../lib/paths.js';
import { parseAddress } from '../../lib/profile/address.js';
import { globSource } from '../../lib/profile/glob.js';
import { loadProfile } from '../../lib/profile/load.js';
import { grantPrefix, nodeFlags, nodeOptionWord } from '../../lib/seatbelt/node-flags.js';
import { seatbeltPolicy } from '../../lib/seatbelt/policy.js';
import type { PolicyAddress, PolicyAddressList, PolicyGlobList, SeatbeltBinding, SeatbeltPolicy, SeatbeltReport } from '../../lib/seatbelt/types.js';
import { layerNode } from '../helpers/layer-node.js';

const root = packageRoot();
const PRELOAD = join(root, 'dist', 'lib', 'seatbelt', 'node-preload.js');
const ACT = join(root, 'test', 'seatbelt', 'fixtures', 'node', 'act.mjs');
const built = existsSync(PRELOAD) ? false : 'dist/lib/seatbelt/node-preload.js is missing: run npx tsc -p tsconfig.json first';

// ---- a hand-written policy (the same shapes lib/seatbelt/policy.ts makes from a profile) ----
const globs = (what: string, list: readonly string[]): PolicyGlobList => ({
  entries: list.map((g, i) => ({ what, text: g, loc: `test.yaml:${i + 10}`, re: `^(?:${globSource(g)})$` })),
  missing: { what, text: `not in ${what}`, loc: 'test.yaml:9' },
});
const addresses = (what: string, list: readonly string[]): PolicyAddressList => ({
  entries: list.map((text, i) => {
    const r = parseAddress(text);
    if ('message' in r) throw new Error(`${text}: ${r.message}`);
    const base = { what, text, loc: `test.yaml:${i + 20}` };
    if (r.kind === 'unix') return { ...base, kind: 'unix' as const, abstract: r.abstract, re: r.match.source };
    if (r.kind === 'host') return { ...base, kind: 'host' as const, re: r.match.source, portLo: r.portLo, portHi: r.portHi };
    return { ...base, kind: 'ip' as const, family: r.family === 'any' ? 0 as const : r.family, lo: String(r.lo), hi: String(r.hi), portLo: r.portLo, portHi: r.portHi };
  }),
  missing: { what, text: `not in ${what}`, loc: 'test.yaml:19' },
});
interface PolicyShape {
  enforce?: boolean;
  files?: { read: string[]; write: string[]; deny: string[] } | null;
  exec?: string[] | null;
  fork?: boolean;
  connect?: string[] | null;
  bind?: string[];
  always?: string[];
  native?: string[];
}
function policyOf(p: PolicyShape): SeatbeltPolicy {
  return {
    version: 1,
    profile: 'test',
    enforce: p.enforce ?? true,
    violation: 'deny',
    ...(p.files ? { files: { read: globs('files.read', p.files.read), write: globs('files.write', p.files.write), deny: globs('files.deny', p.files.deny) } } : {}),
    ...(p.exec ? { exec: { allow: globs('exec.allow', p.exec) } } : {}),
    fork: { allowed: p.fork ?? true, rule: { what: 'process.fork', text: String(p.fork ?? true), loc: 'test.yaml:30' } },
    ...(p.connect ? { network: { connect: addresses('network.connect', p.connect), bind: addresses('network.bind', p.bind ?? []) } } : {}),
    always: p.always ?? [],
    native: globs('seatbelts.native', p.native ?? []),
  };
}

// ---- the file trees the handler works in (one per test: mode: audit really deletes) ----
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'syscage-seatbelt-')));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = join(root, 'test', 'seatbelt', 'fixtures', 'node');

// A real addon to copy and load (nothing is built): koffi's (self-contained), else the runtime client's.
const koffi = [
  join(root, 'node_modules', '@koromix', `koffi-linux-${process.arch}`, `linux_${process.arch}`, 'koffi.node'),
  join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'rapid-client.node'),
].find((p) => existsSync(p));

let trees = 0;
function makeTree() {
  const base = join(dir, `t${trees++}`);
  const task = join(base, 'task');
  const out = join(base, 'out');
  const outside = join(base, 'outside');
  mkdirSync(join(task, 'tree', 'sub'), { recursive: true });
  mkdirSync(out);
  mkdirSync(outside);
  writeFileSync(join(task, 'ok.txt'), 'fine\n');
  writeFileSync(join(task, '.env'), 'SECRET=1\n');
  writeFileSync(join(task, 'tree', 'sub', 'key.pem'), 'KEY\n');
  writeFileSync(join(task, 'tree', 'a.txt'), 'a\n');
  writeFileSync(join(outside, 'other.txt'), 'other\n');
  symlinkSync(join(task, '.env'), join(task, 'link'));
  symlinkSync(join(task, 'not-yet'), join(out, 'dangling'));
  writeFileSync(join(task, 'child.cjs'), 'process.exit(0)\n');
  // A program in the task root that is really /bin/sh.
  symlinkSync('/bin/sh', join(task, 'run'));
  // The handler's own code is read through node:fs too (the ESM loader reads its entry with fs.readFile).
  const files = { read: [`${task}/**`, `${base}/node/**`, `${FIXTURES}/**`], write: [`${out}/**`], deny: [`${task}/.env`, `${task}/tree/sub/*.pem`] };
  const args = {
    allowed: join(task, 'ok.txt'),
    denied: join(task, '.env'),
    deniedRelative: 'task/.env',
    link: join(task, 'link'),
    outside: join(outside, 'other.txt'),
    outsideDir: outside,
    writeRefused: join(task, 'new.txt'),
    writeAllowed: join(out, 'new.txt'),
    dangling: join(out, 'dangling'),
    mkdirOutside: join(outside, 'a', 'b'),
    tree: join(task, 'tree'),
    treeCopy: join(out, 'tree'),
  };
  return { base, task, out, outside, files, args };
}

// ---- running the stand-in ----
interface Attempt { name: string; ok: boolean; value?: unknown; code?: string; message?: string; causeCode?: string; causeMessage?: string }
interface Ran { code: number | null; attempts: Map<string, Attempt>; reports: SeatbeltReport[]; stderr: string; stdout: string }

const node20 = { label: 'node 20', path: process.execPath, version: process.versions.node };
const layer = layerNode();
const node26 = 'path' in layer ? { label: 'node 26', path: layer.path, version: '26.12.1' } : undefined;
type Node = typeof node20;
const nodes: { node?: Node; skip: string | false }[] = [
  { node: node20, skip: false },
  { node: node26, skip: node26 ? false : `the layer's Node.js 26 is not here: ${'skip' in layer ? layer.skip : ''}` },
];

/** A stand-in's run: its attempts (one JSON line each on stdout) and the lines on its channel (fd 3). */
function collect(child: ChildProcess, what: string): Promise<{ code: number | null; attempts: Map<string, Attempt>; lines: unknown[]; stderr: string; stdout: string }> {
  let stdout = '';
  let stderr = '';
  let channel = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => { channel += d; });
  const channelEnd = new Promise((resolve) => (child.stdio[3] as NodeJS.ReadableStream).on('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${what} hung: ${stdout}\n${stderr}`)); }, 60_000);
    child.on('close', async (code) => {
      clearTimeout(timer);
      await channelEnd;
      const attempts = new Map<string, Attempt>();
      for (const line of stdout.split('\n').filter(Boolean)) {
        const a = JSON.parse(line) as Attempt;
        attempts.set(a.name, a);
      }
      resolve({ code, attempts, lines: channel.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown), stderr, stdout });
    });
  });
}

function run(node: Node, scenario: string, args: object, policy: SeatbeltPolicy | string, o: { workers?: boolean; cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  const policyText = typeof policy === 'string' ? policy : JSON.stringify(policy);
  const flags = nodeFlags(typeof policy === 'string' ? policyOf({}) : policy, node.version, { preload: PRELOAD, readable: [join(root, 'test', 'seatbelt', 'fixtures', 'node')], workers: o.workers });
  const env = [
    'PATH=/usr/bin:/bin',
    `NODE_OPTIONS=${flags.flags.join(' ')}`,
    `SYSCAGE_SEATBELT_POLICY=${policyText}`,
    'SYSCAGE_SEATBELT_FD=3',
    ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  const child = spawn('/usr/bin/env', ['-i', ...env, node.path, ACT, scenario, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], cwd: o.cwd ?? dir,
  });
  return collect(child, `${scenario} on ${node.label}`).then(({ lines, ...r }) => ({ ...r, reports: lines as SeatbeltReport[] }));
}

/** The attempt, which must have happened. */
function got(t: Test, r: Ran, name: string): Attempt {
  const a = r.attempts.get(name);
  if (!a) {
    t.fail(`no attempt "${name}" (stdout: ${r.stdout.slice(0, 2000)} stderr: ${r.stderr.slice(0, 2000)})`);
    return { name, ok: false };
  }
  return a;
}

function refused(t: Test, r: Ran, name: string, message: string | RegExp): void {
  const a = got(t, r, name);
  t.equal(a.ok, false, `${name}: refused`);
  // fetch rejects with TypeError('fetch failed', { cause }): the refusal is the cause.
  const viaCause = a.causeCode === 'ERR_SYSCAGE_REFUSED';
  const code = viaCause ? a.causeCode : a.code;
  const msg = viaCause ? a.causeMessage : a.message;
  t.equal(code, 'ERR_SYSCAGE_REFUSED', `${name}: code ERR_SYSCAGE_REFUSED (got ${a.code} ${a.message})`);
  if (typeof message === 'string') t.equal(msg, message, `${name}: message`);
  else t.match(msg, message, `${name}: message`);
}

function allowed(t: Test, r: Ran, name: string, value?: unknown): void {
  const a = got(t, r, name);
  t.equal(a.ok, true, `${name}: allowed (${a.code ?? ''} ${a.message ?? ''})`);
  if (value !== undefined) t.same(a.value, value, `${name}: value`);
}

/** stderr without Node's own warnings (the permission model's SecurityWarnings on 26). */
const said = (r: Ran): string => r.stderr.split('\n').filter((l) => l && !/^\(node:\d+\) (\[\w+\] )?\w*Warning|^\(Use `node --trace-warnings/.test(l)).join('\n');

const reportsFor = (r: Ran, api: string): SeatbeltReport[] => r.reports.filter((x) => x.api === api);

// ---- nodeFlags, as text ----
t.test('nodeFlags: grants from globs, switches by version and policy, NODE_OPTIONS quoting', async (t) => {
  t.equal(grantPrefix('/var/task/**'), '/var/task/');
  t.equal(grantPrefix('/usr/lib/python3*/**'), '/usr/lib/python3*');
  t.equal(grantPrefix('/etc/ld.so.cache'), '/etc/ld.so.cache');
  t.equal(grantPrefix('/tmp/a?c'), '/tmp/a*');
  t.equal(grantPrefix('/**'), '/');
  t.equal(nodeOptionWord('--allow-fs-read=/a b/'), '"--allow-fs-read=/a b/"', 'a space: quoted');
  t.equal(nodeOptionWord('--x=a"b\\c'), '"--x=a\\"b\\\\c"', 'quotes and backslashes escaped inside the quotes');
  t.equal(nodeOptionWord('--x=a\nb'), undefined, 'a newline cannot be written');

  const p = policyOf({ files: { read: ['/var/task/**', '/usr/lib/python3*/**'], write: ['/tmp/**'], deny: ['/var/task/.env'] }, exec: [], fork: true, connect: ['*:443'] });
  const f26 = nodeFlags(p, '26.12.1', { preload: '/opt/syscage/node-preload.js', readable: ['/opt/my dir'] });
  t.same(f26.flags, [
    '--permission',
    '--allow-fs-read=/var/task/', '--allow-fs-read=/usr/lib/python3*', '--allow-fs-read=/tmp/',
    '--allow-fs-read=/opt/syscage/node-preload.js', '"--allow-fs-read=/opt/my dir"',
    '--allow-fs-write=/tmp/',
    '--allow-addons', '--allow-net',
    '--import=file:///opt/syscage/node-preload.js',
  ], 'exec.allow empty: no child processes; deny globs are the preload\'s');
  t.same(f26.notes, []);
  const all = nodeFlags(policyOf({ exec: ['/usr/bin/git'] }), '24.22.3', { preload: '/p/node-preload.js', readable: [], workers: true });
  t.same(all.flags, ['--permission', '--allow-fs-read=*', '--allow-fs-write=*', '--allow-child-process', '--allow-addons', '--allow-worker', '--import=file:///p/node-preload.js'], 'no files section: everything; 24 has no --allow-net');
  t.match(all.notes.join('\n'), /no --allow-net/);
  const forkless = nodeFlags(policyOf({ fork: false }), '22.13.0', { preload: '/p/node-preload.js', readable: [] });
  t.notOk(forkless.flags.includes('--allow-child-process'), 'fork: false: no --allow-child-process');
  t.ok(forkless.flags.includes('--permission'), '22.13 has --permission');
  const old = nodeFlags(p, '22.12.0', { preload: '/p/node-preload.js', readable: [] });
  t.same(old.flags, ['--import=file:///p/node-preload.js'], 'before 22.13: the preload alone');
  t.match(old.notes.join('\n'), /no stable permission model/);
  t.same(nodeFlags(p, '20.20.2', { preload: '/p/x.js', readable: [] }).flags, ['--import=file:///p/x.js']);
  t.notOk(nodeFlags(p, '23.4.0', { preload: '/p/x.js', readable: [] }).flags.includes('--permission'), '23.4: not yet');
  t.ok(nodeFlags(p, '23.5.0', { preload: '/p/x.js', readable: [] }).flags.includes('--permission'), '23.5: yes');
  t.notOk(f26.flags.some((f) => /allow-(wasi|inspector|ffi|fs-vfs|openssl)/.test(f)), 'never wasi, inspector, ffi, vfs, openssl store');
  t.equal(nodeFlags(p, '26.12.1', { preload: '/a b/node-preload.js', readable: [] }).flags.at(-1), '--import=file:///a%20b/node-preload.js', 'the file URL has no space');
});

for (const { node, skip } of nodes) {
  const label = node?.label ?? 'node 26';
  t.test(`${label}: files`, { skip: skip || built }, async (t) => {
    const { base, task, out, outside, files, args } = makeTree();
    const r = await run(node!, 'files', args, policyOf({ files }), { cwd: base });
    t.equal(r.code, 0, `ran to the end (${r.stderr})`);
    const env = join(task, '.env');
    const deny = `files.deny ${env} (test.yaml:10)`;
    allowed(t, r, 'read allowed', 'fine');
    for (const name of ['read denied (named import)', 'read denied (default import)', 'read denied (Buffer path)', 'read denied (URL)', 'read denied (relative)', 'read denied (callback)', 'read denied (promises)', 'open denied r', 'createReadStream denied']) {
      refused(t, r, name, `syscage: refused read of ${env}: ${deny}`);
    }
    refused(t, r, 'read through symlink', `syscage: refused read of ${env} (through ${join(task, 'link')}): ${deny}`);
    refused(t, r, 'read outside', `syscage: refused read of ${join(outside, 'other.txt')}: files.read not in files.read (test.yaml:9)`);
    refused(t, r, 'readdir outside', `syscage: refused read of ${outside}: files.read not in files.read (test.yaml:9)`);
    refused(t, r, 'open read-only file for write', `syscage: refused write of ${join(task, 'ok.txt')}: files.write not in files.write (test.yaml:9)`);
    refused(t, r, 'readFile with a writing flag', /refused write of .*ok\.txt/);
    refused(t, r, 'ReadStream constructor denied', `syscage: refused read of ${env}: ${deny}`);
    allowed(t, r, 'stat denied (looking)', true);
    allowed(t, r, 'exists denied (looking)', true);
    refused(t, r, 'write refused', `syscage: refused write of ${join(task, 'new.txt')}: files.write not in files.write (test.yaml:9)`);
    allowed(t, r, 'write allowed', 'x');
    refused(t, r, 'write through a dangling symlink', `syscage: refused write of ${join(task, 'not-yet')} (through ${join(out, 'dangling')}): files.write not in files.write (test.yaml:9)`);
    t.notOk(existsSync(join(task, 'not-yet')), 'the dangling symlink\'s target was not created');
    refused(t, r, 'mkdir -p outside', /refused write of .*outside\/a/);
    refused(t, r, 'cpSync a tree holding a denied file', `syscage: refused read of ${join(task, 'tree', 'sub', 'key.pem')}: files.deny ${task}/tree/sub/*.pem (test.yaml:11)`);
    t.notOk(existsSync(join(out, 'tree', 'sub', 'key.pem')), 'the denied file was not copied');
    refused(t, r, 'rmSync a tree holding a denied file', /refused write of .*tree/);
    t.ok(existsSync(join(task, 'tree', 'sub', 'key.pem')), 'the tree is still there');
    allowed(t, r, 'denied file still there', true);
    refused(t, r, 'rename denied', `syscage: refused write of ${env}: ${deny}`);
    refused(t, r, 'unlink denied', `syscage: refused write of ${env}: ${deny}`);
    refused(t, r, 'symlink made in a refused place', /refused write of .*new\.txt/);
    if (node!.version.startsWith('26')) refused(t, r, 'promises.glob over a refused base', `syscage: refused read of ${outside}: files.read not in files.read (test.yaml:9)`);

    // The report channel: one line per refusal, with the act, the rule and the API.
    const first = reportsFor(r, 'fs.readFileSync')[0];
    t.same(first, { act: 'open', path: env, access: 'read', pid: first?.pid, runtime: 'node', rule: { what: 'files.deny', text: env, loc: 'test.yaml:10' }, api: 'fs.readFileSync' }, 'a report line names the act, the rule and the API');
    t.type(first?.pid, 'number');
    t.ok(reportsFor(r, 'fs.promises.readFile').length >= 1, 'fs.promises reports too');
    t.ok(reportsFor(r, 'fs.readFile').length >= 1, 'callback API reports');
    t.ok(r.reports.some((x) => x.api === 'fs.writeFileSync' && 'access' in x && x.access === 'write' && x.path === join(task, 'new.txt') && x.rule.what === 'files.write'), 'a refused write is reported as a write');
    t.ok(r.reports.every((x) => x.pid === first?.pid && x.runtime === 'node'), 'every line from the handler process');
    const refusals = [...r.attempts.values()].filter((a) => a.code === 'ERR_SYSCAGE_REFUSED' || a.causeCode === 'ERR_SYSCAGE_REFUSED').length;
    t.ok(r.reports.length >= refusals, `at least one report per refusal (${r.reports.length} reports, ${refusals} refusals)`);
  });

  t.test(`${label}: processes`, { skip: skip || built }, async (t) => {
    const { task } = makeTree();
    const script = join(task, 'child.cjs');
    // fork: false: every way to start a process is refused before it starts.
    const forkless = await run(node!, 'spawn', { program: '/usr/bin/true', script, bare: 'true', path: '/usr/bin', execve: '/bin/sh' }, policyOf({ files: null, fork: false }));
    t.equal(forkless.code, 0, `ran to the end (${forkless.stderr})`);
    for (const name of ['spawn', 'spawn (named import)', 'spawn shell', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync', 'spawnSync bare name through PATH', 'raw Process handle']) {
      refused(t, forkless, name, 'syscage: refused a new process: process.fork false (test.yaml:30)');
    }
    if (node!.version.startsWith('26')) refused(t, forkless, 'process.execve', 'syscage: refused exec of /bin/sh: process.fork false (test.yaml:30)');
    const fr = forkless.reports.find((x) => x.api === 'child_process.spawn');
    t.same(fr, { act: 'fork', pid: fr?.pid, runtime: 'node', rule: { what: 'process.fork', text: 'false', loc: 'test.yaml:30' }, api: 'child_process.spawn' });
    t.ok(forkless.reports.some((x) => x.api === 'child_process.execSync'), 'execSync reports under its own name');

    // exec.allow: /usr/bin/true (and node, for fork) may run; a shell may not, nor a link to one.
    const allow = ['/usr/bin/true', realpathSync(node!.path)];
    const ex = await run(node!, 'spawn', { program: '/usr/bin/true', script, bare: 'true', path: '/usr/bin', linked: join(task, 'run'), execve: '/bin/sh' }, policyOf({ files: null, exec: allow }));
    t.equal(ex.code, 0, `ran to the end (${ex.stderr})`);
    for (const name of ['spawn', 'spawn (named import)', 'execFile', 'spawnSync', 'execFileSync', 'spawnSync bare name through PATH', 'fork']) {
      allowed(t, ex, name, 0);
    }
    // exec and execSync run a shell.
    for (const name of ['spawn shell', 'exec', 'execSync']) refused(t, ex, name, 'syscage: refused exec of /bin/sh: exec.allow not in exec.allow (test.yaml:9)');
    t.same(ex.reports.find((x) => x.api === 'child_process.execSync'), {
      act: 'exec', path: '/bin/sh', argv: ['/bin/sh', '-c', '/usr/bin/true'], pid: ex.reports[0]?.pid, runtime: 'node', rule: { what: 'exec.allow', text: 'not in exec.allow', loc: 'test.yaml:9' }, api: 'child_process.execSync',
    }, 'an exec report carries the program and its argv');
    refused(t, ex, 'raw Process handle', 'syscage: refused exec of /bin/sh: exec.allow not in exec.allow (test.yaml:9)');
    if (node!.version.startsWith('26')) refused(t, ex, 'process.execve', 'syscage: refused exec of /bin/sh: exec.allow not in exec.allow (test.yaml:9)');

    // A program in an allowed directory that is a symlink to a shell: its real path decides.
    const linked = await run(node!, 'spawn', { program: '/usr/bin/true', script, bare: 'true', path: '/usr/bin', linked: join(task, 'run') }, policyOf({ files: null, exec: [...allow, `${task}/**`] }));
    refused(t, linked, 'spawnSync a symlink to another program', new RegExp(`^syscage: refused exec of ${realpathSync('/bin/sh')} \\(through ${join(task, 'run')}\\): exec.allow not in exec.allow`));
  });

  t.test(`${label}: network`, { skip: skip || built }, async (t) => {
    // Servers that count what reaches them: a refused connect must never arrive.
    let refusedSeen = 0;
    let allowedSeen = 0;
    let alwaysSeen = 0;
    let datagrams = 0;
    const server = (count: () => void): Promise<net.Server> => new Promise((resolve) => {
      const s = http.createServer((req, res) => res.end('ok'));
      s.on('connection', count);
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const refusedServer = await server(() => { refusedSeen++; });
    const allowedServer = await server(() => { allowedSeen++; });
    const alwaysServer = await server(() => { alwaysSeen++; });
    const udp = dgram.createSocket('udp4').on('message', () => { datagrams++; });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    t.teardown(() => { refusedServer.close(); allowedServer.close(); alwaysServer.close(); udp.close(); });
    const port = (s: net.Server): number => (s.address() as AddressInfo).port;
    const p = port(refusedServer);
    const r = await run(node!, 'net', { host: '127.0.0.1', port: p, allowedPort: port(allowedServer), alwaysPort: port(alwaysServer), udpPort: udp.address().port },
      policyOf({ files: null, connect: [`127.0.0.1:${port(allowedServer)}`, '10.0.0.0/8:443'], bind: [], always: [`127.0.0.1:${port(alwaysServer)}`] }));
    t.equal(r.code, 0, `ran to the end (${r.stderr})`);
    const no = `syscage: refused connect to 127.0.0.1:${p}: network.connect not in network.connect (test.yaml:19)`;
    for (const name of ['net.connect', 'net.connect (port, host)', 'tls.connect', 'http.get', 'fetch']) refused(t, r, name, no);
    refused(t, r, 'net.connect localhost', new RegExp(`^syscage: refused connect to (127\\.0\\.0\\.1|\\[::1\\]):${p}: network.connect not in network.connect`));
    refused(t, r, 'net.connect IPv4-mapped', `syscage: refused connect to [::ffff:127.0.0.1]:${p}: network.connect not in network.connect (test.yaml:19)`);
    const udpNo = `syscage: refused send to 127.0.0.1:${udp.address().port}: network.connect not in network.connect (test.yaml:19)`;
    refused(t, r, 'dgram.send', udpNo);
    refused(t, r, 'dgram.send to a name', udpNo);
    refused(t, r, 'dgram.connect', `syscage: refused connect to 127.0.0.1:${udp.address().port}: network.connect not in network.connect (test.yaml:19)`);
    allowed(t, r, 'net.connect allowed', 'connected');
    allowed(t, r, 'http.get allowed', 200);
    allowed(t, r, 'fetch allowed', 200);
    allowed(t, r, 'net.connect always', 'connected');
    const mapped = got(t, r, 'net.connect IPv4-mapped allowed');
    if (mapped.ok || mapped.code !== 'ERR_SYSCAGE_REFUSED') t.pass(`an IPv4-mapped address is matched as IPv4 (${mapped.ok ? 'connected' : mapped.code})`);
    else t.fail(`IPv4-mapped refused: ${mapped.message}`);
    refused(t, r, 'listen', 'syscage: refused bind to 127.0.0.1:0: network.bind not in network.bind (test.yaml:19)');
    allowed(t, r, 'raw TCP handle bind', -13);
    t.ok(r.reports.some((x) => x.api === 'TCP handle bind' && x.act === 'bind'), 'a raw handle bind is reported');
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.equal(refusedServer.listening && refusedSeen, 0, 'the refused server saw no connection');
    t.equal(datagrams, 0, 'no datagram arrived');
    t.ok(allowedSeen >= 3, `the allowed server saw the allowed connections (${allowedSeen})`);
    t.equal(alwaysSeen, 1, 'the always-reachable address was reached');
    const rep = r.reports.find((x) => x.api === 'net.Socket.connect');
    t.same(rep, { act: 'connect', address: `127.0.0.1:${p}`, pid: rep?.pid, runtime: 'node', rule: { what: 'network.connect', text: 'not in network.connect', loc: 'test.yaml:19' }, api: 'net.Socket.connect' });
    t.ok(r.reports.some((x) => x.api === 'dgram.Socket.send' && x.act === 'connect'), 'dgram.send is reported as a connect act');
  });

  t.test(`${label}: native code`, { skip: skip || built || (koffi ? false : 'no .node file to load (koffi\'s)') }, async (t) => {
    const nd = join(makeTree().base, 'node');
    mkdirSync(nd, { recursive: true });
    const ok = join(nd, 'allowed.node');
    const bad = join(nd, 'refused.node');
    copyFileSync(koffi!, ok);
    copyFileSync(koffi!, bad);
    const r = await run(node!, 'native', { allowed: ok, refused: bad }, policyOf({ files: null, native: [ok] }));
    t.equal(r.code, 0, `ran to the end (${r.stderr})`);
    refused(t, r, 'dlopen refused', `syscage: refused native code ${bad}: seatbelts.native not in seatbelts.native (test.yaml:9)`);
    refused(t, r, 'require refused', `syscage: refused native code ${bad}: seatbelts.native not in seatbelts.native (test.yaml:9)`);
    allowed(t, r, 'dlopen allowed', 'object');
    allowed(t, r, 'process.dlopen is locked', true);
    const rep = r.reports.find((x) => x.api === 'process.dlopen');
    t.same(rep, { act: 'native', path: bad, pid: rep?.pid, runtime: 'node', rule: { what: 'seatbelts.native', text: 'not in seatbelts.native', loc: 'test.yaml:9' }, api: 'process.dlopen' });
  });

  t.test(`${label}: workers`, { skip: skip || built }, async (t) => {
    const { task, files } = makeTree();
    const other = join(task, 'other.mjs');
    writeFileSync(other, '');
    const r = await run(node!, 'workers', { denied: join(task, '.env'), preload: pathToFileURL(PRELOAD).href, other }, policyOf({ files }), { workers: true });
    t.equal(r.code, 0, `ran to the end (${r.stderr})`);
    refused(t, r, 'Worker with execArgv: []', 'syscage: refused a Worker without the seatbelt: seatbelts a Worker must load the seatbelt (its execArgv keeps --import of the preload)');
    refused(t, r, 'Worker through the constructor of an instance', /a Worker without the seatbelt/);
    refused(t, r, 'Worker inheriting the seatbelt reads a denied file', `syscage: refused read of ${join(task, '.env')}: files.deny ${join(task, '.env')} (test.yaml:10)`);
    refused(t, r, 'Worker whose execArgv keeps the seatbelt reads a denied file', `syscage: refused read of ${join(task, '.env')}: files.deny ${join(task, '.env')} (test.yaml:10)`);
    refused(t, r, 'Worker whose execArgv preloads something first', /a Worker without the seatbelt/);
    t.ok(r.reports.some((x) => x.act === 'other' && x.api === 'worker_threads.Worker'), 'the Worker escape is reported');
    t.ok(r.reports.some((x) => x.act === 'open' && x.api === 'fs.readFileSync'), 'the worker thread reports on the same channel');
  });

  t.test(`${label}: process.binding, the inspector, WASI`, { skip: skip || built }, async (t) => {
    const r = await run(node!, 'binding', {}, policyOf({ files: makeTree().files }));
    t.equal(r.code, 0, `ran to the end (${said(r)})`);
    refused(t, r, 'process.binding', "syscage: refused process.binding('fs'): seatbelts process.binding is never allowed");
    t.ok(r.reports.some((x) => x.act === 'other' && x.api === 'process.binding'));
    refused(t, r, 'process._debugProcess', 'syscage: refused starting the inspector: seatbelts the inspector is never allowed');
    if (node!.version.startsWith('26')) {
      // The permission model refuses these itself (no --allow-inspector, no --allow-wasi).
      t.equal(got(t, r, 'inspector session').code, 'ERR_ACCESS_DENIED');
      t.equal(got(t, r, 'WASI with the root preopened').code, 'ERR_ACCESS_DENIED');
    } else {
      refused(t, r, 'inspector session', 'syscage: refused an inspector session: seatbelts the inspector is never allowed');
      refused(t, r, 'WASI with the root preopened', 'syscage: refused a WASI instance: seatbelts WASI is never allowed');
    }
  });

  t.test(`${label}: the seatbelt's intrinsics are its own`, { skip: skip || built }, async (t) => {
    const { task, files } = makeTree();
    const r = await run(node!, 'tamper', { denied: join(task, '.env') }, policyOf({ files }));
    refused(t, r, 'read denied after poisoning', `syscage: refused read of ${join(task, '.env')}: files.deny ${join(task, '.env')} (test.yaml:10)`);
    const rep = r.reports.find((x) => x.api === 'fs.readFileSync');
    t.equal(rep && 'path' in rep ? rep.path : undefined, join(task, '.env'), 'the report is whole (JSON.stringify, toJSON poisoned)');
  });

  t.test(`${label}: mode: audit reports and lets it happen`, { skip: skip || built }, async (t) => {
    const { base, task, outside, files, args } = makeTree();
    const r = await run(node!, 'files', args, policyOf({ enforce: false, files }), { cwd: base });
    t.equal(r.code, 0, `ran to the end (${r.stderr})`);
    allowed(t, r, 'read denied (named import)', 'SECRET=1');
    allowed(t, r, 'read outside', 'other');
    t.ok(r.reports.some((x) => x.act === 'open' && x.path === join(task, '.env') && x.rule.what === 'files.deny'), 'the denied read was reported');
    t.ok(r.reports.some((x) => x.act === 'open' && x.path === join(outside, 'other.txt')), 'the read outside the grants was reported');
    const keys = r.reports.filter((x) => x.act === 'open').map((x) => `${'path' in x ? x.path : ''} ${'access' in x ? x.access : ''}`);
    t.equal(new Set(keys).size, keys.length, 'each distinct act reported once');
  });

  t.test(`${label}: a missing or malformed policy fails closed`, { skip: skip || built }, async (t) => {
    const bad = await run(node!, 'noop', {}, '{"version": 1, "enforce": true');
    t.not(bad.code, 0, 'the process exits non-zero');
    t.equal(bad.attempts.size, 0, 'the handler never ran');
    t.match(said(bad), /^syscage: seatbelt: SYSCAGE_SEATBELT_POLICY is not valid JSON: [^\n]*$/, 'one clear line');
    const wrong = await run(node!, 'noop', {}, JSON.stringify({ ...policyOf({}), fork: { allowed: 'yes' } }));
    t.not(wrong.code, 0);
    t.equal(said(wrong), 'syscage: seatbelt: policy: fork must be {allowed: boolean, rule}');
    const badRe = await run(node!, 'noop', {}, JSON.stringify({ ...policyOf({}), native: { entries: [{ what: 'seatbelts.native', re: '(' }], missing: { what: 'x' } } }));
    t.not(badRe.code, 0);
    t.match(said(badRe), /^syscage: seatbelt: policy: native\.entries\[0\]\.re is not a regular expression/);
    const fine = await run(node!, 'noop', {}, policyOf({ files: makeTree().files }));
    t.equal(fine.code, 0, `a valid policy runs (${fine.stderr})`);
    allowed(t, fine, 'noop', 'ran');
  });
}

// The policy as the bootstrap makes it: the shipped lambda-nodejs profile, extended, compiled by
// seatbeltPolicy (lib/seatbelt/policy.ts). The preload must take it as it comes.
t.test('a policy compiled from a real profile', { skip: built }, async (t) => {
  const { base, task, files, args } = makeTree();
  const yaml = join(base, 'syscage.yaml');
  writeFileSync(yaml, [
    'version: 1',
    'extends: [lambda-nodejs]',
    'files:',
    `  read: [${files.read.map((g) => JSON.stringify(g)).join(', ')}]`,
    `  write: [${files.write.map((g) => JSON.stringify(g)).join(', ')}]`,
    `  deny: [${JSON.stringify(`${task}/.env`)}]`,
  ].join('\n') + '\n');
  const policy = seatbeltPolicy(loadProfile(yaml).profile, { always: ['127.0.0.1:9001'] });
  for (const node of [node20, node26]) {
    if (!node) continue;
    const r = await run(node, 'files', args, policy, { cwd: base });
    t.equal(r.code, 0, `${node.label}: ran (${said(r)})`);
    allowed(t, r, 'read allowed', 'fine');
    refused(t, r, 'read denied (named import)', new RegExp(`^syscage: refused read of ${join(task, '.env')}: files.deny ${join(task, '.env')} \\(.*syscage\\.yaml:\\d+:\\d+\\)$`));
    const p = await run(node, 'spawn', { program: '/usr/bin/true', script: join(task, 'child.cjs'), bare: 'true', path: '/usr/bin' }, policy, { cwd: base });
    refused(t, p, 'spawnSync', /^syscage: refused a new process: process.fork false \(.*lambda-nodejs\.yaml:\d+:\d+\)$/);
  }
});

// ---- host-name rules (network.connect 'host' entries) ----
// Each run has a network namespace of its own (unshare --net --mount): an /etc/hosts naming
// allowed.test 127.0.0.2 and other.test 127.0.0.3, an /etc/resolv.conf naming 127.0.0.53, and
// only the loopback interface. The stand-in (fixtures-node-hosts/hosts.mjs) starts the listeners
// and a DNS server that records every query itself, so "no DNS packet" can be counted.
const HOSTS = join(root, 'test', 'seatbelt', 'fixtures-node-hosts', 'hosts.mjs');
const namespaces = ((): string | false => {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  const r = spawnSync('unshare', ['--net', '--mount', '--', '/bin/sh', '-c', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin; ip link set lo up && mount --bind /dev/null /dev/null'], { encoding: 'utf8' });
  if (r.error) return `unshare cannot be run here: ${r.error.message}`;
  if (r.status !== 0) return `unshare --net --mount (with ip link and mount --bind) is not permitted here: ${(r.stderr || `status ${r.status}`).trim().split('\n').pop()}`;
  return false;
})();

const host = (text: string, re: string, portLo: number, portHi: number, loc: string): PolicyAddress => ({ what: 'network.connect', text, loc, kind: 'host', re, portLo, portHi });
const LISTENERS = ['127.0.0.2:8443', '127.0.0.2:9999', '127.0.0.3:8443', '127.0.0.3:9000', '127.0.0.4:8443', '127.0.0.53:53'];
function hostPolicy(o: { enforce?: boolean; hosts?: boolean } = {}): SeatbeltPolicy {
  // 127.0.0.1: the stand-in's DNS server answers the resolvers' queries from there.
  const p = policyOf({ enforce: o.enforce ?? true, files: null, connect: ['127.0.0.1:1024-65535'], bind: LISTENERS });
  const connect = p.network!.connect;
  const hosts = o.hosts === false ? [] : [
    host('allowed.test:8443', '^(?:allowed\\.test)$', 8443, 8443, 'p.yaml:7:5'),
    host('other.test:9000', '^(?:other\\.test)$', 9000, 9000, 'p.yaml:8:5'),
  ];
  return { ...p, network: { ...p.network!, connect: { ...connect, entries: [...hosts, ...connect.entries] } } };
}

type Line = SeatbeltReport | SeatbeltBinding;
interface HostRan { code: number | null; attempts: Map<string, Attempt & { errno?: number; syscall?: string; hostname?: string }>; lines: Line[]; stderr: string; stdout: string }

function runHosts(node: Node, scenario: string, policy: SeatbeltPolicy): Promise<HostRan> {
  const hostsFile = join(dir, `hosts-${trees}`);
  const resolvFile = join(dir, `resolv-${trees++}`);
  writeFileSync(hostsFile, '127.0.0.1 localhost\n127.0.0.2 allowed.test\n127.0.0.3 other.test\n');
  writeFileSync(resolvFile, 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n');
  const flags = nodeFlags(policy, node.version, { preload: PRELOAD, readable: [join(root, 'test', 'seatbelt', 'fixtures-node-hosts')] });
  // Positional parameters: $1 hosts, $2 resolv.conf, $3 NODE_OPTIONS, $4 the policy, $5 node, $6 the stand-in, $7 the scenario.
  const script = [
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'set -e',
    'mount --bind "$1" /etc/hosts',
    'mount --bind "$2" /etc/resolv.conf',
    'ip link set lo up',
    'exec /usr/bin/env -i PATH=/usr/bin:/bin "NODE_OPTIONS=$3" "SYSCAGE_SEATBELT_POLICY=$4" SYSCAGE_SEATBELT_FD=3 "$5" "$6" "$7"',
  ].join('\n');
  const child = spawn('unshare', ['--net', '--mount', '--', '/bin/sh', '-c', script, 'sh', hostsFile, resolvFile, flags.flags.join(' '), JSON.stringify(policy), node.path, HOSTS, scenario], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], cwd: dir,
  });
  return collect(child, `${scenario} on ${node.label}`) as Promise<HostRan>;
}

t.test('host rules', { skip: built || namespaces }, async (t) => {
  const missing = { what: 'network.connect', text: 'not in network.connect', loc: 'test.yaml:19' };
  const allowedRule = { what: 'network.connect', text: 'allowed.test:8443', loc: 'p.yaml:7:5' };
  const notFound = (t: Test, r: HostRan, name: string, message: string | RegExp, syscall = 'getaddrinfo', hostname = 'evil.test'): void => {
    const a = got(t, r as unknown as Ran, name) as Attempt & { errno?: number; syscall?: string; hostname?: string };
    t.equal(a.ok, false, `${name}: refused`);
    const viaCause = a.causeCode !== undefined;
    t.equal(viaCause ? a.causeCode : a.code, 'ENOTFOUND', `${name}: ENOTFOUND (got ${a.code} ${a.message})`);
    const msg = viaCause ? a.causeMessage : a.message;
    if (typeof message === 'string') t.equal(msg, message, `${name}: message`);
    else t.match(msg, message, `${name}: message`);
    t.equal(a.syscall, syscall, `${name}: syscall`);
    t.equal(a.errno, syscall === 'getaddrinfo' ? -3008 : undefined, `${name}: errno`);
    t.equal(a.hostname, hostname, `${name}: hostname`);
  };
  const refusedLookup = (name: string, port?: number): string =>
    `syscage: refused lookup of ${name}${port === undefined ? '' : ` for port ${port}`}: network.connect not in network.connect (test.yaml:19)`;

  for (const { node, skip } of nodes) {
    t.test(node?.label ?? 'node 26', { skip }, async (t) => {
      const r = await runHosts(node!, 'enforce', hostPolicy());
      t.equal(r.code, 0, `ran to the end (${said(r as unknown as Ran)})`);
      const ran = r as unknown as Ran;
      const reports = r.lines.filter((l): l is SeatbeltReport => l.act !== 'resolved');
      const bound = r.lines.filter((l): l is SeatbeltBinding => l.act === 'resolved');

      // An allowed name.
      allowed(t, ran, 'lookup allowed.test', '127.0.0.2');
      allowed(t, ran, 'lookup ALLOWED.Test (normalised)', '127.0.0.2');
      allowed(t, ran, 'named import lookup allowed.test', '127.0.0.2');
      allowed(t, ran, 'net.connect allowed.test:8443', 'connected');
      allowed(t, ran, 'http.get allowed.test:8443', 200);
      allowed(t, ran, 'fetch allowed.test:8443', 200);
      allowed(t, ran, 'net.connect 127.0.0.2:8443 by number', 'connected');
      notFound(t, r, 'net.connect allowed.test:9999', refusedLookup('allowed.test', 9999), 'getaddrinfo', 'allowed.test');
      refused(t, ran, 'net.connect 127.0.0.2:9999 by number', 'syscage: refused connect to 127.0.0.2:9999 (resolved from allowed.test): network.connect not in network.connect (test.yaml:19)');
      t.same(bound.find((b) => b.api === 'dns.lookup'), { act: 'resolved', name: 'allowed.test', addresses: ['127.0.0.2'], pid: bound[0]?.pid, runtime: 'node', rule: allowedRule, api: 'dns.lookup' }, 'a lookup of an allowed name writes a binding line');
      t.type(bound[0]?.pid, 'number');
      t.same(bound.find((b) => b.api === 'net.Socket.connect'), { act: 'resolved', name: 'allowed.test', addresses: ['127.0.0.2'], pid: bound[0]?.pid, runtime: 'node', rule: allowedRule, api: 'net.Socket.connect' }, 'so does the lookup of a connect');
      t.notOk(reports.some((x) => x.act === 'resolve' && x.name === 'allowed.test' && x.api === 'dns.lookup'), 'a bare lookup of an allowed name is not reported');

      // Names no entry allows.
      for (const name of ['lookup evil.test', 'lookup evil.test (all)', 'promises.lookup evil.test', 'dns.promises.lookup evil.test']) notFound(t, r, name, refusedLookup('evil.test'));
      notFound(t, r, 'lookup localhost', refusedLookup('localhost'), 'getaddrinfo', 'localhost');
      notFound(t, r, 'net.connect localhost', refusedLookup('localhost', 8443), 'getaddrinfo', 'localhost');
      allowed(t, ran, 'lookup a numeric host', '192.0.2.10');
      const evil = reports.find((x) => x.act === 'resolve' && x.api === 'dns.lookup');
      t.same(evil, { act: 'resolve', name: 'evil.test', pid: evil?.pid, runtime: 'node', rule: missing, api: 'dns.lookup' }, 'a refused lookup is reported with the rule');
      t.ok(reports.some((x) => x.act === 'resolve' && x.name === 'evil.test' && x.api === 'dns.promises.lookup'), 'dns.promises.lookup reports');
      t.ok(reports.some((x) => x.act === 'resolve' && x.name === 'allowed.test' && x.api === 'net.Socket.connect'), 'a connect to an allowed name on another port reports the name');

      // An address bound to a name for another port.
      allowed(t, ran, 'net.connect other.test:9000', 'connected');
      refused(t, ran, 'net.connect 127.0.0.3:8443 by number', 'syscage: refused connect to 127.0.0.3:8443 (resolved from other.test): network.connect not in network.connect (test.yaml:19)');
      const other = reports.find((x) => x.act === 'connect' && x.address === '127.0.0.3:8443');
      t.same(other, { act: 'connect', address: '127.0.0.3:8443', resolvedFrom: ['other.test'], pid: other?.pid, runtime: 'node', rule: missing, api: 'net.Socket.connect' }, 'the report names what the address was resolved from');
      notFound(t, r, 'net.connect other.test:8443', refusedLookup('other.test', 8443), 'getaddrinfo', 'other.test');

      // Implicit lookups: clients see a name that does not exist.
      notFound(t, r, 'fetch evil.test:8443', refusedLookup('evil.test', 8443));
      notFound(t, r, 'http.get evil.test:8443', refusedLookup('evil.test', 8443));
      notFound(t, r, 'tls.connect evil.test:8443', refusedLookup('evil.test', 8443));
      notFound(t, r, 'dgram.send evil.test', refusedLookup('evil.test', 8443));
      notFound(t, r, 'dgram.connect evil.test', refusedLookup('evil.test', 8443));
      allowed(t, ran, 'dgram.send allowed.test:8443', 'sent');
      notFound(t, r, 'dgram.send allowed.test:9999', refusedLookup('allowed.test', 9999), 'getaddrinfo', 'allowed.test');
      t.ok(reports.some((x) => x.act === 'resolve' && x.api === 'dgram.Socket.send'), 'dgram reports a refused name');

      // The handler's own lookup is not believed; one through dns.lookup is.
      refused(t, ran, 'net.connect allowed.test with a lookup that lies', 'syscage: refused connect to 127.0.0.4:8443: network.connect not in network.connect (test.yaml:19)');
      allowed(t, ran, 'net.connect allowed.test with a lookup through dns.lookup', 'connected');

      // Resolvers: refused before a query is sent.
      notFound(t, r, 'module resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'module promises.resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'resolve4 evil.test with options', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'resolve evil.test ANY', refusedLookup('evil.test'), 'queryAny');
      notFound(t, r, 'resolve6 evil.test', refusedLookup('evil.test'), 'queryAaaa');
      notFound(t, r, 'resolveAny evil.test', refusedLookup('evil.test'), 'queryAny');
      notFound(t, r, 'resolveCname evil.test', refusedLookup('evil.test'), 'queryCname');
      notFound(t, r, 'resolveTxt evil.test', refusedLookup('evil.test'), 'queryTxt');
      notFound(t, r, 'Resolver.resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'Resolver.resolve evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'promises.resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'promises.Resolver.resolve4 evil.test', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'promises.Resolver.resolve evil.test TXT', refusedLookup('evil.test'), 'queryTxt');
      allowed(t, ran, 'raw channel queryA evil.test', -3008);
      notFound(t, r, 'resolve4 a scoped address', refusedLookup('fe80::1%secret.evil.test'), 'queryA', 'fe80::1%secret.evil.test');
      notFound(t, r, 'lookup a scoped address', refusedLookup('fe80::1%secret.evil.test'), 'getaddrinfo', 'fe80::1%secret.evil.test');
      notFound(t, r, 'resolve4 a numeric host', refusedLookup('192.0.2.10'), 'queryA', '192.0.2.10');
      notFound(t, r, 'resolve4 evil.test with RegExp poisoned', refusedLookup('evil.test'), 'queryA');
      notFound(t, r, 'lookup evil.test with RegExp poisoned', refusedLookup('evil.test'));
      t.ok(reports.some((x) => x.act === 'resolve' && x.api === 'ChannelWrap queryA'), 'the c-ares channel refuses a name that got there unchecked');
      for (const api of ['dns.resolve4', 'dns.Resolver.resolve4', 'dns.promises.resolve4', 'dns.promises.Resolver.resolve4', 'dns.promises.Resolver.resolve']) {
        t.ok(reports.some((x) => x.act === 'resolve' && x.name === 'evil.test' && x.api === api), `${api} reports`);
      }
      allowed(t, ran, 'DNS queries for refused names', []);

      // An allowed name through a resolver binds what it returns.
      refused(t, ran, 'net.connect 127.0.0.4:8443 before resolve4', 'syscage: refused connect to 127.0.0.4:8443: network.connect not in network.connect (test.yaml:19)');
      allowed(t, ran, 'promises.Resolver.resolve4 allowed.test', ['127.0.0.4']);
      allowed(t, ran, 'net.connect 127.0.0.4:8443 after resolve4', 'connected');
      allowed(t, ran, 'resolve4 Allowed.Test. (callback, normalised)', ['127.0.0.4']);
      allowed(t, ran, 'DNS queries', ['A allowed.test', 'A allowed.test']);
      t.same(bound.find((b) => b.api === 'dns.promises.Resolver.resolve4'), { act: 'resolved', name: 'allowed.test', addresses: ['127.0.0.4'], pid: bound[0]?.pid, runtime: 'node', rule: allowedRule, api: 'dns.promises.Resolver.resolve4' });
      // (after dns.setServers, dns.resolve4 is the Resolver prototype's method, bound again)
      t.ok(bound.some((b) => b.api === 'dns.Resolver.resolve4' && b.addresses.join() === '127.0.0.4'), 'the callback resolver writes a binding line too');

      // What reached the listeners: the allowed connections, nothing refused.
      const c = got(t, ran, 'connections').value as Record<string, number>;
      t.ok(c['127.0.0.2:8443']! >= 5, `allowed.test:8443 was reached (${c['127.0.0.2:8443']})`);
      t.equal(c['127.0.0.2:9999'], 0, 'nothing reached allowed.test\'s address on 9999');
      t.equal(c['127.0.0.3:8443'], 0, 'nothing reached other.test\'s address on 8443');
      t.equal(c['127.0.0.3:9000'], 1, 'other.test:9000 was reached');
      t.equal(c['127.0.0.4:8443'], 1, 'the lying lookup\'s address was reached only after a real answer bound it');
      t.ok(bound.every((b) => b.name !== 'evil.test') && reports.every((x) => x.runtime === 'node'), 'nothing bound for a refused name');

      // mode: audit: nothing refused, each would-be refusal reported once.
      const a = await runHosts(node!, 'audit', hostPolicy({ enforce: false }));
      t.equal(a.code, 0, `audit: ran to the end (${said(a as unknown as Ran)})`);
      const aran = a as unknown as Ran;
      const lookedUp = got(t, aran, 'lookup evil.test');
      t.equal(lookedUp.code, 'ENOTFOUND', 'audit: the lookup went out and failed as Node\'s own');
      t.match(lookedUp.message, /^getaddrinfo ENOTFOUND evil\.test/);
      t.match(got(t, aran, 'resolve4 evil.test').message, /^queryA ENOTFOUND evil\.test/);
      allowed(t, aran, 'lookup other.test', '127.0.0.3');
      allowed(t, aran, 'net.connect 127.0.0.3:8443 by number', 'connected');
      t.ok((got(t, aran, 'DNS queries').value as string[]).includes('A evil.test'), 'audit: the query was sent');
      const ar = a.lines.filter((l): l is SeatbeltReport => l.act !== 'resolved');
      t.equal(ar.filter((x) => x.act === 'resolve' && x.name === 'evil.test').length, 1, 'audit: the name is reported once');
      t.ok(ar.some((x) => x.act === 'connect' && x.address === '127.0.0.3:8443' && 'resolvedFrom' in x), 'audit: the unbound port is reported');
      t.ok(a.lines.some((l) => l.act === 'resolved' && l.name === 'other.test'), 'audit: an allowed name still writes its binding');

      // No 'host' entry: names are not governed.
      const u = await runHosts(node!, 'ungoverned', hostPolicy({ hosts: false }));
      t.equal(u.code, 0, `ungoverned: ran to the end (${said(u as unknown as Ran)})`);
      t.match(got(t, u as unknown as Ran, 'lookup evil.test').message, /^getaddrinfo ENOTFOUND evil\.test/);
      allowed(t, u as unknown as Ran, 'lookup other.test', '127.0.0.3');
      t.same(u.lines, [], 'ungoverned: nothing on the channel');
    });
  }
});
