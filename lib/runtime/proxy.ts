// Runtime API proxy: the sandboxed handler's AWS_LAMBDA_RUNTIME_API.
//
// Everything is forwarded verbatim to the real Runtime API (method, path, query, headers incl.
// their case and order, status codes, bodies piped both ways with chunked encoding and trailers),
// except for what the proxy owns on each hop (Connection, Keep-Alive, Host). On top of that:
//   - at most ONE upstream GET /runtime/invocation/next is in flight. A second /next while the
//     first handler connection still waits gets what RAPID answers (403 InvalidStateTransition,
//     rapi/handler/invocationnext.go). If the waiting handler went away (killed child), the upstream
//     poll is kept and its event goes to the next /next, so an event is never lost to a restart.
//   - /next replies always carry a Content-Type (aws-lambda-ric's addon segfaults without one).
//   - the in-flight invocation (request id + Lambda-Runtime-Invocation-Id) is tracked from /next
//     and the Invocation-Id is echoed on the handler's /response or /error when it omits it.
//   - postInvocationError / postInitError let the supervisor report a policy kill. If the killed
//     handler was half-way through a chunked (streaming) /response, the error goes out as the
//     Lambda-Runtime-Function-Error-Type/-Body trailers of that stream instead (a fresh /error
//     would get 400/403 from RAPID).
import { EXIT, SyscageError } from '../errors.js';
import type * as Http from 'node:http';
import http from './node-http.js';
import type { AddressInfo } from 'node:net';
import { forwardable, rawGet, trailerPairs } from './headers.js';

export interface InvocationEvent {
  requestId: string;
  invocationId?: string;
  /** Lambda-Runtime-Deadline-Ms (epoch ms), when upstream sent it. */
  deadlineMs?: number;
  traceId?: string;
}

export interface RuntimeErrorReport {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
}

export interface RuntimeProxyOptions {
  /** The real AWS_LAMBDA_RUNTIME_API, `host:port`. */
  upstream: string;
  /** Listen address; default 127.0.0.1, port 0 (any). */
  host?: string;
  port?: number;
  /** Called when upstream /next delivers an invocation (before the handler sees it). */
  onInvocation?(ev: InvocationEvent): void;
  /** Called when the handler's /response or /error for the in-flight invocation got its upstream answer. */
  onResponseDone?(requestId: string): void;
  log?(msg: string): void;
}

export interface RuntimeProxy {
  /** `host:port` to put in the handler's AWS_LAMBDA_RUNTIME_API. */
  readonly address: string;
  inFlight(): { requestId: string; invocationId?: string } | undefined;
  /** The handler waits in /next for an event that has not come: the function idles (Lambda freezes it there). */
  awaitingNext(): boolean;
  postInvocationError(requestId: string, err: RuntimeErrorReport): Promise<void>;
  postInitError(err: RuntimeErrorReport): Promise<void>;
  close(): Promise<void>;
}

export const API_PREFIX = '/2018-06-01';
export const H_REQUEST_ID = 'Lambda-Runtime-Aws-Request-Id';
export const H_INVOCATION_ID = 'Lambda-Runtime-Invocation-Id';
export const H_ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
export const H_ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';
const ERROR_CONTENT_TYPE = 'application/vnd.aws.lambda.error+json';

const NEXT_RE = /\/runtime\/invocation\/next$/;
const ANSWER_RE = /\/runtime\/invocation\/([^/]+)\/(response|error)$/;

/** The upstream /next poll; `waiter` is the handler response it will be relayed to. */
interface PendingNext {
  up: Http.ClientRequest;
  upRes?: Http.IncomingMessage;
  waiter?: Http.ServerResponse;
}

/** A handler /response or /error on its way upstream, until upstream answers. */
interface Answer {
  requestId: string;
  req: Http.IncomingMessage;
  up: Http.ClientRequest;
  chunked: boolean;
  bodyDone: boolean;
  settle?: (r: number | Error) => void;
}

function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  const port = Number(hp.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new SyscageError(`AWS_LAMBDA_RUNTIME_API must be host:port, got "${hp}"`, 'ERR_RUNTIME_API_ADDRESS', EXIT.invalid);
  }
  let host = hp.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

function decodeId(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function sendJson(res: Http.ServerResponse, status: number, body: object): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Statuses after which the invocation is over for RAPID: accepted, too large (413), timed out (410). */
function endsInvocation(status: number): boolean {
  return (status >= 200 && status < 300) || status === 410 || status === 413;
}

/** The Runtime API answered with an error status (a 500 means the environment is broken). */
export class RuntimeApiError extends SyscageError {
  override name = 'RuntimeApiError';
  constructor(readonly httpStatus: number, path: string, body: string) {
    super(`Runtime API ${path} answered ${httpStatus}: ${body.slice(0, 500)}`, `ERR_RUNTIME_API_${httpStatus}`);
  }
}

function apiError(status: number, path: string, body: string): Error {
  return new RuntimeApiError(status, path, body);
}

export async function createRuntimeProxy(opts: RuntimeProxyOptions): Promise<RuntimeProxy> {
  const { host: upHost, port: upPort } = splitHostPort(opts.upstream);
  const upstreamHost = opts.upstream; // Host header value for upstream requests
  const log = opts.log ?? (() => {});
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo', noDelay: true });

  let current: { requestId: string; invocationId?: string } | undefined;
  let pending: PendingNext | undefined;
  const answers = new Map<string, Answer>();

  function upstreamRequest(method: string, path: string, headers: string[]): Http.ClientRequest {
    headers.push('Host', upstreamHost);
    return http.request({ agent, host: upHost, port: upPort, method, path, headers });
  }

  /** Relay an upstream reply (status, headers, body, trailers) to the handler. */
  function relay(ur: Http.IncomingMessage, res: Http.ServerResponse, needContentType: boolean): void {
    if (res.destroyed) {
      ur.resume();
      return;
    }
    const headers = forwardable(ur.rawHeaders);
    if (needContentType && rawGet(ur.rawHeaders, 'content-type') === undefined) headers.push('Content-Type', 'application/json');
    const status = ur.statusCode ?? 502;
    res.writeHead(status, ur.statusMessage || http.STATUS_CODES[status] || '', headers);
    ur.pipe(res, { end: false });
    ur.on('end', () => {
      if (ur.rawTrailers.length > 0) res.addTrailers(trailerPairs(ur.rawTrailers));
      res.end();
    });
    res.on('close', () => {
      if (!ur.complete) ur.resume(); // handler went away: drain so the upstream socket stays usable
    });
  }

  function track(ur: Http.IncomingMessage): void {
    const requestId = rawGet(ur.rawHeaders, 'lambda-runtime-aws-request-id');
    if (!requestId) return;
    const invocationId = rawGet(ur.rawHeaders, 'lambda-runtime-invocation-id');
    current = invocationId === undefined ? { requestId } : { requestId, invocationId };
    if (opts.onInvocation) {
      const ev: InvocationEvent = { requestId };
      if (invocationId !== undefined) ev.invocationId = invocationId;
      const deadline = Number(rawGet(ur.rawHeaders, 'lambda-runtime-deadline-ms'));
      if (Number.isFinite(deadline) && deadline > 0) ev.deadlineMs = deadline;
      const traceId = rawGet(ur.rawHeaders, 'lambda-runtime-trace-id');
      if (traceId !== undefined) ev.traceId = traceId;
      opts.onInvocation(ev);
    }
  }

  function deliver(p: PendingNext, res: Http.ServerResponse): void {
    if (pending === p) pending = undefined;
    relay(p.upRes as Http.IncomingMessage, res, true);
  }

  function handleNext(req: Http.IncomingMessage, res: Http.ServerResponse): void {
    req.resume();
    const p0 = pending;
    if (p0) {
      if (p0.waiter && !p0.waiter.destroyed) {
        sendJson(res, 403, {
          errorType: 'InvalidStateTransition',
          errorMessage: 'a /runtime/invocation/next request is already pending',
        });
        return;
      }
      // The previous waiter is gone (child killed while polling): this one takes the same poll.
      p0.waiter = res;
      res.on('close', () => {
        if (p0.waiter === res) p0.waiter = undefined;
      });
      if (p0.upRes) deliver(p0, res);
      return;
    }
    const p: PendingNext = {
      up: upstreamRequest('GET', req.url ?? '/', forwardable(req.rawHeaders)),
      waiter: res,
    };
    pending = p;
    res.on('close', () => {
      if (p.waiter === res) p.waiter = undefined;
    });
    p.up.on('response', (ur) => {
      p.upRes = ur;
      if (ur.statusCode === 200) track(ur);
      if (p.waiter) deliver(p, p.waiter);
      else log(`runtime proxy: /next answered with no handler waiting; holding it for the next /next`);
    });
    p.up.on('error', (e) => {
      if (pending === p) pending = undefined;
      log(`runtime proxy: upstream /next failed: ${e.message}`);
      if (p.waiter) sendJson(p.waiter, 502, { errorType: 'Runtime.ProxyUpstreamError', errorMessage: e.message });
    });
    p.up.end();
  }

  function forward(req: Http.IncomingMessage, res: Http.ServerResponse, answerId: string | undefined): void {
    const extra: string[] = [];
    if (
      answerId !== undefined &&
      current?.requestId === answerId &&
      current.invocationId !== undefined &&
      rawGet(req.rawHeaders, 'lambda-runtime-invocation-id') === undefined
    ) {
      extra.push(H_INVOCATION_ID, current.invocationId);
    }
    const up = upstreamRequest(req.method ?? 'GET', req.url ?? '/', forwardable(req.rawHeaders, extra));
    let a: Answer | undefined;
    if (answerId !== undefined) {
      const te = rawGet(req.rawHeaders, 'transfer-encoding');
      a = { requestId: answerId, req, up, chunked: te !== undefined && /chunked/i.test(te), bodyDone: false };
      answers.set(answerId, a);
    }
    req.pipe(up, { end: false });
    req.on('end', () => {
      if (a) a.bodyDone = true;
      if (req.rawTrailers.length > 0) up.addTrailers(trailerPairs(req.rawTrailers));
      up.end();
    });
    req.on('close', () => {
      if (req.complete) return;
      // The handler died mid-body. A chunked /response stays open upstream so that
      // postInvocationError can end it with error trailers; anything else is aborted.
      if (a && a.chunked && !a.bodyDone) {
        log(`runtime proxy: handler aborted the ${answerId} answer mid-stream; holding the upstream stream`);
        req.unpipe(up);
      } else if (!a || !a.bodyDone) {
        up.destroy();
      }
    });
    up.on('response', (ur) => {
      const status = ur.statusCode ?? 0;
      if (a) {
        if (answers.get(a.requestId) === a) answers.delete(a.requestId);
        a.settle?.(status);
      }
      if (answerId !== undefined && current?.requestId === answerId && endsInvocation(status)) {
        current = undefined;
        opts.onResponseDone?.(answerId);
      }
      relay(ur, res, false);
    });
    up.on('error', (e) => {
      if (a) {
        if (answers.get(a.requestId) === a) answers.delete(a.requestId);
        a.settle?.(e);
      }
      log(`runtime proxy: upstream ${req.method} ${req.url} failed: ${e.message}`);
      sendJson(res, 502, { errorType: 'Runtime.ProxyUpstreamError', errorMessage: e.message });
    });
  }

  const server = http.createServer({ requestTimeout: 0, noDelay: true, keepAlive: true }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'GET' && NEXT_RE.test(path)) return handleNext(req, res);
    const m = req.method === 'POST' ? ANSWER_RE.exec(path) : null;
    forward(req, res, m ? decodeId(m[1] as string) : undefined);
  });
  server.headersTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const address = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;

  /** POST a small JSON body to upstream; >= 500 throws ERR_RUNTIME_API_<status>, other non-2xx is logged. */
  function post(path: string, headers: Record<string, string>, body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const r = http.request(
        {
          agent,
          host: upHost,
          port: upPort,
          method: 'POST',
          path,
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        },
        (ur) => {
          let text = '';
          ur.setEncoding('utf8');
          ur.on('data', (d: string) => {
            if (text.length < 4096) text += d;
          });
          ur.on('end', () => {
            const status = ur.statusCode ?? 0;
            if (status >= 500) return reject(apiError(status, path, text));
            if (status < 200 || status >= 300) log(`runtime proxy: ${path} answered ${status}: ${text.slice(0, 500)}`);
            resolve();
          });
          ur.on('error', reject);
        },
      );
      r.on('error', (e) =>
        reject(new SyscageError(`Runtime API ${path} unreachable: ${e.message}`, 'ERR_RUNTIME_API_UNREACHABLE', EXIT.internal, { cause: e })),
      );
      r.end(body);
    });
  }

  function errorBody(err: RuntimeErrorReport): string {
    return JSON.stringify({ errorMessage: err.errorMessage, errorType: err.errorType, stackTrace: err.stackTrace ?? [] });
  }

  async function postInvocationError(requestId: string, err: RuntimeErrorReport): Promise<void> {
    const body = errorBody(err);
    const invocationId = current?.requestId === requestId ? current.invocationId : undefined;
    // An event parked for a handler that never received it is answered here: drop it.
    const p = pending;
    if (p?.upRes && !p.waiter && rawGet(p.upRes.rawHeaders, 'lambda-runtime-aws-request-id') === requestId) {
      pending = undefined;
      p.upRes.destroy();
    }
    const a = answers.get(requestId);
    if (a && !a.bodyDone) {
      a.req.unpipe(a.up);
      if (a.chunked) {
        // Mid-stream: RAPID takes the error as the stream's trailers (Error-Body = base64 JSON).
        const reply = new Promise<number | Error>((resolve) => (a.settle = resolve));
        a.bodyDone = true;
        a.up.addTrailers([
          [H_ERROR_TYPE, err.errorType],
          [H_ERROR_BODY, Buffer.from(body).toString('base64')],
        ]);
        a.up.end();
        const r = await reply;
        if (current?.requestId === requestId) current = undefined;
        if (r instanceof Error) {
          throw new SyscageError(`Runtime API unreachable: ${r.message}`, 'ERR_RUNTIME_API_UNREACHABLE', EXIT.internal, { cause: r });
        }
        if (r >= 500) throw apiError(r, `/runtime/invocation/${requestId}/response`, '');
        if (r < 200 || r >= 300) log(`runtime proxy: error trailers for ${requestId} answered ${r}`);
        return;
      }
      answers.delete(requestId);
      a.up.destroy();
    }
    const headers: Record<string, string> = { 'Content-Type': ERROR_CONTENT_TYPE, [H_ERROR_TYPE]: err.errorType };
    if (invocationId !== undefined) headers[H_INVOCATION_ID] = invocationId;
    try {
      await post(`${API_PREFIX}/runtime/invocation/${encodeURIComponent(requestId)}/error`, headers, body);
    } finally {
      if (current?.requestId === requestId) current = undefined;
    }
  }

  async function postInitError(err: RuntimeErrorReport): Promise<void> {
    await post(
      `${API_PREFIX}/runtime/init/error`,
      { 'Content-Type': ERROR_CONTENT_TYPE, [H_ERROR_TYPE]: err.errorType },
      errorBody(err),
    );
  }

  async function close(): Promise<void> {
    const p = pending;
    pending = undefined;
    p?.up.destroy();
    p?.upRes?.destroy();
    for (const a of answers.values()) a.up.destroy();
    answers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    agent.destroy();
  }

  return {
    address,
    inFlight: () => (current === undefined ? undefined : { ...current }),
    awaitingNext: () => pending !== undefined && pending.waiter !== undefined && pending.upRes === undefined,
    postInvocationError,
    postInitError,
    close,
  };
}
