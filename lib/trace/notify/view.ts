// The caller's memory, read once (and its root directory, read anew unless remembered: callers.ts). The decision reads a path or an address from the caller, and
// the supervisor then performs the call with those same bytes: never a second read that another
// thread of the caller could have rewritten in between.
import type { TraceeView } from '../types.js';
import { traceeView } from '../view.js';
import { procLink } from './status.js';

const once = <T>(f: () => T): (() => T) => {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
};

export interface OnceView extends TraceeView {
  /** Has at least one string been read, and is each an absolute path? (Then no cwd names anything the call names.) */
  readonly allAbsolute: () => boolean;
}

export function readOnce(tid: number, pid: number, root?: string): OnceView {
  const view = traceeView(tid, pid);
  const strings = new Map<string, ReturnType<TraceeView['readString']>>();
  const bytes = new Map<string, ReturnType<TraceeView['readBytes']>>();
  // A literal with every member named, not `{ ...view, ... }`: on Node 20 (V8 11) an object spread
  // followed by more properties makes a new hidden class at every call, and every use of the view
  // in the decision then misses its inline caches (A/B, one run, pinned: 71.5 → 58.3 µs a performed
  // openat on Node 20; the same on Node 26, whose V8 keeps one hidden class).
  return {
    fdPath: view.fdPath,
    // Read for each call (this view lives for one) unless the caller's is remembered (`root`:
    // callers.ts), never from the tracer's cache (view.ts): that one is the tracer thread's, by pid.
    root: once(() => root ?? procLink(`/proc/${tid}/root`) ?? { fault: 'no root directory (process gone?)' }),
    cwd: once(() => procLink(`/proc/${tid}/cwd`) ?? { fault: 'no working directory (process gone?)' }),
    readString(addr, max) {
      const k = `${addr}:${max}`;
      let r = strings.get(k);
      if (r === undefined) strings.set(k, (r = view.readString(addr, max)));
      return r;
    },
    readBytes(addr, len) {
      const k = `${addr}:${len}`;
      let r = bytes.get(k);
      if (r === undefined) bytes.set(k, (r = view.readBytes(addr, len)));
      return r;
    },
    allAbsolute() {
      if (strings.size === 0) return false;
      for (const r of strings.values()) if (typeof r !== 'string' || !r.startsWith('/')) return false;
      return true;
    },
  };
}
