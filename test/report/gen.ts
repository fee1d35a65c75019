// Large logs for the memory test, the browser test and the bench: N events in the three line
// formats, written in big chunks. Each event's text comes from auditEvent and lambdaLogger once
// per shape; the copies differ in their path, request id, pid and time.
import { closeSync, openSync, writeSync } from 'node:fs';
import { humanLine } from '../../lib/audit/index.js';
import { lambdaLogger } from '../../lib/runtime/log.js';
import { event } from './helpers.js';

export interface GenOptions {
  readonly events: number;
  /** Events per invocation (request id). */
  readonly perInvocation?: number;
  /** Distinct refused files (more than the report tracks makes its counts approximate). */
  readonly distinctPaths?: number;
}

/** Write the log; returns its size in bytes. */
export function generateLog(file: string, o: GenOptions): number {
  const per = o.perInvocation ?? 10;
  const distinct = o.distinctPaths ?? 5000;
  const shapes: string[] = [];
  const t0 = Date.UTC(2026, 0, 2, 3, 0, 0);
  const json = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'JSON' }, (l) => shapes.push(l), () => new Date(t0));
  const text = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'Text' }, (l) => shapes.push(l), () => new Date(t0));
  const mk = (over: Parameters<typeof event>[0]) => event({ time: t0, requestId: 'REQ', pid: 4242, ppid: 4241, ...over });
  const kinds = [
    mk({ path: '/tmp/PATH' }),
    mk({ syscall: 'execve', argv: ['/usr/bin/curl', '-s', 'http://PATH'], exe: '/bin/sh', rule: { what: 'exec.allow', text: 'not in exec.allow', line: 14 } }),
    mk({ syscall: 'connect', address: '10.0.0.7:443', rule: { what: 'network.connect', text: 'not in network.connect', line: 16 } }),
  ];
  kinds.forEach((e, i) => (i % 2 ? text : json).log('WARN', humanLine(e), { syscage: e }, 'REQ'));
  shapes.push(JSON.stringify(kinds[0]) + '\n'); // a run --log line
  const fd = openSync(file, 'w');
  let size = 0;
  try {
    let block: string[] = [];
    for (let i = 0; i < o.events; i++) {
      const shape = shapes[i % shapes.length]!;
      const time = new Date(t0 + i * 7).toISOString();
      block.push(shape
        .replaceAll('2026-01-02T03:00:00.000Z', time)
        .replaceAll('REQ', `req-${Math.floor(i / per).toString(16).padStart(8, '0')}`)
        .replaceAll('PATH', `f-${i % distinct}`)
        .replaceAll('4242', String(4242 + (i % 3))));
      if (block.length === 20_000) {
        size += writeSync(fd, block.join(''));
        block = [];
      }
    }
    if (block.length) size += writeSync(fd, block.join(''));
  } finally {
    closeSync(fd);
  }
  return size;
}
