// process._debugProcess(own pid): starts the inspector in this process (SIGUSR1's way).
import inspector from 'node:inspector';
import { deadline, error, escaped, step } from './_attempt.mjs';

deadline(10_000, 'the inspector');
process.debugPort = 0; // any free port
step('process._debugProcess', () => process._debugProcess(process.pid));
const t0 = Date.now();
const poll = setInterval(() => {
  const url = inspector.url();
  if (url) {
    clearInterval(poll);
    escaped(`process._debugProcess started the inspector at ${url}`);
    process.exit(0);
  }
  if (Date.now() - t0 > 5000) error('the inspector did not start');
}, 20);
