// `syscage compile`, run in-process through main() with a fake io. The
// program it prints must be the library's own compilation of the profile.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../../lib/arch/index.js';
import { runCli as run } from '../helpers/cli.js';
import { compileProfile, type Compiled } from '../../lib/compile/index.js';
import { loadProfile } from '../../lib/profile/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const FULL = join(FIXTURES, 'good', 'full.yaml');
const BAD = join(FIXTURES, 'bad');


const library = (arch: Arch, file = FULL): Compiled => compileProfile(loadProfile(file).profile, arch);

for (const arch of ['x86_64', 'aarch64'] as const) {
  t.test(`${arch}: --format bpf is the library's struct sock_filter array`, async (t) => {
    const r = await run(['compile', FULL, '--arch', arch, '--format', 'bpf']);
    t.equal(r.status, 0, 'exit status', { stderr: r.err });
    t.equal(r.stdout.length % 8, 0, 'a whole number of 8-byte instructions');
    t.equal(r.stdout.length / 8, library(arch).stats.length, 'one per instruction');
    t.ok(r.stdout.equals(library(arch).bytes), 'byte for byte the library\'s `bytes`');
  });

  t.test(`${arch}: --format json parses and carries the stats`, async (t) => {
    const r = await run(['compile', FULL, '--arch', arch, '-f', 'json']);
    t.equal(r.status, 0, 'exit status', { stderr: r.err });
    const json = JSON.parse(r.out) as { arch: string; stats: { length: number; depth: number }; insns: unknown[]; traps: unknown[] };
    const lib = library(arch);
    t.equal(json.arch, arch, 'arch');
    t.type(json.stats.length, 'number', 'stats.length is a number');
    t.type(json.stats.depth, 'number', 'stats.depth is a number');
    t.equal(json.stats.length, lib.stats.length, 'stats.length is the library\'s');
    t.equal(json.stats.depth, lib.stats.depth, 'stats.depth is the library\'s');
    t.equal(json.insns.length, json.stats.length, 'one insns entry per instruction');
    t.equal(json.traps.length, lib.traps.length, 'the trap table');
  });

  t.test(`${arch}: --format disasm (the default) lists one line per instruction`, async (t) => {
    const r = await run(['compile', FULL, '--arch', arch]);
    t.equal(r.status, 0, 'exit status', { stderr: r.err });
    t.ok(r.out.endsWith('\n'), 'ends with a newline');
    const lines = r.out.trimEnd().split('\n');
    t.equal(lines.length, library(arch).stats.length, 'one line per instruction');
    t.match(lines[0], /^\s*0+: /, 'numbered from 0');
    const explicit = await run(['compile', FULL, '--arch', arch, '--format', 'disasm']);
    t.equal(explicit.out, r.out, '--format disasm is the default');
  });
}

t.test('stderr gets a one-line summary, stdout only the program', async (t) => {
  const r = await run(['compile', FULL, '--arch', 'x86_64', '-f', 'json']);
  t.match(r.err, /^syscage: \S*full\.yaml for x86_64: \d+ instructions, search depth \d+ .*\n$/, 'one summary line', { stderr: r.err });
  t.doesNotThrow(() => JSON.parse(r.out), 'stdout is nothing but the JSON');
});

t.test('-o FILE writes the file and nothing to stdout', async (t) => {
  const dir = t.testdir({});
  for (const format of ['bpf', 'json', 'disasm'] as const) {
    const file = join(dir, `filter.${format}`);
    const r = await run(['compile', FULL, '--arch', 'aarch64', '-f', format, '-o', file]);
    t.equal(r.status, 0, `${format}: exit status`, { stderr: r.err });
    t.equal(r.stdout.length, 0, `${format}: nothing on stdout`);
    t.ok(existsSync(file), `${format}: the file exists`);
    const direct = await run(['compile', FULL, '--arch', 'aarch64', '-f', format]);
    t.ok(readFileSync(file).equals(direct.stdout), `${format}: the file holds what stdout would have`);
  }
});

t.test('bpf to a terminal', async (t) => {
  const refused = await run(['compile', FULL, '--arch', 'x86_64', '-f', 'bpf'], { tty: true });
  t.equal(refused.status, 2, 'without -o: refused (exit 2)');
  t.equal(refused.stdout.length, 0, 'without -o: nothing on stdout');
  t.match(refused.err, /^syscage: .*-o FILE.*\n$/, 'without -o: one line that says to use -o', { stderr: refused.err });

  const file = join(t.testdir({}), 'filter.bpf');
  const written = await run(['compile', FULL, '--arch', 'x86_64', '-f', 'bpf', '-o', file], { tty: true });
  t.equal(written.status, 0, 'with -o: fine', { stderr: written.err });
  t.ok(readFileSync(file).equals(library('x86_64').bytes), 'with -o: the file holds the program');

  const text = await run(['compile', FULL, '--arch', 'x86_64', '-f', 'disasm'], { tty: true });
  t.equal(text.status, 0, 'disasm to a terminal is fine');
});

t.test('a bad profile: exit 2, the diagnostic on stderr, nothing on stdout', async (t) => {
  const r = await run(['compile', join(BAD, 'unknown-syscall.yaml'), '--arch', 'x86_64', '-f', 'bpf']);
  t.equal(r.status, 2, 'exit status');
  t.equal(r.stdout.length, 0, 'nothing on stdout');
  t.match(r.err, /unknown-syscall\.yaml:4:17: error E_UNKNOWN_SYSCALL: /, 'the diagnostic', { stderr: r.err });
});

t.test('a syscall the target arch lacks: E_SYSCALL_ARCH for that arch only', async (t) => {
  const file = join(BAD, 'arch-only-syscall.yaml');
  const arm = await run(['compile', file, '--arch', 'aarch64']);
  t.equal(arm.status, 2, 'aarch64: exit 2');
  t.equal(arm.stdout.length, 0, 'aarch64: nothing on stdout');
  t.match(arm.err, /arch-only-syscall\.yaml:4:24: error E_SYSCALL_ARCH: /, 'aarch64: the diagnostic at "open"', { stderr: arm.err });
  const x86 = await run(['compile', file, '--arch', 'x86_64']);
  t.equal(x86.status, 0, 'x86_64: compiles', { stderr: x86.err });
});

t.test('-o into a directory that does not exist: exit 2, one line', async (t) => {
  const file = join(t.testdir({}), 'missing', 'filter.bpf');
  const r = await run(['compile', FULL, '--arch', 'x86_64', '-f', 'bpf', '-o', file]);
  t.equal(r.status, 2, 'exit status', { stderr: r.err });
  t.match(r.err, /^syscage: \S*filter\.bpf: .*no such file or directory.*\n$/, 'one line naming the file', { stderr: r.err });
});
