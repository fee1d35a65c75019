// child_process.execSync: a command through /bin/sh.
import { execSync } from 'node:child_process';
import { env, shellLine, step } from './_attempt.mjs';

env('SECRET');
step('child_process.execSync', () => execSync(shellLine('child_process.execSync'), { stdio: 'inherit' }));
