// syscage check PROFILE... — validate profiles; diagnostics on stderr, nothing on stdout.
import type { Argv } from 'yargs';
import type { Arch } from '../arch/index.js';
import { checkProfile } from '../compile/index.js';
import { formatDiagnostic } from '../profile/index.js';
import { archOption, type Command } from './common.js';
import { EXIT } from './io.js';

interface Args { profiles: string[]; arch?: Arch | Arch[] }

export const check: Command<Args> = {
  command: 'check <profiles..>',
  describe: 'Validate profiles (exit 0 valid, 2 invalid)',
  builder: (y: Argv) =>
    y.positional('profiles', { type: 'string', array: true, demandOption: true, describe: 'profile files' })
      .option('arch', { ...archOption, describe: 'require that it compiles for this arch (x86_64, aarch64; repeat for both); default: both, with syscalls missing on one arch as warnings' })
      .example('$0 check syscage.yaml', 'validate for both arches'),
  run: (args, io) => {
    let status: number = EXIT.ok;
    for (const path of args.profiles) {
      const arches = args.arch === undefined ? undefined : [args.arch].flat();
      const { ok, diagnostics } = checkProfile(path, arches);
      for (const d of diagnostics) io.err(formatDiagnostic(d) + '\n');
      if (!ok) status = EXIT.invalid;
    }
    return status;
  },
};
