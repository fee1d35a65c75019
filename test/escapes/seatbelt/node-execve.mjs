// process.execve: this process becomes /bin/sh.
import { env, error, shellLine, step } from './_attempt.mjs';

env('SECRET');
if (typeof process.execve !== 'function') error(`process.execve is missing in Node.js ${process.version}`);
step('process.execve', () => process.execve('/bin/sh', ['sh', '-c', shellLine('process.execve')], process.env));
