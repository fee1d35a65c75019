// The caller's memory, read once. The decision reads a path or an address from the caller, and
// the supervisor then performs the call with those same bytes: never a second read that another
// thread of the caller could have rewritten in between.
import type { TraceeView } from '../types.js';
import { traceeView } from '../view.js';

export function readOnce(tid: number, pid: number): TraceeView {
  const view = traceeView(tid, pid);
  const strings = new Map<string, ReturnType<TraceeView['readString']>>();
  const bytes = new Map<string, ReturnType<TraceeView['readBytes']>>();
  return {
    ...view,
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
  };
}
