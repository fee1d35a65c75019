// Logs in the record shape Lambda uses, following AWS_LAMBDA_LOG_FORMAT
// (JSON | Text) and AWS_LAMBDA_LOG_LEVEL: a JSON object per line with
// timestamp, level, requestId, message (+ fields), or "ISO\treqId\tLEVEL\tmsg".
// Lambda filters JSON lines by their "level"; newlines inside a Text record
// become \r so a record stays one line.
export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
const ORDER: readonly Level[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

export interface Logger {
  log(level: Level, message: string, fields?: Record<string, unknown>, requestId?: string): void;
  /**
   * A JSON object that must be a log event of its own (an EMF metrics record: CloudWatch extracts
   * metrics only from an event that is one JSON object, nothing before or after it). Text format:
   * the object alone on its line; JSON format: the object with the record's timestamp, level,
   * requestId and message added. Not filtered by AWS_LAMBDA_LOG_LEVEL here: what alarms watch is
   * not dropped by syscage (Lambda itself drops a JSON record below the function's application log
   * level: docs/deploy.md).
   */
  emit(level: Level, message: string, record: Record<string, unknown>, requestId?: string): void;
}

export function lambdaLogger(env: NodeJS.ProcessEnv, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  const json = (env.AWS_LAMBDA_LOG_FORMAT ?? 'Text').toUpperCase() === 'JSON';
  const min = ORDER.indexOf((env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase() as Level);
  const threshold = min < 0 ? ORDER.indexOf('INFO') : min;
  return {
    log(level, message, fields = {}, requestId) {
      if (ORDER.indexOf(level) < threshold) return;
      const timestamp = now().toISOString();
      if (json) write(JSON.stringify({ timestamp, level, ...(requestId ? { requestId } : {}), message, ...fields }) + '\n');
      else write(`${timestamp}\t${requestId ?? 'undefined'}\t${level}\t${message}${Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ''}`.replace(/\n/g, '\r') + '\n');
    },
    emit(level, message, record, requestId) {
      if (!json) return write(JSON.stringify(record) + '\n');
      write(JSON.stringify({ timestamp: now().toISOString(), level, ...(requestId ? { requestId } : {}), message, ...record }) + '\n');
    },
  };
}
