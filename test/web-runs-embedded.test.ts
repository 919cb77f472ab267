/**
 * `POST /api/v1/runs` in the embedded shape (`finrep start`, no Redis): the server built with the in-process
 * edition starter puts a real edition on the embedded process's own queue (PGlite/PostgreSQL, the whole
 * pipeline, a dry run with no sources), answers 202 with the run to follow, refuses a second start of the
 * same edition while it runs (409 naming the run), and starts it again once the run has finished.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/db/queries/api-tokens.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { newApiToken } from '../src/web/auth/api-tokens.ts';
import { inProcessEditionStarter } from '../src/web/edition-starter.ts';
import { buildServer } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { SECRET, webConfig } from './helpers/web.ts';

describe(`POST /api/v1/runs in the embedded process (${TEST_DB})`, () => {
  let database: TestDatabase;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let app: FastifyInstance;
  let base: string;
  let token: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-web-runs-'));

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // No REDIS_URL: without the starter this route answers 503.
    const config = webConfig({ FINREP_DATA_DIR: dataDir, SCHEDULE_CATCHUP_HOURS: '0' });
    expect(config.redisUrl).toBeFalsy();
    const log = silentLogger();
    embedded = await startEmbedded({ db: database.db, config, log, secret: SECRET, openMailer: async () => null });
    const startEdition = inProcessEditionStarter({ db: database.db, config, queue: embedded.queue });
    app = await buildServer({ config, db: database.db, log, secret: SECRET, startEdition });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const t = newApiToken();
    await createApiToken(database.db, {
      name: 'ops',
      role: 'admin',
      tokenHash: t.hash,
      prefix: t.prefix,
      createdBy: 'test',
    });
    token = t.token;
  });
  afterAll(async () => {
    await app?.close();
    await embedded?.stop(5000);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function finished(runId: number): Promise<Record<string, unknown>> {
    for (;;) {
      const r = await call('GET', `/api/v1/runs/${runId}`);
      expect(r.status).toBe(200);
      if (r.json.status !== 'running') return r.json;
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  it('starts a real edition on the in-process queue, refuses a second start while it runs', async () => {
    const date = '2026-01-05';
    const [a, b] = await Promise.all([
      call('POST', '/api/v1/runs', { date, dry_run: true }),
      call('POST', '/api/v1/runs', { date, dry_run: true }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
    const ok = a.status === 202 ? a : b;
    const refused = a.status === 202 ? b : a;
    const runId = ok.json.run_id as number;
    expect(ok.json).toMatchObject({ edition: date, status: 'queued', job_id: `e${date}-r${runId}` });
    expect(refused.json).toMatchObject({ error: 'conflict', run_id: runId });

    // The run is the pipeline's: it records its stages and events and finishes (nothing to collect here).
    const run = await finished(runId);
    expect(run).toMatchObject({ id: runId, trigger: 'api', job_id: `e${date}-r${runId}` });
    expect(run.status).not.toBe('running');
    expect((run.stages as unknown[]).length).toBeGreaterThan(0);
    const events = await call('GET', `/api/v1/runs/${runId}/events`);
    expect(Array.isArray(events.json) && events.json.length).toBeGreaterThan(0);

    // Once it has finished, the same edition can be started again: a new run.
    const again = await call('POST', '/api/v1/runs', { date, dry_run: true });
    expect(again.status).toBe(202);
    expect(again.json.run_id).not.toBe(runId);
    await finished(again.json.run_id as number);
  }, 120_000);
});
