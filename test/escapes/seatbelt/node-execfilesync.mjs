// child_process.execFileSync of /bin/sh.
import { execFileSync } from 'node:child_process';
import { env, shellLine, step } from './_attempt.mjs';

env('SECRET');
step('child_process.execFileSync', () => execFileSync('/bin/sh', ['-c', shellLine('child_process.execFileSync')], { stdio: 'inherit' }));
