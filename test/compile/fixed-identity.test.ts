// identityFixed (lib/compile/fixed-identity.ts): the notification backend remembers a thread's
// identity only when the plan refuses every call that could change it, on every path. Each profile
// below opens one way for such a call to run, and must turn the answer to no; the shipped profiles
// refuse them all. rootFixed: and its root directory (chroot and pivot_root refused too).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileProfile, identityFixed, rootFixed, CHANGES_IDENTITY, CHANGES_ROOT } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';
import { packageRoot } from '../../lib/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-fixed-identity-'));
let n = 0;
const planOf = (body: string, arch: 'x86_64' | 'aarch64' = 'x86_64') => {
  const path = join(dir, `p${n++}.yaml`);
  writeFileSync(path, `version: 1\nname: p${n}\n${body}`);
  return compileProfile(loadProfile(path).profile, arch, { supervised: true, traceExec: true, notify: true }).plan;
};
const fixed = (body: string, arch: 'x86_64' | 'aarch64' = 'x86_64'): boolean => identityFixed(planOf(body, arch));

t.test('shipped profiles refuse every change of identity', async (t) => {
  for (const name of ['nodejs', 'python', 'static-binary']) {
    for (const arch of ['x86_64', 'aarch64'] as const) {
      const { profile } = loadProfile(join(packageRoot(), 'profiles', `${name}.yaml`));
      const plan = compileProfile(profile, arch, { supervised: true, traceExec: true, notify: true }).plan;
      t.equal(identityFixed(plan), true, `${name} on ${arch}`);
      t.equal(rootFixed(plan), true, `${name} on ${arch}: the root directory too`);
    }
  }
});

t.test('default deny, default kill: fixed', async (t) => {
  t.equal(fixed('default: deny\nsyscalls:\n  allow: [read, write]\n'), true, 'deny');
  t.equal(fixed('default: kill\nsyscalls:\n  allow: [read, write]\n'), true, 'kill');
  t.equal(fixed('default: allow\nsyscalls:\n  deny: [' + CHANGES_IDENTITY.join(', ') + ']\n'), true, 'default allow with every one denied');
  t.equal(fixed('default: allow\nsyscalls:\n  kill: [' + CHANGES_IDENTITY.join(', ') + ']\n'), true, 'default allow with every one killed');
});

t.test('any one of them allowed: not fixed', async (t) => {
  for (const name of CHANGES_IDENTITY) {
    const others = CHANGES_IDENTITY.filter((x) => x !== name);
    // unshare and setns are refused by default even under default: allow; name them to allow them.
    t.equal(fixed(`default: allow\nsyscalls:\n  allow: [${name}]\n  deny: [${others.join(', ')}]\n`), false, `${name} allowed`);
    t.equal(fixed(`default: deny\nsyscalls:\n  log: [${name}]\n`), false, `${name} logged`);
  }
  t.equal(fixed('default: allow\n'), false, 'default: allow lets setuid run');
});

t.test('allowed for some arguments only: not fixed', async (t) => {
  const setuidZero = (action: string): string => `default: deny
syscalls:
  rules:
    - syscalls: [setuid]
      args: [{ index: 0, op: eq, value: 0 }]
      action: ${action}
`;
  t.equal(fixed(setuidZero('allow')), false, 'a rule that allows setuid(0)');
  t.equal(fixed(setuidZero('deny')), true, 'a rule that only refuses');
});

t.test('the root directory: fixed only where chroot and pivot_root are refused too', async (t) => {
  const identity = `deny: [${CHANGES_IDENTITY.join(', ')}]`;
  const allowChroot = planOf(`default: allow\nsyscalls:\n  ${identity}\n`);
  t.equal(identityFixed(allowChroot), true, 'every change of identity refused...');
  t.equal(rootFixed(allowChroot), false, '...but chroot allowed (default: allow): the root is read at every call');
  t.equal(rootFixed(planOf(`default: allow\nsyscalls:\n  deny: [${[...CHANGES_IDENTITY, ...CHANGES_ROOT].join(', ')}]\n`)), true, 'chroot and pivot_root denied too');
  t.equal(rootFixed(planOf(`default: allow\nsyscalls:\n  deny: [${[...CHANGES_IDENTITY, 'chroot'].join(', ')}]\n`)), true, 'chroot denied (pivot_root is refused unless named)');
  t.equal(rootFixed(planOf(`default: allow\nsyscalls:\n  deny: [${[...CHANGES_IDENTITY, 'chroot'].join(', ')}]\n  allow: [pivot_root]\n`)), false, 'pivot_root named and allowed');
  t.equal(rootFixed(planOf(`default: allow\nsyscalls:\n  deny: [chroot]\n`)), false, 'chroot refused, identity not fixed: nothing is remembered');
});
