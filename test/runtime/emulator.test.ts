// The Runtime API emulator against real runtime loops in child processes: a Python stdlib loop
// (buffered responses, typed errors, init error, size limits) and a Node node:http loop (streamed
// responses with error trailers). Plus a few raw HTTP checks of status codes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startEmulator, MAX_BUFFERED_RESPONSE_BYTES, type Clock, type Emulator } from '../../lib/runtime/emulator.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'runtime');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Posted { path: string; status: number; body: string }

/** Runs a runtime loop against the emulator until `results` resolves, then closes the emulator and
 *  waits for the loop to exit. Returns the loop's POST log and exit code. */
async function runLoop(em: Emulator, argv: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...em.env(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A loop that dies early must not hang the test: the results so far.
  const results = await em.resultsBy(exited);
  await em.close();
  const code = await exited;
  const posts = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Posted);
  return { results, posts, code, stderr: err };
}

function raw(em: Emulator, method: string, path: string, body?: string): Promise<{ status: number; body: unknown }> {
  const [host, port] = em.address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data === '' ? undefined : JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('env() is the provided.al2023 environment and points at the emulator', async (t) => {
  const em = await startEmulator({ events: [], functionName: 'hello', memoryMb: 512, handler: 'index.handler' });
  t.teardown(() => em.close());
  const env = em.env();
  t.equal(env['AWS_LAMBDA_RUNTIME_API'], em.address);
  t.match(em.address, /^127\.0\.0\.1:\d+$/);
  for (const k of ['AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_REGION',
    'AWS_DEFAULT_REGION', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
    'TZ', 'LANG', 'PATH', 'LD_LIBRARY_PATH', '_HANDLER']) {
    t.ok(env[k], `${k} is set`);
  }
  t.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'hello');
  t.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '$LATEST');
  t.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '512');
  t.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/hello');
  t.equal(env['LAMBDA_TASK_ROOT'], '/var/task');
  t.equal(env['_HANDLER'], 'index.handler');
  t.equal(env['PATH'], '/usr/local/bin:/usr/bin/:/bin:/opt/bin');
  t.notOk('AWS_LAMBDA_MAX_CONCURRENCY' in env, 'no LMI concurrency (RIC would start worker threads)');
  t.same(await em.results, [], 'no events: results resolve at once');
});

t.test('resultsBy: the results, or what was settled when the runtime ended, or why not after the timeout', async (t) => {
  const em = await startEmulator({ events: [{ n: 1 }, { n: 2 }] });
  const next = await raw(em, 'GET', '/2018-06-01/runtime/invocation/next');
  t.equal(next.status, 200);
  t.equal(await em.resultsBy(new Promise(() => {}), 50), 'timed out after 0.05 s', 'nothing ended, nothing settled: why not');
  const ended = await em.resultsBy(Promise.resolve());
  t.same(ended, [], 'the runtime ended with one event handed out and none settled: nothing, and the emulator closed');
  const again = await startEmulator({ events: [] });
  t.same(await again.resultsBy(new Promise(() => {}), 10_000), [], 'every event settled (none): the results, before the timeout');
  await again.close();
});

t.test('python loop: events round-trip, errors come back typed, bad ids and double answers refused', async (t) => {
  const events = [{ action: 'echo', n: 1 }, 'a string', { action: 'raise', message: 'bad input' }, { action: 'bogus-id' }, { action: 'double' }, null];
  const em = await startEmulator({ events, functionName: 'py' });
  const { results, posts, code, stderr } = await runLoop(em, ['python3', join(FIXTURES, 'loop.py')]);
  t.equal(code, 0, stderr);
  t.equal(results.length, events.length);
  results.forEach((r, i) => {
    t.match(r.requestId, UUID_RE);
    t.same(r.event, events[i]);
  });
  const [echo, str, raised, bogus, double, nul] = results;
  t.match(echo, { ok: true, status: 'response', streamed: false });
  t.same(JSON.parse(echo!.body!.toString()), { requestId: echo!.requestId, event: events[0] });
  t.equal(echo!.headers['content-type'], 'application/json');
  t.same(JSON.parse(str!.body!.toString()), { requestId: str!.requestId, event: 'a string' });
  t.same(JSON.parse(nul!.body!.toString()), { requestId: nul!.requestId, event: null });

  t.match(raised, { ok: false, status: 'error', functionErrorType: 'Function.ValueError', error: { errorType: 'ValueError', errorMessage: 'bad input' } });
  t.ok(Array.isArray(raised!.error!['stackTrace']), 'the rest of the ErrorRequest body is kept');

  const bogusPost = posts.find((p) => p.path.includes('not-a-request-id'));
  t.equal(bogusPost?.status, 400, 'unknown request id → 400');
  t.match(JSON.parse(bogusPost!.body), { errorType: 'InvalidRequestID' });
  t.match(bogus, { ok: true, status: 'response' }, 'the invoke itself is still answerable');

  const doublePosts = posts.filter((p) => p.path.includes(double!.requestId));
  t.same(doublePosts.map((p) => p.status), [202, 400], 'second answer to one invoke → 400');
  t.equal(double!.body!.toString(), '"first"', 'the first answer wins');
  t.ok(posts.filter((p) => !p.path.includes('not-a-request-id') && p !== doublePosts[1]).every((p) => p.status === 202));
});

t.test('python loop: 5 MB buffered response intact; over the limit → 413 and Function.ResponseSizeTooLarge', async (t) => {
  const five = 5 * 1024 * 1024;
  const over = MAX_BUFFERED_RESPONSE_BYTES + 1;
  const em = await startEmulator({ events: [{ action: 'big', size: five }, { action: 'big', size: over }, { action: 'echo' }], timeoutMs: 60_000 });
  const { results, posts, code, stderr } = await runLoop(em, ['python3', join(FIXTURES, 'loop.py')]);
  t.equal(code, 0, stderr);
  const [big, tooBig, after] = results;
  t.equal(big!.status, 'response');
  t.equal(big!.body!.length, five);
  const block = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  t.ok(big!.body!.equals(Buffer.concat(Array.from({ length: five / 256 }, () => block))), 'bytes intact');
  t.match(tooBig, { ok: false, status: 'error', error: { errorType: 'Function.ResponseSizeTooLarge' } });
  t.equal(tooBig!.body, undefined);
  t.same(posts.map((p) => p.status), [202, 413, 202], 'the runtime sees 413 and carries on with /next');
  t.match(JSON.parse(posts[1]!.body), { errorType: 'RequestEntityTooLarge' });
  t.equal(after!.status, 'response');
});

t.test('python loop: an init error ends the run', async (t) => {
  const em = await startEmulator({ events: [{ a: 1 }, { a: 2 }] });
  const { results, posts, code } = await runLoop(em, ['python3', join(FIXTURES, 'loop.py')], { LOOP_INIT_ERROR: '1' });
  t.equal(code, 1);
  t.same(posts.map((p) => p.status), [202]);
  t.equal(results.length, 2);
  for (const r of results) {
    t.match(r, { ok: false, status: 'init-error', functionErrorType: 'Runtime.ImportModuleError', error: { errorType: 'ImportModuleError', errorMessage: 'cannot import handler' } });
  }
});

t.test('node loop: streamed responses, error trailers, bad response mode', async (t) => {
  const events = [
    { action: 'stream', chunks: ['hel', 'lo ', 'world'] },
    { action: 'stream-fail', before: 'partial', message: 'exploded mid-stream' },
    { action: 'bad-mode' },
    { action: 'echo' },
  ];
  const em = await startEmulator({ events });
  const { results, posts, code, stderr } = await runLoop(em, [process.execPath, join(FIXTURES, 'stream-loop.mjs')]);
  t.equal(code, 0, stderr);
  const [ok, failed, badMode, echo] = results;
  t.match(ok, { ok: true, status: 'response', streamed: true });
  t.equal(ok!.body!.toString(), 'hello world');
  t.equal(ok!.headers['transfer-encoding'], 'chunked');
  t.equal(ok!.headers['lambda-runtime-function-response-mode'], 'streaming');
  t.match(failed, { ok: false, status: 'error', streamed: true, functionErrorType: 'Function.StreamError', error: { errorType: 'Error', errorMessage: 'exploded mid-stream' } });
  t.equal(failed!.body!.toString(), 'partial', 'bytes before the failure are kept');
  t.ok(failed!.trailers?.['lambda-runtime-function-error-body']);
  const badPosts = posts.filter((p) => p.path.includes(badMode!.requestId));
  t.same(badPosts.map((p) => p.status), [400, 202]);
  t.match(JSON.parse(badPosts[0]!.body), { errorType: 'InvalidFunctionResponseMode' });
  t.equal(badMode!.body!.toString(), 'after bad mode');
  t.match(echo, { ok: true, status: 'response', streamed: false });
});

t.test('raw HTTP: /next headers, 403s, long poll when out of events, init/error after init', async (t) => {
  let now = 1_700_000_000_000;
  const clock: Clock = { now: () => now, schedule: () => () => {} };
  const em = await startEmulator({ events: [{ x: 1 }], functionName: 'raw', timeoutMs: 5000, clock });
  const [host, port] = em.address.split(':');
  const next = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    request({ host, port: Number(port), path: '/2018-06-01/runtime/invocation/next' }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    }).on('error', reject).end();
  });
  t.equal(next.status, 200);
  t.same(JSON.parse(next.body), { x: 1 });
  t.equal(next.headers['content-type'], 'application/json');
  t.match(next.headers['lambda-runtime-aws-request-id'], UUID_RE);
  t.equal(next.headers['lambda-runtime-deadline-ms'], String(now + 5000));
  t.equal(next.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:000000000000:function:raw');
  t.match(next.headers['lambda-runtime-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  const id = next.headers['lambda-runtime-aws-request-id'] as string;

  t.match(await raw(em, 'GET', '/2018-06-01/runtime/invocation/next'), { status: 403, body: { errorType: 'InvalidStateTransition' } },
    '/next while the invoke is unanswered → 403');
  t.match(await raw(em, 'POST', '/2018-06-01/runtime/init/error', '{}'), { status: 403, body: { errorType: 'InvalidStateTransition' } },
    '/init/error after init → 403');
  t.match(await raw(em, 'POST', '/2018-06-01/runtime/invocation/nope/error', '{}'), { status: 400, body: { errorType: 'InvalidRequestID' } });
  t.match(await raw(em, 'GET', '/2018-06-01/nowhere'), { status: 404 });
  now += 42;
  t.match(await raw(em, 'POST', `/2018-06-01/runtime/invocation/${id}/error`), { status: 202, body: { status: 'OK' } });
  const results = await em.results;
  t.match(results, [{ status: 'error', durationMs: 42, error: { errorType: 'Runtime.Unknown' } }], 'no body, no type header');

  // Out of events: the long poll stays open until close().
  let settled = false;
  const pending = raw(em, 'GET', '/2018-06-01/runtime/invocation/next').then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(settled, '/next stays pending');
  t.match(await raw(em, 'GET', '/2018-06-01/runtime/invocation/next'), { status: 403 }, 'a second concurrent /next → 403');
  await em.close();
  await pending;
  t.ok(settled, 'close() ends the long poll');
});

t.test('timeout: an unanswered invoke ends as timeout, a late answer gets 410', async (t) => {
  const em = await startEmulator({ events: [{ action: 'hang', ms: 400 }, { action: 'echo' }], timeoutMs: 100 });
  const { results, posts, code, stderr } = await runLoop(em, [process.execPath, join(FIXTURES, 'stream-loop.mjs')]);
  t.equal(code, 0, stderr);
  t.match(results[0], { ok: false, status: 'timeout', error: { errorType: 'Sandbox.Timedout' } });
  t.match(results[1], { ok: true, status: 'response' });
  t.same(posts.map((p) => p.status), [410, 202]);
  t.match(JSON.parse(posts[0]!.body), { errorType: 'InvokeTimeout' });
});
