// Round trip of a real python3 program (json, os; reads and writes files in
// its directory): record, check, replay with the same output and zero audit
// lines; variants that read a secret or start another program are refused
// and reported.
import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bare, fixture, needsPython, onlyTheExtra, profileOf, readText, sameAsBare, seen, syscage, tempDir, workspace, type Ran,
} from '../fixtures/record-run/harness.js';

if (needsPython.skip) {
  t.plan(0, needsPython.skip);
} else {
  const { home, work, secretDir, dirs: { out, data } } = workspace(t, 'py', ['out', 'data'], { secret: true });
  writeFileSync(join(data, 'in.json'), JSON.stringify({ values: [1, 2, 3, 4] }) + '\n');
  writeFileSync(join(data, 'extra.json'), '{}\n');
  const secret = join(secretDir, 'id_rsa');
  writeFileSync(secret, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
  const script = fixture('work.py', work);
  const o = { home, cwd: work };
  const cmd = ['python3', script, data];
  const profile = join(out, 'python.yaml');
  /** Every run starts from the same files: out.json is the workload's output. */
  const fresh = () => rmSync(join(data, 'out.json'), { force: true });

  let native!: Ran;

  t.test('record', async (t) => {
    fresh();
    native = await bare(cmd, o);
    t.equal(native.status, 0, 'the workload runs unsandboxed', seen(native));
    t.equal(native.stdout, '{"inputs": ["extra.json", "in.json"], "sum": 10, "values": [1, 2, 3, 4]}\n', 'and does its work', seen(native));
    fresh();
    const r = await syscage(['record', '-o', profile, '--', ...cmd], o);
    t.equal(r.status, 0, 'syscage record exits with the command\'s status', seen(r));
    t.equal(r.stdout, native.stdout, 'the recorded run does the same work', seen(r));
    const { doc, matchers } = profileOf(profile);
    t.equal(doc['name'], 'python3', 'named after the command');
    t.ok(matchers.files?.readable.test(join(data, 'in.json')), 'allows reading in.json');
    t.ok(matchers.files?.write.test(join(data, 'out.json')), 'allows writing out.json');
    t.notOk(matchers.files?.write.test(join(data, 'in.json')), 'but not writing in.json');
    t.notOk(matchers.files?.readable.test(secret), 'does not allow the secret');
    const machineHome = process.env['HOME'];
    if (machineHome && machineHome !== '/') t.notOk(readText(profile).includes(machineHome + '/'), `nothing under the machine's home (${machineHome})`);
    // Python looks for ~/.local/lib/python3.X/site-packages in the temporary HOME; it is not there: a
    // miss, which a profile need not grant (it is hidden at replay) and the recording leaves out.
    t.notOk(readText(profile).includes(home), 'the miss in the temporary HOME (~/.local) is left out');
    t.equal(doc['process']?.fork, false, 'python created no process: fork: false');
  });

  t.test('check', async (t) => {
    const r = await syscage(['check', profile], o);
    t.equal(r.status, 0, 'syscage check exits 0', seen(r));
  });

  t.test('replay: same output, zero audit lines', async (t) => {
    fresh();
    const before = await bare(cmd, o);
    const log = join(out, 'replay.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd], o);
    sameAsBare(t, r, before, readText(log));
  });

  t.test('variant (i): reads a secret outside what was recorded', async (t) => {
    const log = join(out, 'secret.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd, '--secret', secret], o);
    t.equal(r.status, 0, 'the script goes on (it reports the refusal itself)', seen(r));
    t.match(r.stdout, /^secret: refused EPERM$/m, 'refused from the inside with EPERM', seen(r));
    onlyTheExtra(t, r, readText(log), { syscall: ['openat', 'open'], path: secret, errno: 'EPERM', rule: 'files.read' });
  });

  t.test('variant (ii): starts another program (os.execv /usr/bin/id)', async (t) => {
    const log = join(out, 'exec.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd, '--exec', '/usr/bin/id'], o);
    t.equal(r.status, 0, 'the script goes on', seen(r));
    t.match(r.stdout, /^exec: refused E[A-Z]+$/m, 'refused from the inside', seen(r));
    t.notMatch(r.stdout, /uid=/, 'id never ran', seen(r));
    const e = onlyTheExtra(t, r, readText(log), { syscall: 'execve' });
    // The recording saw no execve (only syscage's launch of python), so execve is not allowed at all:
    // the refusal is the syscall list's, and the event does not decode the program.
    const names = e?.path === '/usr/bin/id' || (e?.argv ?? []).includes('/usr/bin/id');
    t.ok(names, 'the event names the program /usr/bin/id', {
      event: e,
      // The supervisor sees every refusal (SECCOMP_RET_TRACE) and could decode the program, as it does for exec.allow refusals.
      todo: names ? false : 'GAP run/undecoded-refusal: an execve refused by the syscall lists (default: deny, ENOSYS) is reported without its path or argv',
    });
  });
}
