// The supervisor's files decision against what the kernel really opens.
//
// A real temporary tree with allowed, denied and unlisted places and symlinks
// between them (a link in an allowed directory to a denied file, a link named
// *.txt to a secret, links out of the tree, to "/", to /proc/self, loops,
// dangling links), a profile with files.read / write / deny globs over it, and
// THIS process as the tracee: decide() runs on a real openat trap whose path
// argument lives in this process's memory (read back with process_vm_readv by
// the real TraceeView), with the real realpath of lib/trace/view.ts; then the
// very same openat(dirfd, pointer, flags) is made, and what the kernel opened
// is read back from /proc/self/fd/N.
//
// Property (the decision is read access; flags O_RDONLY, O_NOFOLLOW, O_PATH):
//   - soundness: when the decision allows and the kernel opens K, K is
//     readable by the profile (read or write glob, no deny glob, not the
//     supervisor's /proc) — anything else is a sandbox escape;
//   - exactness: when the kernel opens K, the decision allows exactly when
//     both K and the lexical path L (what the call names, which the profile
//     also checks) are readable; and it names K among the paths it reports;
//   - a refusal that claims the kernel would fail the call (an errno) is
//     only made when the kernel does fail it;
//   - nothing throws, every decision is made within 1 s.
// The oracle shares no code with lib/: globs are matched segment by segment
// here, L is path.posix.resolve, K comes from the kernel.
//
// Not covered: writes (the kernel would modify the tree), other syscalls than
// openat, a chroot / RESOLVE_IN_ROOT, aarch64 flag values, and races (the
// tree does not change while a case runs; see the TOCTOU reproducer at the
// end for one that a walk() fix closes).
import t from 'tap';
import { closeSync, mkdirSync, openSync, readdirSync, readlinkSync, realpathSync, rmdirSync } from 'node:fs';
import { posix } from 'node:path';
import { hostArch } from '../../lib/arch/index.js';
import { loadProfile } from '../../lib/profile/index.js';
import { compileMatchers, decide, type DecideContext, type Ruling } from '../../lib/trace/decide/index.js';
import type { Trap } from '../../lib/trace/types.js';
import { realpath, traceeView } from '../../lib/trace/view.js';
import { syscallNumber } from '../../lib/native/syscall.js';
import type { Rng } from '../helpers/random.js';
import { caseRange, caseRng, Failures, fuzzCount, fuzzSeed, LIMIT_MS, timed, Timing } from './fixtures/kit.js';
import { AT_FDCWD, buildTree, CPath, errnoText, kernelOpen, O_DIRECTORY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, type Entry } from './fixtures/tree.js';

const SEED = fuzzSeed();
const N = fuzzCount(50_000);
const PID = process.pid;
const SUPERVISOR = process.ppid;

// --- the world -----------------------------------------------------------------------------------------

const ENTRIES: Entry[] = [
  { kind: 'file', path: 'allowed/file.txt' },
  { kind: 'file', path: 'allowed/sub/deep.txt' },
  { kind: 'file', path: 'allowed/secret/key.txt' },
  { kind: 'file', path: 'allowed/x.key' },
  { kind: 'file', path: 'allowed/ünï cødé.txt' },
  { kind: 'link', path: 'allowed/toSecret', target: 'secret/key.txt' },
  { kind: 'link', path: 'allowed/toSecretDir', target: 'secret' },
  { kind: 'link', path: 'allowed/toOutside', target: '../outside/o.txt' },
  { kind: 'link', path: 'allowed/toOutsideDir', target: '../outside' },
  { kind: 'link', path: 'allowed/toOutsideAbs', target: '@ROOT/outside' },
  { kind: 'link', path: 'allowed/toPub', target: '../pub' },
  { kind: 'link', path: 'allowed/up', target: '..' },
  { kind: 'link', path: 'allowed/toRoot', target: '/' },
  { kind: 'link', path: 'allowed/loop', target: 'loop' },
  { kind: 'link', path: 'allowed/dangling', target: '../nope' },
  { kind: 'link', path: 'allowed/toProc', target: '/proc/self' },
  { kind: 'link', path: 'allowed/toEtc', target: '/etc' },
  { kind: 'link', path: 'allowed/sub/back', target: '../../outside/../allowed/file.txt' },
  { kind: 'link', path: 'allowed/linkThenUp', target: 'toOutsideDir/..' },
  { kind: 'file', path: 'pub/a.txt' },
  { kind: 'file', path: 'pub/b.md' },
  { kind: 'file', path: 'pub/c' },
  { kind: 'file', path: 'pub/dd' },
  { kind: 'file', path: 'pub/sub/e.txt' },
  { kind: 'link', path: 'pub/toAllowed', target: '../allowed' },
  { kind: 'link', path: 'pub/x.txt', target: '../allowed/secret/key.txt' },
  { kind: 'link', path: 'pub/y.txt', target: '../outside/o.txt' },
  { kind: 'link', path: 'pub/z', target: 'a.txt' },
  { kind: 'file', path: 'outside/o.txt' },
  { kind: 'file', path: 'outside/p.txt' },
  { kind: 'link', path: 'outside/toAllowed', target: '../allowed/file.txt' },
  { kind: 'link', path: 'outside/toAllowedDir', target: '../allowed' },
  { kind: 'link', path: 'outside/toSecret', target: '../allowed/secret/key.txt' },
  { kind: 'file', path: 'tmp/w.txt' },
  { kind: 'link', path: 'tmp/toSecret', target: '../allowed/secret/key.txt' },
  { kind: 'link', path: 'tmp/toOutside', target: '../outside/o.txt' },
  { kind: 'fifo', path: 'tmp/fifo' },
];

const tree = buildTree('syscage-fuzz-decide-', ENTRIES);
const T = tree.root;
t.teardown(() => tree.remove());

const READ = [`${T}/allowed/**`, `${T}/pub/*.txt`, `${T}/pub/?`, '/proc/self/**'];
const WRITE = [`${T}/tmp/**`];
const DENY = [`${T}/allowed/secret/**`, `${T}/allowed/*.key`];
const PROFILE = `version: 1
name: fuzz-decide
files:
  read: [${READ.map((g) => JSON.stringify(g)).join(', ')}]
  write: [${WRITE.map((g) => JSON.stringify(g)).join(', ')}]
  deny: [${DENY.map((g) => JSON.stringify(g)).join(', ')}]
`;
const profile = loadProfile('fuzz-decide.yaml', { readFile: () => PROFILE }).profile;

const fds = {
  allowedDir: openSync(`${T}/allowed`, O_DIRECTORY),
  pubDir: openSync(`${T}/pub`, O_DIRECTORY),
  outsideDir: openSync(`${T}/outside`, O_DIRECTORY),
  secretDir: openSync(`${T}/allowed/secret`, O_DIRECTORY),
  allowedFile: openSync(`${T}/allowed/file.txt`, 'r'),
  outsideFile: openSync(`${T}/outside/o.txt`, 'r'),
  secretFile: openSync(`${T}/allowed/secret/key.txt`, 'r'),
};
t.teardown(() => Object.values(fds).forEach((fd) => closeSync(fd)));

const CWD = `${T}/allowed`;
const savedCwd = process.cwd();
process.chdir(CWD);
t.teardown(() => process.chdir(savedCwd));

const view = traceeView(PID);
const ctx: DecideContext = {
  matchers: compileMatchers(profile),
  view,
  realpath,
  isTracee: (id) => id === PID,
  supervisorPid: SUPERVISOR,
  supervisorPgid: SUPERVISOR,
  isSupervisorThread: (tid) => tid === SUPERVISOR,
  pidOfPidfd: () => ({ fault: 'unused' }),
};
const OPENAT_NR = syscallNumber('openat');

function trapFor(dirfd: number, ptr: bigint, flags: number): Trap {
  return {
    tid: PID, pid: PID, arch: hostArch(), nr: OPENAT_NR, syscall: 'openat',
    args: [BigInt.asUintN(64, BigInt(dirfd)), ptr, BigInt(flags), 0n, 0n, 0n],
    entry: { id: 0, checks: ['files'], then: 'allow', origin: { what: 'files' } },
  };
}

// --- the oracle: globs matched segment by segment, independently of lib/profile/glob.ts ---------------

function segMatch(pat: string, s: string): boolean {
  // '*' any run of characters, '?' one (UTF-16 unit, as the profile's RegExp without the u flag).
  const dp: boolean[] = Array<boolean>(s.length + 1).fill(false);
  dp[0] = true;
  for (const c of pat) {
    const next = Array<boolean>(s.length + 1).fill(false);
    if (c === '*') {
      let any = false;
      for (let j = 0; j <= s.length; j++) next[j] = any = any || dp[j]!;
    } else {
      for (let j = 1; j <= s.length; j++) next[j] = dp[j - 1]! && (c === '?' || s[j - 1] === c);
    }
    dp.splice(0, dp.length, ...next);
  }
  return dp[s.length]!;
}

function globMatch(glob: string, path: string): boolean {
  const g = glob.split('/').filter((x) => x !== '');
  const p = path.split('/').filter((x) => x !== '');
  const go = (i: number, j: number): boolean => {
    if (i === g.length) return j === p.length;
    if (g[i] === '**') return go(i + 1, j) || (j < p.length && go(i, j + 1));
    return j < p.length && segMatch(g[i]!, p[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

const supervisorProc = (p: string): boolean => new RegExp(`^/proc/${SUPERVISOR}(?:/|$)`).test(p);
const readable = (p: string): boolean =>
  [...READ, ...WRITE].some((g) => globMatch(g, p)) && !DENY.some((g) => globMatch(g, p)) && !supervisorProc(p);
/** /proc/PID of this process is /proc/self to the profile. */
const asSelf = (p: string): string => p.replace(new RegExp(`^/proc/${PID}(?=/|$)`), '/proc/self');

// --- generation --------------------------------------------------------------------------------------------

const NAMES = ['allowed', 'pub', 'outside', 'tmp', 'secret', 'sub', 'file.txt', 'deep.txt', 'key.txt', 'x.key', 'ünï cødé.txt', 'toSecret', 'toSecretDir', 'toOutside', 'toOutsideDir',
  'toOutsideAbs', 'toPub', 'up', 'toRoot', 'loop', 'dangling', 'toProc', 'toEtc', 'back', 'linkThenUp', 'a.txt', 'b.md', 'c', 'dd', 'e.txt', 'toAllowed', 'x.txt', 'y.txt',
  'z', 'o.txt', 'p.txt', 'toAllowedDir', 'w.txt', 'fifo', 'nope', 'new.txt', 'passwd', 'hostname', 'self', 'fd', 'cwd', 'root', 'status', 'etc', 'proc'];

function component(r: Rng): string {
  const k = r.int(100);
  if (k < 62) return r.pick(NAMES);
  if (k < 80) return '..';
  if (k < 88) return '.';
  if (k < 93) return '';
  return r.pick(Object.values(fds).map(String));
}

const dirCache = new Map<string, string[]>();
const realCache = new Map<string, string | null>();
function listing(dir: string): string[] {
  let l = dirCache.get(dir);
  if (!l) {
    try {
      l = readdirSync(dir).sort();
    } catch {
      l = [];
    }
    dirCache.set(dir, l);
  }
  return l;
}
function resolved(p: string): string | null {
  let v = realCache.get(p);
  if (v === undefined) {
    try {
      v = realpathSync.native(p);
    } catch {
      v = null;
    }
    realCache.set(p, v);
  }
  return v;
}

interface Input { readonly path: string; readonly dirfd: number; readonly flags: number }

function genInput(r: Rng): Input {
  const start = r.pick([T, `${T}/allowed`, `${T}/pub`, `${T}/outside`, `${T}/tmp`, '/proc/self/cwd', `/proc/self/root${T}`, `/proc/${PID}/cwd`, `/proc/self/fd/${fds.allowedDir}`,
    `/proc/self/fd/${fds.outsideDir}`, `/proc/self/fd/${r.pick(Object.values(fds))}`, '/proc/thread-self/cwd', `/proc/${SUPERVISOR}/cwd`, '/proc/self', '/', '', '', '']);
  // Most components name something that exists where the walk is (as far as the generator can tell).
  let cur = resolved(start === '' ? CWD : start);
  const comps: string[] = [];
  for (let n = r.int(7); n > 0; n--) {
    const here = cur === null ? [] : listing(cur);
    const c = here.length > 0 && r.chance(0.6) ? r.pick(here) : component(r);
    comps.push(c);
    cur = cur === null ? null : resolved(`${cur}/${c}`);
    if (cur !== null && listing(cur).length === 0 && r.chance(0.8)) break; // a file (or an empty directory): stop here mostly
  }
  let path = start === '' ? comps.join('/') || r.pick(['.', 'file.txt', '..']) : [start, ...comps].join('/');
  if (r.chance(0.05)) path += '/';
  const dirfd = path.startsWith('/') ? AT_FDCWD : r.pick([AT_FDCWD, AT_FDCWD, fds.pubDir, fds.outsideDir, fds.secretDir, fds.allowedDir]);
  const base = r.pick([0, 0, 0, 0, 0, 0, 0, O_NOFOLLOW, O_NOFOLLOW, O_PATH, O_PATH | O_NOFOLLOW]);
  return { path, dirfd, flags: base | (base & O_PATH ? 0 : O_NONBLOCK | O_NOCTTY) };
}

// --- the property --------------------------------------------------------------------------------------------

const cpath = new CPath();
const stats = { anonymous: 0, opened: 0, kernelFailed: {} as Record<string, number>, allowed: 0, refused: 0, refusedLexical: 0, refusedReal: 0, brokenAgree: 0, allowedButKernelFails: 0 };

function baseOf(dirfd: number): string {
  return dirfd === AT_FDCWD ? readlinkSync('/proc/self/cwd') : readlinkSync(`/proc/self/fd/${dirfd}`);
}

function lexicalOf(input: Input): string {
  const p = input.path.replace(/^\/proc\/thread-self(?=\/|$)/, `/proc/${PID}/task/${PID}`).replace(/^\/proc\/self(?=\/|$)/, `/proc/${PID}`);
  return asSelf(posix.resolve(p.startsWith('/') ? '/' : baseOf(input.dirfd), p));
}

/** The object of fd N for /proc/self/fd/N (or /proc/self/task/T/fd/N), when it is in the filesystem. */
function fdObject(p: string): string | undefined {
  const m = /^\/proc\/self\/(?:task\/\d+\/)?fd\/(\d+)$/.exec(p);
  if (!m) return undefined;
  try {
    const target = readlinkSync(`/proc/self/fd/${m[1]}`);
    return target.startsWith('/') ? asSelf(target) : undefined;
  } catch {
    return undefined;
  }
}

function check(input: Input, c: DecideContext = ctx): string | undefined {
  const ptr = cpath.set(input.path);
  let d: Ruling;
  try {
    d = decide(trapFor(input.dirfd, ptr, input.flags), c);
  } catch (e) {
    return `decide threw ${String(e)}`;
  }
  const k = kernelOpen(input.dirfd, ptr, input.flags);
  // A path that cannot be checked: with the kernel's own errno ("broken"), or the profile's (policy).
  const brokenErrno = d.action === 'deny' && d.rule.what === 'files' && d.rule.text === 'a path that cannot be checked is refused' && d.errno !== c.matchers.errno.value
    ? d.errno : undefined;
  if (!k.ok) {
    const e = errnoText(k.errno);
    stats.kernelFailed[e] = (stats.kernelFailed[e] ?? 0) + 1;
    if (d.action === 'allow') stats.allowedButKernelFails++;
    else if (brokenErrno !== undefined) stats.brokenAgree++;
    return undefined;
  }
  stats.opened++;
  if (!k.path.startsWith('/')) {
    // pipe:[…], socket:[…], anon_inode:…, net:[…]: reached through a magic link (/proc/self/fd/N,
    // /proc/self/ns/net). Not in the filesystem: no files rule speaks of them (files.ts), so only the
    // path that names them is judged. Counted, not compared.
    stats.anonymous++;
    return undefined;
  }
  const K = asSelf(k.path);
  const L = lexicalOf(input);
  // Documented (paths.ts procFd, files.ts reopened): a path naming /proc/self/fd/N is also judged by
  // fd N's object, whatever the flags — even O_PATH|O_NOFOLLOW, which only opens the magic link itself.
  const viaFd = [L, K].map(fdObject).find((x) => x !== undefined);
  const want = readable(L) && readable(K) && (viaFd === undefined || readable(viaFd));
  const shown = `opened ${K}, lexical ${L}`;
  if (d.action === 'kill') return `a kill for a read (${shown})`;
  if (d.action === 'allow') {
    stats.allowed++;
    if (viaFd !== undefined && !readable(viaFd)) return `ESCAPE: allowed ${L}, which reopens fd ${viaFd}, which the profile does not let it read`;
    if (!readable(K)) return `ESCAPE: allowed, and the kernel opened ${K}, which the profile does not let it read (lexical ${L})`;
    if (!readable(L)) return `allowed a call that names ${L}, which the profile does not let it read (${shown})`;
    const paths = d.detail?.paths ?? [];
    if (!K.startsWith('/proc/self/fd/') && !paths.includes(K)) return `allowed, but the decision names ${JSON.stringify(paths)}, not what the kernel opened (${K})`;
    return undefined;
  }
  stats.refused++;
  if (!readable(L)) stats.refusedLexical++;
  else stats.refusedReal++;
  if (brokenErrno !== undefined) return `refused with ${errnoText(d.errno)} as the kernel's own error, but the kernel opened ${K} (${d.reason})`;
  if (want) return `refused, though both ${L} and ${K} are readable: ${d.reason}`;
  return undefined;
}

t.test(`decisions against the kernel: ${N} openat calls in a real tree (seed ${SEED})`, async (t) => {
  t.comment(`FUZZ_SEED=${SEED} FUZZ_N=${N}; tree at ${T}; supervisor pid (for its /proc) ${SUPERVISOR}`);
  // The oracle's glob matcher against a few fixed points, and the decision on a few fixed calls.
  t.ok(globMatch(`${T}/allowed/**`, `${T}/allowed`), '"/**" matches the directory itself');
  t.ok(globMatch(`${T}/pub/?`, `${T}/pub/c`) && !globMatch(`${T}/pub/?`, `${T}/pub/dd`), '"?" is one character');
  t.ok(!readable(`${T}/allowed/secret/key.txt`) && readable(`${T}/allowed/file.txt`) && !readable(`${T}/outside/o.txt`) && readable(`${T}/tmp/w.txt`), 'the oracle reads the profile');
  const fixed = (path: string, flags = 0): string => decide(trapFor(AT_FDCWD, cpath.set(path), flags), ctx).action;
  t.equal(fixed(`${T}/allowed/file.txt`), 'allow', 'an allowed file');
  t.equal(fixed(`${T}/allowed/toSecret`), 'deny', 'a link in an allowed directory to a denied file');
  t.equal(fixed(`${T}/pub/x.txt`), 'deny', 'a link named *.txt to a secret');
  t.equal(fixed(`${T}/outside/toAllowed`), 'deny', 'a link from outside into an allowed directory (the lexical path is not allowed)');
  t.equal(fixed(`${T}/allowed/toOutsideDir/../file.txt`), 'deny', 'link then "..": toOutsideDir/.. is the tree root, not allowed/ (lexically allowed/file.txt)');
  t.equal(fixed(`/proc/self/fd/${fds.secretFile}`), 'deny', '/proc/self/fd/N of a denied file');
  t.equal(fixed(`/proc/self/fd/${fds.allowedFile}`), 'allow', '/proc/self/fd/N of an allowed file');

  const failures = new Failures('path-decision-vs-kernel', SEED);
  const timing = new Timing();
  for (const i of caseRange(N)) {
    const input = genInput(caseRng(SEED, i));
    const { result: bad } = timed((): string | undefined => {
      try {
        return check(input);
      } catch (e) {
        return `threw ${String(e)}`;
      }
    }, `seed ${SEED} case ${i}`, `case ${i}`, input, timing, failures);
    if (bad) failures.add(`seed ${SEED} case ${i}`, bad, input);
  }
  t.comment(`kernel opened ${stats.opened}: decision allowed ${stats.allowed}, refused ${stats.refused} (${stats.refusedLexical} by the lexical path, ${stats.refusedReal} by what it resolves to)`);
  t.comment(`${stats.anonymous} of them were objects outside the filesystem (pipes, namespaces) reached through magic links: not compared`);
  t.comment(`kernel failed ${JSON.stringify(stats.kernelFailed)}; of those, the decision allowed ${stats.allowedButKernelFails} (harmless) and predicted the kernel's error ${stats.brokenAgree} times`);
  t.comment(timing.summary());
  const rep = failures.report();
  const escapes = failures.list.filter((f) => f.what.startsWith('ESCAPE'));
  t.equal(escapes.length, 0, 'no allowed call opens something the profile does not allow', { seed: SEED, failures: escapes.slice(0, 5) });
  t.equal(failures.length, 0, 'the decision is allow exactly when the kernel-opened file and the named path are allowed', { seed: SEED, saved: rep.saved, failures: rep.first });
  if (process.env.FUZZ_CASE === undefined) {
    t.ok(timing.count >= N, `${timing.count} calls decided and made (asked for ${N})`);
    t.ok(stats.allowed > N / 20 && stats.refusedReal > N / 100 && stats.refusedLexical > N / 20, 'allowed calls, calls refused by their lexical path and calls refused only by where they resolve are all well represented');
  }
  t.comment(`slowest call ${timing.max.toFixed(1)} ms (limit ${LIMIT_MS} ms, checked twice before it counts as a hang)`);
});

// --- the property has teeth: a resolver that takes ".." lexically first is caught ------------------------------

t.test('the property catches a resolver that normalises ".." before following symlinks', async (t) => {
  // Node's fs.realpathSync (JavaScript) resolves the lexically normalised path: "toOutsideDir/../x" becomes "x".
  const lexicalFirst = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return posix.normalize(p);
    }
  };
  const wrong: DecideContext = { ...ctx, realpath: lexicalFirst };
  const saved = { ...stats, kernelFailed: { ...stats.kernelFailed } };
  let escapes = 0;
  let n = 0;
  for (const i of caseRange(Math.max(1, Math.floor(N / 5)))) {
    n++;
    const bad = check(genInput(caseRng(SEED, i, 1)), wrong);
    if (bad?.startsWith('ESCAPE')) escapes++;
  }
  Object.assign(stats, saved);
  t.comment(`${escapes} escapes in ${n} calls with the lexical-first resolver`);
  t.ok(escapes > 0, 'with it, some allowed calls open files the profile does not allow (and the property says so)');
});

// --- a reproducer: deciding on a path through a directory that does not exist (yet) ------------------------

t.test('a path through a missing directory and back out with "..": the kernel fails it; decided again once the directory exists', async (t) => {
  // view.ts realpath() reports ENOENT for allowed/later (missing, with more after it), as the kernel's
  // walk does; the decision lets the call through, unreported, and the kernel fails it with ENOENT
  // (every dynamic program's library search does this). What would make that unsafe — another task
  // creating allowed/later between the decision and the kernel's walk, so that the call opens
  // outside/o.txt — cannot happen under syscage: the sandbox is held still while the call is decided
  // and made (lib/trace/hold.ts; test/trace/hold.test.ts, test/escapes/ races). Once the directory
  // exists, the same call is decided on the real path and refused.
  const path = `${T}/allowed/later/../toOutsideDir/o.txt`;
  const ptr = cpath.set(path);
  const d = decide(trapFor(AT_FDCWD, ptr, 0), ctx);
  t.same(kernelOpen(AT_FDCWD, ptr, 0), { ok: false, errno: 2 }, 'the kernel cannot walk through allowed/later: ENOENT');
  t.equal(d.action, 'allow', 'let through to the kernel, which fails it');
  t.notOk(d.action === 'allow' && d.log, 'and not reported');
  mkdirSync(`${T}/allowed/later`);
  try {
    t.same(kernelOpen(AT_FDCWD, cpath.set(path), 0), { ok: true, path: `${T}/outside/o.txt` }, 'once allowed/later exists, the same call opens outside/o.txt');
    const after = decide(trapFor(AT_FDCWD, cpath.set(path), 0), ctx);
    t.equal(after.action, 'deny', 'decided then, it is refused (the symlink is resolved)');
  } finally {
    rmdirSync(`${T}/allowed/later`);
  }
});
