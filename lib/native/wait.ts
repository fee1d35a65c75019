// waitpid(2) for the tracer thread (what a status word means: lib/arch/stop.ts).
//
// __WALL: wait for every child, threads included (clone children). __WNOTHREAD:
// only children of *this* thread — the tracer Worker spawned the tracee and is
// its ptrace parent; without it we would reap the main thread's child_process
// children and their callbacks would never fire.
import { errnoNumber } from '../arch/errno.js';
import { NativeError } from './errors.js';
import * as ffi from './ffi.js';

export const WNOHANG = 1;
export const __WNOTHREAD = 0x20000000;
export const __WALL = 0x40000000;

const EINTR = errnoNumber('EINTR')!;
const ECHILD = errnoNumber('ECHILD')!;

const status = Buffer.alloc(4);
const statusAddr = ffi.addressOf(status);

/** A child changed state; `status` is the raw wait status. */
export interface Waited { readonly pid: number; readonly status: number }

/**
 * Block until any traced child changes state. Returns undefined when there
 * are no children left (ECHILD); retries on EINTR.
 */
export function waitAny(options = __WALL | __WNOTHREAD): Waited | undefined {
  return waitFor(-1, options);
}

/** waitpid for one task (or -1: any); undefined on ECHILD (no such child, or none left). */
export function waitFor(pid: number, options = __WALL | __WNOTHREAD): Waited | undefined {
  for (;;) {
    const r = ffi.waitpid(pid, statusAddr, options);
    if (r.errno === EINTR) continue;
    if (r.errno === ECHILD) return undefined;
    if (r.errno !== 0) throw new NativeError('waitpid', r.errno);
    if (r.ret === 0n) return { pid: 0, status: 0 }; // WNOHANG: nothing changed
    return { pid: Number(r.ret), status: status.readInt32LE(0) };
  }
}

const nap = new Int32Array(new SharedArrayBuffer(4));
/** Block this thread for `ms` milliseconds (fractions allowed): Atomics.wait on a cell nobody wakes. */
export const sleepMs = (ms: number): void => void Atomics.wait(nap, 0, 0, ms);

/** Give the CPU to whatever waits for it (sched_yield): the task we wait for, on a busy machine. */
export const yieldCpu = (): void => ffi.schedYield();

// What a status word means: lib/arch/stop.ts decodeStatus().
