// The only module that imports koffi. It loads glibc and declares the C functions syscage calls;
// everything else in lib/native wraps these in typed functions, and nothing outside lib/native
// calls into C at all.
//
// Conventions shared by every declaration here:
// - glibc reports failure as -1 with the reason in the thread-local errno. koffi reads that errno
//   with koffi.errno(); we read it immediately after the call, on the same thread, before any other
//   native call can overwrite it, and hand both back together as a CResult.
// - prctl(2), syscall(2) and (later) ptrace(2) are variadic in glibc. koffi passes a variadic
//   argument only as a [C type, value] pair; without the type it refuses or passes garbage. The
//   kernel reads all of a syscall's argument registers, so callers pass every argument the
//   syscall takes, explicitly, rather than leaving registers to chance.
// - 64-bit integers go in as bigint already wrapped to the C type's range: koffi turns an
//   out-of-range bigint into an unspecified value instead of throwing.
// - A Buffer passed as a `void *` argument (or struct field) is passed by address and stays
//   referenced by the call's arguments until the call returns, so the kernel can read it safely.
import koffi, { type TypeObject } from 'koffi';

const libc = koffi.load('libc.so.6');

/** A C type koffi understands: a type name or a type object (struct, pointer). */
export type CType = string | TypeObject;

/** One variadic argument: its C type and its JS value. */
export type Vararg = readonly [type: CType, value: unknown];

/** What a libc call returned, and errno when it reported failure (-1); errno is 0 otherwise. */
export interface CResult {
  readonly ret: bigint;
  readonly errno: number;
}

// long syscall(long number, ...): glibc's generic entry. It returns the kernel's result, except
// that a result in -4095..-1 (the kernel's -errno convention) becomes -1 with errno set.
const syscallFn = libc.func('long syscall(long number, ...)');

// int prctl(int option, ...): prctl(2) documents four unsigned long arguments after `option`.
const prctlFn = libc.func('int prctl(int option, ...)');

function result(ret: unknown): CResult {
  // Nothing native runs between the call and koffi.errno(), so errno is still the call's own.
  const r = BigInt(ret as number | bigint);
  return { ret: r, errno: r === -1n ? koffi.errno() : 0 };
}

// The same entry with six fixed long arguments, for the hot paths that pass plain numbers (fds,
// flags, addresses of scratch buffers): on x86_64 and aarch64 Linux a variadic integer travels in
// the register a fixed one would, so the kernel sees the same call, and koffi skips its variadic
// setup and the bigint conversions (measured here: ~0.7 µs a call against ~6 µs for rawSyscall).
const syscall6Fn = libc.func('syscall', 'long', ['long', 'long', 'long', 'long', 'long', 'long', 'long']);

/**
 * syscall(nr, a..f) with plain numbers (each a safe integer: an fd, flags, a size, an address
 * from addressOf). Returns the kernel's result, or -errno.
 */
export function syscall6(nr: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): number {
  const r = syscall6Fn(nr, a, b, c, d, e, f) as number;
  return r === -1 ? -koffi.errno() : r;
}

/** syscall(nr, ...args) through glibc. */
export function syscall(nr: number, ...args: readonly Vararg[]): CResult {
  return result(syscallFn(nr, ...args.flat()));
}

/** prctl(option, ...args) through glibc. */
export function prctl(option: number, ...args: readonly Vararg[]): CResult {
  return result(prctlFn(option, ...args.flat()));
}

/**
 * struct sock_fprog (include/uapi/linux/filter.h), what seccomp(SECCOMP_SET_MODE_FILTER) reads:
 *
 *   offset  field
 *        0  unsigned short        len      number of struct sock_filter (8 bytes each)
 *        2  (6 bytes of padding)
 *        8  struct sock_filter *  filter
 *
 * koffi lays the struct out by the C rules; seccomp.ts asserts the offsets once.
 */
export const SockFprog = koffi.struct({ len: 'uint16_t', filter: 'void *' });
export const SockFprogPtr = koffi.pointer(SockFprog);

// ---- tracing (lib/native/ptrace.ts, wait.ts, memory.ts) ----
//
// Hot path: these run several times per trapped syscall, so they take plain integers and
// addresses of scratch buffers (uintptr_t) rather than objects koffi would have to convert.
//
// long ptrace(enum __ptrace_request, ...) is variadic in glibc, but on x86_64 and aarch64 Linux a
// variadic integer argument travels in the same register as a fixed one, and glibc's ptrace reads
// exactly pid, addr and data as longs; declaring the four as fixed longs saves koffi's per-call
// variadic setup. ptrace returns a value (PEEK*) or -1 with errno; callers that PEEK check errno.
const ptraceFn = libc.func('long ptrace(long request, long pid, uintptr_t addr, uintptr_t data)');
const waitpidFn = libc.func('int waitpid(int pid, uintptr_t status, int options)');
const processVmReadvFn = libc.func('intptr_t process_vm_readv(int pid, uintptr_t local, unsigned long liovcnt, uintptr_t remote, unsigned long riovcnt, unsigned long flags)');
const killFn = libc.func('int kill(int pid, int sig)');
const schedYieldFn = libc.func('int sched_yield(void)');

/** ptrace(request, pid, addr, data); errno is 0 when the call succeeded. */
export function ptrace(request: number, pid: number, addr: number | bigint, data: number | bigint): CResult {
  const ret = ptraceFn(request, pid, addr, data) as number | bigint;
  // PEEK requests return data that may be -1; ptrace(2) says to clear errno first and check it.
  return result(ret);
}

/** waitpid(pid, status, options) with the status written at `statusAddr`. */
export function waitpid(pid: number, statusAddr: number, options: number): CResult {
  return result(waitpidFn(pid, statusAddr, options));
}

const processVmWritevFn = libc.func('intptr_t process_vm_writev(int pid, uintptr_t local, unsigned long liovcnt, uintptr_t remote, unsigned long riovcnt, unsigned long flags)');
export function processVmWritev(pid: number, local: number, liovcnt: number, remote: number, riovcnt: number): CResult {
  return result(processVmWritevFn(pid, local, liovcnt, remote, riovcnt, 0));
}

export function processVmReadv(pid: number, local: number, liovcnt: number, remote: number, riovcnt: number): CResult {
  return result(processVmReadvFn(pid, local, liovcnt, remote, riovcnt, 0));
}

export function kill(pid: number, sig: number): CResult {
  return result(killFn(pid, sig));
}

/** sched_yield(2): let a task waiting for this CPU run (cannot fail on Linux). */
export function schedYield(): void {
  schedYieldFn();
}

// ---- file descriptors and exec (stage-2, lib/native/process.ts) ----
const pipe2Fn = libc.func('int pipe2(void *fds, int flags)');
const closeFn = libc.func('int close(int fd)');
const execveFn = libc.func('int execve(const char *path, const char **argv, const char **envp)');
// int fcntl(int fd, int cmd, ...): F_GETFD/F_SETFD take an int (or nothing).
const fcntlFn = libc.func('int fcntl(int fd, int cmd, ...)');

export function pipe2(flags: number): { fds: [number, number]; errno: number } {
  const buf = Buffer.alloc(8); // int fds[2]
  const r = result(pipe2Fn(buf, flags));
  return { fds: [buf.readInt32LE(0), buf.readInt32LE(4)], errno: r.errno };
}
export const close = (fd: number): CResult => result(closeFn(fd));
export const fcntl = (fd: number, cmd: number, arg: number): CResult => result(fcntlFn(fd, cmd, 'int', arg));
/** Only returns on failure. */
export const execve = (path: string, argv: (string | null)[], envp: (string | null)[]): CResult => result(execveFn(path, argv, envp));

/** The address of a Buffer's bytes (a Buffer's backing store never moves). */
export const addressOf = (buf: Buffer): number => Number(koffi.address(buf));

// ---- spawning (lib/native/spawn.ts) ----
// posix_spawn is safe to call from a multi-threaded process (Node always is) and from a Worker:
// the child is created with CLONE_VFORK and execs at once. The opaque glibc types are zeroed
// buffers of at least their size (posix_spawn_file_actions_t 80 B, posix_spawnattr_t 336 B,
// sigset_t 128 B), initialised by their *_init functions.
const posixSpawnFn = libc.func('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)');
const faInitFn = libc.func('int posix_spawn_file_actions_init(void *fa)');
const faDestroyFn = libc.func('int posix_spawn_file_actions_destroy(void *fa)');
const faDup2Fn = libc.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)');
const faCloseFn = libc.func('int posix_spawn_file_actions_addclose(void *fa, int fd)');
const faChdirFn = libc.func('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)');
const attrInitFn = libc.func('int posix_spawnattr_init(void *attr)');
const attrDestroyFn = libc.func('int posix_spawnattr_destroy(void *attr)');
const attrSetFlagsFn = libc.func('int posix_spawnattr_setflags(void *attr, short flags)');
const attrSetSigdefaultFn = libc.func('int posix_spawnattr_setsigdefault(void *attr, void *sigset)');
const attrSetSigmaskFn = libc.func('int posix_spawnattr_setsigmask(void *attr, void *sigset)');
const sigemptysetFn = libc.func('int sigemptyset(void *set)');
const sigfillsetFn = libc.func('int sigfillset(void *set)');

/** posix_spawn's functions return an errno value (0 = success) rather than -1 + errno. */
export const spawnFns = {
  spawn: (pid: [number], path: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]): number =>
    posixSpawnFn(pid, path, fa, attr, argv, envp) as number,
  faInit: (fa: Buffer): number => faInitFn(fa) as number,
  faDestroy: (fa: Buffer): number => faDestroyFn(fa) as number,
  faDup2: (fa: Buffer, fd: number, newfd: number): number => faDup2Fn(fa, fd, newfd) as number,
  faClose: (fa: Buffer, fd: number): number => faCloseFn(fa, fd) as number,
  faChdir: (fa: Buffer, path: string): number => faChdirFn(fa, path) as number,
  attrInit: (attr: Buffer): number => attrInitFn(attr) as number,
  attrDestroy: (attr: Buffer): number => attrDestroyFn(attr) as number,
  attrSetFlags: (attr: Buffer, flags: number): number => attrSetFlagsFn(attr, flags) as number,
  attrSetSigdefault: (attr: Buffer, set: Buffer): number => attrSetSigdefaultFn(attr, set) as number,
  attrSetSigmask: (attr: Buffer, set: Buffer): number => attrSetSigmaskFn(attr, set) as number,
  sigemptyset: (set: Buffer): number => sigemptysetFn(set) as number,
  sigfillset: (set: Buffer): number => sigfillsetFn(set) as number,
};

export const sizeOf = (type: CType): number => koffi.sizeof(type);
export const offsetOf = (type: CType, field: string): number => koffi.offsetof(type, field);
