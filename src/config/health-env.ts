/**
 * The few settings `finrep health web|worker|beat` needs, read without the configuration schema: the probe
 * runs every 30 s inside each container's memory limit and must not load zod (nor the app). Same sources as
 * `loadConfig`: the environment first, then `.env`; `REDIS_URL_FILE` as for every secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';

/** Where the probe looks. */
export interface HealthProbeSettings {
  /** `http://host:port` of this container's web server (WEB_HOST, with 0.0.0.0 / :: asked on loopback). */
  webUrl: string;
  redisUrl: string | null;
  /** How long the probe waits for an answer (2 × HEALTH_CHECK_TIMEOUT_MS, default 2000 ms). */
  timeoutMs: number;
}

/** A setting the probe cannot use; its message names the variable. */
export class HealthEnvError extends Error {
  override name = 'HealthEnvError';
}

type RawEnv = Record<string, string | undefined>;

function merged(env: RawEnv, envFile: string | null): RawEnv {
  let fromFile: RawEnv = {};
  if (envFile && existsSync(envFile)) {
    try {
      fromFile = parseDotenv(readFileSync(envFile));
    } catch {
      throw new HealthEnvError(`.env: cannot read ${envFile}`);
    }
  }
  const out: RawEnv = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function redisUrlOf(raw: RawEnv): string | null {
  let url = raw.REDIS_URL?.trim() || null;
  if (raw.REDIS_URL_FILE) {
    if (url) throw new HealthEnvError('REDIS_URL_FILE: both REDIS_URL and REDIS_URL_FILE are set; use one');
    try {
      url = readFileSync(raw.REDIS_URL_FILE, 'utf8').trim() || null;
    } catch (err) {
      throw new HealthEnvError(
        `REDIS_URL_FILE: cannot read ${raw.REDIS_URL_FILE} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (url && !/^rediss?(\+sentinel)?:\/\//i.test(url))
    throw new HealthEnvError('REDIS_URL: expected a URL (redis:, rediss:, redis+sentinel: or rediss+sentinel:)');
  return url;
}

function intOf(raw: RawEnv, name: string, fallback: number, min: number, max: number): number {
  const v = raw[name]?.trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new HealthEnvError(`${name}: expected an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

/**
 * The probe's settings from `env` and `.env` in the working folder.
 * @example healthProbeSettings({ WEB_PORT: '8080' }, null).webUrl // 'http://127.0.0.1:8080'
 */
export function healthProbeSettings(
  env: RawEnv = process.env,
  envFile: string | null = path.resolve('.env'),
): HealthProbeSettings {
  const raw = merged(env, envFile);
  const port = intOf(raw, 'WEB_PORT', 8000, 1, 65535);
  const listen = raw.WEB_HOST?.trim() || '0.0.0.0';
  const host = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
  return {
    webUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    redisUrl: redisUrlOf(raw),
    timeoutMs: 2 * intOf(raw, 'HEALTH_CHECK_TIMEOUT_MS', 1000, 50, 60_000),
  };
}
