#!/usr/bin/env node
// Generates lib/arch/syscalls.csv: syscall numbers for every arch syscage supports, from the
// kernel's own uapi headers, plus the hand-maintained argument kinds of scripts/syscall-args.txt.
//
//   node scripts/gen-syscalls.mjs            write lib/arch/syscalls.csv
//   node scripts/gen-syscalls.mjs --check    exit 1 if the committed CSV differs
//   node scripts/gen-syscalls.mjs --out F    write F instead (tests compare it)
//   node scripts/gen-syscalls.mjs --args F   read the annotations from F (tests)
//
// Needs the Debian packages linux-libc-dev-amd64-cross and linux-libc-dev-arm64-cross (one
// kernel version for both arches) and a C preprocessor (`cpp`, or $SYSCAGE_CPP).
//
// The headers are run through the real preprocessor with the arch's own predefined macros,
// so every #if resolves as it does for that arch: arm64's asm/unistd.h selects parts of
// asm-generic/unistd.h with __ARCH_WANT_* macros and __BITS_PER_LONG, and x86's asm/unistd.h
// picks unistd_64.h over the i386 and x32 tables.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const DEFAULT_ARGS_FILE = join(root, 'scripts', 'syscall-args.txt');
const CSV_FILE = join(root, 'lib', 'arch', 'syscalls.csv');

/** Per arch: the Debian package, its include dir, and the macros the compiler would predefine. */
const ARCHES = [
  { arch: 'x86_64', pkg: 'linux-libc-dev-amd64-cross', include: '/usr/x86_64-linux-gnu/include', defines: ['__x86_64__', '__LP64__'] },
  { arch: 'aarch64', pkg: 'linux-libc-dev-arm64-cross', include: '/usr/aarch64-linux-gnu/include', defines: ['__aarch64__', '__LP64__'] },
];

/** `__NR_*` macros that are not syscalls. */
const NOT_SYSCALLS = new Set([
  'syscalls', // asm-generic: number of table entries
  'arch_specific_syscall', // asm-generic: first of 16 numbers reserved for per-arch calls
]);

const ARG_KINDS = new Set(['path', 'dirfd', 'exec', 'sockaddr', 'socklen', 'msghdr', 'mmsghdr', 'argv', 'fd', 'flags', 'mode', '-']);

/** Kernel facts the output must agree with; `null` = the arch has no such syscall. */
const FACTS = [
  ['read', 0, 63],
  ['openat', 257, 56],
  ['exit_group', 231, 94],
  ['clone3', 435, 435],
  ['io_uring_setup', 425, 425],
  ['execve', 59, 221],
  ['execveat', 322, 281],
  ['seccomp', 317, 277],
  // The legacy path calls exist only on x86_64: the generic table replaced them with *at().
  ['open', 2, null],
  ['rename', 82, null],
  ['fork', 57, null],
  // ...but arm64 asks for renameat back (__ARCH_WANT_RENAMEAT); riscv, for one, does not.
  ['renameat', 264, 38],
  ['renameat2', 316, 276],
  // Generic 64-bit names come from __NR3264_* macros: checks that references are resolved.
  ['newfstatat', 262, 79],
  ['mmap', 9, 222],
  ['fcntl', 72, 25],
  // Never on either: the i386 socket multiplexer and 32-bit variants.
  ['socketcall', null, null],
  ['fstatat64', null, null],
  ['mmap2', null, null],
];

function fail(msg) {
  process.stderr.write(`gen-syscalls: ${msg}\n`);
  process.exit(1);
}

function packageVersion(pkg) {
  let v = '';
  try {
    v = execFileSync('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { encoding: 'utf8' });
  } catch {
    // not known to dpkg at all
  }
  const [status, version] = v.split('\t');
  if (!status?.endsWith(' installed') || !version) fail(`${pkg} is not installed (apt-get install -y ${pkg})`);
  return version;
}

/** Kernel version of a uapi tree, from linux/version.h. */
function kernelVersion(include) {
  const file = join(include, 'linux', 'version.h');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const macro = (name) => text.match(new RegExp(`^#define ${name} (\\d+)$`, 'm'))?.[1];
  // Prefer the split macros: LINUX_VERSION_CODE clamps the sublevel at 255 (6.1.300 → 6.1.255).
  const [maj, pat, sub] = ['LINUX_VERSION_MAJOR', 'LINUX_VERSION_PATCHLEVEL', 'LINUX_VERSION_SUBLEVEL'].map(macro);
  if (maj && pat && sub) return `${maj}.${pat}.${sub}`;
  const code = macro('LINUX_VERSION_CODE');
  if (!code) return undefined;
  const n = Number(code);
  return `${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
}

/** All macros defined after preprocessing `#include <asm/unistd.h>` as `arch` would. */
function unistdMacros({ arch, include, defines }) {
  if (!existsSync(join(include, 'asm', 'unistd.h'))) fail(`${include}/asm/unistd.h is missing`);
  const cpp = process.env.SYSCAGE_CPP || 'cpp';
  const args = ['-undef', '-nostdinc', '-dM', ...defines.map((d) => `-D${d}`), '-I', include, '-x', 'c', '-'];
  let out;
  try {
    out = execFileSync(cpp, args, { input: '#include <asm/unistd.h>\n', encoding: 'utf8' });
  } catch (e) {
    fail(`${cpp} failed for ${arch}: ${e.message}`);
  }
  const macros = new Map();
  for (const line of out.split('\n')) {
    const m = line.match(/^#define (\w+)(?:\s+(.*))?$/);
    if (m) macros.set(m[1], (m[2] ?? '').trim());
  }
  return macros;
}

/**
 * Value of an integer macro. Handles what unistd headers use: literals, references to other
 * macros (`__NR_fstat __NR3264_fstat`) and sums (`(__NR_SYSCALL_BASE + 5)`). Anything else fails.
 */
function evaluate(macros, name, seen = new Set()) {
  if (seen.has(name)) fail(`macro cycle through ${name}`);
  seen.add(name);
  const text = macros.get(name);
  if (text === undefined) fail(`undefined macro ${name}`);
  const tokens = text.match(/\w+|[()+-]|\S/g) ?? [];
  let i = 0;
  const primary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') fail(`cannot evaluate ${name}: ${text}`);
      return v;
    }
    if (t !== undefined && /^(0x[0-9a-f]+|\d+)[ul]*$/i.test(t)) return Number.parseInt(t.replace(/[ul]+$/i, ''), /^0x/i.test(t) ? 16 : /^0\d/.test(t) ? 8 : 10);
    if (t !== undefined && /^[a-z_]\w*$/i.test(t)) return evaluate(macros, t, new Set(seen));
    fail(`cannot evaluate ${name}: ${text}`);
  };
  const sum = () => {
    let v = primary();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + primary() : v - primary();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) fail(`cannot evaluate ${name}: ${text}`);
  return v;
}

/** name → syscall number for one arch. */
function syscallNumbers(spec) {
  const macros = unistdMacros(spec);
  const table = new Map();
  const byNumber = new Map();
  for (const macro of macros.keys()) {
    if (!macro.startsWith('__NR_')) continue;
    const name = macro.slice('__NR_'.length);
    if (NOT_SYSCALLS.has(name)) continue;
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) fail(`${spec.arch}: odd syscall name ${macro}`);
    const nr = evaluate(macros, macro);
    // x86_64 numbers must stay below the x32 bit (0x40000000); no arch has more than ~1000.
    if (!Number.isInteger(nr) || nr < 0 || nr >= 1024) fail(`${spec.arch}: ${name} = ${nr} is out of range`);
    const other = byNumber.get(nr);
    if (other) fail(`${spec.arch}: ${other} and ${name} are both ${nr}`);
    byNumber.set(nr, name);
    table.set(name, nr);
  }
  if (table.size < 250) fail(`${spec.arch}: only ${table.size} syscalls found, the headers look wrong`);
  // asm-generic counts its table: every number must fall inside it.
  if (macros.has('__NR_syscalls')) {
    const count = evaluate(macros, '__NR_syscalls');
    for (const [name, nr] of table) if (nr >= count) fail(`${spec.arch}: ${name} = ${nr} is beyond __NR_syscalls (${count})`);
  }
  return table;
}

/** name → kinds[] from scripts/syscall-args.txt. */
function readArgs(file) {
  const args = new Map();
  const shown = file === DEFAULT_ARGS_FILE ? 'scripts/syscall-args.txt' : file;
  readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [name, ...kinds] = line.split(/\s+/);
    const where = `${shown}:${i + 1}`;
    if (args.has(name)) fail(`${where}: ${name} is annotated twice`);
    for (const k of kinds) if (!ARG_KINDS.has(k)) fail(`${where}: unknown kind "${k}"`);
    while (kinds.at(-1) === '-') kinds.pop();
    if (kinds.length === 0) fail(`${where}: ${name} has no kinds to decode`);
    if (kinds.length > 6) fail(`${where}: ${name} has more than 6 arguments`);
    args.set(name, { kinds, where });
  });
  return args;
}

function main(argv) {
  let out = CSV_FILE;
  let argsFile = DEFAULT_ARGS_FILE;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') check = true;
    else if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
    else if (argv[i] === '--args' && argv[i + 1]) argsFile = argv[++i];
    else fail(`usage: node scripts/gen-syscalls.mjs [--check] [--out FILE] [--args FILE]`);
  }

  const versions = ARCHES.map((a) => packageVersion(a.pkg));
  const kernels = ARCHES.map((a, i) => kernelVersion(a.include) ?? versions[i].match(/^\d+(\.\d+)+/)?.[0]);
  if (!kernels[0] || kernels.some((k) => k !== kernels[0])) {
    fail(`the arches' headers come from different kernels (${kernels.join(' vs ')}): install one version of both packages`);
  }

  const tables = ARCHES.map(syscallNumbers);
  const names = [...new Set(tables.flatMap((t) => [...t.keys()]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  for (const [name, ...want] of FACTS) {
    tables.forEach((t, i) => {
      const got = t.get(name) ?? null;
      if (got !== want[i]) fail(`sanity check: ${name} on ${ARCHES[i].arch} is ${got}, expected ${want[i]}`);
    });
  }

  const args = readArgs(argsFile);
  for (const [name, { where }] of args) {
    if (!names.includes(name)) fail(`${where}: ${name} is not a syscall on any arch`);
  }

  const lines = [
    `# syscall numbers from Linux ${kernels[0]} uapi headers (Debian ${ARCHES.map((a, i) => `${a.pkg} ${versions[i]}`).join(', ')}); generated by scripts/gen-syscalls.mjs — do not edit`,
    ['name', ...ARCHES.map((a) => a.arch), 'args'].join(','),
    ...names.map((name) => [name, ...tables.map((t) => t.get(name) ?? ''), args.get(name)?.kinds.join(' ') ?? ''].join(',')),
  ];
  const csv = lines.join('\n') + '\n';

  if (check) {
    const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (old !== csv) fail(`${out} is out of date: run node scripts/gen-syscalls.mjs`);
    return;
  }
  writeFileSync(out, csv);
  const counts = ARCHES.map((a, i) => `${a.arch} ${tables[i].size}`).join(', ');
  process.stdout.write(`wrote ${out}: ${names.length} syscalls (${counts}), ${args.size} annotated\n`);
}

main(process.argv.slice(2));
