// BPF-only mode, for real: syscage run inside syscage run, where the outer
// profile refuses ptrace — what a platform that forbids ptrace looks like to
// the inner one. The inner must say so once, keep enforcing what the kernel
// decides, and fail closed on what only a tracer could check.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
const bin = join(root, 'bin', 'syscage');
const dir = mkdtempSync(join(tmpdir(), 'syscage-bpfonly-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
// tap's loaders must not follow the real binary.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS')));

const outer = file('outer.yaml', 'version: 1\ndefault: allow\nsyscalls:\n  allow: [seccomp]\n  deny: [ptrace]\n');

function nested(inner: string, ...cmd: string[]) {
  const r = spawnSync(process.execPath, [bin, 'run', '--profile', outer, '--log', join(dir, 'outer.log'), '--',
    process.execPath, bin, 'run', '--profile', inner, '--', ...cmd], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

t.test('in-kernel rules still hold, checked rules fall back to deny, announced once', { skip: existsSync(join(root, 'dist', 'lib', 'cli', 'main.js')) ? false : 'run npm run build first' }, async (t) => {
  const inner = file('inner.yaml', [
    'version: 1',
    'default: allow',
    'errno: EXDEV',
    'syscalls:',
    '  deny: [getpriority]',
    'network:',
    '  connect: ["127.0.0.1:1"]',
  ].join('\n') + '\n');
  const r = nested(inner, 'python3', '-c', [
    'import os, socket, errno',
    'try: os.getpriority(os.PRIO_PROCESS, 0); print("getpriority ok")',
    'except OSError as e: print("getpriority", errno.errorcode[e.errno])',
    's = socket.socket()',
    'try: s.connect(("127.0.0.1", 1)); print("connect ok")',
    'except OSError as e: print("connect", errno.errorcode[e.errno])',
  ].join('\n'));
  t.equal(r.err.match(/BPF-only mode/g)?.length, 1, 'the mode is announced once', { stderr: r.err, stdout: r.out });
  t.match(r.out, /^getpriority EXDEV$/m, 'syscalls.deny is enforced by the filter, with the profile\'s errno', { stderr: r.err });
  t.match(r.out, /^connect EXDEV$/m, 'a connect the network section would check is refused: no tracer to check it');
  t.equal(r.status, 0);
});

t.test('a profile with exec rules cannot start without a tracer: one clear line, exit 71', async (t) => {
  const inner = file('exec.yaml', 'version: 1\ndefault: allow\nexec:\n  allow: [/bin/*]\n');
  const r = nested(inner, '/bin/true');
  t.equal(r.status, 71);
  t.match(r.err, /^syscage: the profile exec needs the kernel tier \(the bpf tier cannot start a profile with an exec section, and weakest_tier: bpf \(the default\) accepts nothing weaker\), and this platform refuses it: ptrace\.seize: PTRACE_SEIZE of a child is refused \(EPERM\)/m);
  t.equal(r.err.trim().split('\n').filter((l) => !/checked calls/.test(l)).length, 1, 'one line (besides the outer run\'s summary)', { stderr: r.err });
  t.notMatch(r.err, /launch failed/, 'the stage-2 that was waiting is gone quietly');
});
