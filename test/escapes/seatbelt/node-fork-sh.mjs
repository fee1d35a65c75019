// child_process.fork with execPath /bin/sh: fork runs execPath with execArgv before the module.
import { fork } from 'node:child_process';
import { env, failed, shellLine, step } from './_attempt.mjs';

env('SECRET');
const child = step('child_process.fork', () => fork('ignored', [], {
  execPath: '/bin/sh', execArgv: ['-c', `${shellLine('child_process.fork')}; exit 0`], stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
}));
child.on('error', (e) => failed(e, 'child_process.fork'));
