import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { envSchema, SECRET_VARS } from './schema.ts';
import type { Env } from './schema.ts';

export { envSchema, SECRET_VARS };

/** A configuration problem, reported to the operator as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${problem}`, options);
  }
}

/** An OpenAI-compatible provider as configured. */
export interface ProviderConfig {
  name: string;
  apiKey: string | null;
  baseUrl: string;
  model: string;
  /** Calls in flight at once (`PROVIDER_<NAME>_CONCURRENCY`, else `LLM_CONCURRENCY`). */
  concurrency: number;
  /** Requests per minute, 0 = no limit (`PROVIDER_<NAME>_RPM`, else `LLM_RPM`). */
  rpm: number;
}

/** A model's price in CNY per million tokens: prompt tokens served from the provider's cache, other prompt tokens, output. */
export interface ModelPrice {
  input_hit: number;
  input_miss: number;
  output: number;
}

/** The LLM chain's settings (DESIGN §2 extract). */
export interface LlmConfig {
  providers: ProviderConfig[];
  order: string[];
  timeoutSec: number;
  dailyBudget: number | null;
  monthlyBudget: number | null;
  /** Retries of one call on 429 / 5xx / timeouts / network errors. */
  maxRetries: number;
  /** Article text sent to a model is cut to this many characters. */
  maxInputChars: number;
  maxOutputTokens: number;
  breaker: { failures: number; cooldownSec: number };
  /** Price overrides by model (`LLM_PRICES`), merged over the built-in table. */
  prices: Record<string, ModelPrice>;
}

/** The typed, frozen configuration every component receives (only this module reads the environment). */
export interface Config {
  env: Env['ENV'];
  timeZone: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  databaseUrl: string | null;
  /** Connections of the PostgreSQL pool (`DATABASE_POOL_SIZE`). */
  databasePoolSize: number;
  redisUrl: string | null;
  llm: LlmConfig;
  smtp: {
    host: string | null;
    port: number;
    secure: boolean;
    user: string | null;
    pass: string | null;
    from: string;
    fromName: string;
    rejectUnauthorized: boolean;
  };
  jwt: { secretKey: string | null; algorithm: 'HS256'; expireDays: number };
  crawl: {
    concurrencyRss: number;
    sourceBudgetSec: number;
    feedMaxItems: number;
    concurrencyWeb: number;
    perHostConcurrency: number;
    userAgent: string;
    timeoutSec: number;
    chromiumPath: string;
    chromiumMaxRssMb: number;
  };
  report: {
    topN: number;
    windowHours: number;
    cutoff: string;
    deadline: string;
    /** REPORT_REVIEW and REPORT_REVIEW_DEADLINE: the editorial gate (pipeline/phases/review.ts). */
    review: { enabled: boolean; deadline: string };
    cron: string;
    publicBaseUrl: string | null;
  };
  mail: { batchLimit: number; ratePerSec: number; maxAttempts: number; webViewLinkDays: number };
  web: {
    host: string;
    port: number;
    /** fastify's `trustProxy`: false, true, a hop count, or the trusted addresses. */
    trustProxy: boolean | number | string[];
    loginRatePerMin: number;
    /** API_RATE_LIMIT_PER_MIN (src/web/api-rate-limit.ts). */
    apiRatePerMin: number;
    requireAdmin2fa: boolean;
  };
  /** `/healthz` (src/ops/health.ts): each check's deadline and what counts as healthy. */
  health: { checkTimeoutMs: number; minWorkers: number; diskMinFreeMb: number; diskMinFreePercent: number };
  jobs: {
    workerConcurrency: number | null;
    maxRssMb: number;
    graceSec: number;
    lockSec: number;
    catchupHours: number;
    redisWaitSec: number;
  };
  /** Prometheus metrics: the bearer token /metrics requires (null: private networks only) and the worker/beat port. */
  metrics: { token: string | null; port: number | null };
  /** Intraday alerts (src/alerts): the run's schedule (cron in `timeZone`, null when off) and its look-back. */
  alerts: { cron: string | null; lookbackHours: number };
  /**
   * Operational alerts (src/ops/alerts.ts): the channels (by name) and mail addresses they go to, the
   * check's schedule (null when off), and when a source failing and the LLM spend count.
   */
  opsAlerts: { channels: string[]; mail: string[]; cron: string | null; sourceHours: number; budgetRatio: number };
  /** Backups and data retention (src/ops); a schedule is a cron in `timeZone`, or null when turned off. */
  ops: {
    backupDir: string;
    backupSchedule: string | null;
    backupRetentionDays: number;
    retentionSchedule: string | null;
    deliveryRetentionDays: number;
    articleRetentionDays: number;
  };
}

type RawEnv = Record<string, string | undefined>;

/** Reads `.env` (when present) under the real environment: variables already set win. */
export function readEnvFile(file: string): RawEnv {
  if (!existsSync(file)) return {};
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    throw new ConfigError('.env', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Resolves `NAME_FILE` for every secret; a value given both ways, or an unreadable file, is an error. */
function resolveSecretFiles(raw: RawEnv): RawEnv {
  const out = { ...raw };
  for (const name of SECRET_VARS) {
    const file = raw[`${name}_FILE`];
    if (!file) continue;
    if (raw[name]) throw new ConfigError(`${name}_FILE`, `both ${name} and ${name}_FILE are set; use one`);
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(`${name}_FILE`, `cannot read ${file} (${code})`, { cause: err });
    }
  }
  return out;
}

/**
 * Parses and validates the configuration once: environment first, then `.env`, then defaults.
 * @example const config = loadConfig(process.env, { envFile: '.env' });
 */
export function loadConfig(env: RawEnv = process.env, opts: { envFile?: string | null } = {}): Config {
  const fromFile = opts.envFile === null ? {} : readEnvFile(opts.envFile ?? path.resolve('.env'));
  const merged: RawEnv = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const resolved = resolveSecretFiles(merged);
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, resolved[k]]));
  const result = envSchema.safeParse(known);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'config');
    const secret = (SECRET_VARS as readonly string[]).includes(variable);
    const got = secret || known[variable] === undefined ? '' : ` (got ${JSON.stringify(known[variable])})`;
    throw new ConfigError(variable, `${issue.message}${got}`);
  }
  return Object.freeze(toConfig(result.data, resolved));
}

function toConfig(e: Env, raw: RawEnv): Config {
  const presets: Omit<ProviderConfig, 'concurrency' | 'rpm'>[] = [
    {
      name: 'deepseek',
      apiKey: e.PROVIDER_DEEPSEEK_API_KEY ?? null,
      baseUrl: e.PROVIDER_DEEPSEEK_BASE_URL,
      model: e.PROVIDER_DEEPSEEK_MODEL,
    },
    {
      name: 'qwen',
      apiKey: e.PROVIDER_QWEN_API_KEY ?? null,
      baseUrl: e.PROVIDER_QWEN_BASE_URL,
      model: e.PROVIDER_QWEN_MODEL,
    },
  ];
  const order = e.LLM_PROVIDERS.split(',');
  const providers = order.map((name) => ({
    ...(presets.find((p) => p.name === name) ?? extraProvider(name, raw)),
    concurrency: providerInt(raw, name, 'CONCURRENCY', e.LLM_CONCURRENCY, 1, 256),
    rpm: providerInt(raw, name, 'RPM', e.LLM_RPM, 0, 1_000_000),
  }));
  if (e.ENV === 'production' && !e.JWT_SECRET_KEY) {
    throw new ConfigError('JWT_SECRET_KEY', 'required when ENV=production (at least 16 random characters)');
  }
  return {
    env: e.ENV,
    timeZone: e.TZ,
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.FINREP_DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? postgresUrl(e),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL ?? null,
    llm: {
      providers,
      order,
      timeoutSec: e.LLM_TIMEOUT_SEC,
      dailyBudget: e.LLM_DAILY_BUDGET ?? null,
      monthlyBudget: e.LLM_MONTHLY_BUDGET ?? null,
      maxRetries: e.LLM_MAX_RETRIES,
      maxInputChars: e.LLM_MAX_INPUT_CHARS,
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      breaker: { failures: e.LLM_BREAKER_FAILURES, cooldownSec: e.LLM_BREAKER_COOLDOWN_SEC },
      prices: e.LLM_PRICES ?? {},
    },
    smtp: {
      host: e.SMTP_HOST ?? null,
      port: e.SMTP_PORT,
      secure: e.SMTP_PORT === 465,
      user: e.SMTP_USER || null,
      pass: e.SMTP_PASS ?? null,
      from: e.SMTP_FROM ?? (e.SMTP_USER?.includes('@') ? e.SMTP_USER : 'finrep@localhost'),
      fromName: e.SMTP_FROM_NAME,
      rejectUnauthorized: e.SMTP_TLS_REJECT_UNAUTHORIZED === 'true',
    },
    jwt: { secretKey: e.JWT_SECRET_KEY ?? null, algorithm: e.JWT_ALGORITHM, expireDays: e.JWT_EXPIRE_DAYS },
    crawl: {
      concurrencyRss: e.CRAWL_CONCURRENCY_RSS,
      sourceBudgetSec: e.CRAWL_SOURCE_BUDGET_SEC,
      feedMaxItems: e.CRAWL_FEED_MAX_ITEMS,
      concurrencyWeb: e.CRAWL_CONCURRENCY_WEB,
      perHostConcurrency: e.CRAWL_PER_HOST_CONCURRENCY,
      userAgent: e.CRAWL_USER_AGENT,
      timeoutSec: e.CRAWL_TIMEOUT_SEC,
      chromiumPath: e.CHROMIUM_PATH,
      chromiumMaxRssMb: e.CHROMIUM_MAX_RSS_MB,
    },
    report: {
      topN: e.REPORT_TOPN,
      windowHours: e.REPORT_WINDOW_HOURS,
      cutoff: e.EDITION_CUTOFF,
      deadline: e.EDITION_DEADLINE,
      review: { enabled: e.REPORT_REVIEW === 'true', deadline: e.REPORT_REVIEW_DEADLINE },
      cron: e.SCHEDULE_CRON,
      publicBaseUrl: e.PUBLIC_BASE_URL ?? null,
    },
    mail: {
      batchLimit: e.MAIL_BATCH_LIMIT,
      ratePerSec: e.MAIL_RATE_LIMIT_PER_SEC,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      webViewLinkDays: e.WEB_VIEW_LINK_DAYS,
    },
    web: {
      host: e.WEB_HOST,
      port: e.WEB_PORT,
      trustProxy: trustProxy(e.WEB_TRUST_PROXY),
      loginRatePerMin: e.WEB_LOGIN_RATE_PER_MIN,
      apiRatePerMin: e.API_RATE_LIMIT_PER_MIN,
      requireAdmin2fa: e.AUTH_REQUIRE_2FA === 'true',
    },
    health: {
      checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
      minWorkers: e.HEALTH_MIN_WORKERS,
      diskMinFreeMb: e.HEALTH_DISK_MIN_FREE_MB,
      diskMinFreePercent: e.HEALTH_DISK_MIN_FREE_PERCENT,
    },
    jobs: {
      workerConcurrency: e.WORKER_CONCURRENCY ?? null,
      maxRssMb: e.WORKER_MAX_RSS_MB,
      graceSec: e.WORKER_GRACE_SEC,
      lockSec: e.JOB_LOCK_SEC,
      catchupHours: e.SCHEDULE_CATCHUP_HOURS,
      redisWaitSec: e.REDIS_WAIT_SEC,
    },
    metrics: { token: e.METRICS_TOKEN ?? null, port: e.METRICS_PORT ?? null },
    alerts: { cron: e.ALERT_CRON === 'off' ? null : e.ALERT_CRON, lookbackHours: e.ALERT_LOOKBACK_HOURS },
    opsAlerts: {
      channels: list(e.OPS_ALERT_CHANNELS),
      mail: list(e.OPS_ALERT_MAIL),
      cron: e.OPS_ALERT_CRON === 'off' ? null : e.OPS_ALERT_CRON,
      sourceHours: e.OPS_ALERT_SOURCE_HOURS,
      budgetRatio: e.OPS_ALERT_BUDGET_RATIO,
    },
    ops: {
      backupDir: path.resolve(e.BACKUP_DIR ?? path.join(e.FINREP_DATA_DIR, 'backups')),
      backupSchedule: e.BACKUP_SCHEDULE === 'off' ? null : e.BACKUP_SCHEDULE,
      backupRetentionDays: e.BACKUP_RETENTION_DAYS,
      retentionSchedule: e.RETENTION_SCHEDULE === 'off' ? null : e.RETENTION_SCHEDULE,
      deliveryRetentionDays: e.RETENTION_DELIVERY_DAYS,
      articleRetentionDays: e.RETENTION_ARTICLE_DAYS,
    },
  };
}

/**
 * `DATABASE_URL` built from `POSTGRES_HOST`, `POSTGRES_PORT`, `POSTGRES_USER` (default postgres), `POSTGRES_DB`
 * (default: the user, as the postgres image does) and `POSTGRES_PASSWORD(_FILE)`, so that the database container
 * and finrep read one secret; null without `POSTGRES_HOST` (the embedded database).
 */
function postgresUrl(e: Env): string | null {
  if (!e.POSTGRES_HOST) return null;
  const user = e.POSTGRES_USER || 'postgres';
  const auth = encodeURIComponent(user) + (e.POSTGRES_PASSWORD ? `:${encodeURIComponent(e.POSTGRES_PASSWORD)}` : '');
  const host = e.POSTGRES_HOST.includes(':') ? `[${e.POSTGRES_HOST}]` : e.POSTGRES_HOST;
  return `postgresql://${auth}@${host}:${e.POSTGRES_PORT}/${encodeURIComponent(e.POSTGRES_DB || user)}`;
}

/** A comma-separated list, its items trimmed, empty ones dropped. */
function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function trustProxy(v: string): boolean | number | string[] {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((a) => a.trim());
}

/** `PROVIDER_<NAME>_<KEY>` as an integer in [min, max], or the chain-wide default. */
function providerInt(raw: RawEnv, name: string, key: string, fallback: number, min: number, max: number): number {
  const variable = `PROVIDER_${name.toUpperCase()}_${key}`;
  const v = raw[variable]?.trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new ConfigError(variable, `expected an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

/** A provider other than the presets, configured by `PROVIDER_<NAME>_BASE_URL | MODEL | API_KEY(_FILE)`. */
function extraProvider(name: string, raw: RawEnv): Omit<ProviderConfig, 'concurrency' | 'rpm'> {
  const prefix = `PROVIDER_${name.toUpperCase()}_`;
  const baseUrl = raw[`${prefix}BASE_URL`];
  const model = raw[`${prefix}MODEL`];
  if (!baseUrl) throw new ConfigError(`${prefix}BASE_URL`, `required because LLM_PROVIDERS names "${name}"`);
  try {
    new URL(baseUrl);
  } catch {
    throw new ConfigError(`${prefix}BASE_URL`, 'expected a URL (http: or https:)');
  }
  if (!model) throw new ConfigError(`${prefix}MODEL`, `required because LLM_PROVIDERS names "${name}"`);
  const keyFile = raw[`${prefix}API_KEY_FILE`];
  let apiKey = raw[`${prefix}API_KEY`] ?? null;
  if (keyFile) {
    try {
      apiKey = readFileSync(keyFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `${prefix}API_KEY_FILE`,
        `cannot read ${keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
  }
  return { name, apiKey, baseUrl, model };
}

/** The configuration with every secret replaced, safe to log or show. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const mask = (v: string | null) => (v ? '[redacted]' : null);
  return {
    ...config,
    databaseUrl: mask(config.databaseUrl),
    redisUrl: mask(config.redisUrl),
    llm: { ...config.llm, providers: config.llm.providers.map((p) => ({ ...p, apiKey: mask(p.apiKey) })) },
    smtp: { ...config.smtp, pass: mask(config.smtp.pass) },
    jwt: { ...config.jwt, secretKey: mask(config.jwt.secretKey) },
    metrics: { ...config.metrics, token: mask(config.metrics.token) },
  };
}
