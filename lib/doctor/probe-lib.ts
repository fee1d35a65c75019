// What the probe process (probe.ts) and its test child (tracee.ts) share: the native layer, loaded
// late (a platform where it cannot load is one of doctor's answers), and the probe's filter.

type Native = typeof import('../native/index.js');

/** SECCOMP_RET_DATA the tracee's filter returns with TRACE: ret_data at the stop must be this. */
export const MARK = 0x5ca6;
/** linux/prctl.h: a non-dumpable process leaves no core file when a fatal signal (SIGSYS) ends it. */
export const PR_SET_DUMPABLE = 4;
/** linux/prctl.h: the signal this process gets when its parent ends. */
export const PR_SET_PDEATHSIG = 1;

let errnoName: ((n: number) => string | undefined) | undefined;
/** EPERM for 1, once the native layer is loaded; "errno N" before or for an unknown number. */
export const errnoText = (n: number): string => errnoName?.(n) ?? `errno ${n}`;

export async function loadNative(): Promise<{
  native: Native;
  wait: typeof import('../native/wait.js');
  bpf: typeof import('../bpf/index.js');
  arch: typeof import('../arch/index.js');
}> {
  const native = await import('../native/index.js');
  const wait = await import('../native/wait.js');
  const bpf = await import('../bpf/index.js');
  const arch = await import('../arch/index.js');
  const errno = await import('../arch/errno.js');
  errnoName = errno.errnoName;
  return { native, wait, bpf, arch };
}
export type Lib = Awaited<ReturnType<typeof loadNative>>;

/** arch check, then `getppid → onGetppid`, everything else allowed. */
export function probeFilter(lib: Lib, onGetppid: number): Buffer {
  const { Builder, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, encode } = lib.bpf;
  const b = new Builder()
    .ldAbs(SECCOMP_DATA_ARCH)
    .jeq(lib.arch.AUDIT_ARCH[lib.arch.hostArch()], 'nr', 'kill')
    .label('nr')
    .ldAbs(SECCOMP_DATA_NR)
    .jeq(lib.native.syscallNumber('getppid'), 'hit', 'allow')
    .label('hit').ret(onGetppid)
    .label('allow').ret(SECCOMP_RET_ALLOW)
    .label('kill').ret(SECCOMP_RET_KILL_PROCESS);
  return encode(b.build());
}
