// syscage invoke --profile P [--event FILE|-]... -- CMD ARGS...
// Runs CMD as a Lambda custom runtime behind `syscage bootstrap` (the Runtime
// API proxy and the sandbox, as a layer would in Lambda) against a local
// Runtime API emulator, sends it each event and prints each response (stdout)
// or error (stderr). Exit 0 when every invocation succeeded, 1 when one failed.
import type { Argv } from 'yargs';
import { fromCallerEnv, readEvents, serveLocally } from '../runtime/index.js';
import { loadForCommand, type Command } from './common.js';
import { EXIT, UsageError } from './io.js';

interface Args { profile: string; event?: string | string[]; audit: boolean; '--'?: (string | number)[] }

export const invoke: Command<Args> = {
  command: 'invoke',
  describe: 'Run a Lambda runtime sandboxed against a local Runtime API and send it events',
  builder: (y: Argv) =>
    y.option('profile', { alias: 'p', type: 'string', demandOption: true, describe: 'profile file' })
      .option('event', { alias: 'e', type: 'string', describe: 'an event: a JSON file, or - for stdin (repeat for several; default: one {})' })
      .option('audit', { type: 'boolean', default: false, describe: 'block nothing; report every call the profile would refuse' })
      .parserConfiguration({ 'populate--': true })
      .example('$0 invoke --profile syscage.yaml --event event.json -- python3 runtime.py', '')
      .epilogue('Responses go to stdout, one per line; errors to stderr. Exit status: 0 when every invocation succeeded, 1 when one did not, 2 for bad input.'),
  run: async (args, io) => {
    const command = (args['--'] ?? []).map(String);
    if (command.length === 0) throw new UsageError('give the runtime command after --: syscage invoke --profile P --event E.json -- CMD ARGS...');
    let events = readEvents([args.event ?? []].flat());
    if (events.length === 0) events = [{}];
    // A bad profile is a usage error here, before anything starts (the bootstrap would make it an init error).
    loadForCommand(args.profile, io);
    // As in Lambda: the bootstrap (Runtime API proxy + sandbox) between the API and the runtime.
    const { results } = await serveLocally({
      emulator: { events, ...fromCallerEnv() },
      env: {
        SYSCAGE_PROFILE: args.profile,
        SYSCAGE_COMMAND: JSON.stringify(command),
        // The log format is the caller's choice, as it is a function's configuration in Lambda.
        ...Object.fromEntries(['AWS_LAMBDA_LOG_FORMAT', 'AWS_LAMBDA_LOG_LEVEL'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
      },
      audit: args.audit,
    });
    let failed = events.length - results.length;
    for (const r of results) {
      if (r.ok) {
        io.out((r.body ?? Buffer.alloc(0)).toString('utf8') + '\n');
      } else {
        failed++;
        const err = r.error ? `${r.error.errorType}: ${r.error.errorMessage}` : r.status;
        io.err(`syscage: invocation ${r.requestId} failed (${r.status}): ${err}\n`);
      }
    }
    if (failed > 0 && results.length < events.length) io.err(`syscage: ${events.length - results.length} event(s) never answered: the runtime ended first\n`);
    return failed === 0 ? EXIT.ok : 1;
  },
};
