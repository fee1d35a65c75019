// The path arguments of every syscall the files check (files.ts) decodes: which
// argument is a path, whether the call follows a final symlink, and whether it
// writes is the table below (man 2 of each call, fs/namei.c,
// fs/open.c, fs/stat.c). A syscall the table does not know but that the
// syscall table says takes a path is checked strictly: as a write, both the
// link and its target.
import type { Arch } from '../../arch/index.js';
import { syscallTable } from '../../arch/index.js';
import { constantValue } from '../../arch/constants.js';
import type { Trap } from '../types.js';
import { argInt, argU32, argU64, E2BIG, EINVAL, faultErrno, isFault, PATH_MAX } from './args.js';
import type { DecideContext } from './context.js';
import type { Follow, NullPath, PathProblem } from './paths.js';

export type Access = 'read' | 'write';

/** One path argument of a call, as the table describes it. */
interface PathSpec {
  readonly path: number;
  /** The dirfd argument it is relative to; -1: none (relative to the cwd). */
  readonly dirfd: number;
  readonly access: Access;
  /** Without flags. */
  readonly follow: Follow;
  /** The flags argument that modifies the lookup, and its bits. */
  readonly flags?: number;
  readonly nofollowBit?: number;
  readonly followBit?: number;
  /** An empty or NULL path names the dirfd itself (AT_EMPTY_PATH). */
  readonly emptyBit?: number;
  readonly nullMeans?: NullPath;
  /** The call only looks at the path (its metadata, where it leads): see LOOKS. */
  readonly looks?: boolean;
}

/** A path argument of this call, with its flags applied. */
export interface PathUse {
  readonly path: number;
  readonly dirfd: number;
  readonly access: Access;
  readonly follow: Follow;
  readonly nullMeans: NullPath;
  readonly inRoot?: boolean;
  readonly looks?: boolean;
}

/** Calls whose paths depend on more than flag bits: open flags, struct open_how, mount... */
type Dynamic = (trap: Trap, ctx: DecideContext) => readonly PathUse[] | PathProblem;

type FileSpec = readonly PathSpec[] | Dynamic;

// linux/fcntl.h: *at() lookup flags.
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;

export const R: Access = 'read';
export const W: Access = 'write';

const plain = (path: number, access: Access, follow: Follow, more: Partial<PathSpec> = {}): PathSpec =>
  ({ path, dirfd: -1, access, follow, ...more });
const at = (dirfd: number, path: number, access: Access, follow: Follow, more: Partial<PathSpec> = {}): PathSpec =>
  ({ path, dirfd, access, follow, ...more });
/** The usual *at() flags argument: AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH. */
const atFlags = (index: number): Partial<PathSpec> => ({ flags: index, nofollowBit: AT_SYMLINK_NOFOLLOW, emptyBit: AT_EMPTY_PATH });
/**
 * A call that only looks: the stat and access families, readlink, statfs, chdir. Interpreters and
 * loaders look at paths all the time, so such a call on the ancestors of a grant is let through,
 * and on any other ungranted path it gets ENOENT (hidden, not a violation: see hideOrRefuse).
 */
const LOOKS: Partial<PathSpec> = { looks: true };

const SPECS: ReadonlyMap<string, FileSpec> = new Map<string, FileSpec>([
  // --- open: access and follow come from the flags ---------------------------
  ['open', (trap) => [openUse(trap, 0, -1, argU32(trap, 1))]],
  ['openat', (trap) => [openUse(trap, 1, 0, argU32(trap, 2))]],
  ['openat2', openat2],
  // creat(p, mode) is open(p, O_CREAT|O_WRONLY|O_TRUNC, mode): it follows a
  // (dangling) symlink and creates its target.
  ['creat', [plain(0, W, 'follow')]],

  // --- reads: metadata, lookups, watches -------------------------------------
  ['stat', [plain(0, R, 'follow', LOOKS)]],
  ['lstat', [plain(0, R, 'nofollow', LOOKS)]],
  ['newfstatat', [at(0, 1, R, 'follow', { ...atFlags(3), ...LOOKS })]],
  ['statx', [at(0, 1, R, 'follow', { ...atFlags(2), ...LOOKS })]],
  ['statfs', [plain(0, R, 'follow', LOOKS)]],
  // readlink reads the link itself; readlinkat(fd, "") reads the link fd
  // refers to (an O_PATH|O_NOFOLLOW fd), without needing AT_EMPTY_PATH.
  ['readlink', [plain(0, R, 'nofollow', LOOKS)]],
  ['readlinkat', [at(0, 1, R, 'nofollow', LOOKS)]],
  // access(W_OK) only asks; nothing is written.
  ['access', [plain(0, R, 'follow', LOOKS)]],
  // The faccessat syscall has no flags argument (glibc emulates them); faccessat2 has.
  ['faccessat', [at(0, 1, R, 'follow', LOOKS)]],
  ['faccessat2', [at(0, 1, R, 'follow', { ...atFlags(3), ...LOOKS })]],
  ['getxattr', [plain(0, R, 'follow')]],
  ['lgetxattr', [plain(0, R, 'nofollow')]],
  ['listxattr', [plain(0, R, 'follow')]],
  ['llistxattr', [plain(0, R, 'nofollow')]],
  ['getxattrat', [at(0, 1, R, 'follow', atFlags(2))]],
  ['listxattrat', [at(0, 1, R, 'follow', atFlags(2))]],
  ['chdir', [plain(0, R, 'follow', LOOKS)]],
  // inotify_add_watch's first argument is the inotify fd, not a dirfd.
  ['inotify_add_watch', [plain(1, R, 'follow', { flags: 2, nofollowBit: 0x02000000 /* IN_DONT_FOLLOW */ })]],
  // fanotify_mark(fd, flags, mask, dirfd, path): a NULL path marks dirfd itself.
  ['fanotify_mark', [at(3, 4, R, 'follow', { flags: 1, nofollowBit: 0x4 /* FAN_MARK_DONT_FOLLOW */, nullMeans: 'fd' })]],
  // Follows only with AT_SYMLINK_FOLLOW. The handle is then opened by
  // open_by_handle_at without any path (and CAP_DAC_READ_SEARCH).
  ['name_to_handle_at', [at(0, 1, R, 'nofollow', { flags: 4, followBit: AT_SYMLINK_FOLLOW, emptyBit: AT_EMPTY_PATH })]],
  ['open_tree', [at(0, 1, R, 'follow', atFlags(2))]],

  // --- writes: create, remove, rename, link ----------------------------------
  // Calls that create or remove a name act on the last component itself.
  ['truncate', [plain(0, W, 'follow')]],
  ['unlink', [plain(0, W, 'nofollow')]],
  ['unlinkat', [at(0, 1, W, 'nofollow')]],
  ['rmdir', [plain(0, W, 'nofollow')]],
  ['mkdir', [plain(0, W, 'nofollow')]],
  ['mkdirat', [at(0, 1, W, 'nofollow')]],
  ['mknod', [plain(0, W, 'nofollow')]],
  ['mknodat', [at(0, 1, W, 'nofollow')]],
  // Both names change (RENAME_EXCHANGE swaps them).
  ['rename', [plain(0, W, 'nofollow'), plain(1, W, 'nofollow')]],
  ['renameat', [at(0, 1, W, 'nofollow'), at(2, 3, W, 'nofollow')]],
  ['renameat2', [at(0, 1, W, 'nofollow'), at(2, 3, W, 'nofollow')]],
  // A hard link is another name for the same inode: writing through the new
  // name writes the old file, so both need write. link() never follows a
  // symlink oldpath on Linux (man 2 link); linkat only with AT_SYMLINK_FOLLOW.
  ['link', [plain(0, W, 'nofollow'), plain(1, W, 'nofollow')]],
  ['linkat', [at(0, 1, W, 'nofollow', { flags: 4, followBit: AT_SYMLINK_FOLLOW, emptyBit: AT_EMPTY_PATH }), at(2, 3, W, 'nofollow')]],
  // symlink(target, linkpath): the target is uninterpreted text; only where
  // the link is created is a path.
  ['symlink', [plain(1, W, 'nofollow')]],
  ['symlinkat', [at(1, 2, W, 'nofollow')]],

  // --- writes: metadata --------------------------------------------------------
  ['chmod', [plain(0, W, 'follow')]],
  ['fchmodat', [at(0, 1, W, 'follow')]],
  ['fchmodat2', [at(0, 1, W, 'follow', atFlags(3))]],
  ['chown', [plain(0, W, 'follow')]],
  ['lchown', [plain(0, W, 'nofollow')]],
  ['fchownat', [at(0, 1, W, 'follow', atFlags(4))]],
  ['utime', [plain(0, W, 'follow')]],
  ['utimes', [plain(0, W, 'follow')]],
  // do_utimes(): a NULL path with a real dirfd sets the times of the fd (futimens).
  ['futimesat', [at(0, 1, W, 'follow', { nullMeans: 'fd' })]],
  ['utimensat', [at(0, 1, W, 'follow', { ...atFlags(3), nullMeans: 'fd' })]],
  ['setxattr', [plain(0, W, 'follow')]],
  ['lsetxattr', [plain(0, W, 'nofollow')]],
  ['removexattr', [plain(0, W, 'follow')]],
  ['lremovexattr', [plain(0, W, 'nofollow')]],
  ['setxattrat', [at(0, 1, W, 'follow', atFlags(2))]],
  ['removexattrat', [at(0, 1, W, 'follow', atFlags(2))]],

  // --- writes: the process's view of the filesystem ---------------------------
  // chroot is an escape primitive (a second chroot plus ".." leaves the first).
  ['chroot', [plain(0, W, 'follow')]],
  ['pivot_root', [plain(0, W, 'follow'), plain(1, W, 'follow')]],
  ['mount', mount],
  ['umount2', [plain(0, W, 'follow', { flags: 1, nofollowBit: 0x8 /* UMOUNT_NOFOLLOW */ })]],
  // move_mount follows only with MOVE_MOUNT_{F,T}_SYMLINKS; empty paths need MOVE_MOUNT_{F,T}_EMPTY_PATH.
  ['move_mount', [
    at(0, 1, W, 'nofollow', { flags: 4, followBit: 0x1, emptyBit: 0x4 }),
    at(2, 3, W, 'nofollow', { flags: 4, followBit: 0x10, emptyBit: 0x40 }),
  ]],
  ['fspick', [at(0, 1, W, 'follow', { flags: 2, nofollowBit: 0x2 /* FSPICK_SYMLINK_NOFOLLOW */, emptyBit: 0x8 /* FSPICK_EMPTY_PATH */ })]],
  ['mount_setattr', [at(0, 1, W, 'follow', atFlags(2))]],
  ['swapon', [plain(0, W, 'follow')]],
  ['swapoff', [plain(0, W, 'follow')]],
  // acct(NULL) switches process accounting off: no path.
  ['acct', [plain(0, W, 'follow', { nullMeans: 'none' })]],
  ['quotactl', quotactl],
]);

// --- open flags -------------------------------------------------------------------

interface OpenBits {
  readonly accmode: number;
  /** Bits that make an open a write even with O_RDONLY: O_CREAT, O_TRUNC, O_APPEND, __O_TMPFILE. */
  readonly writes: number;
  readonly creatExcl: number;
  readonly nofollow: number;
  readonly path: number;
}

function openBits(arch: Arch): OpenBits {
  const c = (name: string): number => {
    const v = constantValue(arch, name);
    if (v === undefined) throw new Error(`internal: ${name} is not a constant on ${arch}`);
    return Number(v);
  };
  // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the __O_TMPFILE bit alone says "tmpfile".
  const tmpfile = c('O_TMPFILE') & ~c('O_DIRECTORY');
  return {
    accmode: c('O_ACCMODE'),
    writes: c('O_CREAT') | c('O_TRUNC') | c('O_APPEND') | tmpfile,
    creatExcl: c('O_CREAT') | c('O_EXCL'),
    nofollow: c('O_NOFOLLOW'),
    path: c('O_PATH'),
  };
}

// arm64 renumbers O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE (asm/fcntl.h).
const OPEN_BITS: Readonly<Record<Arch, OpenBits>> = { x86_64: openBits('x86_64'), aarch64: openBits('aarch64') };

/** How an open with these flags uses its path. */
export function openAccess(arch: Arch, flags: number): { access: Access; follow: Follow } {
  const b = OPEN_BITS[arch];
  const follow: Follow = (flags & b.nofollow) !== 0 ? 'nofollow' : 'follow';
  // O_PATH opens only a handle: the kernel drops every flag but O_CLOEXEC,
  // O_DIRECTORY and O_NOFOLLOW (openat2 refuses the others) and checks no access.
  if ((flags & b.path) !== 0) return { access: R, follow };
  const access: Access = (flags & b.accmode) !== 0 || (flags & b.writes) !== 0 ? W : R;
  // O_CREAT|O_EXCL never follows a final symlink: it fails with EEXIST even on a dangling one.
  return { access, follow: (flags & b.creatExcl) === b.creatExcl ? 'nofollow' : follow };
}

function openUse(trap: Trap, path: number, dirfd: number, flags: number, inRoot = false): PathUse {
  const { access, follow } = openAccess(trap.arch, flags);
  return { path, dirfd, access, follow, nullMeans: 'fault', inRoot };
}

/** struct open_how { __u64 flags; __u64 mode; __u64 resolve; } — OPEN_HOW_SIZE_VER0 = 24. */
const OPEN_HOW_SIZE_VER0 = 24;
const RESOLVE_IN_ROOT = 0x10;

function openat2(trap: Trap, ctx: DecideContext): readonly PathUse[] | PathProblem {
  const how = argU64(trap, 2);
  const size = argU64(trap, 3);
  // copy_struct_from_user: smaller than the first version is EINVAL, more than a page E2BIG.
  if (size < BigInt(OPEN_HOW_SIZE_VER0)) return { problem: true, reason: `struct open_how size ${size} is smaller than ${OPEN_HOW_SIZE_VER0}`, errno: EINVAL };
  if (size > BigInt(PATH_MAX)) return { problem: true, reason: `struct open_how size ${size} is larger than a page`, errno: E2BIG };
  const buf = ctx.view.readBytes(how, OPEN_HOW_SIZE_VER0);
  if (isFault(buf)) return { problem: true, reason: `cannot read struct open_how at 0x${how.toString(16)}: ${buf.fault}`, errno: faultErrno(buf) };
  // Flags above bit 31 are EINVAL in build_open_flags; the O_* bits are all below.
  const flags = buf.readUInt32LE(0);
  const resolve = buf.readUInt32LE(16);
  return [openUse(trap, 1, 0, flags, (resolve & RESOLVE_IN_ROOT) !== 0)];
}

// linux/mount.h
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_MOVE = 8192;

/**
 * mount(source, target, fstype, flags, data): the target is a path (followed).
 * The source is a path for bind mounts and moves, and a device path for block
 * filesystems; for tmpfs, proc... it is free text ("none"), and remounts and
 * propagation changes ignore it. It is checked when it is a path: MS_BIND or
 * MS_MOVE, or absolute.
 */
function mount(trap: Trap, ctx: DecideContext): readonly PathUse[] | PathProblem {
  const target: PathUse = { path: 1, dirfd: -1, access: W, follow: 'follow', nullMeans: 'fault' };
  const flags = argU32(trap, 3);
  const src = argU64(trap, 0);
  if (src === 0n || (flags & MS_REMOUNT) !== 0) return [target];
  let isPath = (flags & (MS_BIND | MS_MOVE)) !== 0;
  if (!isPath) {
    const s = ctx.view.readString(src, PATH_MAX);
    if (isFault(s)) return { problem: true, reason: `cannot read the mount source: ${s.fault}`, errno: faultErrno(s) };
    isPath = s.startsWith('/');
  }
  return isPath ? [{ path: 0, dirfd: -1, access: W, follow: 'follow', nullMeans: 'fault' }, target] : [target];
}

/** QCMD(Q_QUOTAON, type) = Q_QUOTAON << 8 | type: its addr argument is the quota file's path. */
const Q_QUOTAON = 0x800002;

function quotactl(trap: Trap): readonly PathUse[] {
  const special: PathUse = { path: 1, dirfd: -1, access: W, follow: 'follow', nullMeans: 'none' };
  if (argU32(trap, 0) >>> 8 !== Q_QUOTAON) return [special];
  return [special, { path: 3, dirfd: -1, access: W, follow: 'follow', nullMeans: 'fault' }];
}

// --- the table, completed from the syscall table ------------------------------------

const derived = new Map<string, FileSpec | undefined>();

/** The table's entry, or one derived from the argument kinds of lib/arch/syscalls.csv. */
function specFor(name: string): FileSpec | undefined {
  const known = SPECS.get(name);
  if (known) return known;
  if (derived.has(name)) return derived.get(name);
  const kinds = syscallTable().byName(name)?.args ?? [];
  const out: PathSpec[] = [];
  kinds.forEach((k, i) => {
    if (k === 'path') out.push(at(kinds[i - 1] === 'dirfd' ? i - 1 : -1, i, W, 'both'));
  });
  const spec = out.length > 0 ? out : undefined;
  derived.set(name, spec);
  return spec;
}

/** Names the table decodes by hand (for tests that cross-check it with the syscall table). */
export const FILE_SPEC_NAMES: readonly string[] = [...SPECS.keys()];


/** A table entry with its flag argument read. */
function applyFlags(s: PathSpec, trap: Trap): PathUse {
  let follow = s.follow;
  let nullMeans = s.nullMeans ?? 'fault';
  if (s.flags !== undefined) {
    const f = argInt(trap, s.flags);
    if (s.nofollowBit !== undefined && (f & s.nofollowBit) !== 0) follow = 'nofollow';
    if (s.followBit !== undefined && (f & s.followBit) !== 0) follow = 'follow';
    // Since 6.11 a NULL path with AT_EMPTY_PATH is the same as "" (vfs_empty_path).
    if (s.emptyBit !== undefined && (f & s.emptyBit) !== 0) nullMeans = 'fd';
  }
  return { path: s.path, dirfd: s.dirfd, access: s.access, follow, nullMeans, looks: s.looks };
}

/** How the call uses its path arguments, flags applied; undefined when nothing decodes them. */
export function pathUses(trap: Trap, ctx: DecideContext): readonly PathUse[] | PathProblem | undefined {
  const spec = specFor(trap.syscall);
  if (!spec) return undefined;
  return typeof spec === 'function' ? spec(trap, ctx) : spec.map((s) => applyFlags(s, trap));
}
