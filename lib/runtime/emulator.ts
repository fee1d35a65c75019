// A local Lambda Runtime API (2018-06-01) emulator: the core of `syscage invoke`.
//
// It plays the part of Lambda's RAPID for ONE runtime process on 127.0.0.1 and hands it a fixed list
// of events, one invoke at a time, the way a classic (non-LMI) execution environment does. Facts come
// from docs/runtime-api.md (cited "§n" below), which in turn cites the AWS docs (RAPI, OAS, CUST, LIM)
// and the open-source emulator RIE (aws-lambda-runtime-interface-emulator).
//
// Endpoints (§1), all under /2018-06-01:
//   GET  /runtime/invocation/next            long poll; 200 + event, or pending until close()
//   POST /runtime/invocation/{id}/response   202 | 400 InvalidRequestID | 400 InvalidFunctionResponseMode
//                                            | 413 RequestEntityTooLarge | 410 InvokeTimeout
//   POST /runtime/invocation/{id}/error      202 | 400 | 410 | 413
//   POST /runtime/init/error                 202 | 403 InvalidStateTransition once init is over
// Error bodies are JSON {errorType, errorMessage} as RIE renders them (§1 "Errors come as JSON").
//
// Three parts: this file, the HTTP front (node:http bound to 127.0.0.1 on an ephemeral port: the
// routes and the environment); lib/runtime/emulated-run.ts, the run's state machine (events handed
// out, settled, timed out); lib/runtime/api-wire.ts, the wire (limits, error bodies, reading an
// error report). The world is injected (STYLE.md #10): the clock.
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from './node-http.js';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { accepted, API_PREFIX, apiError, flatHeaders, MAX_BUFFERED_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES, normalizeErrorType, parseErrorBody, readBody } from './api-wire.js';
import { EmulatedRun, systemClock, type Clock, type InvocationResult } from './emulated-run.js';

export { MAX_BUFFERED_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES, type InvocationError } from './api-wire.js';
export { systemClock, type Clock, type InvocationResult, type InvocationStatus } from './emulated-run.js';

/** Lambda's default function timeout is 3 s. */
const DEFAULT_TIMEOUT_MS = 3000;

/** What a local run takes from the caller's environment: the function's own settings. */
export const fromCallerEnv = (env: NodeJS.ProcessEnv = process.env): Partial<EmulatorOptions> => ({
  ...(env._HANDLER ? { handler: env._HANDLER } : {}),
  ...(env.LAMBDA_TASK_ROOT ? { taskRoot: env.LAMBDA_TASK_ROOT } : {}),
  ...(env.AWS_LAMBDA_FUNCTION_NAME ? { functionName: env.AWS_LAMBDA_FUNCTION_NAME } : {}),
});

export interface EmulatorOptions {
  /** JSON values, one per invocation, handed out in order. */
  events: unknown[];
  functionName?: string;
  functionVersion?: string;
  memoryMb?: number;
  /** Function timeout; an invoke unanswered by then ends with status 'timeout'. */
  timeoutMs?: number;
  region?: string;
  accountId?: string;
  /** `_HANDLER` (for provided.* runtimes it is whatever the function's Handler setting says). */
  handler?: string;
  taskRoot?: string;
  runtimeDir?: string;
  /** AWS_EXECUTION_ENV: §2 says UNVERIFIED for the provided family, so it is set only when given. */
  executionEnv?: string;
  clock?: Clock;
  maxBufferedResponseBytes?: number;
  maxStreamedResponseBytes?: number;
}

export interface Emulator {
  /** host:port, the value for AWS_LAMBDA_RUNTIME_API. */
  address: string;
  /** The environment a provided.al2023 function's bootstrap gets (§2). */
  env(): Record<string, string>;
  /** Resolves when every event got a response, an error or a timeout, or the runtime reported an init error
   *  (then every event is reported as 'init-error'). close() before that resolves it with the results so far. */
  results: Promise<InvocationResult[]>;
  /**
   * The results of a runtime that runs as its own process: once every event is settled, or once
   * `ended` resolves (the runtime is gone: the emulator is closed, and what was settled by then is
   * the answer).
   */
  resultsBy(ended: Promise<unknown>): Promise<InvocationResult[]>;
  /** The same, or after `timeoutMs`, why not ("timed out after N s"). */
  resultsBy(ended: Promise<unknown>, timeoutMs: number): Promise<InvocationResult[] | string>;
  close(): Promise<void>;
}

function traceId(nowMs: number): string {
  const epoch = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function logStreamName(nowMs: number, version: string): string {
  const d = new Date(nowMs);
  const ymd = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${ymd}/[${version}]${randomBytes(16).toString('hex')}`;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const clock = options.clock ?? systemClock;
  const functionName = options.functionName ?? 'function';
  const functionVersion = options.functionVersion ?? '$LATEST';
  const memoryMb = options.memoryMb ?? 128;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const taskRoot = options.taskRoot ?? '/var/task';
  const runtimeDir = options.runtimeDir ?? '/var/runtime';
  const maxBuffered = options.maxBufferedResponseBytes ?? MAX_BUFFERED_RESPONSE_BYTES;
  const maxStreamed = options.maxStreamedResponseBytes ?? MAX_STREAMED_RESPONSE_BYTES;
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const logStream = logStreamName(clock.now(), functionVersion);
  const events = [...options.events];
  const run = new EmulatedRun(events, clock, timeoutMs);
  let parkedNext: ServerResponse | undefined;

  function handOut(res: ServerResponse): void {
    const inv = run.handOut();
    const body = JSON.stringify(inv.event === undefined ? null : inv.event);
    // §1 /next headers; §3: RIC segfaults on a 200 without Content-Type, so it is always sent.
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Lambda-Runtime-Aws-Request-Id': inv.requestId,
      'Lambda-Runtime-Deadline-Ms': String(inv.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': functionArn,
      'Lambda-Runtime-Trace-Id': traceId(inv.startedAt),
    });
    res.end(body);
  }

  function onNext(req: IncomingMessage, res: ServerResponse): void {
    // §1: 403 InvalidStateTransition when a previous /next is still pending or the current invoke is unanswered.
    if (parkedNext !== undefined || run.busy) {
      apiError(res, 403, 'InvalidStateTransition', 'State transition from Invoke to Ready is not allowed');
      return;
    }
    if (run.ended) {
      // The run ended (init error): nothing more will be handed out.
      apiError(res, 403, 'InvalidStateTransition', 'State transition is not allowed: the run has ended');
      return;
    }
    run.endInit();
    if (run.hasMore) {
      handOut(res);
      return;
    }
    // Out of events: keep the long poll open until close() (§1: clients set no timeout).
    parkedNext = res;
    req.on('close', () => {
      if (parkedNext === res) parkedNext = undefined;
    });
  }

  async function onAnswer(req: IncomingMessage, res: ServerResponse, requestId: string, kind: 'response' | 'error'): Promise<void> {
    const inv = run.invoke(requestId);
    const mode = req.headers['lambda-runtime-function-response-mode'];
    const streamed = kind === 'response' && mode !== undefined;
    if (streamed && mode !== 'streaming') {
      await readBody(req, 0);
      apiError(res, 400, 'InvalidFunctionResponseMode', `Unsupported Lambda-Runtime-Function-Response-Mode: ${String(mode)}`);
      return;
    }
    if (inv === undefined || (inv.settled && !inv.timedOut) || inv.answering) {
      await readBody(req, 0);
      apiError(res, 400, 'InvalidRequestID', `Invalid request ID: "${requestId}"`);
      return;
    }
    if (inv.timedOut) {
      await readBody(req, 0);
      apiError(res, 410, 'InvokeTimeout', `Invoke ${requestId} timed out`);
      return;
    }
    inv.answering = true;
    const { body, tooLarge, aborted } = await readBody(req, streamed ? maxStreamed : maxBuffered);
    const headers = flatHeaders(req.headers);
    inv.answering = false;
    if (inv.timedOut) {
      apiError(res, 410, 'InvokeTimeout', `Invoke ${requestId} timed out`);
      return;
    }
    if (aborted) {
      // The runtime went away mid-body: RIE renders 400 TruncatedHTTPRequest; the invoke stays open.
      if (!res.destroyed) apiError(res, 400, 'TruncatedHTTPRequest', 'The request body was truncated');
      return;
    }
    if (tooLarge) {
      // §1: 413 means Lambda already finished the invoke with Function.ResponseSizeTooLarge.
      const limit = streamed ? maxStreamed : maxBuffered;
      run.settle(inv, {
        ok: false,
        status: 'error',
        error: {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes).`,
        },
        headers,
        streamed,
      });
      apiError(res, 413, 'RequestEntityTooLarge', `Exceeded maximum allowed payload size (${limit} bytes).`);
      return;
    }
    if (kind === 'error') {
      const functionErrorType = normalizeErrorType(headers['lambda-runtime-function-error-type']);
      run.settle(inv, {
        ok: false,
        status: 'error',
        error: parseErrorBody(body, functionErrorType),
        ...(functionErrorType !== undefined ? { functionErrorType } : {}),
        headers,
        streamed: false,
      });
      accepted(res);
      return;
    }
    if (streamed) {
      // §1 streaming: a mid-stream failure arrives as trailers, Error-Body = base64(JSON).
      const trailers = flatHeaders(req.trailers);
      const trailerType = trailers['lambda-runtime-function-error-type'];
      if (trailerType !== undefined && trailerType !== '') {
        const rawBody = trailers['lambda-runtime-function-error-body'];
        const decoded = rawBody !== undefined ? Buffer.from(rawBody, 'base64') : Buffer.alloc(0);
        const functionErrorType = normalizeErrorType(trailerType);
        run.settle(inv, {
          ok: false,
          status: 'error',
          body,
          error: parseErrorBody(decoded, trailerType),
          ...(functionErrorType !== undefined ? { functionErrorType } : {}),
          headers,
          trailers,
          streamed: true,
        });
      } else {
        run.settle(inv, { ok: true, status: 'response', body, headers, trailers, streamed: true });
      }
      accepted(res); // RIE answers 202 only after the whole streamed body has been read.
      return;
    }
    run.settle(inv, { ok: true, status: 'response', body, headers, streamed: false });
    accepted(res);
  }

  async function onInitError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body, tooLarge } = await readBody(req, maxBuffered);
    // §1: after init has completed (the first /next), /init/error is 403 InvalidStateTransition.
    if (run.initOver) {
      apiError(res, 403, 'InvalidStateTransition', 'State transition from Ready to InitError is not allowed');
      return;
    }
    if (tooLarge) {
      apiError(res, 413, 'RequestEntityTooLarge', `Exceeded maximum allowed payload size (${maxBuffered} bytes).`);
      return;
    }
    const headers = flatHeaders(req.headers);
    const functionErrorType = normalizeErrorType(headers['lambda-runtime-function-error-type']);
    run.initError(parseErrorBody(body, functionErrorType), headers, functionErrorType);
    accepted(res);
  }

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const route = (): Promise<void> | void => {
      if (path === `${API_PREFIX}/invocation/next`) {
        return method === 'GET' ? onNext(req, res) : apiError(res, 405, 'MethodNotAllowed', `${method} ${path}`);
      }
      if (path === `${API_PREFIX}/init/error`) {
        return method === 'POST' ? onInitError(req, res) : apiError(res, 405, 'MethodNotAllowed', `${method} ${path}`);
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (m !== null) {
        if (method !== 'POST') return apiError(res, 405, 'MethodNotAllowed', `${method} ${path}`);
        return onAnswer(req, res, decodeURIComponent(m[1] ?? ''), m[2] === 'error' ? 'error' : 'response');
      }
      req.resume();
      return apiError(res, 404, 'UnknownPath', `No such endpoint: ${method} ${path}`);
    };
    Promise.resolve()
      .then(route)
      .catch((e: unknown) => {
        if (!res.headersSent) apiError(res, 500, 'Runtime.EmulatorError', String(e));
        else res.destroy();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const address = `127.0.0.1:${port}`;
  const close = (): Promise<void> => {
    run.finish();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  const resultsBy = async (ended: Promise<unknown>, timeoutMs?: number): Promise<InvocationResult[] | string> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = timeoutMs === undefined ? [] : [new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`timed out after ${timeoutMs / 1000} s`), timeoutMs); })];
    try {
      return await Promise.race([run.results, ended.then(close).then(() => run.results), ...timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    address,
    results: run.results,
    resultsBy: resultsBy as Emulator['resultsBy'],
    env() {
      const env: Record<string, string> = {
        AWS_LAMBDA_RUNTIME_API: address,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: functionVersion,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: logStream,
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_RUNTIME_DIR: runtimeDir,
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
        LD_LIBRARY_PATH: `/lib64:/usr/lib64:${runtimeDir}:${runtimeDir}/lib:${taskRoot}:${taskRoot}/lib:/opt/lib`,
        _HANDLER: options.handler ?? 'function.handler',
      };
      if (options.executionEnv !== undefined) env['AWS_EXECUTION_ENV'] = options.executionEnv;
      return env;
    },
    close,
  };
}
