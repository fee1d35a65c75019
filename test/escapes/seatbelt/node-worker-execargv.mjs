// A Worker given execArgv: [] (no --import of the preload), which reads the denied file inside.
// AWS_LAMBDA_MAX_CONCURRENCY is set (the runtime client's workers): the permission model allows Workers.
import { Worker } from 'node:worker_threads';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

env('SECRET');
deadline(10_000, 'Worker');
const w = step('new Worker(execArgv: [])', () => new Worker(new URL('./_worker-read.mjs', import.meta.url), { execArgv: [] }));
w.on('error', (e) => failed(e, 'Worker'));
w.on('message', (m) => {
  if (m.error) failed(m.error, 'fs.readFileSync in the Worker');
  else escaped(`a Worker without the preload read ${m.text}`);
  w.terminate();
});
