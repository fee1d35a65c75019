// Reading tracee memory with process_vm_readv(2): one syscall, no stop of the
// tracee needed (it is stopped anyway), and a clean EFAULT for unmapped
// addresses. Strings are read page by page: a path may end just before an
// unmapped page, and reading across it would fail the whole read.
import { errnoNumber } from '../arch/errno.js';
import * as ffi from './ffi.js';

const PAGE = 4096;
const EFAULT = errnoNumber('EFAULT')!;

const local = Buffer.alloc(16);
const remote = Buffer.alloc(16);
const localAddr = ffi.addressOf(local);
const remoteAddr = ffi.addressOf(remote);
const scratch = Buffer.alloc(64 * 1024);
const scratchAddr = ffi.addressOf(scratch);

/** Read up to `len` bytes at `addr` into the scratch buffer (or the memory at `into`); returns the count read, or -errno. */
function readInto(pid: number, addr: bigint, len: number, into = scratchAddr): number {
  local.writeBigUInt64LE(BigInt(into), 0);
  local.writeBigUInt64LE(BigInt(len), 8);
  remote.writeBigUInt64LE(addr, 0);
  remote.writeBigUInt64LE(BigInt(len), 8);
  const r = ffi.processVmReadv(pid, localAddr, 1, remoteAddr, 1);
  return r.errno === 0 ? Number(r.ret) : -r.errno;
}

/** `len` bytes at `addr` (a copy), or a positive errno when any of them cannot be read. */
export function readMemory(pid: number, addr: bigint, len: number): Buffer | number {
  if (len > scratch.length) return errnoNumber('E2BIG')!;
  if (len === 0) return Buffer.alloc(0);
  if (addr === 0n) return EFAULT;
  const n = readInto(pid, addr, len);
  if (n < 0) return -n;
  if (n < len) return EFAULT;
  return Buffer.from(scratch.subarray(0, len));
}

/**
 * `len` bytes at `addr` read straight into a new buffer of their own (for more than readMemory's
 * 64 KiB: a payload to send), or a positive errno when any of them cannot be read.
 */
export function readMemoryLarge(pid: number, addr: bigint, len: number): Buffer | number {
  if (len <= scratch.length) return readMemory(pid, addr, len);
  if (addr === 0n) return EFAULT;
  const buf = Buffer.allocUnsafe(len);
  const n = readInto(pid, addr, len, ffi.addressOf(buf));
  if (n < 0) return -n;
  return n < len ? EFAULT : buf;
}

/**
 * A NUL-terminated string at `addr`: the bytes before the NUL (decoded as
 * UTF-8 by the caller), or a positive errno: EFAULT for an unreadable byte,
 * ENAMETOOLONG when no NUL comes within `max` bytes.
 */
export function readCString(pid: number, addr: bigint, max: number): Buffer | number {
  if (addr === 0n) return EFAULT;
  const chunks: Buffer[] = [];
  let total = 0;
  let at = addr;
  while (total < max) {
    // Up to the end of this page, so that an unmapped next page does not fail the read.
    const inPage = PAGE - Number(at % BigInt(PAGE));
    const want = Math.min(inPage, max - total);
    const n = readInto(pid, at, want);
    if (n <= 0) return n < 0 ? -n : EFAULT;
    const got = scratch.subarray(0, n);
    const nul = got.indexOf(0);
    if (nul >= 0) {
      chunks.push(Buffer.from(got.subarray(0, nul)));
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    }
    chunks.push(Buffer.from(got));
    total += n;
    at += BigInt(n);
  }
  return errnoNumber('ENAMETOOLONG')!;
}

/**
 * Write `data` at `addr` in another process (process_vm_writev): 0, or a positive errno (EFAULT
 * when any of it is not writable there; a partial write is reported as EFAULT too).
 */
export function writeMemory(pid: number, addr: bigint, data: Buffer): number {
  if (data.length === 0) return 0;
  if (addr === 0n) return EFAULT;
  local.writeBigUInt64LE(BigInt(ffi.addressOf(data)), 0);
  local.writeBigUInt64LE(BigInt(data.length), 8);
  remote.writeBigUInt64LE(addr, 0);
  remote.writeBigUInt64LE(BigInt(data.length), 8);
  const r = ffi.processVmWritev(pid, localAddr, 1, remoteAddr, 1);
  if (r.errno !== 0) return r.errno;
  return Number(r.ret) === data.length ? 0 : EFAULT;
}
