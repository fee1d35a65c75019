// decide() end to end: trap entries made by the real compiler (refusals by
// syscall lists, checks, log), audit mode, and the compiled matchers.
import t from 'tap';
import type { Arch } from '../../../lib/arch/index.js';
import { planProfile, type TrapEntry } from '../../../lib/compile/plan.js';
import { compileMatchers, decide, isAudited, type DecideContext } from '../../../lib/trace/decide/index.js';
import type { Decision, Trap } from '../../../lib/trace/types.js';
import type { Profile } from '../../../lib/profile/types.js';
import { expectDecision } from './fixtures/expect.js';
import { fixture, lineOf, makeTrap, PROFILE, profileFrom, type Arg } from './fixtures/fake.js';

const YAML = `version: 1
default: deny
errno: EACCES
syscalls:
  allow: [openat, connect, kill, newfstatat]
  deny: [ptrace]
  kill: [reboot]
  log: [execve]
files:
  read: [/var/task/**]
exec:
  allow: [/var/task/bin/*]
network:
  connect: []
`;

/** The trap entry the compiled filter names for a syscall's plain case. */
function entryFor(profile: Profile, name: string, arch: Arch = 'x86_64'): TrapEntry {
  const plan = planProfile(profile, arch);
  const s = plan.syscalls.find((x) => x.name === name);
  if (!s || s.fallback.kind !== 'trace') throw new Error(`${name} is not trapped: ${JSON.stringify(s?.fallback)}`);
  return plan.traps[s.fallback.id]!;
}

function decideWith(profile: Profile, name: string, args: (v: ReturnType<typeof fixture>['view']) => readonly Arg[], audit?: boolean) {
  const { view, ctx } = fixture(profile, {}, audit === undefined ? {} : { audit });
  return decide(makeTrap(name, args(view), { entry: entryFor(profile, name) }), ctx);
}

// decide() fits where the tracer expects a Decision (an audited allow is an allow).
const asTracerWants: (trap: Trap, ctx: DecideContext) => Decision = decide;
void asTracerWants;

t.test('refusals the profile already made are reported with their rule', async (t) => {
  const p = profileFrom(YAML);
  expectDecision(t, decideWith(p, 'ptrace', () => [16, 1]), { action: 'deny', errno: 13, what: 'syscalls.deny', line: lineOf(YAML, 'deny: [ptrace]'), reason: /ptrace is refused by syscalls.deny/ });
  expectDecision(t, decideWith(p, 'reboot', () => []), { action: 'kill', what: 'syscalls.kill', line: lineOf(YAML, 'kill: [reboot]') });
  expectDecision(t, decideWith(p, 'getpid', () => []), { action: 'deny', errno: 38, what: 'default', reason: /getpid is refused by default/ });
});

t.test('checked calls: allowed, refused, logged', async (t) => {
  const p = profileFrom(YAML);
  expectDecision(t, decideWith(p, 'openat', (v) => [-100, v.str('/var/task/a'), 0]), { action: 'allow', log: false, paths: ['/var/task/a'] });
  expectDecision(t, decideWith(p, 'openat', (v) => [-100, v.str('/etc/passwd'), 0]), { action: 'deny', errno: 13, what: 'files.read', line: lineOf(YAML, 'read:') });
  expectDecision(t, decideWith(p, 'execve', (v) => [v.str('/var/task/bin/h'), 0, 0]), { action: 'allow', log: true, what: 'exec.allow', text: '/var/task/bin/*' });
  expectDecision(t, decideWith(p, 'execve', (v) => [v.str('/bin/sh'), 0, 0]), { action: 'deny', errno: 13, what: 'exec.allow' });
  expectDecision(t, decideWith(p, 'kill', () => [999, 9]), { action: 'deny', errno: 13, what: 'process.signal', text: 'tree (default)' });
});

t.test('a trap with nothing to check and then: log', async (t) => {
  const { ctx } = fixture(profileFrom(YAML));
  const d = decide(makeTrap('getpid', [], { entry: { checks: [], then: 'log', origin: { what: 'syscalls.log', loc: { file: 'x.yaml', line: 3, col: 1 } } } }), ctx);
  t.same(d, { action: 'allow', log: true, detail: undefined, rule: { what: 'syscalls.log', loc: { file: 'x.yaml', line: 3, col: 1 } } });
});

t.test('audit mode refuses nothing and reports what would have happened', async (t) => {
  const audit = profileFrom(YAML.replace('default: deny', 'default: deny\nmode: audit'));
  const ptrace = decideWith(audit, 'ptrace', () => [16, 1]);
  t.ok(isAudited(ptrace));
  t.match(ptrace, { action: 'allow', log: true, rule: { what: 'syscalls.deny' }, wouldHave: { action: 'deny', errno: 13 }, reason: /ptrace is refused/ });
  t.match(decideWith(audit, 'reboot', () => []), { action: 'allow', log: true, wouldHave: { action: 'kill' } });

  const open = decideWith(audit, 'openat', (v) => [-100, v.str('/etc/passwd'), 0]);
  t.match(open, { action: 'allow', log: true, rule: { what: 'files.read', text: 'not in files.read' }, wouldHave: { action: 'deny', errno: 13 }, detail: { paths: ['/etc/passwd'] } });

  const bad = decideWith(audit, 'openat', () => [-100, 0xdead0000n, 0]);
  t.match(bad, { action: 'allow', log: true, wouldHave: { action: 'deny', errno: 14 } }, 'an unreadable path too, with the kernel errno');

  const fine = decideWith(audit, 'openat', (v) => [-100, v.str('/var/task/a'), 0]);
  t.same(fine, { action: 'allow', log: false, detail: { paths: ['/var/task/a'], access: 'read' } }, 'allowed calls are not reported');
  t.notOk(isAudited(fine));

  const killer = profileFrom(YAML.replace('default: deny', 'default: deny\nmode: audit\nviolation: kill'));
  t.match(decideWith(killer, 'openat', (v) => [-100, v.str('/etc/passwd'), 0]), { action: 'allow', wouldHave: { action: 'kill' } });

  t.match(decideWith(audit, 'ptrace', () => [16, 1], false), { action: 'deny', errno: 13 }, 'the caller may override the mode');
  t.match(decideWith(profileFrom(YAML), 'ptrace', () => [16, 1], true), { action: 'allow', wouldHave: { action: 'deny' } });
});

t.test('both arches get the same decisions from their own trap tables', async (t) => {
  const p = profileFrom(YAML);
  for (const arch of ['x86_64', 'aarch64'] as const) {
    const { view, ctx } = fixture(p);
    const d = decide(makeTrap('openat', [-100, view.str('/etc/passwd'), 0], { arch, entry: entryFor(p, 'openat', arch) }), ctx);
    expectDecision(t, d, { action: 'deny', errno: 13, what: 'files.read' }, arch);
  }
});

t.test('compileMatchers', async (t) => {
  const m = compileMatchers(profileFrom(PROFILE));
  t.equal(m.name, 'decide-test');
  t.equal(m.errno.value, 13);
  t.equal(m.violation.value, 'deny');
  t.equal(m.audit, false);
  t.ok(m.files!.read.test('/var/task/x'));
  t.notOk(m.files!.read.test('/tmp/x'));
  t.ok(m.files!.readable.test('/tmp/x'), 'readable is read ∪ write');
  t.match(m.files!.deny.which('/tmp/secret/a'), { what: 'files.deny', text: '/tmp/secret/**', loc: { line: lineOf(PROFILE, '/tmp/secret/**') } });
  t.equal(m.files!.deny.which('/tmp/a'), undefined);
  t.match(m.files!.read.missing, { what: 'files.read', text: 'not in files.read', loc: { line: lineOf(PROFILE, '- /var/task/**') } });
  // "not in LIST" points at that list, not at the section (whose position is its first key: read:).
  t.match(m.files!.write.missing, { what: 'files.write', loc: { line: lineOf(PROFILE, '- /tmp/**') } }, 'not in files.write: at files.write');
  t.match(m.network!.bind.missing, { what: 'network.bind', loc: { line: lineOf(PROFILE, '- 127.0.0.1:8080') } }, 'not in network.bind: at network.bind');
  const absent = compileMatchers(profileFrom('version: 1\nfiles:\n  read: [/a/**]\n'));
  t.match(absent.files!.write.missing, { what: 'files.write', loc: { line: 3 } }, 'an absent list: the section');
  t.match(m.exec!.allow.which('/usr/bin/node'), { text: '/usr/bin/node' });
  t.match(m.network!.connect.which({ kind: 'ip', family: 4, addr: 0x0a000001n, port: 443 }), { text: '10.0.0.0/8:443' });
  t.match(m.network!.connect.which({ kind: 'unix', abstract: true, path: 'agent-9' }), { text: 'unix:@agent-*' });
  t.equal(m.network!.connect.which({ kind: 'unix', abstract: false, path: 'agent-9' }), undefined);
  t.equal(m.network!.connect.anyAbstract(), undefined);
  t.same(m.signal, { scope: 'tree', rule: { what: 'process.signal', text: 'tree', loc: m.signal.rule.loc } });

  const bare = compileMatchers(profileFrom('version: 1\nmode: audit\n'));
  t.equal(bare.files, undefined);
  t.equal(bare.exec, undefined);
  t.equal(bare.network, undefined);
  t.equal(bare.audit, true);
  t.same(bare.signal, { scope: 'tree', rule: { what: 'process.signal', text: 'tree (default)', loc: undefined } });

  const empty = compileMatchers(profileFrom('version: 1\nfiles: {read: []}\n'));
  t.notOk(empty.files!.readable.test('/'), 'a present section with empty lists allows nothing');
});
