// syscage merge A.yaml B.yaml ... [-o OUT.yaml] [--force] — one profile from several recordings.
import type { Argv } from 'yargs';
import { checkWritable, writeAtomically, mergeProfiles } from '../record/index.js';
import type { Command } from './common.js';
import { EXIT } from './io.js';

interface Args { inputs: string[]; output?: string; force: boolean }

export const merge: Command<Args> = {
  command: 'merge <inputs..>',
  describe: 'Merge recorded profiles into one; each entry says in how many recordings it was seen',
  builder: (y: Argv) =>
    y.positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'recorded profiles' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the merged profile to FILE (default: stdout)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite the output if it exists' })
      .example('$0 merge run1.yaml run2.yaml run3.yaml -o syscage.yaml', ''),
  run: (args, io) => {
    const out = args.output;
    if (out !== undefined) {
      const unwritable = checkWritable(out, args.force);
      if (unwritable) {
        io.err(`syscage: ${unwritable}\n`);
        return EXIT.invalid;
      }
    }
    // Bad inputs throw ProfileError: main prints every diagnostic and exits 2.
    const { yaml, warnings } = mergeProfiles(args.inputs, { output: out });
    for (const w of warnings) io.err(`syscage: warning: ${w}\n`);
    if (out === undefined) {
      io.out(yaml);
      return EXIT.ok;
    }
    try {
      writeAtomically(out, yaml, { noClobber: !args.force });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!err.code) throw e;
      io.err(`syscage: ${err.code === 'EEXIST' ? `${out} already exists; use --force to overwrite it` : `cannot write ${out}: ${err.message.replace(/^[A-Z]+: /, '')}`}\n`);
      return EXIT.invalid;
    }
    io.err(`syscage: wrote ${out} (${args.inputs.length} recording${args.inputs.length === 1 ? '' : 's'} merged)\n`);
    return EXIT.ok;
  },
};
