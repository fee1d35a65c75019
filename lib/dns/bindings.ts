// Which names an address was given for: the bindings that let a connect to an
// address through a host rule ("api.example.com:443").
//
// A DNS answer for an allowed name binds each address it carries to that
// name until max(TTL, floor) has passed. The floor covers clients that cache
// answers longer than their TTL (the JVM, .NET, AWS CRT) and getaddrinfo,
// which returns no TTL at all. An address stays bound to every name it was
// given for, so a refusal can say where the address came from ("resolved from
// other.test"), also after the binding that would have allowed it expired.
//
// The forwarder (main thread) learns bindings; the tracer thread, blocked in
// waitpid and deaf to messages, decides connects. BindingLog carries them
// across: a ring of fixed-size records in a SharedArrayBuffer that the writer
// appends to and publishes with one atomic store of the count; the reader
// keeps its own cursor. A reader lapped by the writer has lost records: it
// says so, and the addresses in them are refused (fail closed) until asked
// for again.

import { unmapped } from '../profile/address.js';

/** The least time an answer binds its addresses (seconds). */
export const FLOOR_S = 300;
/** The most addresses kept; the oldest binding goes first. */
export const MAX_ADDRESSES = 4096;

/** An address as the rules see it: family and value (an IPv4-mapped IPv6 address is IPv4). */
export interface BoundAddress {
  readonly family: 4 | 6;
  readonly addr: bigint;
}

interface Entry {
  /** name → when its binding of this address expires (ms since the epoch). */
  readonly names: Map<string, number>;
}

const key = (a: BoundAddress): string => {
  const u = unmapped(a.family, a.addr);
  return `${u.family}:${u.addr}`;
};

export class Bindings {
  private readonly byAddress = new Map<string, Entry>();

  constructor(private readonly floorMs = FLOOR_S * 1000, private readonly max = MAX_ADDRESSES) {}

  /** `name`'s answer gave `address`, with this TTL (seconds), at `now` (ms). */
  add(name: string, address: BoundAddress, ttl: number, now: number): void {
    const k = key(address);
    const e = this.byAddress.get(k) ?? { names: new Map<string, number>() };
    this.byAddress.delete(k); // most recently bound last: eviction takes the oldest
    this.byAddress.set(k, e);
    const until = Math.max(now + Math.max(ttl * 1000, this.floorMs), e.names.get(name) ?? 0);
    e.names.delete(name); // the most recent answer last
    e.names.set(name, until);
    while (this.byAddress.size > this.max) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  /** The names `address` is bound to now, the one it was most recently given for first. */
  live(address: BoundAddress, now: number): string[] {
    const e = this.byAddress.get(key(address));
    return e ? [...e.names].filter(([, until]) => until > now).map(([n]) => n).reverse() : [];
  }

  /** Every name `address` was ever bound to (that is still remembered), live or expired. */
  names(address: BoundAddress): string[] {
    return [...(this.byAddress.get(key(address))?.names.keys() ?? [])];
  }

  get size(): number {
    return this.byAddress.size;
  }
}

// One record of the log:
//   i32 seq | u8 family | u8 name length | u16 pad | u32 ttl | u32 pad | f64 time (ms)
//   | 16 bytes address (big-endian) | name (≤ 253 bytes)
// seq is the record's number while the record is whole, -1 while write() changes it: a reader
// keeps a record only when seq was its number before and after it copied the record (a seqlock
// per record), so a slot the writer is overwriting is never taken for the record it held.
const RECORD = 40 + 256;
const HEADER = 8; // Int32: count of records ever written; pad
const WRITING = -1;

/** The shared ring of bindings, written by one thread (the forwarder's) and read by another (the tracer). */
export class BindingLog {
  readonly buffer: SharedArrayBuffer;
  private readonly count: Int32Array;
  private readonly seqs: Int32Array;
  private readonly bytes: Buffer;
  private readonly capacity: number;
  /** The reader's position (records read so far). */
  private cursor = 0;

  constructor(buffer: SharedArrayBuffer | number = 1024) {
    this.buffer = typeof buffer === 'number' ? new SharedArrayBuffer(HEADER + buffer * RECORD) : buffer;
    this.count = new Int32Array(this.buffer, 0, 1);
    this.capacity = Math.floor((this.buffer.byteLength - HEADER) / RECORD);
    this.bytes = Buffer.from(this.buffer, HEADER, this.capacity * RECORD);
    this.seqs = new Int32Array(this.buffer, HEADER, (this.capacity * RECORD) / 4);
    this.cursor = Atomics.load(this.count, 0);
  }

  private seqAt(slot: number): number {
    return Atomics.load(this.seqs, (slot * RECORD) / 4);
  }

  /** Append one binding (writer side). */
  write(name: string, address: BoundAddress, ttl: number, time: number): void {
    const n = Atomics.load(this.count, 0);
    const slot = n % this.capacity;
    const at = slot * RECORD;
    const nameBytes = Buffer.from(name, 'latin1').subarray(0, 253);
    Atomics.store(this.seqs, at / 4, WRITING);
    this.bytes.fill(0, at + 4, at + RECORD);
    this.bytes.writeUInt8(address.family, at + 4);
    this.bytes.writeUInt8(nameBytes.length, at + 5);
    this.bytes.writeUInt32LE(Math.max(0, Math.min(ttl, 0xffffffff)) >>> 0, at + 8);
    this.bytes.writeDoubleLE(time, at + 16);
    this.bytes.writeBigUInt64BE(address.addr >> 64n, at + 24);
    this.bytes.writeBigUInt64BE(address.addr & 0xffffffffffffffffn, at + 32);
    nameBytes.copy(this.bytes, at + 40);
    Atomics.store(this.seqs, at / 4, n);
    Atomics.store(this.count, 0, n + 1);
  }

  /** Every record written since the last read (reader side); `lost` counts records overwritten before they were read. */
  read(): { readonly records: { name: string; address: BoundAddress; ttl: number; time: number }[]; readonly lost: number } {
    const end = Atomics.load(this.count, 0);
    let lost = 0;
    if (end - this.cursor > this.capacity) {
      lost = end - this.cursor - this.capacity;
      this.cursor = end - this.capacity;
    }
    const records = [];
    for (; this.cursor < end; this.cursor++) {
      const slot = this.cursor % this.capacity;
      const at = slot * RECORD;
      if (this.seqAt(slot) !== this.cursor) {
        lost++;
        continue;
      }
      const family = this.bytes.readUInt8(at + 4) === 6 ? 6 : 4;
      const len = this.bytes.readUInt8(at + 5);
      const record = {
        name: this.bytes.toString('latin1', at + 40, at + 40 + len),
        address: { family, addr: (this.bytes.readBigUInt64BE(at + 24) << 64n) | this.bytes.readBigUInt64BE(at + 32) } as BoundAddress,
        ttl: this.bytes.readUInt32LE(at + 8),
        time: this.bytes.readDoubleLE(at + 16),
      };
      // Written again while it was copied: torn.
      if (this.seqAt(slot) !== this.cursor) {
        lost++;
        continue;
      }
      records.push(record);
    }
    return { records, lost };
  }
}
