// A Worker from eval code (which does not run --import preloads) reading the denied file.
import { Worker } from 'node:worker_threads';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

env('SECRET');
deadline(10_000, 'Worker');
const code = `
const { parentPort } = require('node:worker_threads');
try { parentPort.postMessage({ text: require('node:fs').readFileSync(process.env.SB_SECRET, 'utf8') }); }
catch (e) { parentPort.postMessage({ error: { code: e.code, message: e.message } }); }`;
const w = step('new Worker(eval)', () => new Worker(code, { eval: true }));
w.on('error', (e) => failed(e, 'Worker'));
w.on('message', (m) => {
  if (m.error) failed(m.error, 'fs.readFileSync in the eval Worker');
  else escaped(`an eval Worker read ${m.text}`);
  w.terminate();
});
