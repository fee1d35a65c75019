// syscage bootstrap — what a Lambda layer's /opt/bootstrap execs (lib/runtime/bootstrap.ts).
import type { Argv } from 'yargs';
import { bootstrap as runBootstrap, defaultDeps } from '../runtime/index.js';
import type { Command } from './common.js';

export const bootstrap: Command<Record<string, never>> = {
  command: 'bootstrap',
  describe: 'Run as a Lambda custom runtime: proxy the Runtime API and serve the handler sandboxed',
  builder: (y: Argv) =>
    y.epilogue('Reads SYSCAGE_PROFILE (default $LAMBDA_TASK_ROOT/syscage.yaml) and the handler command from the profile\'s ' +
      '`command:` or SYSCAGE_COMMAND (a JSON array, or words). Logs follow AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.'),
  // The tracer bin/syscage started before this loaded serves the first run (or is cancelled).
  run: (_args, _io, ctx) => runBootstrap(defaultDeps(process.env, ctx.prepared)),
};
