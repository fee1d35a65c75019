#!/usr/bin/env node
// unzip.mjs ZIP DIR — unpacks a layer zip (scripts/build-layer.mjs) into DIR with its file modes,
// so that test-arm64 needs no unzip(1). Handles what build-layer.mjs writes: stored and deflated
// entries, directories, Unix modes in the external attributes; no zip64, no data descriptors.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const [zipPath, outDir] = process.argv.slice(2);
if (!zipPath || !outDir) {
  console.error('usage: unzip.mjs ZIP DIR');
  process.exit(2);
}
const buf = readFileSync(zipPath);
const root = resolve(outDir);
const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
if (eocd < 0) throw new Error(`${zipPath}: not a zip (no end of central directory)`);
const count = buf.readUInt16LE(eocd + 10);
let p = buf.readUInt32LE(eocd + 16);
for (let i = 0; i < count; i++) {
  if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: bad central directory entry ${i}`);
  const method = buf.readUInt16LE(p + 10);
  const csize = buf.readUInt32LE(p + 20);
  const nameLen = buf.readUInt16LE(p + 28);
  const extraLen = buf.readUInt16LE(p + 30);
  const commentLen = buf.readUInt16LE(p + 32);
  const mode = (buf.readUInt32LE(p + 38) >>> 16) & 0o7777;
  const local = buf.readUInt32LE(p + 42);
  const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
  p += 46 + nameLen + extraLen + commentLen;
  const target = resolve(root, name);
  if (target !== root && !target.startsWith(root + sep)) throw new Error(`${zipPath}: entry ${name} points outside ${root}`);
  if (name.endsWith('/')) {
    mkdirSync(target, { recursive: true });
    continue;
  }
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const body = buf.subarray(start, start + csize);
  const data = method === 0 ? body : method === 8 ? inflateRawSync(body) : null;
  if (!data) throw new Error(`${zipPath}: ${name}: compression method ${method} is not supported`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, data);
  chmodSync(target, mode || 0o644);
}
