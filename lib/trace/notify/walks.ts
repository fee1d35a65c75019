// One walk per path for a notified call: the decision's symlink resolution (its realpath) is made by
// pinning the path — an O_PATH open as the caller, no magic link followed (pin.ts says why) — and
// reading what the pin reached; the pin is then kept for the call, and performing it opens that same
// pin instead of walking the path a second time. A decision on a path, then an open, then: one
// openat2 and one readlink, where it took a readlink per component (glibc's realpath), and again an
// openat2 and a readlink to pin and check what was reached.
//
// The pin is the object the decision judged, so the check of what performing reaches is the
// decision's own, on the same object. Only for a caller whose identity and mount namespace are known
// before its call is decided (callers.ts: remembered from an earlier call, its thread still alive):
// the walk must be the caller's, with its search permissions, in its namespace. Anything else (a
// magic link on the way, a path not there yet, a file removed meanwhile) resolves as before
// (view.ts realpath), and performing pins the path itself.
import { fdops } from '../../native/index.js';
import type { Fault, Trap } from '../types.js';
import { realpath as resolve, walk } from '../view.js';
import { E } from '../../arch/errno.js';
import type { As, Caller } from './creds.js';
import { pinnedPath, pinPath, pinStep, type Pinned } from './pin.js';

const { AT_FDCWD } = fdops;
const { ENOENT, ENOTDIR } = E;

/** A pin kept from the decision: the O_PATH fd, and the path it reached (as /proc/self/fd/N names it). */
export interface Kept {
  readonly fd: number;
  readonly path: string;
}

export class Walks {
  private readonly kept = new Map<string, Kept>();

  /** `as`: act as the caller (its identity, known before the decision). */
  constructor(private readonly as: As) {}

  /** The decision's realpath (decide/context.ts): `raw` resolved, its pin kept for performing the call. */
  readonly realpath = (raw: string): string | Fault => {
    const had = this.kept.get(raw);
    if (had) return had.path;
    if (!raw.startsWith('/')) return resolve(raw);
    const fd = pinStep(this.as, AT_FDCWD, raw);
    // A part missing: glibc's realpath would fail the same way; the walk by hand appends it.
    if (fd === -ENOENT || fd === -ENOTDIR) return walk(raw);
    if (fd < 0) return resolve(raw);
    const path = pinnedPath(fd);
    // Removed since (" (deleted)"), or not a path of this root: resolved by name, as before.
    if (path === undefined || !path.startsWith('/') || path.endsWith(' (deleted)')) {
      fdops.closeQuietly(fd);
      return resolve(raw);
    }
    this.kept.set(raw, { fd, path });
    return path;
  };

  /** The pin of `raw` (following a final symlink), now the taker's to close; undefined when none was kept. */
  take(raw: string): Kept | undefined {
    const k = this.kept.get(raw);
    if (k) this.kept.delete(raw);
    return k;
  }

  /** Close every pin not taken (the call is answered). */
  close(): void {
    for (const k of this.kept.values()) fdops.closeQuietly(k.fd);
    this.kept.clear();
  }
}

/**
 * pinPath (pin.ts), or the decision's own pin of `path` where it stands for it: a lookup from the
 * root that follows a final symlink, with no O_DIRECTORY. `path` is then what that pin reached.
 */
export function pinFor(walks: Walks | undefined, path: string, lookup: number, trap: Trap, caller: Caller, base = AT_FDCWD): Pinned & { readonly path?: string } {
  const kept = base === AT_FDCWD && lookup === 0 ? walks?.take(path) : undefined;
  return kept ? { fd: kept.fd, callersFd: false, path: kept.path } : pinPath(path, lookup, trap, caller, base);
}
