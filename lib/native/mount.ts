// A private view of one file for the process about to exec: unshare(2) a mount
// namespace, make every mount in it private (so nothing leaks back to the
// parent's), and bind-mount a file over a path. Stage-2 uses it to give the
// sandbox syscage's resolv.conf (lib/dns). Needs CAP_SYS_ADMIN.
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';
import { rawSyscall, syscallNumber } from './syscall.js';

const CLONE_NEWNS = 0x00020000;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_PRIVATE = 1 << 18;

const cString = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

function mount(source: string | undefined, target: string, flags: number): void {
  const src = source === undefined ? undefined : cString(source);
  const dst = cString(target);
  const r = rawSyscall(syscallNumber('mount'), src ? BigInt(ffi.addressOf(src)) : 0n, BigInt(ffi.addressOf(dst)), 0n, flags, 0n);
  if (r.errno !== 0) throw new NativeError(`mount(${source ?? 'none'}, ${target})`, r.errno);
}

/** Bind `file` over `target` in a new, private mount namespace of the calling process. */
export function bindInPrivateNamespace(file: string, target: string): void {
  const r = rawSyscall(syscallNumber('unshare'), CLONE_NEWNS);
  if (r.errno !== 0) throw new NativeError('unshare(CLONE_NEWNS)', r.errno);
  mount(undefined, '/', MS_REC | MS_PRIVATE);
  mount(file, target, MS_BIND);
}
