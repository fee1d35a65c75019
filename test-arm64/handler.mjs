// A Lambda custom runtime in Node.js (the layer's own /opt/bin/node runs it under
// `/opt/bootstrap`, test-arm64/invoke.mjs): for each event, GET /next, then POST
// {"echo": EVENT, "arch": process.arch} to /response. An event with "secret" first tries to read
// /etc/shadow, the profile's violation.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = request({ host, port: Number(port), method, path: `/2018-06-01/runtime${path}`, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
  });
  req.on('error', reject);
  req.end(body);
});

for (;;) {
  const next = await call('GET', '/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const event = JSON.parse(next.body);
  if (event.secret) {
    try { readFileSync('/etc/shadow'); } catch { /* refused */ }
  }
  await call('POST', `/invocation/${id}/response`, JSON.stringify({ echo: event, arch: process.arch }));
}
