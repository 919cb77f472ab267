/**
 * The JSON API on the real server (127.0.0.1): bearer tokens and their roles (a viewer reads, gets 403 on every
 * change), a revoked token 401, a session's change without its CSRF token 403, the CLI's source validator
 * answering 400 with the same words, and the OpenAPI 3.1 document generated from the routes' schemas.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken } from '../src/db/queries/api-tokens.ts';
import { editionsQ, runsQ } from '../src/db/queries/index.ts';
import { SCHEDULED_TRIGGERS } from '../src/jobs/edition-job.ts';
import { BullQueue, redisConnection } from '../src/jobs/bullmq.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

describe(`JSON API /api/v1 (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<'admin' | 'viewer' | 'revoked', string> = { admin: '', viewer: '', revoked: '' };

  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      redirect: 'manual',
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const [name, role] of [
      ['admin', 'admin'],
      ['viewer', 'viewer'],
      ['revoked', 'admin'],
    ] as const) {
      const t = newApiToken();
      const row = await createApiToken(database.db, {
        name,
        role,
        tokenHash: t.hash,
        prefix: t.prefix,
        createdBy: 'test',
      });
      if (name === 'revoked') await revokeApiToken(database.db, row.id);
      tokens[name] = t.token;
    }
    await addUser(database.db, 'admin@example.com', 'admin', 'correct horse battery');
    ({ app, base } = await startTestServer(database.db, webConfig()));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const feed = { kind: 'rss', name: '测试财经', url: 'https://example.com/feed.xml' };
  const changes = [
    ['POST', '/api/v1/sources', feed],
    ['PUT', '/api/v1/sources/1', feed],
    ['DELETE', '/api/v1/sources/1', undefined],
    ['POST', '/api/v1/recipients', { email: 'a@example.com' }],
    ['PATCH', '/api/v1/recipients/1', { enabled: false }],
    ['POST', '/api/v1/runs', {}],
  ] as const;

  it('without credentials every /api/v1 route answers 401; a revoked token too', async () => {
    for (const path of ['/api/v1/sources', '/api/v1/recipients', '/api/v1/reports', '/api/v1/runs', '/api/docs/json'])
      expect((await call('GET', path, null)).status).toBe(401);
    for (const [method, path, body] of changes) expect((await call(method, path, null, body)).status).toBe(401);
    expect((await call('GET', '/api/v1/sources', tokens.revoked)).status).toBe(401);
  });

  it('an admin token adds, reads, replaces and deletes a source; bad input gets the CLI validator words', async () => {
    const bad = await call('POST', '/api/v1/sources', tokens.admin, {
      kind: 'web',
      name: 'x',
      url: 'javascript:alert(1)',
      rules: { itemSelector: 'a[', titelSelector: 'h1' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json!.issues).toEqual(
      expect.arrayContaining([
        { path: ['url'], message: 'must be an absolute http(s) URL' },
        { path: ['rules', 'titelSelector'], message: 'unknown field' },
        expect.objectContaining({
          path: ['rules', 'itemSelector'],
          message: expect.stringMatching(/^not a CSS selector/),
        }),
      ]),
    );
    const created = await call('POST', '/api/v1/sources', tokens.admin, { ...feed, key: 'feed' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ key: 'feed', kind: 'rss', enabled: true, weight: 1 });
    expect((await call('POST', '/api/v1/sources', tokens.admin, { ...feed, key: 'feed' })).status).toBe(409);
    const id = created.json!.id as number;
    const put = await call('PUT', `/api/v1/sources/${id}`, tokens.admin, { ...feed, enabled: false, weight: 2 });
    expect(put.json).toMatchObject({ id, key: 'feed', enabled: false, weight: 2 });
    expect((await call('GET', `/api/v1/sources/${id}`, tokens.viewer)).json).toMatchObject({ id, enabled: false });
    expect((await call('DELETE', `/api/v1/sources/${id}`, tokens.admin)).status).toBe(204);
    expect((await call('GET', `/api/v1/sources/${id}`, tokens.admin)).status).toBe(404);
  });

  it('a viewer token reads everything and gets 403 on every change', async () => {
    for (const path of ['/api/v1/sources', '/api/v1/recipients', '/api/v1/reports', '/api/v1/runs'])
      expect((await call('GET', path, tokens.viewer)).status).toBe(200);
    for (const [method, path, body] of changes)
      expect((await call(method, path, tokens.viewer, body)).status).toBe(403);
  });

  it('recipients: the import address check, merge on add, patch', async () => {
    expect((await call('POST', '/api/v1/recipients', tokens.admin, { email: 'not an address' })).status).toBe(400);
    const a = await call('POST', '/api/v1/recipients', tokens.admin, {
      email: 'Zhang@Example.com',
      name: '张三',
      groups: ['研究部'],
    });
    expect(a.json).toMatchObject({
      email: 'zhang@example.com',
      groups: ['研究部'],
      enabled: true,
      unsubscribed: false,
    });
    const b = await call('POST', '/api/v1/recipients', tokens.admin, {
      email: 'zhang@example.com',
      groups: ['投资部'],
    });
    expect(b.json).toMatchObject({ name: '张三', groups: ['投资部', '研究部'] });
    const p = await call('PATCH', `/api/v1/recipients/${a.json!.id as number}`, tokens.admin, { enabled: false });
    expect(p.json).toMatchObject({ enabled: false });
  });

  it('runs: without REDIS_URL a start says what is missing (503); reads work', async () => {
    const r = await call('POST', '/api/v1/runs', tokens.admin, { date: '2025-11-10' });
    expect(r.status).toBe(503);
    expect(r.json!.message).toMatch(/REDIS_URL/);
    expect((await call('POST', '/api/v1/runs', tokens.admin, { date: '2025-13-40' })).status).toBe(400);
    expect((await call('GET', '/api/v1/runs/999', tokens.viewer)).status).toBe(404);
  });

  it('a session change without its CSRF token gets 403, with it goes through', async () => {
    const client = new Client(base);
    expect((await client.signIn('admin@example.com', 'correct horse battery')).status).toBe(303);
    const body = JSON.stringify({ email: 'li@example.com' });
    const cookie = () => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const without = await fetch(`${base}/api/v1/recipients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie() },
      body,
    });
    expect(without.status).toBe(403);
    const csrf = await client.csrf('/account');
    const res = await fetch(`${base}/api/v1/recipients`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        cookie: cookie(),
      },
      body,
    });
    expect(res.status).toBe(200);
  });

  it('OpenAPI 3.1 at /api/docs/json, generated from the route schemas', async () => {
    const doc = (await call('GET', '/api/docs/json', tokens.viewer)).json as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sources',
        '/api/v1/sources/{id}',
        '/api/v1/recipients',
        '/api/v1/reports/{date}',
        '/api/v1/deliveries',
        '/api/v1/runs',
        '/api/v1/runs/{id}/events',
      ]),
    );
    expect(Object.keys(doc.paths).some((p) => !p.startsWith('/api/v1'))).toBe(false);
    const body = doc.paths['/api/v1/sources']!.post!.requestBody!.content['application/json']!.schema;
    expect(JSON.stringify(body)).toContain('itemSelector');
  });
});

describe(`POST /api/v1/runs queues on Redis and answers at once (${TEST_DB})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let redis: PrivateRedis;
  let token: string;

  beforeAll(async () => {
    redis = await privateRedis(); // a Redis of its own: the shared one belongs to other suites
    database = await createTestDatabase();
    const t = newApiToken();
    await createApiToken(database.db, {
      name: 'ci',
      role: 'admin',
      tokenHash: t.hash,
      prefix: t.prefix,
      createdBy: 'test',
    });
    token = t.token;
    ({ app, base } = await startTestServer(database.db, webConfig({ REDIS_URL: redis.url() })));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await redis?.kill();
  });

  it('records the run, queues the edition job, and returns 202 without a worker', async () => {
    const res = await fetch(`${base}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ date: '2025-11-10', dry_run: true }),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { run_id: number; job_id: string; status: string };
    expect(body).toMatchObject({ status: 'queued', job_id: `e2025-11-10-r${body.run_id}` });
    expect(res.headers.get('location')).toBe(`/api/v1/runs/${body.run_id}`);
    const run = await fetch(`${base}/api/v1/runs/${body.run_id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(await run.json()).toMatchObject({ id: body.run_id, trigger: 'api', status: 'running' });
    const queue = new BullQueue(redisConnection(redis.url()));
    try {
      const [state] = await queue.states('edition', [body.job_id]);
      expect(state?.status).toBe('pending');
    } finally {
      await queue.close();
    }
  });

  const post = (date: string) =>
    fetch(`${base}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ date, dry_run: true }),
    });
  const editionId = async (date: string) =>
    (await editionsQ.ensureEdition(database.db, date, new Date(`${date}T00:00:00Z`), new Date(`${date}T01:00:00Z`))).id;

  it('the schedule does not start an edition an API run is running, nor the API one the schedule runs', async () => {
    // An API run of 2025-11-11, still running (no worker here): the scheduled fire of that edition is skipped…
    const first = (await (await post('2025-11-11')).json()) as { run_id: number };
    const claimed = await runsQ.claimScheduledRun(
      database.db,
      await editionId('2025-11-11'),
      'schedule',
      SCHEDULED_TRIGGERS,
      'j1',
    );
    expect(claimed).toBeNull();
    // …and a second start through the API is refused, naming the run.
    const again = await post('2025-11-11');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conflict', run_id: first.run_id });
    expect(again.headers.get('location')).toBe(`/api/v1/runs/${first.run_id}`);

    // The schedule's run of 2025-11-12 is running: the API refuses to start it beside it.
    const scheduled = await runsQ.claimScheduledRun(
      database.db,
      await editionId('2025-11-12'),
      'schedule',
      SCHEDULED_TRIGGERS,
      'j2',
    );
    expect(scheduled).not.toBeNull();
    const beside = await post('2025-11-12');
    expect(beside.status).toBe(409);
    expect(await beside.json()).toMatchObject({ run_id: scheduled });

    // Once that run has ended, a manual start runs the edition again.
    await runsQ.finishRun(database.db, scheduled!, 'ok', {}, null);
    expect((await post('2025-11-12')).status).toBe(202);
  });
});
