// Fuzzing the path resolver: lib/trace/view.ts realpath (kernel-order symlink
// resolution, with the non-existent rest appended) and lib/trace/decide/paths.ts
// locatePath / realPaths (reading the path out of the tracee, joining it to
// the cwd or a dirfd, /proc/self rewriting, the lexical path, the real paths
// for follow / nofollow / both), driven with the real TraceeView of this very
// process over a real temporary tree of directories, files, a FIFO and
// symlinks: relative, absolute, to files, to "." and "..", to "/", into
// /proc/self, dangling, self-loops, two-link loops, and chains of 39 and 41
// links around the kernel's MAXSYMLINKS.
//
// Generated paths mix the tree's names with ".", "..", "//", trailing
// slashes, names that do not exist, unicode, 255- and 256-byte names, paths
// over PATH_MAX, invalid UTF-8, and starts at "/", the tree, /proc/self/cwd,
// /proc/self/root, /proc/thread-self, /proc/self/fd/N (a directory, a file, a
// deleted file) and relative paths from the cwd or a dirfd.
//
// Properties, for every input:
//   - nothing throws; the answer is a path, a Fault or a PathProblem;
//     a path is absolute and normal (no ".", "..", "//", trailing "/");
//   - the kernel is the oracle: when open(O_PATH) succeeds, the resolver's
//     real path is exactly what the kernel opened (readlink /proc/self/fd/N),
//     for follow and, with O_NOFOLLOW, for nofollow;
//   - when the kernel says ELOOP, the resolver says ELOOP (errno 40);
//   - when the kernel says ENOENT, the resolver's answer is canonical where it
//     exists (no symlink in its existing prefix: the kernel reaches that
//     prefix by exactly that name), and for an existing directory plus a new
//     name it is the kernel's directory plus that name (what O_CREAT creates);
//   - the lexical path is path.posix.resolve of the base and the string
//     (with /proc/PID shown as /proc/self);
//   - every input answers within 1 s.
// Not compared (counted instead): paths the kernel refuses for another
// reason (ENOTDIR, ENAMETOOLONG), where the resolver may still name a path —
// the kernel fails the call, so nothing is reached. Node's fs.realpathSync
// (JavaScript, lexical ".." first) is counted against the kernel too, to show
// how often kernel order matters.
import t from 'tap';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { hostArch } from '../../lib/arch/index.js';
import { forgetRoot, realpath, traceeView } from '../../lib/trace/view.js';
import { forMatch, isProblem, locatePath, normal, realPaths, type Follow } from '../../lib/trace/decide/paths.js';
import type { DecideContext } from '../../lib/trace/decide/context.js';
import type { Trap } from '../../lib/trace/types.js';
import { isFault } from '../../lib/trace/types.js';
import type { Rng } from '../helpers/random.js';
import { caseRange, caseRng, Failures, fuzzCount, fuzzSeed, LIMIT_MS, timed, Timing } from './fixtures/kit.js';
import { AT_FDCWD, buildTree, CPath, errnoText, kernelOpen, kernelOpenString, O_DIRECTORY, O_NOFOLLOW, O_PATH, type Entry } from './fixtures/tree.js';

const SEED = fuzzSeed();
const N = fuzzCount(100_000);
const PID = process.pid;

// --- the tree ---------------------------------------------------------------------------------------

const LONG = 'L'.repeat(200);
const N255 = 'm'.repeat(255);
const ENTRIES: Entry[] = [
  { kind: 'dir', path: 'a/b/c' },
  { kind: 'file', path: 'a/b/c/file.txt' },
  { kind: 'file', path: 'a/file' },
  { kind: 'dir', path: 'a/é' },
  { kind: 'dir', path: 'a/日本 語' },
  { kind: 'dir', path: 'a/sp ace' },
  { kind: 'dir', path: 'a/*?[x]{y}' },
  { kind: 'dir', path: `a/${LONG}` },
  { kind: 'dir', path: `a/${N255}` },
  { kind: 'dir', path: 'a/.hidden' },
  { kind: 'dir', path: 'a/...' },
  { kind: 'dir', path: 'x/y' },
  { kind: 'file', path: 'x/y/z.txt' },
  { kind: 'fifo', path: 'x/fifo' },
  { kind: 'link', path: 'a/up', target: '..' },
  { kind: 'link', path: 'a/b/toX', target: '../../x' },
  { kind: 'link', path: 'a/b/absX', target: '@ROOT/x' },
  { kind: 'link', path: 'a/loop1', target: 'loop2' },
  { kind: 'link', path: 'a/loop2', target: 'loop1' },
  { kind: 'link', path: 'a/self', target: 'self' },
  { kind: 'link', path: 'a/dangling', target: '../nope/zz' },
  { kind: 'link', path: 'a/danglingAbs', target: '/nonexistent-syscage-fuzz/q' },
  { kind: 'link', path: 'a/danglingRel', target: 'b/c/new' },
  { kind: 'link', path: 'a/toFile', target: 'b/c/file.txt' },
  { kind: 'link', path: 'a/toFileSlash', target: 'b/c/file.txt/' },
  { kind: 'link', path: 'a/root', target: '/' },
  { kind: 'link', path: 'a/dot', target: '.' },
  { kind: 'link', path: 'a/dotdot', target: '..' },
  { kind: 'link', path: 'a/procself', target: '/proc/self' },
  { kind: 'link', path: 'a/toLink', target: 'b/toX' },
  { kind: 'link', path: 'a/linkThenUp', target: 'b/toX/..' },
  { kind: 'link', path: 'a/longTarget', target: 'b/' + './'.repeat(900) + 'c' },
  { kind: 'link', path: 'a/toUnicode', target: 'é' },
  { kind: 'link', path: 'x/back', target: '../a/b' },
  { kind: 'link', path: 'x/viaProcCwd', target: '/proc/self/cwd/b' },
  { kind: 'link', path: 'x/trailing', target: 'y/' },
  // Chains around MAXSYMLINKS (40): chain/k0 → k1 → … → k41 → the directory x.
  ...Array.from({ length: 42 }, (_, i): Entry => ({ kind: 'link', path: `chain/k${i}`, target: i === 41 ? '../x' : `k${i + 1}` })),
];

const tree = buildTree('syscage-fuzz-paths-', ENTRIES);
const T = tree.root;
t.teardown(() => tree.remove());

// Open fds for /proc/self/fd/N and dirfds: a directory, a file, a file that is then deleted.
const dirFd = openSync(`${T}/a/b`, O_DIRECTORY);
const fileFd = openSync(`${T}/x/y/z.txt`, 'r');
writeFileSync(`${T}/x/gone`, 'x');
const goneFd = openSync(`${T}/x/gone`, 'r');
unlinkSync(`${T}/x/gone`);
const CLOSED_FD = 987;
t.teardown(() => [dirFd, fileFd, goneFd].forEach((fd) => closeSync(fd)));

const CWD = `${T}/a`;
const savedCwd = process.cwd();
process.chdir(CWD);
t.teardown(() => process.chdir(savedCwd));

// --- generation -------------------------------------------------------------------------------------

const TREE_NAMES = [...tree.names, 'k0', 'k1', 'k2', 'k39', 'k40', 'k41'];
const UNI = ['é', 'e\u0301', 'Ω', '🙂', '日本', '\u200b', 'ﬁ', '\u202e', 'İ', 'ß'];

function component(r: Rng): string {
  const k = r.int(100);
  if (k < 45) return r.pick(TREE_NAMES);
  if (k < 58) return '..';
  if (k < 66) return '.';
  if (k < 71) return '';
  if (k < 77) return r.pick(['nope', 'new', 'zz', 'q', '-', '...', '.x', 'a b', '*', '?', '[x]', '\\', ':', '%', '~']);
  if (k < 82) return r.pick(UNI) + (r.chance(0.5) ? r.pick(TREE_NAMES) : '');
  if (k < 84) return 'n'.repeat(256 + r.int(40));
  if (k < 86) return N255;
  return r.pick(['proc', 'self', 'cwd', 'root', 'fd', String(dirFd), String(fileFd), 'task', String(PID)]);
}

interface Input {
  /** The path string, or raw bytes (invalid UTF-8). */
  readonly path: string;
  readonly bytes?: Buffer;
  readonly dirfd: number;
  readonly follow: Follow;
}

const dirCache = new Map<string, string[]>();
const realCache = new Map<string, string | null>();
const listing = (dir: string): string[] => {
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
};
const resolved = (p: string): string | null => {
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
};

const dirs = new Map<string, boolean>();
const isDir = (p: string): boolean => {
  let v = dirs.get(p);
  if (v === undefined) {
    try {
      v = statSync(p).isDirectory();
    } catch {
      v = false;
    }
    dirs.set(p, v);
  }
  return v;
};

function genInput(r: Rng): Input {
  const starts = [T, `${T}/a`, `${T}/a/b`, `${T}/x`, `${T}/chain`, '/', '/proc/self/cwd', `/proc/self/root${T}`, '/proc/thread-self/cwd', `/proc/${PID}/cwd`,
    `/proc/self/fd/${dirFd}`, `/proc/self/fd/${fileFd}`, `/proc/self/fd/${goneFd}`, `/proc/self/fd/${CLOSED_FD}`, '/proc/self', '/tmp', ''];
  const start = r.pick(starts);
  // Half of the components name something that exists where the walk is (as far as the generator can tell).
  let cur = resolved(start === '' ? CWD : start);
  const comps: string[] = [];
  for (let n = r.int(10); n > 0; n--) {
    const here = cur === null ? [] : listing(cur).filter((x) => !x.startsWith('k') || r.chance(0.1));
    const c = here.length > 0 && r.chance(0.55) ? r.pick(here) : component(r);
    comps.push(c);
    cur = cur === null ? null : resolved(`${cur}/${c}`);
    if (cur !== null && !isDir(cur) && r.chance(0.8)) break;
  }
  let path = [start, ...comps].join('/');
  if (start === '') path = comps.join('/') || r.pick(['.', '..', 'b', '']);
  if (r.chance(0.1)) path += '/';
  if (r.chance(0.05)) path = path.replace(/\//g, () => (r.chance(0.3) ? '//' : '/'));
  // Over PATH_MAX, or right at it.
  if (r.chance(0.01)) path = `${T}/a/` + r.pick(['./', 'b/../', 'up/a/', '/']).repeat(1100 + r.int(200)) + r.pick(['b', 'file', '']);
  if (r.chance(0.005)) path = `${T}/a/` + 'b/..//'.repeat((4095 - T.length - 3) / 6) + 'b';
  const dirfd = path.startsWith('/') ? (r.chance(0.9) ? AT_FDCWD : r.pick([dirFd, fileFd, CLOSED_FD])) : r.pick([AT_FDCWD, AT_FDCWD, dirFd, fileFd, CLOSED_FD]);
  const follow: Follow = r.pick(['follow', 'follow', 'nofollow', 'both']);
  if (r.chance(0.01)) {
    // Invalid UTF-8: the view decodes it lossily, and locatePath must refuse it.
    const b = Buffer.from(path, 'utf8');
    const at = r.int(b.length + 1);
    const bytes = Buffer.concat([b.subarray(0, at), Buffer.from([r.pick([0xff, 0xc3, 0x80, 0xed])]), b.subarray(at)]);
    // `path` is what the bytes decode to (U+FFFD where they are not UTF-8; a 0xc3 may complete a character).
    return { path: bytes.toString('utf8'), bytes, dirfd, follow };
  }
  return { path, dirfd, follow };
}

// --- checks -------------------------------------------------------------------------------------------

const isNormalAbs = (p: string): boolean => p.startsWith('/') && normal(p) === p;

/** The longest prefix of an absolute path that exists (lstat), and whether it is a symlink. */
function existingPrefix(p: string): { prefix: string; link: boolean } {
  const parts = p.split('/').filter((x) => x !== '');
  let prefix = '/';
  let link = false;
  for (const part of parts) {
    const next = prefix === '/' ? `/${part}` : `${prefix}/${part}`;
    try {
      link = lstatSync(next).isSymbolicLink();
    } catch {
      break;
    }
    prefix = next;
  }
  return { prefix, link: prefix === '/' ? false : link };
}

const stats = {
  kernelOk: 0, kernelEloop: 0, kernelEnoent: 0, kernelEnotdir: 0, kernelLong: 0, kernelOther: 0,
  enoentExact: 0, enoentCanonical: 0, nodeJsRealpathDiffers: 0, lexicalOnlyWrong: 0,
  anonymous: 0, selfHopEloop: 0,
  problems: 0, problemErrno: {} as Record<string, number>, realPathsCompared: 0, nofollowCompared: 0, invalidUtf8Refused: 0,
};

/** realpath(p) of view.ts against the kernel. Returns what is wrong, or undefined. */
function checkRealpath(p: string): string | undefined {
  let r: ReturnType<typeof realpath>;
  try {
    r = realpath(p);
  } catch (e) {
    return `realpath threw ${String(e)}`;
  }
  if (!isFault(r) && typeof r !== 'string') return `realpath returned ${typeof r}`;
  if (isFault(r) && (typeof r.fault !== 'string' || (r.errno !== undefined && !Number.isInteger(r.errno)))) return 'a malformed Fault';
  if (typeof r === 'string' && !isNormalAbs(r)) return `realpath gave a path that is not absolute and normal: ${r}`;
  const k = kernelOpenString(p, O_PATH);
  if (k.ok && !k.path.startsWith('/')) {
    // A magic link to a pipe, socket or anon inode: no path names it; the decision checks such fds by number (paths.ts procFd).
    stats.anonymous++;
    return undefined;
  }
  if (k.ok) {
    stats.kernelOk++;
    try {
      if (realpathSync(p) !== k.path) stats.nodeJsRealpathDiffers++;
    } catch {
      stats.nodeJsRealpathDiffers++;
    }
    if (typeof r !== 'string') return `the kernel opens ${k.path}, the resolver says ${r.fault}`;
    if (r !== k.path) return `the kernel opens ${k.path}, the resolver says ${r}`;
    return undefined;
  }
  switch (k.errno) {
    case 40:
      stats.kernelEloop++;
      if (!isFault(r) || r.errno !== 40) return `the kernel says ELOOP, the resolver says ${isFault(r) ? r.fault : r}`;
      return undefined;
    case 2: {
      stats.kernelEnoent++;
      if (isFault(r)) return undefined; // refusing is always safe
      // Canonical where it exists: the existing prefix is reached by exactly that name, and is no symlink.
      const { prefix, link } = existingPrefix(r);
      const kp = kernelOpenString(prefix, O_PATH | O_NOFOLLOW);
      if (link || !kp.ok || kp.path !== prefix) return `the kernel says ENOENT; the resolver's ${r} is not canonical where it exists (${prefix}${link ? ' is a symlink' : ''})`;
      stats.enoentCanonical++;
      // An existing directory plus a new name: what O_CREAT would create.
      const cut = p.lastIndexOf('/');
      const last = p.slice(cut + 1);
      if (last !== '' && last !== '.' && last !== '..' && cut > 0) {
        let missing = false;
        try {
          lstatSync(p);
        } catch (e) {
          missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        }
        const dir = kernelOpenString(p.slice(0, cut), O_PATH | O_DIRECTORY);
        if (missing && dir.ok && Buffer.byteLength(last) <= 255) {
          stats.enoentExact++;
          const want = dir.path === '/' ? `/${last}` : `${dir.path}/${last}`;
          if (r !== want) return `a new name in ${dir.path}: the kernel would create ${want}, the resolver says ${r}`;
        }
      }
      return undefined;
    }
    case 20: stats.kernelEnotdir++; return undefined;
    case 36: stats.kernelLong++; return undefined;
    default: stats.kernelOther++; return undefined;
  }
}

const cpath = new CPath();
const view = traceeView(PID);
const ctx = {
  view,
  realpath,
  matchers: undefined as never,
  isTracee: () => true,
  supervisorPid: -1,
  supervisorPgid: -1,
  pidOfPidfd: () => ({ fault: 'unused' }),
} satisfies Partial<DecideContext> as unknown as DecideContext;

function trapFor(ptr: bigint, dirfd: number): Trap {
  return {
    tid: PID, pid: PID, arch: hostArch(), nr: 257, syscall: 'openat',
    args: [BigInt.asUintN(64, BigInt(dirfd)), ptr, 0n, 0n, 0n, 0n],
    entry: { id: 0, checks: ['files'], then: 'allow', origin: { what: 'files' } },
  };
}

/** The base a relative path starts from, as the kernel sees it. */
function baseOf(dirfd: number): string | undefined {
  try {
    return dirfd === AT_FDCWD ? readlinkSync('/proc/self/cwd') : readlinkSync(`/proc/self/fd/${dirfd}`);
  } catch {
    return undefined;
  }
}

/** locatePath + realPaths against the kernel's openat on the same bytes. */
function checkDecisionPaths(input: Input): string | undefined {
  const bytes = input.bytes ?? Buffer.from(input.path, 'utf8');
  const ptr = cpath.set(bytes);
  const trap = trapFor(ptr, input.dirfd);
  let target: ReturnType<typeof locatePath>;
  try {
    target = locatePath(trap, ctx, 1, 0, 'fault');
  } catch (e) {
    return `locatePath threw ${String(e)}`;
  }
  if (isProblem(target)) {
    stats.problems++;
    const key = target.errno === undefined ? 'policy' : errnoText(target.errno);
    stats.problemErrno[key] = (stats.problemErrno[key] ?? 0) + 1;
    if (typeof target.reason !== 'string' || (target.errno !== undefined && !Number.isInteger(target.errno))) return 'a malformed PathProblem';
    if (target.errno === undefined && /not valid UTF-8/.test(target.reason)) stats.invalidUtf8Refused++;
    if (target.errno !== undefined) {
      // The kernel must fail the call too (with this errno or an earlier one of its own).
      const k = kernelOpen(input.dirfd, ptr, O_PATH);
      if (k.ok) return `locatePath says the kernel fails with ${errnoText(target.errno)}, but it opens ${k.path}`;
    }
    return undefined;
  }
  if (input.path.includes('\uFFFD')) return 'a path with invalid UTF-8 was not refused';
  if (target.kind !== 'path') return target.kind === 'fd' && input.path === '' ? undefined : `an unexpected ${target.kind} target`;
  if (!isNormalAbs(target.lexical)) return `lexical ${target.lexical} is not absolute and normal`;
  const base = baseOf(input.dirfd);
  if (base !== undefined || input.path.startsWith('/')) {
    const lexical = forMatch(posix.resolve(input.path.startsWith('/') ? '/' : base!, input.path.replace(/^\/proc\/thread-self(?=\/|$)/, `/proc/${PID}/task/${PID}`)), PID);
    if (target.lexical !== lexical) return `lexical ${target.lexical}, expected ${lexical}`;
  }
  let reals: ReturnType<typeof realPaths>;
  try {
    reals = realPaths(target, input.follow, trap, ctx);
  } catch (e) {
    return `realPaths threw ${String(e)}`;
  }
  if (isProblem(reals)) {
    if (reals.errno !== undefined) {
      const k = kernelOpen(input.dirfd, ptr, O_PATH);
      if (k.ok) return `realPaths says the kernel fails with ${errnoText(reals.errno)}, but it opens ${k.path}`;
    }
    return undefined;
  }
  for (const p of reals) if (!isNormalAbs(p)) return `real path ${p} is not absolute and normal`;
  const want = input.follow === 'both' ? 2 : 1;
  const cut = target.raw.lastIndexOf('/');
  const last = target.raw.slice(cut + 1);
  const forced = last === '' || last === '.' || last === '..';
  if (reals.length !== (forced ? 1 : want)) return `${reals.length} real paths for ${input.follow}`;
  // follow: the kernel's O_PATH; nofollow: O_PATH|O_NOFOLLOW (the link itself). A trailing "/", "." or ".." always follows.
  const follows = input.follow !== 'nofollow' || forced;
  if (follows) {
    const k = kernelOpen(input.dirfd, ptr, O_PATH);
    if (k.ok && !k.path.startsWith('/')) {
      stats.anonymous++;
    } else if (k.ok) {
      stats.realPathsCompared++;
      if (reals[0] !== forMatch(k.path, PID)) return `follow: the kernel opens ${k.path}, realPaths says ${reals[0]}`;
    } else if (k.errno === 40 && reals[0] !== undefined) {
      // /proc/self and /proc/thread-self are symlinks the kernel counts towards its 40; paths.ts rewrites
      // them to /proc/PID first, so a path one link short of ELOOP resolves there. The kernel still fails it.
      const rewritten = kernelOpenString(target.raw, O_PATH);
      if (/^\/proc\/(?:self|thread-self)(?:\/|$)/.test(input.path) && (rewritten.ok || rewritten.errno !== 40)) stats.selfHopEloop++;
      else return `follow: the kernel says ELOOP, realPaths says ${reals[0]}`;
    }
  }
  if (input.follow !== 'follow' && !forced) {
    const k = kernelOpen(input.dirfd, ptr, O_PATH | O_NOFOLLOW);
    const mine = reals[reals.length - 1]!;
    if (k.ok && k.path.startsWith('/')) {
      stats.nofollowCompared++;
      if (mine !== forMatch(k.path, PID)) return `nofollow: the kernel opens ${k.path}, realPaths says ${mine}`;
    }
  }
  return undefined;
}

/**
 * Does the kernel meet a missing directory before the last component, with a ".." after it?
 * view.ts walk() then goes on lexically: ".." climbs back into the existing tree and the
 * symlinks after it are appended unresolved (see the report; the kernel fails with ENOENT).
 */
function missingThenDotdot(abs: string): boolean {
  const comps = abs.split('/');
  for (let i = 1; i < comps.length - 1; i++) {
    const prefix = comps.slice(0, i + 1).join('/') || '/';
    const k = kernelOpenString(prefix, O_PATH);
    if (!k.ok && k.errno === 2) return comps.slice(i + 1).includes('..');
    if (!k.ok) return false;
  }
  return false;
}


function checkOne(input: Input): string | undefined {
  if (!input.bytes) {
    const abs = input.path.startsWith('/') ? input.path : input.dirfd === AT_FDCWD ? `${CWD}/${input.path}` : undefined;
    if (abs !== undefined) {
      const bad = checkRealpath(abs);
      if (bad) return `realpath(${JSON.stringify(abs)}): ${bad}`;
    }
  }
  const bad = checkDecisionPaths(input);
  return bad ? `locatePath/realPaths(${JSON.stringify(input.path)}, dirfd ${input.dirfd}, ${input.follow}): ${bad}` : undefined;
}

t.test(`the path resolver: ${N} generated paths against the kernel (seed ${SEED})`, async (t) => {
  t.comment(`FUZZ_SEED=${SEED} FUZZ_N=${N}; tree at ${T}`);
  // Sanity of the oracle and of the view before the fuzzing.
  t.equal(view.root(), '/', 'the view reads this process\'s root');
  t.equal(view.cwd(), CWD, 'and its cwd');
  forgetRoot(PID);
  t.same(kernelOpenString(`${T}/a/b/toX`, O_PATH), { ok: true, path: `${T}/x` }, 'the kernel oracle follows a link');
  t.same(kernelOpenString(`${T}/chain/k0`, O_PATH), { ok: false, errno: 40 }, '41 links: ELOOP');
  t.same(kernelOpenString(`${T}/chain/k2`, O_PATH), { ok: true, path: `${T}/x` }, '39 links: fine');
  t.same(realpath(`${T}/a/linkThenUp/a`), `${T}/a`, 'kernel order: b/toX/.. is the parent of x, not b');
  t.equal(realpathSync(`${T}/a/b/toX/../c`), `${T}/a/b/c`, 'Node\'s realpathSync takes ".." lexically first: a/b/c exists');
  t.same(kernelOpenString(`${T}/a/b/toX/../c`, O_PATH), { ok: false, errno: 2 }, 'the kernel follows toX first: x/../c does not exist');
  t.equal(realpath(`${T}/a/b/toX/../c`), `${T}/c`, 'and so does the resolver');

  const failures = new Failures('path-resolver', SEED);
  const missing = new Failures('path-resolver-missing-then-dotdot', SEED);
  const timing = new Timing();
  for (const i of caseRange(N)) {
    const input = genInput(caseRng(SEED, i));
    const { result: bad } = timed((): string | undefined => {
      try {
        return checkOne(input);
      } catch (e) {
        return `threw ${String(e)}`;
      }
    }, `seed ${SEED} case ${i}`, `case ${i}`, input, timing, failures);
    if (bad) {
      const abs = input.path.startsWith('/') ? input.path : `${CWD}/${input.path}`;
      const known = !input.bytes && /is not canonical where it exists/.test(bad) && missingThenDotdot(abs);
      (known ? missing : failures).add(`seed ${SEED} case ${i}`, bad, { ...input, bytes: input.bytes?.toString('hex') });
    }
  }
  t.comment(`kernel: ${JSON.stringify({ ok: stats.kernelOk, ELOOP: stats.kernelEloop, ENOENT: stats.kernelEnoent, ENOTDIR: stats.kernelEnotdir, ENAMETOOLONG: stats.kernelLong, other: stats.kernelOther })}`);
  t.comment(`ENOENT answers checked canonical: ${stats.enoentCanonical}, exactly (dir + new name): ${stats.enoentExact}`);
  t.comment(`realPaths compared with the kernel: follow ${stats.realPathsCompared}, nofollow ${stats.nofollowCompared}; PathProblems ${stats.problems} ${JSON.stringify(stats.problemErrno)}; invalid UTF-8 refused ${stats.invalidUtf8Refused}`);
  t.comment(`not compared: ${stats.anonymous} magic links to anonymous objects (pipe:[…], anon_inode:…); ${stats.selfHopEloop} ELOOPs one link over the limit only because of the /proc/self hop`);
  t.comment(`Node's fs.realpathSync (lexical ".." first) disagrees with the kernel on ${stats.nodeJsRealpathDiffers} of ${stats.kernelOk} paths the kernel opens`);
  t.comment(timing.summary());
  const rep = failures.report();
  const mrep = missing.report(2);
  t.comment(`${missing.length} paths through a missing directory and back out with ".." (the known walk() bug)`);
  t.equal(missing.length, 0, 'a path through a missing directory and back out with ".." fails with ENOENT, as in the kernel (it resolved as if the directory existed)', { saved: mrep.saved, examples: mrep.first });
  t.equal(failures.length, 0, 'no throw, no hang; the resolver agrees with the kernel wherever the kernel answers', { seed: SEED, saved: rep.saved, failures: rep.first });
  if (process.env.FUZZ_CASE === undefined) {
    t.ok(timing.count >= N, `${timing.count} paths ran (asked for ${N})`);
    t.ok(stats.kernelOk > N / 10 && stats.kernelEnoent > N / 20 && stats.kernelEloop > N / 1000, 'the kernel opened, missed and looped on a fair share of them');
    t.ok(stats.realPathsCompared > N / 10 && stats.nofollowCompared > N / 50, 'realPaths was compared with the kernel for follow and nofollow');
    t.ok(stats.enoentExact > N / 100, 'new names in existing directories were compared exactly');
  }
  t.comment(`slowest path ${timing.max.toFixed(1)} ms (limit ${LIMIT_MS} ms, checked twice before it counts as a hang)`);
});
