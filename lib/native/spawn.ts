// posix_spawn(3) without child_process: libuv reaps its own children with
// waitpid(pid), which would swallow the ptrace stops of a tracee. The tracer
// Worker spawns the tracee itself and is then its parent.
//
// Two Node habits must not leak into the child:
// - Node marks fds 0-2 close-on-exec at start-up; a dup2 of an fd onto itself
//   in the file actions clears the flag (glibc >= 2.29), so the child keeps stdio.
// - Node ignores SIGPIPE (and the runtime may block signals); ignored
//   dispositions and the mask survive execve. POSIX_SPAWN_SETSIGDEF with a full
//   set and SETSIGMASK with an empty one give the child default signals.
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;

export interface SpawnOptions {
  /** Absolute path of the program (no PATH search here). */
  readonly path: string;
  readonly argv: readonly string[];
  /** "NAME=value" entries. */
  readonly env: readonly string[];
  /** [from, to]: the child's fd `to` is the parent's `from` (from === to just keeps it open across exec). */
  readonly fds?: readonly (readonly [number, number])[];
  /** fds to close in the child. */
  readonly close?: readonly number[];
  readonly cwd?: string;
}

function ok(what: string, rc: number): void {
  if (rc !== 0) throw new NativeError(what, rc);
}

/** Start a program; returns its pid. The caller (this thread) is its parent. */
export function spawn(o: SpawnOptions): number {
  const fa = Buffer.alloc(256);
  const attr = Buffer.alloc(1024);
  const all = Buffer.alloc(128);
  const none = Buffer.alloc(128);
  ok('posix_spawn_file_actions_init', ffi.spawnFns.faInit(fa));
  ok('posix_spawnattr_init', ffi.spawnFns.attrInit(attr));
  try {
    for (const [from, to] of o.fds ?? [[0, 0], [1, 1], [2, 2]]) ok('posix_spawn_file_actions_adddup2', ffi.spawnFns.faDup2(fa, from, to));
    for (const fd of o.close ?? []) ok('posix_spawn_file_actions_addclose', ffi.spawnFns.faClose(fa, fd));
    if (o.cwd) ok('posix_spawn_file_actions_addchdir_np', ffi.spawnFns.faChdir(fa, o.cwd));
    ffi.spawnFns.sigfillset(all);
    ffi.spawnFns.sigemptyset(none);
    ok('posix_spawnattr_setsigdefault', ffi.spawnFns.attrSetSigdefault(attr, all));
    ok('posix_spawnattr_setsigmask', ffi.spawnFns.attrSetSigmask(attr, none));
    ok('posix_spawnattr_setflags', ffi.spawnFns.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
    const pid: [number] = [0];
    ok(`posix_spawn(${o.path})`, ffi.spawnFns.spawn(pid, o.path, fa, attr, [...o.argv, null], [...o.env, null]));
    return pid[0];
  } finally {
    ffi.spawnFns.faDestroy(fa);
    ffi.spawnFns.attrDestroy(attr);
  }
}
