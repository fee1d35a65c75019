// A Worker from eval code whose static import runs before any line of the eval code (the preload's
// included): the imported module reads the denied file.
import { Worker } from 'node:worker_threads';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

env('SECRET');
deadline(10_000, 'Worker');
const inner = `import fs from 'node:fs'; import { parentPort } from 'node:worker_threads';
try { parentPort.postMessage({ text: fs.readFileSync(process.env.SB_SECRET, 'utf8') }); }
catch (e) { parentPort.postMessage({ error: { code: e.code, message: e.message } }); }`;
const code = `import 'data:text/javascript;base64,${Buffer.from(inner).toString('base64')}';`;
const w = step('new Worker(eval, static import)', () => new Worker(code, { eval: true }));
w.on('error', (e) => failed(e, 'Worker'));
w.on('message', (m) => {
  if (m.error) failed(m.error, 'fs.readFileSync in the imported module');
  else escaped(`an eval Worker's static import read ${m.text}`);
  w.terminate();
});
