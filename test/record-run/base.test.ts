// `syscage record --base nodejs`: the recorded profile extends nodejs and
// lists only what nodejs does not already allow; it replays the node workload
// with zero denials.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  allowedSyscalls, bare, fixture, httpServer, needsNode, NODE, profileOf, readText, ROOT, sameAsBare, seen, syscage, tempDir, workspace, type Ran,
} from '../fixtures/record-run/harness.js';

if (needsNode.skip) {
  t.plan(0, needsNode.skip);
} else {
  const { home, work, dirs: { out, data } } = workspace(t, 'base', ['out', 'data']);
  writeFileSync(join(data, 'x.txt'), 'x-ray\n');
  const client = fixture('client.mjs', work);
  const server = await httpServer(t);
  const o = { home, cwd: work };
  const cmd = [NODE, client, data, String(server.port)];
  const NODEJS = join(ROOT, 'profiles', 'nodejs.yaml');
  const nodejsAllows = new Set(allowedSyscalls(parse(readFileSync(NODEJS, 'utf8')) as Record<string, unknown>));

  let native!: Ran;
  t.before(async () => {
    native = await bare(cmd, o);
  });

  /** What a --base recording must be, whichever way nodejs was named. */
  async function based(t: Test, profile: string, extendsRef: RegExp): Promise<void> {
    const { doc } = profileOf(profile);
    t.match(String(doc['extends']), extendsRef, `extends nodejs (${String(doc['extends'])})`);
    t.match(readText(profile), /^# Extends .*: only what it does not already allow is listed\.$/m, 'says so in its header');
    const own = allowedSyscalls(doc);
    t.same(own.filter((s) => nodejsAllows.has(s)), [], 'repeats no syscall that nodejs allows', { own });
    t.ok(own.length < 15, `lists only a few syscalls of its own (${own.length}: ${own.join(' ')})`);
    const c = await syscage(['check', profile], o);
    t.equal(c.status, 0, 'syscage check exits 0', seen(c));
    const log = profile.replace(/\.yaml$/, '.log');
    const r = await syscage(['run', '--profile', profile, '--log', log, '--', ...cmd], o);
    sameAsBare(t, r, native, readText(log));
  }

  t.test('--base nodejs (the built-in name)', async (t) => {
    const profile = join(out, 'by-name.yaml');
    const r = await syscage(['record', '--base', 'nodejs', '-o', profile, '--', ...cmd], o);
    // record.ts loads --base with loadForCommand(path), which reads the name as a file path; --extends knows built-in names.
    const todo = r.status !== 0 && 'BUG record/base-builtin: `--base nodejs` fails: "E_READ: cannot read profile nodejs: no such file", exit 2';
    t.equal(r.status, 0, 'records', { ...seen(r), todo });
    t.equal(r.stdout, native.stdout, 'the recorded run does the same work', { ...seen(r), todo });
    if (r.status !== 0) {
      t.match(r.stderr, /cannot read profile nodejs/, 'the failure, as seen (remove with the todo)');
      return;
    }
    await based(t, profile, /^nodejs$/);
  });

  t.test('--base PATH/profiles/nodejs.yaml (the same profile by path)', async (t) => {
    const profile = join(out, 'by-path.yaml');
    const r = await syscage(['record', '--base', NODEJS, '-o', profile, '--', ...cmd], o);
    t.equal(r.status, 0, 'records', seen(r));
    await based(t, profile, /(^|\/)profiles\/nodejs\.yaml$/);
  });
}
