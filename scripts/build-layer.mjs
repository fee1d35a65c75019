#!/usr/bin/env node
// Builds the syscage Lambda layer: dist/syscage-layer-<arch>.zip.
//
//   node scripts/build-layer.mjs --arch x86_64|arm64 [--out FILE]
//   node scripts/build-layer.mjs --arch x86_64|arm64 --node-only DIR   the layer's bin/node alone, unpacked
//                                          into DIR/node-<version>-<arch> (kept); prints its path
//
// Layout of the zip (the layer is unpacked at /opt on Lambda):
//   bootstrap             a #!/bin/sh script: execs bin/node syscage/dist/bundle/cli/entry.js bootstrap
//                         (lib/runtime/layer.ts: the entry and Node.js's flags)
//   bin/node              the official Node.js 26 LTS binary for the arch (npm package node-linux-<x64|arm64>)
//   lib/libatomic.so.1    GCC's libatomic for the arch, which official Node.js >= 25 binaries link and
//                         minimal images (provided.al2023 may be one) lack; bin/node finds it through
//                         LD_LIBRARY_PATH, which on Lambda includes /opt/lib. Taken from this machine:
//                         Debian's libatomic1 (x86_64) / libatomic1-arm64-cross (arm64), or the arch's own
//   syscage/              package.json, dist/bundle (what the bootstrap loads: scripts/bundle.mjs), dist/lib
//                         (compiled JS, no .map: the seatbelt's preload, doctor's probes), lib/arch/*.csv, lib/seatbelt/python/*.py, profiles/,
//                         production node_modules; koffi with only the prebuilt binary for linux/<arch> (glibc)
//
// Deterministic: entries sorted, every timestamp 1980-01-01 00:00, modes fixed (755 for bootstrap,
// bin/node and directories, 644 otherwise), no extra fields. The zip is written here, not by zip(1).
// Needs `npm run build` first, and the npm registry (or a warm cache in dist-layer/cache/) for the
// node binary and the other arch's koffi package; for a node that links libatomic, that library
// for the arch on this machine (the same bytes as long as its package's version is the same).
// SYSCAGE_LAYER_NODE_VERSION overrides the pinned node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Node 26 LTS: 26.12.1 is the first release with every permission-model fix the seatbelts rely on.
export const NODE_VERSION = process.env.SYSCAGE_LAYER_NODE_VERSION || '26.12.1';
const ARCHES = {
  x86_64: {
    npm: 'x64',
    elf: 62,
    // Debian/Ubuntu (libatomic1), then RPM-based distributions (libatomic).
    libatomic: [['/usr/lib/x86_64-linux-gnu/libatomic.so.1', 'libatomic1'], ['/usr/lib64/libatomic.so.1', 'libatomic']],
  },
  arm64: {
    npm: 'arm64',
    elf: 183,
    // Debian's cross package (installed with gcc-aarch64-linux-gnu), then an arm64 machine's own.
    libatomic: [['/usr/aarch64-linux-gnu/lib/libatomic.so.1', 'libatomic1-arm64-cross'], ['/usr/lib/aarch64-linux-gnu/libatomic.so.1', 'libatomic1'],
      ['/usr/lib64/libatomic.so.1', 'libatomic']],
  },
};

/** The bootstrap script, from lib/runtime/layer.ts (compiled: the layer needs `npm run build` first). */
async function bootstrapScript() {
  const { BOOTSTRAP_ENTRY, BOOTSTRAP_NODE_FLAGS } = await import('../dist/lib/runtime/layer.js');
  return `#!/bin/sh
# syscage Lambda layer: the runtime bootstrap. Runs syscage with the layer's own Node.js,
# wherever the layer is unpacked (/opt on Lambda).
dir=$(dirname "$(readlink -f "$0")")
exec "$dir/bin/node" ${BOOTSTRAP_NODE_FLAGS.join(' ')} "$dir/syscage/${BOOTSTRAP_ENTRY}" bootstrap "$@"
`;
}

function parseArgs(argv) {
  const out = { arch: 'x86_64', out: undefined, nodeOnly: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--arch' || a.startsWith('--arch=')) out.arch = val();
    else if (a === '--out' || a.startsWith('--out=')) out.out = val();
    else if (a === '--node-only' || a.startsWith('--node-only=')) out.nodeOnly = val();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!ARCHES[out.arch]) throw new Error(`--arch must be x86_64 or arm64, not ${out.arch}`);
  out.out ??= join(root, 'dist', `syscage-layer-${out.arch}.zip`);
  return out;
}

// ---- npm packages (cached tarballs) -------------------------------------------------------

const cacheDir = join(root, 'dist-layer', 'cache');

/** The tarball of name@version, from the cache or `npm pack`. */
function tarball(name, version) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (existsSync(file)) return file;
  const tmp = mkdtempSync(join(cacheDir, 'pack-'));
  try {
    let json;
    try {
      json = execFileSync('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', tmp, '--ignore-scripts'], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
      });
    } catch (e) {
      const lines = `${e.stderr ?? ''}`.split('\n').map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim()).filter(Boolean);
      const why = lines.find((l) => /^(code|errno) |E[A-Z0-9]{3,}|request to /.test(l)) ?? lines[0] ?? e.message;
      throw new Error(`npm pack ${name}@${version} failed (no access to the npm registry?): ${why}`);
    }
    const [{ filename }] = JSON.parse(json);
    renameSync(join(tmp, filename.replace(/^@/, '').replace('/', '-')), file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/** Extracts a tarball into a fresh temp dir; returns its package/ directory. */
function extract(tgz, work) {
  const dir = mkdtempSync(join(work, 'x-'));
  execFileSync('tar', ['-xzf', tgz, '-C', dir, '--no-same-owner']);
  return join(dir, 'package');
}

// ---- the layer's files ------------------------------------------------------------------

/** The ELF e_machine of a file's bytes (62 x86_64, 183 aarch64), -1 when not ELF. */
const elfMachine = (b) => (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46 ? b.readUInt16LE(18) : -1);

/**
 * libatomic.so.1 for the arch when the node binary links it (its dynamic string table names it):
 * { data, from } (from: the file and its package), or undefined when node does not need it.
 */
function libatomicFor(arch, node) {
  if (!node.includes(Buffer.from('\0libatomic.so.1\0'))) return undefined;
  const { elf, libatomic } = ARCHES[arch];
  for (const [path, pkg] of libatomic) {
    if (!existsSync(path)) continue;
    const data = readFileSync(path);
    if (elfMachine(data) !== elf) continue;
    return { data, from: `${path} (${pkg})` };
  }
  throw new Error(`node ${NODE_VERSION} links libatomic.so.1, and no ${arch} libatomic.so.1 is installed here: `
    + `install ${libatomic.map(([path, pkg]) => `${pkg} (${path})`).join(' or ')}`);
}

/** Files under dir (relative paths with /), recursively, sorted; skip(rel, isDir) prunes. */
function walk(dir, skip = () => false, base = dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = relative(base, p).split(sep).join('/');
    const st = statSync(p);
    if (skip(rel, st.isDirectory())) continue;
    if (st.isDirectory()) out.push(...walk(p, skip, base));
    else if (st.isFile()) out.push(rel);
  }
  return out;
}

/** Production package directories (relative to root), from npm's view of the installed tree. */
function productionPackages() {
  let text;
  try {
    text = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    text = e.stdout ?? ''; // unmet optional dependencies (other platforms' koffi) make npm ls exit 1
  }
  return text.split('\n').filter(Boolean)
    .map((p) => relative(root, p).split(sep).join('/'))
    .filter((p) => p.startsWith('node_modules/') && existsSync(join(root, p, 'package.json')))
    .sort();
}

// Source maps and type declarations: nothing loads them at run time.
const NOT_AT_RUN_TIME = /\.map$|\.d\.[cm]?ts$/;
// C/C++ sources, headers and build files koffi ships for building from source: not needed at run time.
const KOFFI_SOURCES = /\.(cc|hh|c|h|cpp|hpp|inc|def|asm|S)$|(^|\/)CMakeLists\.txt$/;

async function collect(arch, work) {
  const { npm } = ARCHES[arch];
  /** name → { data, mode } */
  const files = new Map();
  const add = (name, data, mode = 0o644) => files.set(name, { data, mode });
  const addFrom = (name, path, mode) => add(name, readFileSync(path), mode);


  const nodePkg = extract(tarball(`node-linux-${npm}`, NODE_VERSION), work);
  addFrom('bin/node', join(nodePkg, 'bin', 'node'), 0o755);
  const libatomic = libatomicFor(arch, files.get('bin/node').data);
  if (libatomic) add('lib/libatomic.so.1', libatomic.data);

  if (!existsSync(join(root, 'dist', 'lib', 'cli', 'entry.js')) || !existsSync(join(root, 'dist', 'bundle', 'cli', 'entry.js'))) {
    throw new Error('dist/ is not built: run `make build` first');
  }
  add('bootstrap', Buffer.from(await bootstrapScript()), 0o755);
  addFrom('syscage/package.json', join(root, 'package.json'));
  for (const d of ['lib', 'bundle']) {
    for (const f of walk(join(root, 'dist', d), (rel, isDir) => !isDir && (rel.endsWith('.map') || rel.endsWith('.d.ts') || rel.endsWith('.tsbuildinfo')))) {
      addFrom(`syscage/dist/${d}/${f}`, join(root, 'dist', d, f));
    }
  }
  for (const f of readdirSync(join(root, 'lib', 'arch')).filter((n) => n.endsWith('.csv')).sort()) {
    addFrom(`syscage/lib/arch/${f}`, join(root, 'lib', 'arch', f));
  }
  for (const f of walk(join(root, 'profiles'))) addFrom(`syscage/profiles/${f}`, join(root, 'profiles', f));
  // The Python seatbelt's launcher: run by the handler's own interpreter, from its source.
  for (const f of readdirSync(join(root, 'lib', 'seatbelt', 'python')).filter((n) => n.endsWith('.py')).sort()) {
    addFrom(`syscage/lib/seatbelt/python/${f}`, join(root, 'lib', 'seatbelt', 'python', f));
  }

  let koffiVersion;
  for (const pkg of productionPackages()) {
    if (pkg.startsWith('node_modules/@koromix/')) continue; // the host's prebuilt; replaced below
    const isKoffi = pkg === 'node_modules/koffi';
    if (isKoffi) koffiVersion = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).version;
    const skip = (rel, isDir) => (isDir && rel === 'node_modules') || (!isDir && NOT_AT_RUN_TIME.test(rel))
      || (isKoffi && (isDir ? ['vendor', 'doc', 'lib', 'build'].includes(rel) : KOFFI_SOURCES.test(rel)));
    for (const f of walk(join(root, pkg), skip)) addFrom(`syscage/${pkg}/${f}`, join(root, pkg, f));
  }
  if (!koffiVersion) throw new Error('koffi is not installed: run `npm ci` first');

  // koffi 3 loads its binary from the optional package @koromix/koffi-<platform>-<arch>;
  // that package holds glibc and musl builds: keep only linux_<arch> (Lambda is glibc).
  const native = `@koromix/koffi-linux-${npm}`;
  const nativePkg = extract(tarball(native, koffiVersion), work);
  let binaries = 0;
  for (const f of walk(nativePkg, (rel, isDir) => isDir && rel !== `linux_${npm}` && !rel.includes('/'))) {
    if (f.endsWith('.node')) binaries++;
    addFrom(`syscage/node_modules/${native}/${f}`, join(nativePkg, f));
  }
  if (binaries !== 1) throw new Error(`${native}@${koffiVersion}: expected one linux_${npm}/koffi.node, found ${binaries}`);
  return files;
}

// ---- a deterministic zip ------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01

/** files: name → { data, mode }. Directories are added for every parent, mode 755. */
export function zip(files) {
  const entries = new Map();
  for (const [name, f] of files) {
    entries.set(name, f);
    for (let d = dirname(name); d !== '.'; d = dirname(d)) entries.set(`${d}/`, { data: Buffer.alloc(0), mode: 0o755, dir: true });
  }
  const names = [...entries.keys()].sort();
  const chunks = [];
  const central = [];
  let offset = 0;
  let unzipped = 0;
  for (const name of names) {
    const { data, mode, dir } = entries.get(name);
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = dir || data.length === 0 ? data : deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(data);
    unzipped += data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28); // no extra field
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the external attributes carry the mode)
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(DOS_TIME, 12);
    cd.writeUInt16LE(DOS_DATE, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    // extra, comment, disk number, internal attributes: 0
    const type = dir ? 0o040000 : 0o100000;
    cd.writeUInt32LE((((type | mode) << 16) | (dir ? 0x10 : 0)) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    chunks.push(local, nameBuf, body);
    central.push(cd, nameBuf);
    offset += local.length + nameBuf.length + body.length;
    if (offset > 0xffffffff) throw new Error('layer over 4 GiB: zip64 is not supported');
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return { bytes: Buffer.concat([...chunks, ...central, end]), unzipped, entries: names.length };
}

// ---- main ---------------------------------------------------------------------------------

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The layer's node binary alone, unpacked once into dir: its path. */
function nodeOnly(arch, dir) {
  const bin = join(dir, `node-${NODE_VERSION}-${ARCHES[arch].npm}`, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'unpack-'));
  try {
    const pkg = extract(tarball(`node-linux-${ARCHES[arch].npm}`, NODE_VERSION), work);
    renameSync(pkg, dirname(dirname(bin)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

async function main() {
  const { arch, out, nodeOnly: only } = parseArgs(process.argv.slice(2));
  if (only) {
    console.log(nodeOnly(arch, only));
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'syscage-layer-'));
  try {
    const files = await collect(arch, work);
    const { bytes, unzipped, entries } = zip(files);
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, out);
    const node = files.get('bin/node').data.length;
    console.log(`${relative(process.cwd(), out) || out}: ${entries} entries, node ${NODE_VERSION} linux-${ARCHES[arch].npm}`
      + (files.has('lib/libatomic.so.1') ? `, lib/libatomic.so.1 from ${libatomicFor(arch, files.get('bin/node').data).from}` : ''));
    console.log(`  zip ${mb(bytes.length)} (${bytes.length} bytes), unzipped ${mb(unzipped)} (${unzipped} bytes; bin/node ${mb(node)}, syscage ${mb(unzipped - node)})`);
    console.log(`  Lambda allows 250 MB unzipped for the function and all its layers: ${mb(250 * 1024 * 1024 - unzipped)} left`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await main();
  } catch (e) {
    console.error(`build-layer: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
