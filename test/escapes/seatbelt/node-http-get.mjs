// http.get of the counting TCP server (plain HTTP, no TLS).
import http from 'node:http';
import { deadline, env, escaped, failed, step } from './_attempt.mjs';

const port = Number(env('TCP'));
deadline(10_000, 'http.get');
const req = step('http.get', () => http.get(`http://127.0.0.1:${port}/x`));
req.on('socket', (s) => s.on('connect', () => escaped(`http.get connected to 127.0.0.1:${port}`)));
req.on('error', (e) => {
  // The server answers with a token, not HTTP: a parse error or a reset is a connection that was made.
  if (e.code === 'HPE_INVALID_CONSTANT' || e.code === 'ECONNRESET') return;
  failed(e, 'http.get');
});
