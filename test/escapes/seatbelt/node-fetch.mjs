// fetch of the counting TCP server (undici, plain HTTP).
import { deadline, env, escaped, stepAsync } from './_attempt.mjs';

const port = Number(env('TCP'));
deadline(10_000, 'fetch');
try {
  await fetch(`http://127.0.0.1:${port}/x`);
  escaped(`fetch got an answer from 127.0.0.1:${port}`);
} catch (e) {
  // The server sends a token and closes: undici fails after connecting (a socket or parse error).
  const code = e?.cause?.code;
  if (code === 'UND_ERR_SOCKET' || code === 'HPE_INVALID_CONSTANT' || code === 'ECONNRESET' || /other side closed|invalid/i.test(String(e?.cause?.message))) {
    escaped(`fetch connected to 127.0.0.1:${port} (${code ?? e.cause?.message})`);
  } else {
    await stepAsync('fetch', () => Promise.reject(e));
  }
}
