// child_process.spawn of /bin/sh (exec.allow [], process.fork: false).
import { spawn } from 'node:child_process';
import { env, failed, shellLine, step } from './_attempt.mjs';

env('SECRET');
const child = step('child_process.spawn', () => spawn('/bin/sh', ['-c', shellLine('child_process.spawn')], { stdio: 'inherit' }));
child.on('error', (e) => failed(e, 'child_process.spawn'));
