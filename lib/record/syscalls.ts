// The syscalls of a recorded profile: what was seen, completed by family,
// placed so that the profile compiles on both arches.
//
// - Families: when any member of a family was used, every member that exists
//   on some arch is allowed (libc and runtimes switch between them: a glibc
//   or Node upgrade must not break the profile). The families are those of
//   lib/compile/governed.ts (open/openat/openat2/creat, the stat family, ...)
//   plus the old/new pairs that exist on x86_64 only in their old form
//   (epoll_create/epoll_create1, eventfd/eventfd2, ...), so that a recording
//   made on x86_64 also allows what the same program calls on aarch64.
//   Process creation is special: clone and clone3 come with any thread or
//   process, fork and vfork only when a process was created.
// - exit, exit_group, restart_syscall and rt_sigreturn are always allowed:
//   every program needs them and a short run may not show them. What a
//   program does depending on timing is allowed too: with threads,
//   sched_yield (they contend), nanosleep and clock_nanosleep (they back off)
//   and, once signal handlers are installed, getpid, gettid and tgkill (Go
//   preempts a goroutine by signalling its thread); with an epoll instance,
//   the epoll_wait family.
// - `exact` turns both off: only what was seen.
// - A name that exists on one arch only goes under syscalls.<arch>.
// - seccomp and io_uring_* are never allowed by a recording even if used:
//   io_uring does file and network operations the supervisor cannot see, and
//   a command's own filter could outrank syscage's. libuv (Node) falls back
//   from io_uring by itself.
// - With a base profile: what the base allows on an arch is not repeated
//   for that arch.
import { ARCHES, syscallTable, type Arch } from '../arch/index.js';
import { FAMILIES, PROTECTED } from '../compile/governed.js';
import { listsFor, type Profile } from '../profile/types.js';
import type { Observation } from '../trace/observation.js';

/** The families a recording completes. */
export const RECORD_FAMILIES: readonly (readonly string[])[] = [
  ...FAMILIES,
  ['epoll_create', 'epoll_create1'],
  ['inotify_init', 'inotify_init1'],
  ['eventfd', 'eventfd2'],
  ['signalfd', 'signalfd4'],
  ['getdents', 'getdents64'],
  ['utime', 'utimes', 'futimesat', 'utimensat'],
  ['mknod', 'mknodat'],
];

/** The family of a syscall among RECORD_FAMILIES (itself alone when it has none). */
const familyOf = (name: string): readonly string[] => RECORD_FAMILIES.find((f) => f.includes(name)) ?? [name];

/** Allowed in every recorded profile (unless exact). */
export const ALWAYS: readonly string[] = ['exit', 'exit_group', 'restart_syscall', 'rt_sigreturn'];

const PROCESS_FAMILY = new Set(['fork', 'vfork', 'clone', 'clone3']);

export interface SyscallEntry {
  readonly name: string;
  /** Calls seen (0: not seen, allowed because of `why`). */
  readonly calls: number;
  /** A member of its family that was seen, when it was not. */
  readonly familyOf?: string;
  /** Not seen, allowed anyway: every program needs it. */
  readonly always?: boolean;
  /** Not seen, allowed anyway: what programs like this one do depending on timing. */
  readonly because?: string;
}

export interface RecordedSyscalls {
  /** syscalls.allow: names that exist on both arches. */
  readonly common: SyscallEntry[];
  /** syscalls.<arch>.allow. */
  readonly arch: Record<Arch, SyscallEntry[]>;
  /** Used but not allowed (seccomp, io_uring_*), with why. */
  readonly withheld: SyscallEntry[];
  readonly warnings: string[];
}

/** Does the base profile allow `name` on `arch` unconditionally (lists or an argument-free rule)? */
function baseAllows(base: Profile | undefined, arch: Arch, name: string): boolean {
  if (!base) return false;
  const l = listsFor(base.syscalls, arch);
  if ([...l.allow, ...l.log].some((n) => n.value === name)) return true;
  return l.rules.some((r) => r.args.length === 0 && (r.action === 'allow' || r.action === 'log') && r.syscalls.some((n) => n.value === name));
}

/** What the base profile refuses by name on some arch, whatever else allows it. */
function baseRefuses(base: Profile | undefined, name: string): string | undefined {
  if (!base) return undefined;
  for (const arch of ARCHES) {
    const l = listsFor(base.syscalls, arch);
    if (l.kill.some((n) => n.value === name)) return 'syscalls.kill';
    if (l.deny.some((n) => n.value === name)) return 'syscalls.deny';
  }
  return undefined;
}

const byName = (a: SyscallEntry, b: SyscallEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function recordSyscalls(obs: Observation, opts: { exact?: boolean; base?: Profile } = {}): RecordedSyscalls {
  const table = syscallTable();
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  const unknown: string[] = [];
  for (const [name, calls] of Object.entries(obs.syscalls)) {
    if (table.byName(name)) seen.set(name, calls);
    else unknown.push(name);
  }
  if (unknown.length > 0) warnings.push(`left out syscalls this syscage does not know: ${unknown.sort().join(', ')}`);

  const needed = new Map<string, SyscallEntry>();
  for (const [name, calls] of seen) needed.set(name, { name, calls });
  if (!opts.exact) {
    for (const family of RECORD_FAMILIES) {
      const used = family.filter((m) => seen.has(m)).sort();
      if (used.length === 0) continue;
      const forked = obs.forks > 0 || seen.has('fork') || seen.has('vfork');
      for (const m of family) {
        if (needed.has(m) || !table.byName(m)) continue;
        if (PROCESS_FAMILY.has(m) && (m === 'fork' || m === 'vfork') && !forked) continue;
        needed.set(m, { name: m, calls: 0, familyOf: used[0] });
      }
    }
    for (const m of ALWAYS) if (!needed.has(m)) needed.set(m, { name: m, calls: 0, always: true });
    // What a program does now and then, depending on timing: a recording where it never did
    // still needs it. (Go's runtime, recorded 20 times, used each of these in some runs only.)
    const threads = obs.threads > 0;
    const timing: [boolean, readonly string[], string][] = [
      [threads, ['sched_yield'], 'threads that contend yield'],
      [threads, ['nanosleep', 'clock_nanosleep'], 'threads that wait back off by sleeping (Go\'s sysmon)'],
      // Signal targets stay checked (process.signal): this lets a thread signal its own process.
      [threads && seen.has('rt_sigaction'), ['getpid', 'gettid', 'tgkill'], 'threads that handle signals signal each other (Go preempts a goroutine so)'],
      [familyOf('epoll_create').some((n) => seen.has(n)), familyOf('epoll_wait'), 'an epoll instance is waited on once the program idles'],
    ];
    for (const [applies, names, because] of timing) {
      if (!applies) continue;
      for (const name of names) if (!needed.has(name) && table.byName(name)) needed.set(name, { name, calls: 0, because });
    }
  }

  const withheld: SyscallEntry[] = [];
  for (const name of [...needed.keys()]) {
    if (!PROTECTED.has(name)) continue;
    const e = needed.get(name)!;
    needed.delete(name);
    if (e.calls > 0) withheld.push(e);
  }
  if (withheld.length > 0) {
    warnings.push(`used but not allowed: ${withheld.map((e) => e.name).sort().join(', ')} (syscage refuses these unless a profile names them: they work around the supervisor, reach into other processes, or, for seccomp, could outrank syscage's filter; add them to syscalls.allow yourself if the command cannot do without)`);
  }

  const common: SyscallEntry[] = [];
  const arch: Record<Arch, SyscallEntry[]> = { x86_64: [], aarch64: [] };
  for (const e of needed.values()) {
    const sc = table.byName(e.name)!;
    const need = ARCHES.filter((a) => sc.nr[a] !== undefined && !baseAllows(opts.base, a, e.name));
    const exists = ARCHES.filter((a) => sc.nr[a] !== undefined);
    if (need.length === ARCHES.length) common.push(e);
    else for (const a of need) arch[a].push(e);
    if (exists.length > 0 && e.calls > 0) {
      const refused = baseRefuses(opts.base, e.name);
      if (refused) warnings.push(`the base profile refuses ${e.name} (${refused}), which the command used: deny and kill win over allow, so the recorded profile cannot allow it`);
    }
  }
  common.sort(byName);
  for (const a of ARCHES) arch[a].sort(byName);
  return { common, arch, withheld: withheld.sort(byName), warnings };
}
