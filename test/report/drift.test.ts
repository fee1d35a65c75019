// Drift by the syscall lists, as the compiler plans them: an act whose section the profile lacks
// is judged by its event's syscall (and a recorded one left unjudged, said on the page);
// protected syscalls are refused under default allow unless named; a deny or kill rule does not
// allow; an arch's own list applies on that arch only.
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfile } from '../../lib/profile/index.js';
import { Judge, actOf } from '../../lib/report/drift.js';
import { makeReport } from '../../lib/report/index.js';
import { event, tempDir } from './helpers.js';

const dir = tempDir();
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const profile = (...lines: string[]) => {
  const f = join(dir, `p${n++}.yaml`);
  writeFileSync(f, ['version: 1', 'name: p', ...lines, ''].join('\n'));
  return { file: f, profile: loadProfile(f).profile };
};

t.test('a section the profile lacks: judged by the event\'s syscall', async (t) => {
  const { profile: p } = profile('default: deny', 'syscalls:', '  allow: [read, write, openat]');
  const j = new Judge(p);
  const read = actOf(event({ path: '/etc/shadow', syscall: 'openat' }))!;
  t.match(read, { kind: 'read', object: '/etc/shadow', syscall: 'openat' }, 'the act keeps its syscall');
  t.equal(j.refuses(read), undefined, 'openat is allowed: no files section, no drift');
  const exec = actOf(event({ argv: ['/usr/bin/curl'], syscall: 'execve' }))!;
  t.match(j.refuses(exec), /^default: deny \("execve" not named in syscalls\) at .*p0\.yaml:3:\d+$/, 'execve is not: drift, by default');
  const conn = actOf(event({ syscall: 'connect', address: '10.0.0.1:443' }))!;
  t.match(j.refuses(conn), /^default: deny \("connect"/, 'connect is not either');
  t.equal(j.refuses({ kind: 'exec', object: '/usr/bin/curl' }), undefined, 'a recorded act (no syscall): not judged');
  t.equal(j.hasSection('exec'), false);
});

t.test('protected syscalls, deny rules, arch lists: as the compiler decides', async (t) => {
  const { profile: p } = profile('default: allow', 'syscalls:', '  allow: [mount]', '  x86_64:', '    deny: [open]', '  aarch64:', '    deny: [openat]',
    '  rules:', '    - syscall: socket', '      action: deny', '    - syscall: bpf', '      action: kill', '    - syscall: ioctl', '      args: [{ index: 1, op: eq, value: 21505 }]', '      action: deny');
  const x86 = new Judge(p);
  const arm = new Judge(p, 'aarch64');
  const sc = (j: Judge, name: string) => j.refuses({ kind: 'syscall', object: name, syscall: name });
  t.match(sc(x86, 'ptrace'), /^"ptrace": built-in: refused unless the profile names it/, 'ptrace: protected, refused under default allow');
  t.equal(sc(x86, 'mount'), undefined, 'mount: protected but named in allow');
  t.match(sc(x86, 'socket'), /^syscalls\.rules\[0\] at .*:\d+:\d+$/, 'a deny rule without args refuses');
  t.match(sc(x86, 'bpf'), /^syscalls\.rules\[1\]/, 'a kill rule refuses');
  t.equal(sc(x86, 'ioctl'), undefined, 'a deny rule on arguments the log lacks: may be allowed, not drift');
  t.match(sc(x86, 'open'), /^syscalls\.deny "open" at /, 'x86_64\'s list on x86_64');
  t.equal(sc(x86, 'openat'), undefined, 'aarch64\'s list not on x86_64');
  t.match(sc(arm, 'openat'), /^syscalls\.deny "openat"/, 'aarch64\'s list on aarch64');
  t.equal(sc(arm, 'open'), undefined, 'a name aarch64 does not have: cannot tell');
  t.equal(sc(x86, 'getpid'), undefined, 'default allow');
});

t.test('makeReport: drift by syscall for events; recorded acts unjudged, said on the page', async (t) => {
  const { file, profile: p } = profile('default: deny', 'syscalls:', '  allow: [openat, read]');
  const log = join(dir, 'x.log');
  writeFileSync(log, [
    JSON.stringify(event({ path: '/var/task/a.js', syscall: 'openat' })),
    JSON.stringify(event({ argv: ['/bin/sh', '-c', 'id'], syscall: 'execve' })),
    JSON.stringify(event({ syscall: 'ptrace' })),
    '',
  ].join('\n'));
  const rec = join(dir, 'rec.yaml');
  writeFileSync(rec, 'version: 1\nname: rec\nexec:\n  allow:\n    - /usr/bin/wget  # 7 starts\n');
  const { html, aggregate: a } = await makeReport({ inputs: [log, rec], profile: p, profilePath: file });
  t.same(a.drift.top(10).map((d) => `${d.extra.act.kind} ${d.extra.act.object}`).sort(), ['exec /bin/sh', 'syscall ptrace'], 'execve and ptrace, not openat, not the recording');
  t.equal(a.unjudged, 7, 'the recorded starts, unjudged');
  t.match(html, /7 recorded acts not judged/, 'the page says so');
  t.match(html, /judged by its syscall lists, as built for x86_64/);
});
