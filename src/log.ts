import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  '*.password',
  '*.pass',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.token',
  '*.authorization',
  'config.smtp.pass',
  'config.jwt.secretKey',
  'config.metrics.token',
  'config.databaseUrl',
  'config.redisUrl',
];

/** Creates the process logger: JSON lines on stderr (stdout is reserved for `--json` output), or one readable line per event on a terminal. */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.pretty) {
    // Loaded for a terminal only: processes logging JSON (workers, scripts) do without its start-up cost.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    // In-process and synchronous: a terminal user reads one line per event, without stacks.
    return pino(
      { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      pretty({
        destination: 2,
        sync: true,
        colorize: false,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,err.stack,err.type',
        singleLine: true,
      }),
    );
  }
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.destination ?? pino.destination(2),
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
