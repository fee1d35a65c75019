// The layer zip the tests give SyscageLayer: syscage's own dist/syscage-layer-<arch>.zip when
// `make layer ARCH=<arch>` has built it, else a STAND-IN: a small zip made here with only a
// `bootstrap` script in it. Building the real layer downloads Node.js from npm and takes minutes;
// the construct only copies the zip into the cloud assembly, so for the template the stand-in is
// as good. The example test says which one it synthesized with.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cdkRoot } from './paths.js';

export interface LayerZip { readonly path: string; readonly standIn: boolean }

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** A zip of stored (uncompressed) entries: name → [contents, unix mode]. */
export function makeZip(entries: Record<string, [string, number]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, [text, mode]] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(0, 8);
    local.writeUInt16LE(0, 10); local.writeUInt16LE(0x21, 12); // 1980-01-01 00:00
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(0x0314, 4); central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8); central.writeUInt16LE(0, 10); central.writeUInt16LE(0, 12); central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28); central.writeUInt16LE(0, 30); central.writeUInt16LE(0, 32); central.writeUInt16LE(0, 34);
    central.writeUInt16LE(0, 36); central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38); central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += local.length + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  const count = Object.keys(entries).length;
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(count, 8); end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The real layer zip for arch when built, else a stand-in (see above) in a temp dir. */
export function layerZip(arch: 'x86_64' | 'arm64'): LayerZip {
  const real = join(cdkRoot, '..', 'dist', `syscage-layer-${arch}.zip`);
  if (existsSync(real)) return { path: real, standIn: false };
  const dir = mkdtempSync(join(tmpdir(), 'syscage-cdk-layer-'));
  const path = join(dir, `syscage-layer-${arch}.zip`);
  writeFileSync(path, makeZip({
    bootstrap: ['#!/bin/sh\n# STAND-IN for the syscage layer (cdk tests): not the real bootstrap\nexit 1\n', 0o755],
  }));
  return { path, standIn: true };
}
