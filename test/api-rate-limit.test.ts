/**
 * The JSON API's rate limit (API_RATE_LIMIT_PER_MIN, src/web/api-rate-limit.ts) on the real server
 * (127.0.0.1): one count per API token across every /api/v1 route, another per address for callers without
 * (valid) credentials, 429 with Retry-After and the x-ratelimit-* headers once over it, console pages never
 * counted — in process memory with one server, and in Redis with two servers sharing one count (a private
 * redis-server, so no other test's keys are in the way).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const LIMIT = 5;
const PASSWORD = 'correct horse battery';

async function call(base: string, path: string, token: string | null) {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text };
}

async function token(database: TestDatabase, name: string): Promise<string> {
  const t = newApiToken();
  await createApiToken(database.db, { name, role: 'viewer', tokenHash: t.hash, prefix: t.prefix, createdBy: 'test' });
  return t.token;
}

describe(`API rate limit, one server, process memory (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  const tokens: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    tokens.push(await token(database, 'first'), await token(database, 'second'));
    await addUser(database.db, 'viewer@example.com', 'viewer', PASSWORD);
    ({ app, base } = await startTestServer(database.db, webConfig({ API_RATE_LIMIT_PER_MIN: String(LIMIT) })));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('counts one token across every /api/v1 route, then answers 429 with Retry-After and the limit headers', async () => {
    const paths = ['/api/v1/runs', '/api/v1/sources', '/api/v1/reports', '/api/v1/recipients', '/api/v1/runs'];
    const under = [];
    for (const p of paths) under.push(await call(base, p, tokens[0]!));
    expect(under.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(under.map((r) => r.headers.get('x-ratelimit-limit'))).toEqual(Array(LIMIT).fill(String(LIMIT)));
    expect(under.map((r) => Number(r.headers.get('x-ratelimit-remaining')))).toEqual([4, 3, 2, 1, 0]);

    const over = await call(base, '/api/v1/sources', tokens[0]!);
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(over.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
    const body = JSON.parse(over.body) as { error: string; message: string };
    expect(body.error).toBe('too_many_requests');
    expect(body.message).toMatch(/retry in \d+ s/);

    // Another token has its own count.
    expect((await call(base, '/api/v1/runs', tokens[1]!)).status).toBe(200);
  });

  it('counts callers without valid credentials per address: made-up tokens buy no fresh allowance', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const forged = i % 2 ? null : `frp_madeup${i}${'x'.repeat(30)}`;
      statuses.push((await call(base, '/api/v1/runs', forged)).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429, 429]);
    // The token callers from the same address are counted apart.
    expect((await call(base, '/api/v1/runs', tokens[1]!)).status).toBe(200);
  });

  it('does not count console pages, nor a signed-in user’s pages against the API', async () => {
    const viewer = new Client(base);
    expect((await viewer.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
    for (let i = 0; i < LIMIT * 3; i++) {
      const page = await viewer.get('/sources');
      expect(page.status).toBe(200);
      expect(page.headers.get('x-ratelimit-limit')).toBeNull();
    }
    // The API documentation is a page too (its JSON form lists the 429 every route may give).
    for (let i = 0; i < LIMIT + 1; i++) expect((await viewer.get('/api/docs/json')).status).toBe(200);
    const doc = JSON.parse((await viewer.get('/api/docs/json')).text) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    expect(Object.keys(doc.paths['/api/v1/runs']!.get!.responses['429']!.headers!)).toContain('retry-after');
    expect(doc.paths['/api/v1/runs']!.post!.responses['429']).toBeDefined();
    // The session's own API calls are counted per user: the limit, then 429.
    const statuses = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await viewer.get('/api/v1/runs')).status);
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429]);
  });
});

describe(`API rate limit, two servers sharing Redis (${TEST_DB})`, () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  const servers: { app: FastifyInstance; base: string }[] = [];
  let tok = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    tok = await token(database, 'shared');
    redis = await privateRedis();
    const config = webConfig({ API_RATE_LIMIT_PER_MIN: String(LIMIT), REDIS_URL: redis.url(0) });
    for (let i = 0; i < 2; i++) servers.push(await startTestServer(database.db, config));
  });
  afterAll(async () => {
    for (const s of servers) await s.app.close();
    await redis?.kill();
    await database?.drop();
  });

  it('one token has one count across both instances', async () => {
    const answers = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const r = await call(servers[i % 2]!.base, '/api/v1/runs', tok);
      answers.push({ instance: i % 2, status: r.status, remaining: r.headers.get('x-ratelimit-remaining') });
    }
    // 3 calls on the first, 2 on the second: under the limit on either alone, at it together.
    expect(answers.map((a) => a.status)).toEqual([...Array(LIMIT).fill(200), 429, 429]);
    expect(answers.slice(0, LIMIT).map((a) => a.remaining)).toEqual(['4', '3', '2', '1', '0']);
    const over = await call(servers[1]!.base, '/api/v1/sources', tok);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps the count in Redis, one key per caller (not per route)', async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url(0));
    try {
      const keys = await r.keys('finrep:web:rl:*');
      const apiKeys = keys.filter((k) => k.includes('api:'));
      expect(apiKeys).toHaveLength(1);
      expect(apiKeys[0]).toMatch(/api:token:\d+$/);
      expect(Number(await r.get(apiKeys[0]!))).toBe(LIMIT + 3);
    } finally {
      r.disconnect();
    }
  });

  it('answers when Redis is gone (the limit fails open, as the sign-in limit does)', async () => {
    await redis.kill();
    const r = await call(servers[0]!.base, '/api/v1/runs', tok);
    expect(r.status).toBe(200);
  });
});
