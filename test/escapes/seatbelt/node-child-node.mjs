// A child node (exec.allow names it, process.fork: true) started with env {}: no NODE_OPTIONS, so
// no preload; it reads the denied file.
import { spawnSync } from 'node:child_process';
import { env, error, escaped, failed, step } from './_attempt.mjs';

const secret = env('SECRET');
const r = step('child_process.spawnSync(node, env {})', () => spawnSync(process.execPath, ['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(secret)}, 'utf8'))`], { env: {}, encoding: 'utf8' }));
if (r.error) failed(r.error, 'child_process.spawnSync');
if (r.status !== 0) {
  const refused = /ERR_ACCESS_DENIED|ERR_SYSCAGE_REFUSED|EACCES/.exec(r.stderr);
  if (refused) failed({ code: refused[0], message: r.stderr.split('\n').find((l) => l.includes(refused[0])) }, 'fs.readFileSync in the child node');
  error(`the child node ended with ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
}
escaped(`a child node started with env {} read ${r.stdout}`);
