// The body of node-worker-execargv's Worker: read the denied file from inside the Worker.
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';

try {
  parentPort.postMessage({ text: fs.readFileSync(process.env.SB_SECRET, 'utf8') });
} catch (e) {
  parentPort.postMessage({ error: { code: e.code, message: e.message } });
}
