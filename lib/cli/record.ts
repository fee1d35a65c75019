// syscage record [-o profile.yaml] [--extends BASE] [--base PROFILE] [--exact] [--force] -- CMD ARGS...
// The flags; the recording itself is lib/record/session.ts.
import type { Argv } from 'yargs';
import { record as recordSession } from '../record/index.js';
import { withTracer, type Command } from './common.js';

interface Args {
  output: string;
  lambda: boolean;
  event?: string | string[];
  extends?: string;
  base?: string;
  exact: boolean;
  force: boolean;
  '--'?: (string | number)[];
}

export const record: Command<Args> = {
  command: 'record',
  describe: 'Run a command with everything allowed and write a profile of what it did',
  builder: (y: Argv) =>
    y.option('output', { alias: 'o', type: 'string', default: 'syscage.yaml', describe: 'the profile to write' })
      .option('extends', { type: 'string', describe: 'the written profile extends this profile (a built-in name or a path)' })
      .option('base', { type: 'string', describe: 'record only what this profile does not already allow; the output extends it' })
      .option('exact', { type: 'boolean', default: false, describe: 'record exactly the syscalls used, not their whole families (open → open, openat, openat2, creat)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite the output if it exists' })
      .option('lambda', { type: 'boolean', default: false, describe: 'CMD is a Lambda custom runtime: run it against a local Runtime API emulator and send it the --event files' })
      .option('event', { alias: 'e', type: 'string', describe: 'with --lambda: an event (a JSON file, or -); repeat for several; default one {}' })
      .parserConfiguration({ 'populate--': true })
      .example('$0 record -o syscage.yaml -- node index.mjs', '')
      .epilogue('Ctrl-C or SIGTERM stops the command; what was recorded is still written, marked incomplete, and the exit status is non-zero.'),
  run: (args, io, ctx) => withTracer(ctx, (tracer) => recordSession({
    command: (args['--'] ?? []).map(String),
    output: args.output,
    force: args.force,
    base: args.base,
    extends: args.extends,
    exact: args.exact,
    lambda: args.lambda,
    events: args.event,
    tracer,
    say: (line) => io.err(line + '\n'),
    progress: io.errIsTty ? (text) => io.err(text === undefined ? '\n' : `\r${text}`) : undefined,
  })),
};
