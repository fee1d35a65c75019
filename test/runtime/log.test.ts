// Lambda-shaped log records: AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
import t from 'tap';
import { lambdaLogger } from '../../lib/runtime/log.js';

const at = () => new Date('2026-11-26T08:00:00.000Z');

t.test('JSON: timestamp, level, requestId, message and fields; below the level dropped', async (t) => {
  const lines: string[] = [];
  const log = lambdaLogger({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN' }, (l) => lines.push(l), at);
  log.log('INFO', 'hidden');
  log.log('WARN', 'syscage: denied', { syscage: { syscall: 'openat' } }, 'req-1');
  t.equal(lines.length, 1, 'INFO is below WARN');
  t.same(JSON.parse(lines[0]!), { timestamp: '2026-11-26T08:00:00.000Z', level: 'WARN', requestId: 'req-1', message: 'syscage: denied', syscage: { syscall: 'openat' } });
});

t.test('Text (the default): tab-separated, one line even with newlines in the message', async (t) => {
  const lines: string[] = [];
  const log = lambdaLogger({}, (l) => lines.push(l), at);
  log.log('ERROR', 'two\nlines', {}, 'req-2');
  log.log('DEBUG', 'below INFO, the default level');
  t.same(lines, ['2026-11-26T08:00:00.000Z\treq-2\tERROR\ttwo\rlines\n']);
});
