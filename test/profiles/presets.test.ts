// The presets for `extends` — no-network, no-subprocess, readonly-task — each
// under `syscage run` (the real CLI, in a child process) in a profile that
// extends the preset and allows everything else (`default: allow`): what the
// preset is for is refused and reported; what it leaves alone still works.
// The workloads are Python one-liners that print what happened from inside.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
const python = '/usr/bin/python3';
const skip = existsSync(python) ? false : `${python} is not installed`;
const dir = mkdtempSync(join(tmpdir(), 'syscage-presets-'));
// tap's loaders must not follow the real binary.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS')));

interface Event { syscall: string; decision: string; enforced: boolean; errno?: string; path?: string; address?: string; rule?: { what: string; at?: string } }

function profile(preset: string): string {
  const p = join(dir, `${preset}-all.yaml`);
  writeFileSync(p, `version: 1\nname: ${preset}-all\nextends: [${preset}]\ndefault: allow\n`);
  return p;
}

/** `syscage run --profile P -- python3 -c CODE`: stdout lines, the audit events, the status. */
function run(preset: string, code: string): Promise<{ status: number; out: string[]; events: Event[]; stderr: string }> {
  return new Promise((resolve) => {
    execFile('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), 'run', '--profile', profile(preset), '--', python, '-c', code],
      { env, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
        // On a pipe an event may follow a line the command began (lib/audit/sink.ts): the object that ends its line.
        const events = stderr.split('\n').filter((l) => l.includes('{"time":')).map((l) => JSON.parse(l.slice(l.indexOf('{"time":'))) as Event);
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout.trim().split('\n'), events, stderr });
      });
  });
}

t.test('no-network: a connect is refused and reported; the same connect works without the preset', { skip }, async (t) => {
  let accepted = 0;
  const server = createServer((s) => { accepted++; s.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => { server.close(); });
  const code = `import socket, errno
s = socket.socket()
try:
    s.connect(("127.0.0.1", ${port})); print("connected")
except OSError as e:
    print("refused", errno.errorcode[e.errno])`;
  const r = await run('no-network', code);
  t.equal(r.status, 0, 'the program itself carries on', { stderr: r.stderr });
  t.same(r.out, ['refused EPERM'], 'connect fails with EPERM inside');
  const ev = r.events.filter((e) => e.syscall === 'connect');
  t.equal(ev.length, 1, 'one event');
  t.match(ev[0], { decision: 'deny', enforced: true, address: `127.0.0.1:${port}`, rule: { what: 'network.connect' } }, 'naming the address and the rule');
  t.match(ev[0]?.rule?.at, /no-network\.yaml:\d+:\d+/, 'in the preset, file:line:col');
  t.equal(accepted, 0, 'the server never saw a connection');

  const control = join(dir, 'allow-all.yaml');
  writeFileSync(control, 'version: 1\nname: allow-all\ndefault: allow\n');
  const c = await new Promise<string>((resolve) => execFile('env', ['-u', 'NODE_OPTIONS', process.execPath, join(root, 'bin', 'syscage'), 'run', '--profile', control, '--', python, '-c', code],
    { env, encoding: 'utf8', timeout: 30_000 }, (_e, stdout) => resolve(stdout.trim())));
  t.equal(c, 'connected', 'without the preset the same connect succeeds');
});

t.test('no-subprocess: fork and exec are refused and reported; threads still work', { skip }, async (t) => {
  const r = await run('no-subprocess', `import os, errno, threading, subprocess
def attempt(what, f):
    try: f(); print(what, "ok")
    except OSError as e: print(what, "refused", errno.errorcode[e.errno])
def fork():
    if os.fork() == 0: os._exit(0)
    os.wait()
attempt("fork", fork)
attempt("exec", lambda: os.execv("/bin/true", ["/bin/true"]))
attempt("subprocess", lambda: subprocess.run(["/bin/true"]))
th = threading.Thread(target=lambda: print("thread ran")); th.start(); th.join()`);
  t.equal(r.status, 0, { stderr: r.stderr });
  t.same(r.out, ['fork refused EPERM', 'exec refused EPERM', 'subprocess refused EPERM', 'thread ran']);
  t.ok(r.events.some((e) => (e.syscall === 'clone' || e.syscall === 'fork' || e.syscall === 'vfork') && e.decision === 'deny' && e.rule?.what === 'process.fork'), 'the fork reported, rule process.fork');
  t.ok(r.events.some((e) => e.syscall === 'execve' && e.decision === 'deny' && e.path === '/bin/true' && e.rule?.what === 'exec.allow'), 'the exec reported, rule exec.allow');
  t.notOk(r.events.some((e) => e.decision !== 'deny'), 'nothing killed');
});

t.test('readonly-task: a write outside /tmp is refused and reported; a write in /tmp works', { skip }, async (t) => {
  const outside = mkdtempSync('/var/tmp/syscage-readonly-');   // writable for us, outside /tmp
  const inside = mkdtempSync('/tmp/syscage-readonly-');
  t.teardown(() => { /* leave them: tiny, and useful when the test fails */ });
  const r = await run('readonly-task', `import errno
def attempt(what, path):
    try:
        with open(path, "w") as f: f.write("written")
        print(what, "ok")
    except OSError as e: print(what, "refused", errno.errorcode[e.errno])
attempt("outside", ${JSON.stringify(join(outside, 'x.txt'))})
attempt("inside", ${JSON.stringify(join(inside, 'x.txt'))})
print(open("/etc/hostname").read() != "")`);
  t.equal(r.status, 0, { stderr: r.stderr });
  t.same(r.out, ['outside refused EPERM', 'inside ok', 'True'], 'refused outside, written in /tmp, reads anywhere');
  t.notOk(existsSync(join(outside, 'x.txt')), 'nothing created outside /tmp');
  t.equal(readFileSync(join(inside, 'x.txt'), 'utf8'), 'written', 'the /tmp file has its content');
  const ev = r.events.filter((e) => e.decision === 'deny');
  t.equal(ev.length, 1, 'one refusal');
  t.match(ev[0], { syscall: 'openat', path: join(outside, 'x.txt'), rule: { what: 'files.write' } });
});
