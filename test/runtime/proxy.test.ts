import t, { type Test } from 'tap';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRuntimeProxy, type InvocationEvent, type RuntimeProxy } from '../../lib/runtime/proxy.js';

// A fake Runtime API on 127.0.0.1 (the test scripts its answers) and a handler-side client made of
// plain http requests, with the proxy between them.

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  rawTrailers: string[];
}

type UpHandler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void;

function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

function header(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name.toLowerCase()) out.push(raw[i + 1]!);
  return out;
}

/** Pairs of rawHeaders, keeping only names in `names` (case-insensitive), in order. */
function pick(raw: readonly string[], names: string[]): string[] {
  const want = new Set(names.map((n) => n.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (want.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

async function fakeUpstream(t: Test, handler: UpHandler) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    // The handler sees the request live (for streaming assertions); `seen` gets it once complete.
    const s: Seen = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.alloc(0), rawTrailers: [] };
    handler(req, res, s);
    readAll(req).then((b) => {
      s.body = b;
      s.rawTrailers = req.rawTrailers;
      seen.push(s);
    }, () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { seen, hostPort, server };
}

async function proxyFor(t: Test, upstream: string, extra: Partial<Parameters<typeof createRuntimeProxy>[0]> = {}): Promise<RuntimeProxy> {
  const p = await createRuntimeProxy({ upstream, ...extra });
  t.teardown(() => p.close());
  return p;
}

interface Reply {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
  rawTrailers: string[];
}

function call(
  hostPort: string,
  method: string,
  path: string,
  o: { headers?: http.OutgoingHttpHeaders | string[]; body?: string | Buffer; agent?: http.Agent } = {},
): Promise<Reply> {
  const [host, port] = hostPort.split(':');
  // Node adds no Host header when headers come as a raw array; every real client sends one.
  const headers = Array.isArray(o.headers) ? [...o.headers, 'Host', hostPort] : o.headers;
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path, headers, agent: o.agent ?? false }, (res) => {
      readAll(res).then(
        (body) =>
          resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, rawHeaders: res.rawHeaders, body, rawTrailers: res.rawTrailers }),
        reject,
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const NEXT = '/2018-06-01/runtime/invocation/next';
const RID = '8476a536-e9f4-11e8-9739-2dfe598c3fcd';

const NEXT_HEADERS = [
  'Content-Type', 'application/json',
  'Lambda-Runtime-Aws-Request-Id', RID,
  'Lambda-Runtime-Deadline-Ms', '1542409706888',
  'Lambda-Runtime-Invoked-Function-Arn', 'arn:aws:lambda:us-east-2:123456789012:function:custom-runtime',
  'Lambda-Runtime-Trace-Id', 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
  'Lambda-Runtime-Client-Context', '{"client":{}}',
  'Lambda-Runtime-Cognito-Identity', '{"cognitoIdentityId":"x"}',
  'Lambda-Runtime-Aws-Tenant-Id', 'tenant-1',
  'Lambda-Runtime-Invocation-Id', 'inv-nonce-1',
  'X-Repeated', 'a',
  'X-Repeated', 'b',
];
const EVENT = '{"key":"value"}';

t.test('/next: status, every header, body and query forwarded verbatim both ways; in-flight tracked', async (t) => {
  const up = await fakeUpstream(t, (_req, res) => {
    res.writeHead(200, [...NEXT_HEADERS, 'Content-Length', String(EVENT.length)]);
    res.end(EVENT);
  });
  const evs: InvocationEvent[] = [];
  const p = await proxyFor(t, up.hostPort, { onInvocation: (ev) => evs.push(ev) });
  t.match(p.address, /^127\.0\.0\.1:\d+$/);
  t.equal(p.inFlight(), undefined);
  const r = await call(p.address, 'GET', `${NEXT}?x=1&y=%20`, { headers: { 'User-Agent': 'AWS_Lambda_Cpp/0.2.6', 'X-Client': 'c' } });
  t.equal(r.status, 200);
  t.equal(r.body.toString(), EVENT);
  const names = NEXT_HEADERS.filter((_, i) => i % 2 === 0);
  t.same(pick(r.rawHeaders, names), NEXT_HEADERS, 'all Lambda-Runtime-* headers, case and order kept');
  t.equal(up.seen.length, 1);
  t.equal(up.seen[0]!.method, 'GET');
  t.equal(up.seen[0]!.url, `${NEXT}?x=1&y=%20`);
  t.same(pick(up.seen[0]!.rawHeaders, ['User-Agent', 'X-Client']), ['User-Agent', 'AWS_Lambda_Cpp/0.2.6', 'X-Client', 'c']);
  t.same(header(up.seen[0]!.rawHeaders, 'host'), [up.hostPort], 'Host names the upstream');
  t.same(p.inFlight(), { requestId: RID, invocationId: 'inv-nonce-1' });
  t.same(evs, [{ requestId: RID, invocationId: 'inv-nonce-1', deadlineMs: 1542409706888, traceId: NEXT_HEADERS[9] }]);
});

t.test('/next: Content-Type added when upstream omits it, kept otherwise', async (t) => {
  let withType = false;
  const up = await fakeUpstream(t, (_req, res) => {
    const h = ['Lambda-Runtime-Aws-Request-Id', 'r1', 'Content-Length', '2'];
    if (withType) h.push('Content-Type', 'text/x-custom');
    res.writeHead(200, h);
    res.end('{}');
  });
  const p = await proxyFor(t, up.hostPort);
  const a = await call(p.address, 'GET', NEXT);
  t.same(header(a.rawHeaders, 'content-type'), ['application/json']);
  withType = true;
  const b = await call(p.address, 'GET', NEXT);
  t.same(header(b.rawHeaders, 'content-type'), ['text/x-custom']);
});

t.test('/response, /error, /init/error and unknown paths forwarded verbatim', async (t) => {
  const up = await fakeUpstream(t, (req, res) => {
    readAll(req).then(() => {
      if (req.url!.includes('/init/error')) {
        res.writeHead(403, 'Forbidden', ['Content-Type', 'application/json', 'X-Up', 'init']);
        res.end('{"errorType":"InvalidStateTransition","errorMessage":"State transition from Ready to InitError failed"}');
      } else if (req.url!.startsWith('/2020-01-01/')) {
        res.writeHead(200, 'OK', ['Lambda-Extension-Event-Identifier', 'e1', 'Content-Type', 'application/json']);
        res.end('{"eventType":"INVOKE"}');
      } else {
        res.writeHead(202, 'Accepted', ['Content-Type', 'application/json', 'X-Up', 'yes']);
        res.end('{"status":"OK"}');
      }
    });
  });
  const p = await proxyFor(t, up.hostPort);
  const cases: { method: string; path: string; headers: string[]; body: string; status: number; upHeader: string[] }[] = [
    {
      method: 'POST', path: `/2018-06-01/runtime/invocation/${RID}/response`,
      headers: ['Content-Type', 'application/json', 'Content-Length', '13', 'X-Custom', 'r'],
      body: '{"ok":"resp"}', status: 202, upHeader: ['X-Up', 'yes'],
    },
    {
      method: 'POST', path: `/2018-06-01/runtime/invocation/${RID}/error`,
      headers: ['Content-Type', 'application/json', 'Lambda-Runtime-Function-Error-Type', 'Function.Boom',
        'Lambda-Runtime-Function-XRay-Error-Cause', '{"working_directory":"/var/task"}'],
      body: '{"errorType":"Boom","errorMessage":"m","trace":[]}', status: 202, upHeader: ['X-Up', 'yes'],
    },
    {
      method: 'POST', path: '/2018-06-01/runtime/init/error',
      headers: ['Lambda-Runtime-Function-Error-Type', 'Runtime.HandlerNotFound'],
      body: '{"errorType":"Runtime.HandlerNotFound","errorMessage":"x"}', status: 403, upHeader: ['X-Up', 'init'],
    },
    {
      method: 'GET', path: '/2020-01-01/extension/event/next?a=b',
      headers: ['Lambda-Extension-Identifier', 'ext-1'],
      body: '', status: 200, upHeader: ['Lambda-Extension-Event-Identifier', 'e1'],
    },
  ];
  for (const c of cases) {
    const r = await call(p.address, c.method, c.path, { headers: c.headers, body: c.body });
    t.equal(r.status, c.status, `${c.path} status`);
    const s = up.seen.at(-1)!;
    t.equal(s.method, c.method);
    t.equal(s.url, c.path);
    t.equal(s.body.toString(), c.body, `${c.path} request body`);
    const names = c.headers.filter((_, i) => i % 2 === 0);
    t.same(pick(s.rawHeaders, names), c.headers, `${c.path} request headers`);
    t.same(pick(r.rawHeaders, [c.upHeader[0]!]), c.upHeader, `${c.path} reply headers`);
    t.equal(header(r.rawHeaders, 'content-type')[0], 'application/json');
  }
  t.equal(up.seen.length, cases.length);
  t.equal(up.seen.at(-2)!.url, '/2018-06-01/runtime/init/error');
  const unknown = await call(p.address, 'PUT', '/2022-07-01/telemetry', { headers: { 'X-T': '1' }, body: 'abc' });
  t.equal(unknown.status, 202);
  t.equal(up.seen.at(-1)!.url, '/2022-07-01/telemetry');
  t.equal(up.seen.at(-1)!.body.toString(), 'abc');
});

t.test('Invocation-Id echoed when the handler omits it, in-flight ends on the upstream answer', async (t) => {
  let n = 0;
  const up = await fakeUpstream(t, (req, res) => {
    if (req.method === 'GET') {
      n++;
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', `r${n}`, 'Lambda-Runtime-Invocation-Id', `nonce${n}`]);
      res.end('{}');
      return;
    }
    readAll(req).then(() => {
      res.writeHead(req.url!.includes('/bad/') ? 400 : 202);
      res.end();
    });
  });
  const done: string[] = [];
  const p = await proxyFor(t, up.hostPort, { onResponseDone: (id) => done.push(id) });
  await call(p.address, 'GET', NEXT);
  t.same(p.inFlight(), { requestId: 'r1', invocationId: 'nonce1' });
  // an answer for another id: not echoed, in-flight stays
  await call(p.address, 'POST', '/2018-06-01/runtime/invocation/other/response', { body: '1' });
  t.same(header(up.seen.at(-1)!.rawHeaders, 'lambda-runtime-invocation-id'), []);
  t.same(p.inFlight(), { requestId: 'r1', invocationId: 'nonce1' });
  await call(p.address, 'POST', '/2018-06-01/runtime/invocation/r1/response', { body: '"ok"' });
  t.same(header(up.seen.at(-1)!.rawHeaders, 'lambda-runtime-invocation-id'), ['nonce1'], 'echoed');
  t.equal(p.inFlight(), undefined);
  t.same(done, ['r1']);
  // the handler's own header is kept, not duplicated; /error ends in-flight too
  await call(p.address, 'GET', NEXT);
  await call(p.address, 'POST', '/2018-06-01/runtime/invocation/r2/error', { headers: { 'Lambda-Runtime-Invocation-Id': 'mine' }, body: '{}' });
  t.same(header(up.seen.at(-1)!.rawHeaders, 'lambda-runtime-invocation-id'), ['mine']);
  t.equal(p.inFlight(), undefined);
  t.same(done, ['r1', 'r2']);
});

t.test('5 MB /response body intact and streamed, not buffered; 5 MB /next event intact', async (t) => {
  const events: string[] = [];
  let firstBytes!: () => void;
  const sawFirst = new Promise<void>((r) => (firstBytes = r));
  const big = randomBytes(5 * 1024 * 1024);
  const up = await fakeUpstream(t, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, ['Content-Type', 'application/octet-stream', 'Lambda-Runtime-Aws-Request-Id', 'big', 'Content-Length', String(big.length)]);
      res.end(big);
      return;
    }
    req.once('data', () => {
      events.push('upstream got first bytes');
      firstBytes();
    });
    req.on('end', () => {
      res.writeHead(202);
      res.end();
    });
  });
  const p = await proxyFor(t, up.hostPort);
  const ev = await call(p.address, 'GET', NEXT);
  t.equal(createHash('sha256').update(ev.body).digest('hex'), createHash('sha256').update(big).digest('hex'), '/next event hash');

  const [host, port] = p.address.split(':');
  const req = http.request({
    host, port: Number(port), method: 'POST', path: '/2018-06-01/runtime/invocation/big/response', agent: false,
    headers: { 'Content-Length': String(big.length), 'Content-Type': 'application/octet-stream' },
  });
  const res = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  const chunk = 64 * 1024;
  req.write(big.subarray(0, chunk));
  events.push('handler sent first chunk');
  // With buffering, the upstream would see nothing until the handler ends: this would time out.
  const first = await Promise.race([sawFirst.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  t.ok(first, 'upstream saw bytes before the handler finished');
  for (let off = chunk; off < big.length; off += chunk) {
    if (!req.write(big.subarray(off, off + chunk))) await once(req, 'drain');
  }
  req.end();
  events.push('handler finished sending');
  const r = await res;
  await readAll(r);
  t.equal(r.statusCode, 202);
  t.same(events, ['handler sent first chunk', 'upstream got first bytes', 'handler finished sending']);
  const s = up.seen.find((x) => x.method === 'POST')!;
  t.equal(s.body.length, big.length);
  t.equal(createHash('sha256').update(s.body).digest('hex'), createHash('sha256').update(big).digest('hex'), '/response body hash');
});

t.test('chunked streaming response with trailers reaches upstream; upstream trailers reach the handler', async (t) => {
  const up = await fakeUpstream(t, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, ['Transfer-Encoding', 'chunked', 'Trailer', 'X-Up-Trailer', 'Content-Type', 'application/json']);
      res.write('{"status":');
      res.addTrailers([['X-Up-Trailer', 'done']]);
      res.end('"OK"}');
    });
  });
  const p = await proxyFor(t, up.hostPort);
  const [host, port] = p.address.split(':');
  const req = http.request({
    host, port: Number(port), method: 'POST', path: '/2018-06-01/runtime/invocation/s1/response', agent: false,
    headers: [
      'Lambda-Runtime-Function-Response-Mode', 'streaming',
      'Transfer-Encoding', 'chunked',
      'Trailer', 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      'Content-Type', 'application/vnd.awslambda.http-integration-response',
      'Host', p.address,
    ],
  });
  const replyP = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  req.write('{"statusCode":200}');
  req.write(Buffer.alloc(8));
  req.write('part1,');
  req.write('part2');
  const errBody = Buffer.from('{"errorType":"Err","errorMessage":"late"}').toString('base64');
  req.addTrailers([['Lambda-Runtime-Function-Error-Type', 'Function.Err'], ['Lambda-Runtime-Function-Error-Body', errBody]]);
  req.end();
  const reply = await replyP;
  const replyBody = await readAll(reply);
  t.equal(reply.statusCode, 202);
  t.equal(replyBody.toString(), '{"status":"OK"}');
  t.same(reply.rawTrailers, ['X-Up-Trailer', 'done'], 'upstream trailers relayed');
  const s = up.seen[0]!;
  t.same(header(s.rawHeaders, 'transfer-encoding'), ['chunked']);
  t.same(header(s.rawHeaders, 'lambda-runtime-function-response-mode'), ['streaming']);
  t.same(header(s.rawHeaders, 'trailer'), ['Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body']);
  t.same(header(s.rawHeaders, 'content-type'), ['application/vnd.awslambda.http-integration-response']);
  t.same(s.body, Buffer.concat([Buffer.from('{"statusCode":200}'), Buffer.alloc(8), Buffer.from('part1,part2')]));
  t.same(s.rawTrailers, ['Lambda-Runtime-Function-Error-Type', 'Function.Err', 'Lambda-Runtime-Function-Error-Body', errBody]);
});

t.test('second concurrent /next: 403 InvalidStateTransition; a dead waiter hands its poll on', async (t) => {
  let answer!: () => void;
  const up = await fakeUpstream(t, (_req, res) => {
    answer = () => {
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', 'once']);
      res.end('{"n":1}');
    };
  });
  const p = await proxyFor(t, up.hostPort);
  const [host, port] = p.address.split(':');
  // first /next: long poll, upstream holds it
  const first = http.request({ host, port: Number(port), path: NEXT, agent: false });
  first.on('error', () => {});
  first.end();
  await new Promise((r) => setTimeout(r, 100));
  const second = await call(p.address, 'GET', NEXT);
  t.equal(second.status, 403);
  t.same(JSON.parse(second.body.toString()), { errorType: 'InvalidStateTransition', errorMessage: 'a /runtime/invocation/next request is already pending' });
  // the child holding the first poll dies; its replacement takes the same upstream poll
  first.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const third = call(p.address, 'GET', NEXT);
  await new Promise((r) => setTimeout(r, 100));
  answer();
  const r = await third;
  t.equal(r.status, 200);
  t.equal(r.body.toString(), '{"n":1}');
  t.same(header(r.rawHeaders, 'lambda-runtime-aws-request-id'), ['once']);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(up.seen.length, 1, 'exactly one upstream /next');
});

t.test('an event that arrives while no handler waits is parked for the next /next', async (t) => {
  let answer!: () => void;
  const up = await fakeUpstream(t, (_req, res) => {
    answer = () => {
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', 'parked']);
      res.end('{"p":1}');
    };
  });
  const p = await proxyFor(t, up.hostPort);
  const [host, port] = p.address.split(':');
  const first = http.request({ host, port: Number(port), path: NEXT, agent: false });
  first.on('error', () => {});
  first.end();
  await new Promise((r) => setTimeout(r, 100));
  first.destroy();
  await new Promise((r) => setTimeout(r, 50));
  answer();
  await new Promise((r) => setTimeout(r, 100));
  t.same(p.inFlight(), { requestId: 'parked' });
  const r = await call(p.address, 'GET', NEXT);
  t.equal(r.body.toString(), '{"p":1}');
  t.equal(up.seen.length, 1);
});

t.test('postInvocationError / postInitError wire format', async (t) => {
  const up = await fakeUpstream(t, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', RID, 'Lambda-Runtime-Invocation-Id', 'nn']);
      res.end('{}');
      return;
    }
    readAll(req).then(() => {
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{"status":"OK"}');
    });
  });
  const p = await proxyFor(t, up.hostPort);
  await call(p.address, 'GET', NEXT);
  await p.postInvocationError(RID, { errorType: 'Runtime.SyscallViolation', errorMessage: 'ptrace denied', stackTrace: ['at rule 3'] });
  const e = up.seen.at(-1)!;
  t.equal(e.method, 'POST');
  t.equal(e.url, `/2018-06-01/runtime/invocation/${RID}/error`);
  t.same(header(e.rawHeaders, 'lambda-runtime-function-error-type'), ['Runtime.SyscallViolation']);
  t.same(header(e.rawHeaders, 'lambda-runtime-invocation-id'), ['nn']);
  t.same(header(e.rawHeaders, 'content-type'), ['application/vnd.aws.lambda.error+json']);
  t.same(JSON.parse(e.body.toString()), { errorMessage: 'ptrace denied', errorType: 'Runtime.SyscallViolation', stackTrace: ['at rule 3'] });
  t.equal(p.inFlight(), undefined);

  await p.postInitError({ errorType: 'Runtime.SyscallViolation', errorMessage: 'init killed' });
  const i = up.seen.at(-1)!;
  t.equal(i.url, '/2018-06-01/runtime/init/error');
  t.same(header(i.rawHeaders, 'lambda-runtime-function-error-type'), ['Runtime.SyscallViolation']);
  t.same(header(i.rawHeaders, 'lambda-runtime-invocation-id'), []);
  t.same(JSON.parse(i.body.toString()), { errorMessage: 'init killed', errorType: 'Runtime.SyscallViolation', stackTrace: [] });
});

t.test('upstream 500 → ERR_RUNTIME_API_500; 4xx is logged, not thrown', async (t) => {
  let status = 500;
  const up = await fakeUpstream(t, (req, res) => {
    readAll(req).then(() => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end('{"errorType":"X","errorMessage":"container error"}');
    });
  });
  const logs: string[] = [];
  const p = await proxyFor(t, up.hostPort, { log: (m) => logs.push(m) });
  await t.rejects(p.postInvocationError('r', { errorType: 'Runtime.SyscallViolation', errorMessage: 'x' }), { code: 'ERR_RUNTIME_API_500' });
  await t.rejects(p.postInitError({ errorType: 'Runtime.SyscallViolation', errorMessage: 'x' }), { code: 'ERR_RUNTIME_API_500' });
  status = 403;
  await p.postInitError({ errorType: 'Runtime.SyscallViolation', errorMessage: 'x' });
  t.match(logs.at(-1), /403/);
});

t.test('handler killed mid-stream: postInvocationError ends the stream with error trailers', async (t) => {
  let gotFirst!: () => void;
  const first = new Promise<void>((r) => (gotFirst = r));
  const up = await fakeUpstream(t, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', 'k1']);
      res.end('{}');
      return;
    }
    req.once('data', () => gotFirst());
    req.on('end', () => {
      res.writeHead(202);
      res.end();
    });
  });
  const p = await proxyFor(t, up.hostPort);
  await call(p.address, 'GET', NEXT);
  const [host, port] = p.address.split(':');
  const req = http.request({
    host, port: Number(port), method: 'POST', path: '/2018-06-01/runtime/invocation/k1/response', agent: false,
    headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked' },
  });
  req.on('error', () => {});
  req.write('partial ');
  await first;
  req.destroy(); // the child is SIGKILLed by the supervisor
  await new Promise((r) => setTimeout(r, 50));
  await p.postInvocationError('k1', { errorType: 'Runtime.SyscallViolation', errorMessage: 'killed' });
  await new Promise((r) => setTimeout(r, 50));
  const s = up.seen.find((x) => x.method === 'POST')!;
  t.equal(up.seen.filter((x) => x.method === 'POST').length, 1, 'no separate /error');
  t.equal(s.body.toString(), 'partial ');
  t.equal(header(s.rawTrailers, 'lambda-runtime-function-error-type')[0], 'Runtime.SyscallViolation');
  const body = JSON.parse(Buffer.from(header(s.rawTrailers, 'lambda-runtime-function-error-body')[0]!, 'base64').toString());
  t.same(body, { errorMessage: 'killed', errorType: 'Runtime.SyscallViolation', stackTrace: [] });
  t.equal(p.inFlight(), undefined);
});

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

t.test('1000 sequential /next + /response cycles: none lost or mixed; overhead vs direct', async (t) => {
  let n = 0;
  const answered: string[] = [];
  const bad: string[] = [];
  const up = await fakeUpstream(t, (req, res) => {
    if (req.method === 'GET') {
      const id = `req-${++n}`;
      const body = JSON.stringify({ id });
      res.writeHead(200, ['Content-Type', 'application/json', 'Lambda-Runtime-Aws-Request-Id', id, 'Content-Length', String(body.length)]);
      res.end(body);
      return;
    }
    readAll(req).then((b) => {
      const id = /\/invocation\/([^/]+)\/response$/.exec(req.url!)?.[1];
      if (!id || JSON.parse(b.toString()).id !== id) bad.push(`${req.url} ${b.toString()}`);
      answered.push(id ?? '?');
      res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': '15' });
      res.end('{"status":"OK"}');
    });
  });
  const p = await proxyFor(t, up.hostPort);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());

  async function cycle(target: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    const ev = await call(target, 'GET', NEXT, { agent });
    const id = header(ev.rawHeaders, 'lambda-runtime-aws-request-id')[0]!;
    if (JSON.parse(ev.body.toString()).id !== id) bad.push(`event ${id}`);
    const body = JSON.stringify({ id });
    const r = await call(target, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, {
      agent, headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }, body,
    });
    if (r.status !== 202) bad.push(`status ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }

  for (let i = 0; i < 100; i++) await cycle(i % 2 ? p.address : up.hostPort); // warm-up
  const before = answered.length;
  // Interleaved so both paths see the same GC/JIT noise. Everything runs in this one process, so
  // "via proxy" also pays for the proxy's own event-loop work, as it would in the bootstrap.
  const direct: number[] = [];
  const viaProxy: number[] = [];
  for (let i = 0; i < 1000; i++) {
    viaProxy.push(await cycle(p.address));
    direct.push(await cycle(up.hostPort));
  }
  t.equal(answered.length - before, 2000, 'none lost');
  const ids = answered.slice(before);
  t.equal(new Set(ids).size, 2000, 'none duplicated');
  t.same(bad, [], 'every response body names its own request id');
  t.equal(p.inFlight(), undefined);
  const fmt = (x: number) => x.toFixed(3);
  t.comment(`per invocation (/next + /response), ms: direct p50 ${fmt(pct(direct, 0.5))} p99 ${fmt(pct(direct, 0.99))}; ` +
    `via proxy p50 ${fmt(pct(viaProxy, 0.5))} p99 ${fmt(pct(viaProxy, 0.99))}; ` +
    `overhead p50 ${fmt(pct(viaProxy, 0.5) - pct(direct, 0.5))} p99 ${fmt(pct(viaProxy, 0.99) - pct(direct, 0.99))}`);
});
