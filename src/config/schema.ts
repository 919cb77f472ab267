import { createRequire } from 'node:module';
import { z } from 'zod';
import { parseRedisUrl, RedisUrlError } from './redis-url.ts';

const require = createRequire(import.meta.url);
const DEFAULT_CRON = '0 6 * * *';

/** cron-parser (and luxon under it) loads only for a schedule other than the default: not for every command. */
function validCron(v: string): boolean {
  if (v === DEFAULT_CRON) return true;
  const { CronExpressionParser } = require('cron-parser') as typeof import('cron-parser');
  try {
    CronExpressionParser.parse(v);
    return v.split(/\s+/).length >= 5;
  } catch {
    return false;
  }
}

/** Variables whose values are secrets: never logged, accepted as `NAME_FILE` too. */
export const SECRET_VARS = [
  'DATABASE_URL',
  'REDIS_URL',
  'POSTGRES_PASSWORD',
  'PROVIDER_DEEPSEEK_API_KEY',
  'PROVIDER_QWEN_API_KEY',
  'SMTP_PASS',
  'JWT_SECRET_KEY',
  'METRICS_TOKEN',
] as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { error: 'expected an integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `expected an integer ≥ ${min}` })
        .max(max, { error: `expected an integer ≤ ${max}` }),
    );

const num = (min: number, max = Number.MAX_VALUE) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { error: 'expected a number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `expected a number ≥ ${min}` })
        .max(max, { error: `expected a number ≤ ${max}` }),
    );

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { error: `expected a URL (${protocols.join(' or ')})` },
    );

/** `REDIS_URL`: one server (`redis://`, `rediss://`) or a Sentinel group (`redis+sentinel://`), see redis-url.ts. */
const redisUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    try {
      parseRedisUrl(v);
    } catch (err) {
      if (!(err instanceof RedisUrlError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  });

const timeZone = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'expected an IANA time zone such as Asia/Shanghai' },
  );

const hhmm = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected HH:MM (24 h)' });

/** A cron schedule in TZ, or "off" to disable the job (empty: the default). */
const schedule = (fallback: string) =>
  z
    .preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().default(fallback))
    .refine((v) => v === 'off' || v === fallback || validCron(v), {
      error: 'expected a cron expression of 5 fields (minute hour day month weekday), or off',
    });

const optional = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());

/**
 * Every environment variable finrep reads, with its default. Names follow the seed specification so that an
 * operator's existing `.env.prod` works unchanged.
 */
export const envSchema = z.object({
  ENV: z
    .enum(['development', 'production', 'test'], { error: 'expected development, production or test' })
    .default('development'),
  TZ: timeZone.default('Asia/Shanghai'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected fatal|error|warn|info|debug|trace|silent',
    })
    .default('info'),
  FINREP_DATA_DIR: z.string().trim().min(1).default('./data'),

  DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
  /** With DATABASE_URL unset, POSTGRES_HOST builds it from the POSTGRES_* variables (one secret for both containers). */
  POSTGRES_HOST: optional(z.string().trim().min(1)),
  POSTGRES_PORT: int(1, 65535).default(5432),
  POSTGRES_USER: optional(z.string()),
  POSTGRES_PASSWORD: optional(z.string()),
  POSTGRES_DB: optional(z.string()),
  /** Connections of one process's PostgreSQL pool. */
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  REDIS_URL: optional(redisUrl),

  PROVIDER_DEEPSEEK_API_KEY: optional(z.string().trim().min(1)),
  PROVIDER_DEEPSEEK_BASE_URL: url(['http:', 'https:']).default('https://api.deepseek.com/v1'),
  PROVIDER_DEEPSEEK_MODEL: z.string().trim().min(1).default('deepseek-chat'),
  PROVIDER_QWEN_API_KEY: optional(z.string().trim().min(1)),
  PROVIDER_QWEN_BASE_URL: url(['http:', 'https:']).default('https://dashscope.aliyuncs.com/compatible-mode/v1'),
  PROVIDER_QWEN_MODEL: z.string().trim().min(1).default('qwen-max'),
  LLM_PROVIDERS: z
    .string()
    .trim()
    .regex(/^[a-z0-9_]+(,[a-z0-9_]+)*$/, { error: 'expected a comma-separated list such as deepseek,qwen' })
    .default('deepseek,qwen'),
  LLM_TIMEOUT_SEC: num(1, 600).default(90),
  LLM_DAILY_BUDGET: optional(num(0)),
  LLM_MONTHLY_BUDGET: optional(num(0)),
  LLM_CONCURRENCY: int(1, 256).default(8),
  LLM_RPM: int(0, 1_000_000).default(0),
  LLM_MAX_RETRIES: int(0, 10).default(2),
  LLM_MAX_INPUT_CHARS: int(200, 100_000).default(3000),
  LLM_MAX_OUTPUT_TOKENS: int(128, 8192).default(1024),
  LLM_BREAKER_FAILURES: int(1, 1000).default(5),
  LLM_BREAKER_COOLDOWN_SEC: num(0.1, 86_400).default(60),
  LLM_PRICES: optional(
    z
      .string()
      .trim()
      .transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({
            code: 'custom',
            message: 'expected JSON such as {"deepseek-chat":{"input_hit":0.2,"input_miss":2,"output":3}}',
          });
          return z.NEVER;
        }
      })
      .pipe(
        z.record(
          z.string().min(1),
          z.object(
            {
              input_hit: z.number().min(0),
              input_miss: z.number().min(0),
              output: z.number().min(0),
            },
            { error: 'expected {"input_hit","input_miss","output"} in CNY per million tokens' },
          ),
        ),
      ),
  ),

  SMTP_HOST: optional(z.string().trim().min(1)),
  SMTP_PORT: int(1, 65535).default(465),
  SMTP_USER: optional(z.string().trim()),
  SMTP_PASS: optional(z.string()),
  SMTP_FROM: optional(z.email({ error: 'expected an e-mail address' })),
  SMTP_FROM_NAME: z.string().trim().min(1).default('金融情报日报'),
  SMTP_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false'], { error: 'expected true or false' }).default('true'),

  JWT_SECRET_KEY: optional(z.string().min(16, { error: 'expected at least 16 characters' })),
  JWT_ALGORITHM: z.enum(['HS256'], { error: 'only HS256 is supported' }).default('HS256'),
  JWT_EXPIRE_DAYS: int(1, 365).default(7),

  CRAWL_CONCURRENCY_RSS: int(1, 100).default(10),
  CRAWL_CONCURRENCY_WEB: int(1, 20).default(2),
  CRAWL_PER_HOST_CONCURRENCY: int(1, 20).default(2),
  CRAWL_USER_AGENT: z.string().trim().min(1).default('finrep/0.1 (+https://github.com/finrep/finrep)'),
  CRAWL_TIMEOUT_SEC: num(1, 300).default(30),
  /** Seconds one source may take in all (list and article pages, retries); then it keeps what it has read. */
  CRAWL_SOURCE_BUDGET_SEC: num(5, 3600).default(120),
  /** Items kept per feed fetch, the newest (a feed's rules.maxItems wins). */
  CRAWL_FEED_MAX_ITEMS: int(1, 100_000).default(200),
  CHROMIUM_PATH: z.string().trim().min(1).default('/usr/bin/chromium'),
  /** Chromium is relaunched after a page once its processes hold more than this (MB, PSS: what a memory cgroup charges). */
  CHROMIUM_MAX_RSS_MB: int(128, 65_536).default(500),

  REPORT_TOPN: int(1, 50).default(5),
  REPORT_WINDOW_HOURS: int(1, 168).default(24),
  EDITION_CUTOFF: hhmm.default('06:00'),
  EDITION_DEADLINE: hhmm.default('06:15'),
  /** The editorial gate: a composed edition waits as a draft for an editor's approval (or its deadline). */
  REPORT_REVIEW: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false'),
  /** When an unapproved draft goes out as composed: `HH:MM` in TZ on the edition's date, or `<N>m` after compose. */
  REPORT_REVIEW_DEADLINE: z
    .string()
    .trim()
    .regex(/^(([01]\d|2[0-3]):[0-5]\d|\d{1,4}m)$/, {
      error: 'expected HH:MM (24 h) or minutes after compose, e.g. 30m',
    })
    .default('30m'),
  SCHEDULE_CRON: z.string().trim().default(DEFAULT_CRON).refine(validCron, {
    error: 'expected a cron expression of 5 fields (minute hour day month weekday), or 6 with seconds first',
  }),
  /** A scheduled edition missed while beat was down is caught up if beat starts within this many hours of it. */
  SCHEDULE_CATCHUP_HOURS: num(0, 48).default(6),
  /** When the intraday alert run collects and evaluates the alert rules (cron in TZ; "off" disables it). */
  ALERT_CRON: schedule('*/10 9-15 * * 1-5'),
  /** The alert run evaluates the stories first seen within this many hours (each pushed once per rule). */
  ALERT_LOOKBACK_HOURS: num(1, 168).default(24),
  /** Chat channels (their names in the channel store) operational alerts go to; empty: none (src/ops/alerts.ts). */
  OPS_ALERT_CHANNELS: z
    .string()
    .trim()
    .regex(/^([\p{L}\p{N}][\p{L}\p{N}._-]{0,63}(\s*,\s*[\p{L}\p{N}][\p{L}\p{N}._-]{0,63})*)?$/u, {
      error: 'expected comma-separated channel names such as ops-wecom,ops-feishu',
    })
    .default(''),
  /** Mail addresses operational alerts go to (comma-separated); empty: none. */
  OPS_ALERT_MAIL: z
    .string()
    .trim()
    .refine((v) => v === '' || v.split(',').every((a) => z.email().safeParse(a.trim()).success), {
      error: 'expected comma-separated e-mail addresses such as ops@example.com,oncall@example.com',
    })
    .default(''),
  /** When operational alerts are checked (cron in TZ; "off" disables the check). */
  OPS_ALERT_CRON: schedule('*/5 * * * *'),
  /** A source with no success for this many hours, failing since, raises an operational alert. */
  OPS_ALERT_SOURCE_HOURS: num(1, 720).default(24),
  /** LLM spend at this share of LLM_DAILY_BUDGET / LLM_MONTHLY_BUDGET raises an operational alert. */
  OPS_ALERT_BUDGET_RATIO: num(0.01, 1).default(0.8),

  /** Jobs a worker runs at once per stage queue (default: the stage limits above). */
  WORKER_CONCURRENCY: optional(int(1, 256)),
  /** A worker above this resident memory (MB) finishes its jobs and exits, for its supervisor to restart it. */
  WORKER_MAX_RSS_MB: int(128, 65_536).default(900),
  /** On SIGTERM a worker finishes its jobs within this many seconds, then hands the rest back to the queue. */
  WORKER_GRACE_SEC: num(0, 3600).default(30),
  /** A job is taken over from a worker that has not renewed its lock for this long (a crashed worker). */
  JOB_LOCK_SEC: num(2, 600).default(30),
  /** A command (`finrep run` with Redis) fails when Redis stays unreachable this long; workers and beat keep reconnecting. */
  REDIS_WAIT_SEC: num(1, 3600).default(20),
  /** Each check of `/healthz` that has not answered within this many milliseconds counts as failed. */
  HEALTH_CHECK_TIMEOUT_MS: int(50, 60_000).default(1000),
  /** With REDIS_URL, `/healthz` fails with fewer workers than this holding a fresh heartbeat (0: any number). */
  HEALTH_MIN_WORKERS: int(0, 10_000).default(1),
  /** `/healthz` fails when the data folder's disk has less free space than this many MB … */
  HEALTH_DISK_MIN_FREE_MB: int(0).default(512),
  /** … or less than this share of it free (%). */
  HEALTH_DISK_MIN_FREE_PERCENT: num(0, 100).default(5),
  PUBLIC_BASE_URL: optional(url(['http:', 'https:'])),

  MAIL_BATCH_LIMIT: int(1, 10_000).default(50),
  MAIL_RATE_LIMIT_PER_SEC: num(0.01, 1000).default(1),
  MAIL_MAX_ATTEMPTS: int(1, 20).default(5),
  /** Days a mail's 在线查看 (web view) link opens its edition without signing in; older links get a page saying so. */
  WEB_VIEW_LINK_DAYS: int(1, 3650).default(30),

  WEB_HOST: z.string().trim().min(1).default('0.0.0.0'),
  WEB_PORT: int(1, 65535).default(8000),
  // The web server (src/web): proxies, sign-in throttling, second factor.
  /** Which proxies' X-Forwarded-For to believe: false, true (any), a hop count, or comma-separated addresses/CIDRs. */
  WEB_TRUST_PROXY: z
    .string()
    .trim()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
      error: 'expected true, false, a hop count, or addresses/CIDRs such as 127.0.0.1,10.0.0.0/8',
    })
    .default('false'),
  /** Sign-in attempts per client address per minute (shared through Redis when REDIS_URL is set). */
  WEB_LOGIN_RATE_PER_MIN: int(1, 10_000).default(10),
  /** /api/v1 requests per minute per API token (per signed-in user, per address without credentials; shared through Redis). */
  API_RATE_LIMIT_PER_MIN: int(1, 1_000_000).default(300),
  /** Admins must have a TOTP second factor: one without it can only enrol after signing in. */
  AUTH_REQUIRE_2FA: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false'),

  // Metrics (src/ops/metrics*.ts): /metrics on the web server, METRICS_PORT on worker and beat.
  /** The bearer token Prometheus must send to /metrics; unset, /metrics answers only loopback and private networks. */
  METRICS_TOKEN: optional(z.string().trim().min(16, { error: 'expected at least 16 characters' })),
  /** Port of the /metrics listener of `finrep worker` and `finrep beat` (unset: none; the web server has its own). */
  METRICS_PORT: optional(int(1, 65535)),

  // Operations (src/ops): backups and data retention, both scheduled by beat / `finrep start` in TZ.
  /** Where `finrep backup` and the schedule write (default: FINREP_DATA_DIR/backups). */
  BACKUP_DIR: optional(z.string().trim().min(1)),
  /** When the scheduled backup runs (cron in TZ; "off" disables it). */
  BACKUP_SCHEDULE: schedule('0 7 * * *'),
  /** Backups older than this many days are deleted after each backup (the newest one is always kept). */
  BACKUP_RETENTION_DAYS: int(1, 36_500).default(30),
  /** When housekeeping purges old rows (cron in TZ; "off" disables it). */
  RETENTION_SCHEDULE: schedule('30 7 * * *'),
  /** Finished delivery_log rows older than this many days are purged. */
  RETENTION_DELIVERY_DAYS: int(1, 36_500).default(90),
  /** Articles first seen longer ago than this many days are purged, unless a report or a live story uses them. */
  RETENTION_ARTICLE_DAYS: int(1, 36_500).default(180),
});

export type Env = z.infer<typeof envSchema>;
