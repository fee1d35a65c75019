// A program that only looks does not die (unveil's semantics): a look (stat, access, readlink,
// statfs, chdir) at an ancestor of a grant is let through; a look at any other path, or a read of
// a path that is not there, is answered ENOENT — hidden, not a violation, never the kill of
// `violation: kill`, reported only in audit mode. A read of an existing ungranted file, a write,
// and listing an ancestor stay violations.
import t from 'tap';
import { decide, isAudited } from '../../../lib/trace/decide/index.js';
import { expectDecision } from './fixtures/expect.js';
import { fakeRealpath, fixture, makeTrap, PROFILE, profileFrom, SUPERVISOR, type FakeTracee } from './fixtures/fake.js';

const ENOENT = 2;
const EACCES = 13;
const AT_FDCWD = -100;
const O_RDONLY = 0, O_CREAT = 0o100, O_DIRECTORY = 0o200000;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** What exists in this world (besides the links): anything not listed here is missing. */
const MISSING = new Set(['/etc/nothing', '/var/task/missing.js', '/tmp/new', '/tmp/secret/nothing', '/srv/dangling']);
const LINKS = { '/var/task/to-etc': '/etc', '/var/task/to-passwd': '/etc/passwd', '/opt': '/etc' };
/** The directories of this world (everything else that exists is a file). */
const DIRS = new Set(['/', '/var', '/etc', '/proc', '/usr', '/usr/bin', '/var/task', '/tmp', '/srv', '/srv/app', '/srv/app/public']);
const isDirectory = (raw: string) => DIRS.has(fakeRealpath(LINKS)(raw) as string);
const world = (yaml = PROFILE) => fixture(profileFrom(yaml), LINKS, { exists: (raw) => !MISSING.has(raw), isDirectory });
const kill = PROFILE.replace('errno: EACCES', 'violation: kill');

const look = (v: FakeTracee, syscall: string, path: string) => {
  switch (syscall) {
    case 'newfstatat': return makeTrap(syscall, [AT_FDCWD, v.str(path), 0, 0]);
    case 'faccessat2': return makeTrap(syscall, [AT_FDCWD, v.str(path), 4, 0]);
    case 'readlinkat': return makeTrap(syscall, [AT_FDCWD, v.str(path), 0, 64]);
    default: return makeTrap(syscall, [v.str(path), 0]);
  }
};

t.test('a look at an ancestor of a grant (files.read, files.write, exec.allow) is let through', async (t) => {
  // Grants: /var/task/**, /etc/ssl/**, /proc/self/**, /tmp/** (write), /var/task/bin/*, /usr/bin/node (exec).
  for (const path of ['/', '/var', '/etc', '/proc', '/usr', '/usr/bin']) {
    for (const syscall of ['stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat2', 'readlink', 'readlinkat', 'statfs', 'chdir']) {
      const { view, ctx } = world(kill);
      const trap = syscall === 'statx' ? makeTrap(syscall, [AT_FDCWD, view.str(path), 0, 0, 0]) : look(view, syscall, path);
      expectDecision(t, decide(trap, ctx), { action: 'allow' }, `${syscall} ${path}`);
    }
  }
});

t.test('a look at any other path: ENOENT, hidden, never a kill', async (t) => {
  const cases = [
    ['/etc/passwd', 'an existing file outside every grant'],
    ['/etc/shadow', 'a file of files.deny'],
    ['/etc/nothing', 'a missing file'],
    ['/var/task/to-passwd', 'a granted name that leads outside the grants'],
    [`/proc/${SUPERVISOR}/environ`, "the supervisor's /proc"],
    [`/proc/${SUPERVISOR}`, "the supervisor's /proc directory (under the ancestor /proc)"],
    ['/opt', 'an ancestor-looking name? no: /opt is no ancestor, and it leads to /etc'],
  ] as const;
  for (const [path, what] of cases) {
    for (const syscall of ['stat', 'access', 'readlink']) {
      // readlink does not follow: it reads the granted link itself.
      if (syscall === 'readlink' && path === '/var/task/to-passwd') continue;
      const { view, ctx } = world(kill);
      const d = decide(look(view, syscall, path), ctx);
      expectDecision(t, d, { action: 'deny', errno: ENOENT, reason: /hidden \(ENOENT\)$/ }, `${syscall} ${path} (${what})`);
      t.equal(d.action === 'deny' && d.hidden, true, `${syscall} ${path}: marked hidden (counted, not reported)`);
    }
  }
  // Not revealing: the answer is ENOENT whether it exists or not.
  const { view, ctx } = world();
  const there = decide(look(view, 'stat', '/etc/passwd'), ctx);
  const notThere = decide(look(view, 'stat', '/etc/nothing'), ctx);
  t.same([there.action, there.action === 'deny' && there.errno], [notThere.action, notThere.action === 'deny' && notThere.errno], 'a look says nothing about existence');
});

t.test('a look that leads through a granted name outside the grants is hidden too', async (t) => {
  const { view, ctx } = world(kill);
  // /var/task/to-etc is inside /var/task/** (readable), and leads to /etc (an ancestor): allowed.
  expectDecision(t, decide(look(view, 'stat', '/var/task/to-etc'), ctx), { action: 'allow' });
  // lstat and readlink do not follow: the link itself is readable.
  expectDecision(t, decide(makeTrap('newfstatat', [AT_FDCWD, view.str('/var/task/to-passwd'), 0, AT_SYMLINK_NOFOLLOW]), ctx), { action: 'allow' });
  expectDecision(t, decide(look(view, 'readlink', '/var/task/to-passwd'), ctx), { action: 'allow' });
});

t.test('reads: a missing path is hidden; an existing one is a violation, as before', async (t) => {
  const { view, ctx } = world(kill);
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/nothing'), O_RDONLY]), ctx), { action: 'deny', errno: ENOENT, reason: /hidden/ }, 'open of a missing file');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/passwd'), O_RDONLY]), ctx), { action: 'kill', what: 'files.read' }, 'open of an existing file: killed');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/shadow'), O_RDONLY]), ctx), { action: 'kill', what: 'files.deny' }, 'open of a denied file: killed');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc'), O_RDONLY | O_DIRECTORY]), ctx), { action: 'kill', what: 'files.read' }, 'listing an ancestor is not granted');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/nothing'), O_RDONLY | O_CREAT]), ctx), { action: 'kill', what: 'files.write' }, 'creating a missing file is a write: killed');
  expectDecision(t, decide(makeTrap('mkdir', [view.str('/etc/nothing'), 0o755]), ctx), { action: 'kill', what: 'files.write' }, 'mkdir: a write');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/var/task/missing.js'), O_RDONLY]), ctx), { action: 'allow' }, 'a granted missing file: let through (the kernel says ENOENT)');
});

t.test('errno: EACCES profiles: the same, hidden calls answer ENOENT, violations EACCES', async (t) => {
  const { view, ctx } = world();
  expectDecision(t, decide(look(view, 'stat', '/etc/passwd'), ctx), { action: 'deny', errno: ENOENT });
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/passwd'), O_RDONLY]), ctx), { action: 'deny', errno: EACCES });
});

t.test('audit mode: a hidden call is let through and reported, saying it would have been hidden', async (t) => {
  const { view, ctx } = world(PROFILE.replace('errno: EACCES', 'mode: audit'));
  const d = decide(look(view, 'stat', '/etc/passwd'), ctx);
  t.ok(isAudited(d), 'allowed and logged');
  if (isAudited(d)) t.same(d.wouldHave, { action: 'deny', errno: ENOENT, hidden: true }, 'would have been ENOENT, hidden');
});

t.test('recording: the detail says a path was only looked at, or missing', async (t) => {
  const everything = 'version: 1\nname: rec\nfiles:\n  read: ["/**"]\n  write: ["/**"]\n';
  const { view, ctx } = fixture(profileFrom(everything), LINKS, { exists: (raw) => !MISSING.has(raw), isDirectory, notesMissing: true });
  const s = decide(look(view, 'stat', '/etc/nothing'), ctx);
  t.same(s.action === 'allow' && { looks: s.detail?.looks, missing: s.detail?.missing }, { looks: true, missing: true }, 'stat of a missing file');
  const o = decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/passwd'), O_RDONLY]), ctx);
  t.same(o.action === 'allow' && { looks: o.detail?.looks, missing: o.detail?.missing }, { looks: undefined, missing: undefined }, 'open of an existing file');
});

t.test('an ancestor glob with a wildcard shows directories only: never a file\'s size or a link\'s text', async (t) => {
  const wild = 'version: 1\nname: wild\nviolation: kill\nfiles:\n  read: ["/srv/*/public/**", "/home/**/node_modules/**"]\n';
  const { view, ctx } = world(wild);
  expectDecision(t, decide(look(view, 'stat', '/srv/app'), ctx), { action: 'allow' }, 'stat /srv/app: a directory on the way to /srv/*/public');
  for (const path of ['/srv/secret.key', '/srv/app/public/../../secret.key', '/home/u/.ssh/id_rsa', '/srv/dangling']) {
    for (const syscall of ['stat', 'access', 'readlink']) {
      expectDecision(t, decide(look(view, syscall, path), ctx), { action: 'deny', errno: ENOENT, reason: /hidden/ }, `${syscall} ${path}: not a directory, hidden`);
    }
  }
});

t.test('a read of a files.deny path is a violation, there or not: its answer says nothing of its existence', async (t) => {
  const { view, ctx } = world(kill);
  const denied = PROFILE.includes('/tmp/secret/**') ? '/tmp/secret/nothing' : '';
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str('/etc/shadow'), O_RDONLY]), ctx), { action: 'kill', what: 'files.deny' }, 'denied, there');
  expectDecision(t, decide(makeTrap('openat', [AT_FDCWD, view.str(denied), O_RDONLY]), ctx), { action: 'kill', what: 'files.deny' }, 'denied, missing: the same');
});
