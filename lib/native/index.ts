// The native layer's public API: typed wrappers over the few C calls syscage needs. Only
// lib/native/ffi.ts touches koffi; failures surface as NativeError (code ERR_NATIVE, errno, syscall).
export { NativeError, isNativeError } from './errors.js';
export { rawSyscall, syscallNumber, SYSCALL_MAX_ARGS, type SyscallResult } from './syscall.js';
export { prctl, setNoNewPrivs, setNotDumpable, noNewPrivs, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER } from './prctl.js';
export {
  installFilter, seccompActionAvailable,
  SECCOMP_SET_MODE_FILTER, SECCOMP_GET_ACTION_AVAIL, SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
} from './seccomp.js';
export * as ptrace from './ptrace.js';
export { WNOHANG, waitAny, waitFor, yieldCpu, sleepMs, type Waited } from './wait.js';
export { readMemory, readMemoryLarge, readCString, writeMemory } from './memory.js';
export { spawn, type SpawnOptions } from './spawn.js';
export { pipe, closeFd, keepOnExec, resetSignals, blockSignals, exec, exitProcess, O_CLOEXEC } from './process.js';
export { bindInPrivateNamespace } from './mount.js';
export * as notify from './notify.js';
export * as fdops from './fdops.js';
