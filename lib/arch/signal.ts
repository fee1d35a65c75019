// Linux signal numbers, for naming a signal in events and messages and for the tracer's decisions.
//
// x86_64 and arm64 share them (x86's asm/signal.h and asm-generic/signal.h agree on 1–31; SIGRTMIN
// is 32 in the kernel). test/arch/signal.test.ts checks this table against both archs' uapi headers.

/** Canonical names, in numeric order (SIGIOT, SIGPOLL and SIGUNUSED are aliases: left out). */
const CANONICAL: readonly (readonly [string, number])[] = [
  ['SIGHUP', 1], ['SIGINT', 2], ['SIGQUIT', 3], ['SIGILL', 4], ['SIGTRAP', 5], ['SIGABRT', 6],
  ['SIGBUS', 7], ['SIGFPE', 8], ['SIGKILL', 9], ['SIGUSR1', 10], ['SIGSEGV', 11], ['SIGUSR2', 12],
  ['SIGPIPE', 13], ['SIGALRM', 14], ['SIGTERM', 15], ['SIGSTKFLT', 16], ['SIGCHLD', 17], ['SIGCONT', 18],
  ['SIGSTOP', 19], ['SIGTSTP', 20], ['SIGTTIN', 21], ['SIGTTOU', 22], ['SIGURG', 23], ['SIGXCPU', 24],
  ['SIGXFSZ', 25], ['SIGVTALRM', 26], ['SIGPROF', 27], ['SIGWINCH', 28], ['SIGIO', 29], ['SIGPWR', 30],
  ['SIGSYS', 31],
];

export const SIGNAL_NAMES: readonly string[] = CANONICAL.map(([name]) => name);
const byName = new Map(CANONICAL);
const byNumber = new Map(CANONICAL.map(([name, n]) => [n, name]));

/** The kernel's first real-time signal (glibc reserves the first two of them for itself). */
export const SIGRTMIN = 32;
/** The highest signal number (_NSIG). */
export const SIGRTMAX = 64;

export const signalNumber = (name: string): number | undefined => byName.get(name);

/** "SIGTERM", "SIGRTMIN+3", or undefined for a number that is no signal. */
export function signalName(n: number): string | undefined {
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`;
  return byNumber.get(n);
}

// The ones syscage's own code names.
export const SIGTRAP = 5;
export const SIGKILL = 9;
export const SIGTERM = 15;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGSYS = 31;
