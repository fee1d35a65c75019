// The syscage command line: a thin yargs front over the library. Each command
// module parses its flags and calls one library function; main() turns what
// comes back (or what is thrown) into output and one exit status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { packageRoot } from '../paths.js';
import { bootstrap } from './bootstrap.js';
import { check } from './check.js';
import type { Command, RunContext } from './common.js';
import { compile } from './compile.js';
import { doctor } from './doctor.js';
import { merge } from './merge.js';
import { invoke } from './invoke.js';
import { record } from './record.js';
import { report } from './report.js';
import { run } from './run.js';
import { EXIT, UsageError, processIo, type Io } from './io.js';
import { reportError } from './failure.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const COMMANDS: readonly Command<any>[] = [check, compile, run, record, invoke, bootstrap, doctor, merge, report];

export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The parser, exported so tests can parse flags without spawning. */
export function buildYargs(
  argv: readonly string[],
  io: Io,
  done: (status: Promise<number> | number) => void,
  ctx: RunContext = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  act: (c: Command<any>, args: unknown) => Promise<number> | number = (c, args) => c.run(args, io, ctx),
): Argv {
  let y = yargs([...argv])
    .scriptName('syscage')
    .usage('$0 <command> [options]\n\nRuntime sandbox for serverless functions: seccomp-bpf + ptrace, driven by a YAML profile.')
    .version(version())
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      // yargs reports its own errors, and errors thrown by option coercion, as YError.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(usageMessage(msg ?? err?.message ?? 'bad command line', argv));
    });
  for (const c of COMMANDS) {
    y = y.command(c.command, c.describe, c.builder, (args) => done(act(c, args)));
  }
  return y;
}

/** yargs's message as one line: "Invalid values:\n  Argument: …" folded, an unknown first word called a command. */
function usageMessage(msg: string, argv: readonly string[]): string {
  let m = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const first = argv[0];
  if (first && !first.startsWith('-') && !COMMANDS.some((c) => c.command.split(' ')[0] === first) && /^(Unknown argument|Did you mean)/i.test(m)) {
    const near = /Did you mean (\w+)/i.exec(m)?.[1];
    m = `unknown command "${first}"${near ? ` (did you mean "${near}"?)` : ''}`;
  }
  return `${m.charAt(0).toLowerCase()}${m.slice(1)} (see "syscage --help")`;
}

/** Run the CLI; resolves to the exit status. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo, ctx: RunContext = {}): Promise<number> {
  let pending: Promise<number> | number | undefined;
  try {
    let helpText: string | undefined;
    await buildYargs(argv, io, (s) => { pending = s; }, ctx).parseAsync([...argv], {}, (_err, _argv, output) => {
      helpText = output;
    });
    if (pending === undefined) {
      // --help / --version: yargs produced the text.
      if (helpText) io.out(helpText + '\n');
      return EXIT.ok;
    }
    return await pending;
  } catch (e) {
    return reportError(e, io);
  } finally {
    // A tracer started early for a run that did not happen (bad flags, --help).
    await ctx.prepared?.cancel();
  }
}
