// The Lambda Runtime API's wire, as Lambda (RAPID) and its open-source emulator RIE render it: the
// endpoints' paths, the payload limits, error bodies, and how a runtime's error report is read.
// lib/runtime/emulator.ts serves it; "§n" cite the sections of docs/runtime-api.md.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const API_PREFIX = '/2018-06-01/runtime';

/** §1 /response: "6 MB" [D LIM]; RIE enforces `MaxPayloadSize = 6*1024*1024 + 100` (interop/model.go:23). */
export const MAX_BUFFERED_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
/** §1 streaming: "streamed responses up to 200 MB" [D configuration-response-streaming]. */
export const MAX_STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024;
/** §1 /error: RAPID keeps the error-type header only if it matches this, else *.Unknown (RIE fatalerror.go). */
const ERROR_TYPE_RE = /^(Runtime|Function)\.[A-Z][a-zA-Z]+$/;

export interface InvocationError {
  errorType: string;
  errorMessage: string;
  [key: string]: unknown;
}

export function apiError(res: ServerResponse, status: number, errorType: string, errorMessage: string): void {
  const body = JSON.stringify({ errorType, errorMessage });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function accepted(res: ServerResponse): void {
  const body = JSON.stringify({ status: 'OK' });
  res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function flatHeaders(h: IncomingMessage['headers'] | IncomingMessage['trailers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Reads the whole body, keeping at most `limit` bytes; past that it keeps draining (so the client can
 *  read our 413 instead of getting a reset) and reports `tooLarge`. */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge, aborted: false }));
    req.on('error', () => resolve({ body: Buffer.concat(chunks), tooLarge, aborted: true }));
    req.on('aborted', () => resolve({ body: Buffer.concat(chunks), tooLarge, aborted: true }));
  });
}

export function normalizeErrorType(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (ERROR_TYPE_RE.test(header)) return header;
  return header.startsWith('Runtime.') ? 'Runtime.Unknown' : 'Function.Unknown';
}

/** §1 /error body: ErrorRequest JSON; "without a body Lambda builds the error from the type header". */
export function parseErrorBody(body: Buffer, typeHeader: string | undefined): InvocationError {
  const fallback: InvocationError = { errorType: typeHeader ?? 'Runtime.Unknown', errorMessage: '' };
  if (body.length === 0) return fallback;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      return {
        ...o,
        errorType: typeof o['errorType'] === 'string' ? o['errorType'] : fallback.errorType,
        errorMessage: typeof o['errorMessage'] === 'string' ? o['errorMessage'] : '',
      };
    }
  } catch {
    // fall through: keep the raw text as the message
  }
  return { ...fallback, errorMessage: body.toString('utf8') };
}
