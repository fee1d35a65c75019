// A minimal Lambda custom runtime with no dependencies, run by the syscage layer's own Node.js
// (/opt/bin/node): GET the next event, answer it, repeat. syscage's bootstrap starts it as the
// handler command named by `command:` in syscage.yaml, beside it.
import { request } from 'node:http';

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

/** One HTTP call to the Runtime API: { status, headers, body }. */
const call = (method, url, body) => new Promise((resolve, reject) => {
  const req = request(url, { method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
  });
  req.on('error', reject);
  req.end(body);
});

/** The handler: greets whoever the event names. */
const handler = async (event) => ({ greeting: `hello, ${event?.name ?? 'world'}`, node: process.version });

for (;;) {
  const next = await call('GET', `${api}/invocation/next`);
  const id = next.headers['lambda-runtime-aws-request-id'];
  try {
    const result = await handler(JSON.parse(next.body));
    await call('POST', `${api}/invocation/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call('POST', `${api}/invocation/${id}/error`, JSON.stringify({ errorType: e?.name ?? 'Error', errorMessage: String(e?.message ?? e) }));
  }
}
