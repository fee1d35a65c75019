// Whom a performed call runs as (lib/trace/notify/creds.ts): a caller with syscage's own identity is
// served as syscage, with no switch; a caller with other ids is served through a switch. The first
// case was broken by comparing /proc's supplementary groups with process.getgroups(), which adds the
// effective gid: every caller of a root syscage looked different, and paid ~22 syscalls per call.
import t from 'tap';
import { spawn } from 'node:child_process';
import { credsFrom, identityOf } from '../../../lib/trace/notify/creds.js';

const STATUS = 'Name:\tx\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nGid:\t10\t11\t12\t13\nGroups:\t27 4 100 \nCapEff:\t000001fffeffffff\n';

t.test('credsFrom reads the ids, the groups (sorted) and the effective capabilities', async (t) => {
  t.same(credsFrom(STATUS), { euid: 1001, fsuid: 1003, egid: 11, fsgid: 13, groups: [4, 27, 100], capEff: 0x1fffeffffffn });
  t.same(credsFrom(STATUS.replace('Groups:\t27 4 100 ', 'Groups:\t'))?.groups, [], 'no supplementary groups');
  t.equal(credsFrom('Name:\tx\nUid:\t1\n'), undefined, 'a status without the lines');
});

async function child(opts: { uid?: number; gid?: number }) {
  const c = spawn('sleep', ['30'], { ...opts, stdio: 'ignore' });
  await new Promise((r) => c.once('spawn', r));
  // Until sleep has exec'd, the child still shares node's pre-exec state: wait for its own name.
  for (let i = 0; i < 100; i++) {
    const { readFileSync } = await import('node:fs');
    if (readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return c;
}

t.test('a caller with syscage\'s own identity is served as syscage', async (t) => {
  const c = await child({});
  t.teardown(() => c.kill());
  const a = identityOf(c.pid!);
  const b = identityOf(c.pid!);
  t.type(a, 'function');
  t.equal(a, b, 'the same pass-through each time: no switch of identity');
  t.equal((a as (w: () => number) => number)(() => 7), 7);
});

t.test('a caller with other ids is served through a switch', { skip: process.geteuid?.() === 0 ? false : 'needs root (a child of another uid)' }, async (t) => {
  const c = await child({ uid: 65534, gid: 65534 });
  t.teardown(() => c.kill());
  const a = identityOf(c.pid!);
  t.type(a, 'function');
  t.not(a, identityOf(c.pid!), 'a switch made for this caller');
  const seen = (a as (w: () => number[]) => number[])(() => [process.geteuid!(), process.getegid!()]);
  t.same(seen, [65534, 65534], 'the work ran with the caller\'s effective ids (geteuid(2) reads this thread\'s)');
  t.same([process.geteuid!(), process.getegid!()], [0, 0], 'and the thread has its own back after');
});

// A root caller that dropped CAP_SETGID and CAP_SETUID (and has other groups): the switch takes its
// groups and gid while this thread still holds CAP_SETGID, then its capabilities; coming back, the
// capabilities first. In the other order the groups step failed, and coming back threw: the
// notification thread died with the run.
t.test('a root caller without CAP_SETGID is served through a switch, and the thread comes back', { skip: process.geteuid?.() === 0 ? false : 'needs root' }, async (t) => {
  const { fdops } = await import('../../../lib/native/index.js');
  const own = fdops.capabilities();
  if (typeof own === 'number') return t.fail(`capget failed: ${own}`);
  const c = await child({});
  t.teardown(() => c.kill());
  const CAP_SETGID = 6n;
  const CAP_SETUID = 7n;
  const capEff = own.effective & ~((1n << CAP_SETGID) | (1n << CAP_SETUID));
  const status = `Name:\tx\nUmask:\t0022\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t4242 \nCapEff:\t${capEff.toString(16).padStart(16, '0')}\n`;
  const a = identityOf(c.pid!, () => status);
  t.type(a, 'function');
  const inside = (a as (w: () => unknown) => unknown)(() => {
    const caps = fdops.capabilities();
    return { effective: typeof caps === 'number' ? caps : caps.effective, groups: process.getgroups!() };
  }) as { effective: bigint; groups: number[] };
  t.equal(inside.effective, capEff, 'the work ran with the caller\'s effective capabilities');
  t.same(inside.groups.filter((g) => g !== 0), [4242], 'and its groups');
  const after = fdops.capabilities();
  t.equal(typeof after === 'number' ? after : after.effective, own.effective, 'the thread has its own capabilities back');
  t.notOk(process.getgroups!().includes(4242), 'and its own groups');
});
