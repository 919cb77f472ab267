import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  '*.password', '*.pass', '*.apiKey', '*.api_key', '*.secret', '*.token', '*.authorization',
  'config.smtp.pass', 'config.jwt.secretKey', 'config.databaseUrl', 'config.redisUrl',
];

/** Creates the process logger: JSON lines on stderr (stdout is reserved for `--json` output). */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.pretty) {
    return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: false, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }));
  }
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
