// What bin/syscage runs. `syscage run`, `record` and `bootstrap` start the tracer
// thread and its stage-2 before the rest of the CLI is even loaded, so that
// their start-up overlaps it (main cancels it when the run does not happen:
// bad flags, --help). Whatever happens, the process ends (lifetime.ts). The hot paths skip
// yargs (fast.ts).
import { processIo } from './io.js';
import { exitOnUncaught, exitWith, toleratePipeEnd } from './lifetime.js';
import { PreparedTracer } from '../trace/prepare.js';
import { fastArgs, runFast } from './fast.js';

exitOnUncaught(processIo);
toleratePipeEnd();
const argv = process.argv.slice(2);
const prepared = argv[0] === 'run' || argv[0] === 'record' || argv[0] === 'bootstrap' ? new PreparedTracer() : undefined;
// The hot paths (bootstrap, a well-formed run) skip yargs; anything else gets the whole CLI.
const fast = fastArgs(argv);
if (fast) {
  exitWith(await runFast(fast, processIo, { prepared }), processIo);
} else {
  const { main } = await import('./main.js');
  exitWith(await main(argv, processIo, { prepared }), processIo);
}
