// The notification backend's filter (lib/compile/notified.ts): the calls syscage performs itself
// (opens, stats, connect, sendto) return SECCOMP_RET_USER_NOTIF, an open or openat with O_PATH stays TRACE(id) (an O_PATH file
// cannot be installed in the caller), and the `ids` program — the same plan without USER_NOTIF —
// names the trap id of every notified call. Everything else is the same program's answer. Run in
// lib/bpf's interpreter on both arches; test/run/notify.test.ts runs it under the real kernel.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_ARCH, syscallTable, type Arch } from '../../lib/arch/index.js';
import { constantValue } from '../../lib/arch/constants.js';
import { compile, decode, SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF, retAction } from '../../lib/bpf/index.js';
import { compileProfile, NOTIFIED } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-notified-'));
const path = join(dir, 'p.yaml');
writeFileSync(path, `version: 1
name: notified
default: allow
files:
  read: [/usr/**]
  write: [/tmp/**]
exec:
  allow: [/usr/bin/true]
network:
  connect: [127.0.0.1:80]
`);
const { profile } = loadProfile(path);
const table = syscallTable();

for (const arch of ['x86_64', 'aarch64'] as const satisfies readonly Arch[]) {
  t.test(arch, async (t) => {
    const notify = compileProfile(profile, arch, { supervised: true, traceExec: true, notify: true });
    const plain = compileProfile(profile, arch, { supervised: true, traceExec: true });
    t.ok(notify.ids, 'the notify compile gives the ids program');
    t.same(notify.ids, plain.bytes, 'ids is the plain supervised program, byte for byte');
    const run = compile(decode(notify.bytes));
    const ids = compile(decode(notify.ids!));
    const O_PATH = BigInt(constantValue(arch, 'O_PATH')!);
    const call = (name: string, args: bigint[] = []) => ({ nr: table.number(arch, name)!, arch: AUDIT_ARCH[arch], args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) });
    const named = [...NOTIFIED].filter((n) => table.number(arch, n) !== undefined);
    t.ok(named.includes('openat') && named.includes('connect') && named.includes('statx'), 'openat, statx and connect are notified on this arch');
    for (const name of named) {
      const c = call(name);
      t.equal(retAction(run.run(c)), SECCOMP_RET_USER_NOTIF, `${name}: USER_NOTIF`);
      const id = ids.run(c);
      t.equal(retAction(id), SECCOMP_RET_TRACE, `${name}: the ids program names a trap`);
      t.ok(notify.traps[id & 0xffff], `${name}: … an entry of the trap table`);
    }
    for (const [name, index] of [['open', 1], ['openat', 2]] as const) {
      if (table.number(arch, name) === undefined) continue;
      const args = [0n, 0n, 0n];
      args[index] = O_PATH;
      t.equal(retAction(run.run(call(name, args))), SECCOMP_RET_TRACE, `${name} with O_PATH: traced (ptrace)`);
      args[index] = 0o2000000n; // O_CLOEXEC
      t.equal(retAction(run.run(call(name, args))), SECCOMP_RET_USER_NOTIF, `${name} without O_PATH: notified`);
    }
    // sendto is performed too (a sendto with no destination is answered "run as made" by the
    // supervisor, after the decision); the plain (ptrace) program still traces it.
    const plainRun = compile(decode(plain.bytes));
    t.ok(named.includes('sendto'), 'sendto is notified');
    t.equal(retAction(plainRun.run(call('sendto'))), SECCOMP_RET_TRACE, 'sendto: traced by the plain program (ptrace)');
    // bind stays with ptrace (a UNIX socket is named by bind's very bytes), and sendmsg and
    // sendmmsg too (their destinations and control data are in memory).
    t.notOk(named.includes('bind'), 'bind is not notified');
    for (const name of ['execve', 'unlinkat', 'bind', 'sendmsg', 'sendmmsg', 'getppid']) {
      const c = call(name);
      t.equal(run.run(c), compile(decode(plain.bytes)).run(c), `${name}: the same answer as the plain program`);
    }
  });
}
