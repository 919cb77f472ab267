/**
 * `finrep health web|worker|beat`: a container's HEALTHCHECK, asking whether *that* process works — the web
 * server's `/livez`, a worker's or beat's heartbeat in Redis — so one dead worker never marks web unhealthy.
 * Small on purpose (plain `http` and a RESP client; no fastify, drizzle, ioredis or zod): it runs every 30 s
 * inside beat's 256 MB.
 */
import http from 'node:http';
import { hostname } from 'node:os';
import type { HealthProbeSettings } from '../config/health-env.ts';
import {
  BEAT_HEARTBEAT_KEY,
  WORKER_HEARTBEAT_PREFIX,
  ageSec,
  globEscape,
  parseBeatHeartbeat,
  parseWorkerHeartbeat,
} from './heartbeats.ts';
import type { WorkerHeartbeat } from './heartbeats.ts';
import { connectRedis } from './redis-probe.ts';
import type { RedisProbe, RespValue } from './redis-probe.ts';

/** The probe's verdict: exit 0 when `ok`, and one line for the operator (or Docker's health log). */
export interface ProbeResult {
  ok: boolean;
  line: string;
}

export type ProbeRole = 'web' | 'worker' | 'beat';

/** Which worker(s) `finrep health worker` accepts. */
export interface WorkerSelector {
  /** A worker id (`host:pid`) or a host: only that worker's heartbeat counts. Default: this host's. */
  id?: string;
  /** Any worker with a fresh heartbeat (a probe run from outside the worker's container). */
  any?: boolean;
}

/** `GET /livez` on this container's web server: 200 within the timeout. */
export function probeWeb(settings: HealthProbeSettings): Promise<ProbeResult> {
  const url = `${settings.webUrl}/livez`;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: settings.timeoutMs, headers: { 'user-agent': 'finrep-health' } }, (res) => {
      res.resume();
      const ms = Math.round(performance.now() - t0);
      const ok = res.statusCode === 200;
      resolve({ ok, line: `web: ${ok ? 'ok' : 'down'} (${url} answered ${res.statusCode} in ${ms} ms)` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, line: `web: down (${url}: ${err.message})` }));
  });
}

async function withRedis(
  role: ProbeRole,
  settings: HealthProbeSettings,
  fn: (redis: RedisProbe) => Promise<ProbeResult>,
): Promise<ProbeResult> {
  if (!settings.redisUrl) return { ok: false, line: `${role}: REDIS_URL is not set (the ${role} runs on Redis)` };
  let redis: RedisProbe | null = null;
  try {
    redis = await connectRedis(settings.redisUrl, settings.timeoutMs);
    return await fn(redis);
  } catch (err) {
    return { ok: false, line: `${role}: cannot read its heartbeat from Redis (${(err as Error).message})` };
  } finally {
    redis?.close();
  }
}

const strings = (v: RespValue): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

async function scan(redis: RedisProbe, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const reply = await redis.command('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
    const [next, batch] = Array.isArray(reply) ? reply : ['0', []];
    keys.push(...strings(batch as RespValue));
    cursor = typeof next === 'string' ? next : '0';
  } while (cursor !== '0');
  return keys;
}

function describeWorker(w: WorkerHeartbeat, now: Date): string {
  const age = ageSec(w.at, now);
  return `${w.worker}${age === null ? '' : `, heartbeat ${age} s ago`}${w.activeJobs === null ? '' : `, ${w.activeJobs} active job(s)`}`;
}

/**
 * A worker's fresh heartbeat: this host's worker by default (a worker container's hostname is in its id),
 * the given id or host with `id`, any worker with `any`.
 */
export function probeWorker(settings: HealthProbeSettings, select: WorkerSelector = {}): Promise<ProbeResult> {
  return withRedis('worker', settings, async (redis) => {
    const who = select.any ? null : (select.id ?? hostname());
    const pattern = who
      ? `${WORKER_HEARTBEAT_PREFIX}${globEscape(who)}${who.includes(':') ? '' : ':*'}`
      : `${WORKER_HEARTBEAT_PREFIX}*`;
    const keys = await scan(redis, pattern);
    if (keys.length === 0)
      return {
        ok: false,
        line: `worker: down (no fresh heartbeat${who ? ` from ${who}` : ''} in Redis)`,
      };
    const listed = keys.slice(0, 50);
    const values = await redis.command('MGET', ...listed);
    const now = new Date();
    const beats = listed.map((k, i) => {
      const v = Array.isArray(values) ? values[i] : null;
      return parseWorkerHeartbeat(k, typeof v === 'string' ? v : null);
    });
    const shown = beats.slice(0, 3).map((w) => describeWorker(w, now));
    const more = keys.length > shown.length ? ` and ${keys.length - shown.length} more` : '';
    return { ok: true, line: `worker: ok (${shown.join('; ')}${more})` };
  });
}

/** Beat's fresh heartbeat: its last tick and the next scheduled edition. */
export function probeBeat(settings: HealthProbeSettings): Promise<ProbeResult> {
  return withRedis('beat', settings, async (redis) => {
    const raw = await redis.command('GET', BEAT_HEARTBEAT_KEY);
    const beat = parseBeatHeartbeat(typeof raw === 'string' ? raw : null);
    if (!beat) return { ok: false, line: 'beat: down (no fresh heartbeat in Redis)' };
    const age = ageSec(beat.at, new Date());
    const next = beat.next ? `, next edition at ${beat.next.toISOString()}` : '';
    return { ok: true, line: `beat: ok (last tick ${age === null ? '?' : `${age} s`} ago${next})` };
  });
}
