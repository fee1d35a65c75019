// A caller in another mount namespace sees other files at the same paths: stage-2 binds syscage's
// resolv.conf over /etc/resolv.conf in a private namespace (lib/dns), and a command may unshare its
// own. The kernel would walk the caller's paths in the caller's namespace, so syscage does too:
// the notification thread (which has its own fs_struct) enters the caller's mount namespace for
// the call, and comes back. Where it cannot (syscage is not root), the call is refused (EPERM):
// performing it in syscage's own namespace would open another file than the one the caller names.
import { fdops } from '../../native/index.js';
import { procLink } from './status.js';
import { E } from '../../arch/errno.js';

const { O, AT_FDCWD } = fdops;
const { EPERM, ESRCH } = E;

let own: { readonly id: string; readonly fd: number } | undefined;
let proc: number | undefined;

/**
 * syscage's own /proc, as a directory fd opened before the thread ever enters another namespace:
 * every /proc lookup syscage makes for a performed call goes through it (`<pid>/fd/N`,
 * `self/fd/P`), never through the /proc of the caller's namespace, which the caller may have mounted
 * itself.
 */
export function procDir(): number {
  if (proc === undefined) {
    const fd = fdops.openAt(AT_FDCWD, '/proc', O.PATH | O.DIRECTORY | O.CLOEXEC);
    if (fd < 0) throw new Error('cannot open /proc');
    proc = fd;
  }
  return proc;
}

function ownNamespace(): { readonly id: string; readonly fd: number } {
  procDir();
  if (!own) {
    const id = procLink('/proc/thread-self/ns/mnt');
    const fd = fdops.openAt(AT_FDCWD, '/proc/thread-self/ns/mnt', O.CLOEXEC);
    if (id === undefined || fd < 0) throw new Error('cannot open the notification thread\'s own mount namespace (/proc/thread-self/ns/mnt)');
    own = { id, fd };
  }
  return own;
}

/** No namespace to enter: the caller's is syscage's own. */
export const OWN_NAMESPACE = -1;

/**
 * The mount namespace of thread `tid`: an fd to enter it (the caller's to close), OWN_NAMESPACE when
 * it is this thread's, or `{ errno }` (ESRCH: gone; EPERM: cannot be opened).
 */
export function mountNamespaceOf(tid: number): number | { readonly errno: number } {
  const home = ownNamespace();
  const theirs = procLink(`/proc/${tid}/ns/mnt`);
  if (theirs === undefined) return { errno: ESRCH }; // gone
  if (theirs === home.id) return OWN_NAMESPACE;
  const fd = fdops.openAt(AT_FDCWD, `/proc/${tid}/ns/mnt`, O.CLOEXEC);
  return fd < 0 ? { errno: EPERM } : fd;
}

/**
 * Run `work` in the mount namespace `ns` (mountNamespaceOf; at once for OWN_NAMESPACE). Returns
 * what `work` returns, or `{ errno }` when the namespace cannot be entered.
 */
export function inMountNamespace<T>(ns: number, work: () => T): T | { readonly errno: number } {
  if (ns === OWN_NAMESPACE) return work();
  const home = ownNamespace();
  if (fdops.enterMountNamespace(ns) < 0) return { errno: EPERM };
  try {
    return work();
  } finally {
    // Back home; a thread left in another namespace would walk every later call's paths there.
    if (fdops.enterMountNamespace(home.fd) < 0) throw new Error('cannot return to syscage\'s own mount namespace');
  }
}
