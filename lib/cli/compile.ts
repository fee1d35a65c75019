// syscage compile PROFILE --arch A --format disasm|bpf|json [-o FILE]
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { hostArch, syscallTable, type Arch } from '../arch/index.js';
import { disassemble } from '../bpf/index.js';
import { compileProfile, type Compiled } from '../compile/index.js';
import { displayPath, formatDiagnostic } from '../profile/index.js';
import { archOption, loadForCommand, type Command } from './common.js';
import { EXIT, UsageError } from './io.js';

type Format = 'disasm' | 'bpf' | 'json';
interface Args { profile: string; arch?: Arch; format: Format; output?: string; linear: boolean; unsupervised: boolean }

export const compile: Command<Args> = {
  command: 'compile <profile>',
  describe: 'Compile a profile to a seccomp BPF program',
  builder: (y: Argv) =>
    y.positional('profile', { type: 'string', demandOption: true, describe: 'profile file' })
      .option('arch', { ...archOption, describe: 'target arch: x86_64 or aarch64 (default: this machine\'s)' })
      .option('format', { alias: 'f', choices: ['disasm', 'bpf', 'json'] as const, default: 'disasm' as Format, describe: 'disasm: readable listing; bpf: the raw struct sock_filter array; json: instructions, trap table and stats' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' })
      .option('linear', { type: 'boolean', default: false, describe: 'dispatch with a linear chain instead of a binary search (for comparison)' })
      .option('unsupervised', { type: 'boolean', default: false, describe: 'the filter as used without ptrace (BPF-only mode): checks fall back to the violation action' })
      .example('$0 compile syscage.yaml --arch aarch64 -f bpf -o filter.bpf', ''),
  run: (args, io) => {
    const arch = args.arch ?? hostArch();
    if (args.format === 'bpf' && !args.output && io.outIsTty) {
      throw new UsageError('refusing to write a binary BPF program to a terminal; use -o FILE or a pipe');
    }
    const profile = loadForCommand(args.profile, io);
    const c = compileProfile(profile, arch, { dispatch: args.linear ? 'linear' : 'bst', supervised: !args.unsupervised });
    for (const w of c.warnings) io.err(formatDiagnostic(w) + '\n');

    const body = render(c, args.format);
    if (args.output) writeFileSync(args.output, body);
    else io.out(body);
    io.err(`syscage: ${displayPath(args.profile)} for ${arch}: ${c.stats.length} instructions, ` +
      `search depth ${c.stats.depth} (+${c.stats.prelude} prelude) over ${c.stats.ranges} number ranges, ` +
      `${c.traps.length} trapped (TRACE) outcome${c.traps.length === 1 ? '' : 's'}\n`);
    return EXIT.ok;
  },
};

function render(c: Compiled, format: Format): string | Buffer {
  switch (format) {
    case 'bpf':
      return c.bytes;
    case 'disasm':
      return disassemble(c.insns, { syscallName: (nr) => syscallTable().name(c.arch, nr) });
    case 'json':
      return JSON.stringify({
        arch: c.arch,
        kernelTable: syscallTable().kernel,
        stats: c.stats,
        insns: c.insns.map((i) => [i.code, i.jt, i.jf, i.k]),
        traps: c.traps.map((t) => ({ ...t, origin: { what: t.origin.what, at: t.origin.loc && `${t.origin.loc.file}:${t.origin.loc.line}` } })),
      }, null, 2) + '\n';
  }
}
