// What bin/syscage runs. `syscage run` starts the tracer thread and its
// stage-2 before the rest of the CLI is even loaded, so that their start-up
// overlaps it (main cancels it when the run does not happen: bad flags, --help).
import { PreparedTracer } from '../trace/prepare.js';

const argv = process.argv.slice(2);
const prepared = argv[0] === 'run' ? new PreparedTracer() : undefined;
const { main } = await import('./main.js');
process.exitCode = await main(argv, undefined, { prepared });
