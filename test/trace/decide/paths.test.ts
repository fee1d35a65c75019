// Path placement and resolution helpers: the fast lexical normalisation
// agrees with the profile's normalizePath, /proc/self mapping, anonymous fds.
import t from 'tap';
import { normalizePath } from '../../../lib/profile/glob.js';
import { forMatch, isAnonymous, normal, procPid, realPaths, placePath, isProblem } from '../../../lib/trace/decide/paths.js';
import { fixture, makeTrap, profileFrom, TRACEE } from './fixtures/fake.js';

t.test('normal() is normalizePath, faster on paths that are already normal', async (t) => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const parts = ['a', 'bc', '.', '..', '', '...', '.x'];
  for (let i = 0; i < 5000; i++) {
    const n = 1 + rand(6);
    const p = '/' + Array.from({ length: n }, () => parts[rand(parts.length)]).join('/');
    if (normal(p) !== normalizePath(p)) t.fail(`${p}: ${normal(p)} !== ${normalizePath(p)}`);
  }
  for (const p of ['/', '/a', '/a/b', '/a/', '/a//b', '/a/./b', '/a/../b', '/..', '/.', '/a/..', '/.a/..b/...']) {
    t.equal(normal(p), normalizePath(p), p);
  }
});

t.test('forMatch and procPid', async (t) => {
  t.equal(forMatch(`/proc/${TRACEE}`, TRACEE), '/proc/self');
  t.equal(forMatch(`/proc/${TRACEE}/maps`, TRACEE), '/proc/self/maps');
  t.equal(forMatch(`/proc/${TRACEE}0/maps`, TRACEE), `/proc/${TRACEE}0/maps`, 'a longer pid is another process');
  t.equal(forMatch('/etc/x', TRACEE), '/etc/x');
  t.equal(procPid('/proc/12/mem'), 12);
  t.equal(procPid('/proc/12'), 12);
  t.equal(procPid('/proc/self/mem'), undefined);
  t.equal(procPid('/proc/12x/mem'), undefined);
  t.equal(procPid('/tmp/proc/12'), undefined);
});

t.test('isAnonymous', async (t) => {
  for (const p of ['pipe:[1]', 'socket:[2]', 'anon_inode:[eventfd]', 'anon_inode:inotify', '/memfd:x (deleted)']) t.ok(isAnonymous(p), p);
  for (const p of ['/tmp/x', '/tmp/x (deleted)', '/dev/null']) t.notOk(isAnonymous(p), p);
});

t.test('placePath and realPaths', async (t) => {
  const { view, ctx } = fixture(profileFrom('version: 1\n'), { '/a/link': '/b', '/b/inner': '../c' });
  const trap = makeTrap('openat', []);
  const at = (s: string) => {
    const p = placePath(s, -100, trap, ctx);
    if (isProblem(p)) throw new Error(p.reason);
    return p;
  };
  t.match(at('x/../y'), { kind: 'path', raw: '/var/task/x/../y', lexical: '/var/task/y' });
  t.match(at('/a/link/inner/../z'), { lexical: '/a/link/z' });
  t.same(realPaths(at('/a/link/inner/../z'), 'follow', trap, ctx), ['/z'], '/a/link → /b, inner → /c, .. → /, z');
  t.same(realPaths(at('/a/link'), 'nofollow', trap, ctx), ['/a/link']);
  t.same(realPaths(at('/a/link'), 'follow', trap, ctx), ['/b']);
  t.same(realPaths(at('/a/link'), 'both', trap, ctx), ['/b', '/a/link']);
  t.same(realPaths(at('/a/link/'), 'nofollow', trap, ctx), ['/b'], 'a trailing slash follows');
  t.same(realPaths(at('/a/link/.'), 'nofollow', trap, ctx), ['/b']);
  t.same(realPaths(at('/x'), 'nofollow', trap, ctx), ['/x']);
  t.match(at('/proc/self/fd/3'), { raw: `/proc/${TRACEE}/fd/3`, lexical: '/proc/self/fd/3' });
  view.rootPath = { fault: 'gone' };
  t.match(placePath('/x', -100, trap, ctx), { problem: true, reason: /root directory/ });
});
