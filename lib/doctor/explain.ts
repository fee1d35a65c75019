// The sentences `syscage doctor` prints: for every answer, what it means for
// syscage and, for a "no", what the user can do about it. Pure functions of
// what a probe observed (errno names, values), so that each wording is tested
// without the failure having to happen on this machine.

/** SECCOMP_RET_* actions doctor asks the kernel about, by probe-name suffix. */
export const ACTIONS = {
  allow: { name: 'SECCOMP_RET_ALLOW', value: 0x7fff_0000, use: 'lets allowed calls through' },
  errno: { name: 'SECCOMP_RET_ERRNO', value: 0x0005_0000, use: 'refuses a call with an errno (deny rules)' },
  kill_process: { name: 'SECCOMP_RET_KILL_PROCESS', value: 0x8000_0000, use: 'kills the whole process (kill rules)' },
  log: { name: 'SECCOMP_RET_LOG', value: 0x7ffc_0000, use: 'allows and logs a call (log rules; audit mode without ptrace)' },
  trace: { name: 'SECCOMP_RET_TRACE', value: 0x7ff0_0000, use: 'stops a call for the supervisor to check (files, exec, network, signal rules)' },
  user_notif: { name: 'SECCOMP_RET_USER_NOTIF', value: 0x7fc0_0000, use: 'hands a checked open, stat or connect to the supervisor, which performs it itself (the notification backend)' },
} as const;
export type ActionKey = keyof typeof ACTIONS;

export function actionAvailable(key: ActionKey): string {
  return `available: ${ACTIONS[key].use}`;
}

/** SECCOMP_GET_ACTION_AVAIL answered EOPNOTSUPP: the kernel does not know that action. */
export function actionMissing(key: ActionKey): string {
  switch (key) {
    case 'trace':
      return 'this kernel does not know SECCOMP_RET_TRACE, so no supervisor can check paths, programs or addresses: syscage runs BPF-only.';
    case 'user_notif':
      return 'this kernel does not know SECCOMP_RET_USER_NOTIF (Linux < 5.0): syscage uses its ptrace backend, which holds the sandbox still for every checked call.';
    case 'kill_process':
    case 'log':
      return `this kernel does not know ${ACTIONS[key].name} (Linux < 4.14), which syscage's filters use: run on Linux 4.14 or later (provided.al2023 is).`;
    default:
      return `this kernel does not know ${ACTIONS[key].name}, which every syscage filter uses: seccomp is not usable here; run on Linux 4.14 or later.`;
  }
}

/** seccomp(SECCOMP_GET_ACTION_AVAIL) itself failed. */
export function actionQueryFailed(errno: string): string {
  switch (errno) {
    case 'ENOSYS':
      return 'this kernel has no seccomp (ENOSYS): syscage cannot run here; it needs a kernel with CONFIG_SECCOMP_FILTER.';
    case 'EINVAL':
      return 'this kernel cannot be asked which seccomp actions it has (EINVAL: Linux < 4.14): run on Linux 4.14 or later.';
    case 'EPERM':
    case 'EACCES':
      return `the seccomp syscall is refused here (${errno}): the platform's own seccomp policy forbids it, so syscage cannot install filters.`;
    default:
      return `seccomp(SECCOMP_GET_ACTION_AVAIL) failed with ${errno}: syscage cannot tell whether this kernel filters syscalls.`;
  }
}

// ---- no_new_privs ---------------------------------------------------------------------------------

export function noNewPrivsState(value: '0' | '1' | undefined): string {
  if (value === '1') return '1: already set (by the platform or a parent process), which is what seccomp needs; a refused prctl is then harmless.';
  if (value === '0') return '0: not set in this process; syscage sets it in the sandboxed process before installing the filter.';
  return 'unknown: /proc/self/status has no NoNewPrivs line (Linux < 4.10); the prctl.no_new_privs line below is what counts.';
}

export const PRCTL_WORKS = 'prctl(PR_SET_NO_NEW_PRIVS) works in a child process, as syscage\'s launcher needs.';

export function prctlRefused(errno: string, alreadySet: boolean): string {
  if (alreadySet) return `prctl(PR_SET_NO_NEW_PRIVS) is refused (${errno}) but NoNewPrivs is already 1, which is all a seccomp filter needs.`;
  return `prctl(PR_SET_NO_NEW_PRIVS) is refused (${errno}) and NoNewPrivs is 0, so syscage's launcher cannot install filters: allow that prctl in the platform's policy, or start syscage with NoNewPrivs already set.`;
}

// ---- a real filter -------------------------------------------------------------------------------

export const FILTER_WORKS = 'a test filter installed in a child process and refused getppid with EDOM, as written.';

export function filterRefused(errno: string): string {
  switch (errno) {
    case 'EACCES':
      return 'the kernel refused the filter (EACCES): no_new_privs was not set and the process lacks CAP_SYS_ADMIN; see prctl.no_new_privs.';
    case 'EINVAL':
      return 'the kernel refused a minimal, valid filter (EINVAL): seccomp filtering is not usable on this kernel; run on Linux 4.14 or later.';
    case 'ENOSYS':
      return 'this kernel has no seccomp (ENOSYS): syscage cannot run here; it needs a kernel with CONFIG_SECCOMP_FILTER.';
    case 'EFAULT':
      return 'the kernel could not read the filter (EFAULT): this is a bug in syscage\'s native layer; please report it.';
    default:
      return `seccomp(SECCOMP_SET_MODE_FILTER) failed with ${errno}: the platform does not let a process install seccomp filters, so syscage cannot run.`;
  }
}

export function launcherNoNewPrivsFailed(errno: string): string {
  return `syscage's launcher could not set no_new_privs (${errno}) and stops there, before the filter; see prctl.no_new_privs.`;
}

/** The filter installed but getppid did not fail with EDOM. */
export function filterIneffective(got: string): string {
  return `the filter installed but did not act (getppid ${got}, not EDOM): seccomp is not enforced here, so syscage must not rely on it.`;
}

// ---- ptrace ------------------------------------------------------------------------------------

export const SEIZE_WORKS = 'PTRACE_SEIZE of a child works, with the supervisor\'s options (TRACESECCOMP, EXITKILL, TRACEFORK, TRACEVFORK, TRACECLONE, TRACEEXEC).';

/** What Yama says about attaching, when that explains a refusal. */
export interface PtraceEnv {
  /** /proc/sys/kernel/yama/ptrace_scope, or undefined when absent. */
  readonly yamaScope?: string;
  readonly capSysPtrace: boolean;
}

export function seizeRefused(errno: string, env: PtraceEnv): string {
  if (errno === 'EPERM' || errno === 'EACCES') {
    if (env.yamaScope === '3') {
      return `PTRACE_SEIZE of a child is refused (${errno}) because Yama ptrace_scope is 3 (no attach, until reboot): syscage runs BPF-only; set kernel.yama.ptrace_scope to 1 at boot to let it supervise.`;
    }
    if (env.yamaScope === '2' && !env.capSysPtrace) {
      return `PTRACE_SEIZE of a child is refused (${errno}) because Yama ptrace_scope is 2 and this process lacks CAP_SYS_PTRACE: syscage runs BPF-only; set kernel.yama.ptrace_scope to 1 to let it supervise.`;
    }
    return `PTRACE_SEIZE of a child is refused (${errno}): the platform's security policy (a seccomp filter or an LSM) forbids ptrace, so syscage runs BPF-only; only the platform owner can change that.`;
  }
  if (errno === 'ENOSYS') {
    return 'ptrace is not available (ENOSYS): the platform filters it out or the kernel lacks it, so syscage runs BPF-only.';
  }
  if (errno === 'EINVAL' || errno === 'EIO') {
    return `PTRACE_SEIZE refused the supervisor's options (${errno}): this kernel is older than syscage needs (Linux 5.3 or later); syscage runs BPF-only.`;
  }
  return `PTRACE_SEIZE of a child failed with ${errno}: syscage runs BPF-only.`;
}

export const NOT_TRIED_SEIZE = 'not tried: PTRACE_SEIZE of the test child failed (see ptrace.seize).';

export function syscallInfoWorks(nr: number, retData: number): string {
  return `at the child's seccomp stop PTRACE_GET_SYSCALL_INFO gave op SECCOMP, nr getppid (${nr}) and ret_data 0x${retData.toString(16)}, the filter's own.`;
}

export function syscallInfoFailed(errno: string): string {
  if (errno === 'EIO' || errno === 'EINVAL') {
    return `PTRACE_GET_SYSCALL_INFO is not supported (${errno}): it needs Linux 5.3 or later, and syscage's supervisor reads every trapped call with it; syscage runs BPF-only.`;
  }
  return `PTRACE_GET_SYSCALL_INFO at the seccomp stop failed with ${errno}: the supervisor could not read trapped calls, so syscage runs BPF-only.`;
}

/** The answer came, but not the one the filter implies. */
export function syscallInfoWrong(what: string): string {
  return `PTRACE_GET_SYSCALL_INFO at the seccomp stop ${what}: the supervisor could not trust what it reads, so syscage runs BPF-only; please report this kernel.`;
}

export function noSeccompStop(childSaid: string): string {
  return `the child's filtered getppid never stopped for the tracer (${childSaid}): SECCOMP_RET_TRACE does not reach a ptrace tracer here, so syscage runs BPF-only.`;
}

/** The tracee could not install its filter: what seccomp.filter says is the cause. */
export function traceeFilterFailed(how: string): string {
  return `not tried: the test child ${how} while it set no_new_privs and installed its seccomp filter, as syscage's launcher does (see seccomp.filter).`;
}

export function testChildFailed(reason: string): string {
  return `not tried: the test child could not get ready (${reason}); run doctor again, and report it if it persists.`;
}

export const DENY_WORKS = 'the tracer refused the child\'s getppid with EDOM by writing its registers, and the child saw EDOM.';

export function denyFailed(errno: string): string {
  return `writing the child's registers at the seccomp stop failed (${errno}): the supervisor could not refuse calls, so syscage runs BPF-only.`;
}

export function denyIneffective(got: string): string {
  return `after the tracer set the registers the child's getppid ${got}, not EDOM: refusing a call through ptrace does not work on this kernel, so syscage runs BPF-only.`;
}

// ---- process_vm_readv ----------------------------------------------------------------------------

export const VM_READV_WORKS = 'read a child\'s memory (its ELF header) with process_vm_readv, as the supervisor reads paths and addresses.';

export function vmReadvRefused(errno: string): string {
  if (errno === 'EPERM' || errno === 'EACCES') {
    return `process_vm_readv on a child is refused (${errno}): the platform forbids reading another process's memory, so the supervisor could not read paths or addresses and syscage runs BPF-only.`;
  }
  if (errno === 'ENOSYS') {
    return 'process_vm_readv is not available (ENOSYS: filtered by the platform, or a kernel without CONFIG_CROSS_MEMORY_ATTACH), so syscage runs BPF-only.';
  }
  return `process_vm_readv on a child failed with ${errno}: the supervisor could not read paths or addresses, so syscage runs BPF-only.`;
}

/** Reading the child's /proc/PID/maps (to find what to read) was refused. */
export function procRefused(file: string, errno: string): string {
  return `reading the child's ${file} is refused (${errno}), as is everything that needs access to its memory: the supervisor could not read paths or addresses, so syscage runs BPF-only.`;
}

export function vmReadvWrong(got: string): string {
  return `process_vm_readv returned ${got} where the child's ELF header is: the supervisor could not trust what it reads, so syscage runs BPF-only; please report this kernel.`;
}

// ---- Yama ----------------------------------------------------------------------------------------

/** yama.ptrace_scope: ok, and why. Informational: ptrace.seize is what decides the mode. */
export function yamaScope(value: string | undefined, capSysPtrace: boolean): { ok: boolean; detail: string } {
  switch (value) {
    case undefined:
      return { ok: true, detail: 'absent (no Yama LSM): only the usual same-user checks apply to ptrace.' };
    case '0':
      return { ok: true, detail: '0 (classic): a process may trace any process of its user.' };
    case '1':
      return { ok: true, detail: '1 (restricted): a process may trace only its descendants, which is all syscage does.' };
    case '2':
      return capSysPtrace
        ? { ok: true, detail: '2 (admin-only): ptrace needs CAP_SYS_PTRACE, which this process has.' }
        : { ok: false, detail: '2 (admin-only): ptrace needs CAP_SYS_PTRACE, which this process lacks; run as root or set kernel.yama.ptrace_scope to 1.' };
    case '3':
      return { ok: false, detail: '3 (no attach): ptrace is disabled until reboot; set kernel.yama.ptrace_scope to 1 at boot to let syscage supervise.' };
    default:
      return { ok: true, detail: `${value} (a value this version of syscage does not know): ptrace.seize says whether ptrace works.` };
  }
}

// ---- this process's own seccomp state -------------------------------------------------------------

export function seccompState(mode: string | undefined, filters: string | undefined): { ok: boolean; detail: string } {
  switch (mode) {
    case '0':
      return { ok: true, detail: '0: this process runs under no seccomp filter.' };
    case '2': {
      const n = filters && filters !== '0' ? `${filters} seccomp filter${filters === '1' ? '' : 's'}` : 'seccomp filters';
      return { ok: true, detail: `2: this process already runs under ${n} (the platform's): syscage's filter is added on top, and a call refused by either filter stays refused.` };
    }
    case '1':
      return { ok: false, detail: '1: this process runs in seccomp strict mode, where almost every syscall kills it; syscage cannot run under it.' };
    default:
      return { ok: true, detail: 'unknown: /proc/self/status has no Seccomp line; the seccomp.* lines say what works.' };
  }
}
