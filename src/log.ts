/**
 * pino JSON logs to stdout (what awslogs ships). Every line carries the
 * worker id; shard-scoped loggers add the shard id. Payloads are never
 * logged: the redact list is a second line of defence for fields that could
 * carry them by mistake.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level: string; workerId?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level,
      base: options.workerId ? { workerId: options.workerId } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['data', 'payload', '*.data', '*.payload', 'record.data', 'Data', '*.Data'], censor: '[redacted]' },
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}
