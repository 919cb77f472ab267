/**
 * `finrep start` (the embedded process, no Redis) wires `POST /api/v1/runs` to its own queue: a real process
 * on a real database answers 202 with a run, and that run finishes in the same process.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort } from './helpers/private-servers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

describe(`finrep start: POST /api/v1/runs without Redis (${TEST_DB})`, () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.close(); // the processes open it themselves (PGlite belongs to one process)
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      FINREP_DATA_DIR: database.dataDir,
      LOG_LEVEL: 'warn',
      SCHEDULE_CATCHUP_HOURS: '0',
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('answers 202 with a run that finishes in the embedded process', async () => {
    const created = spawnSync(
      process.execPath,
      [BIN, 'token', 'create', '--role', 'admin', '--name', 'ops', '--json'],
      {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(created.status, created.stderr).toBe(0);
    const token = (JSON.parse(created.stdout) as { token: string }).token;
    const port = await freePort();
    const proc = spawn(process.execPath, [BIN, 'start'], {
      env: { ...env, WEB_HOST: '127.0.0.1', WEB_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    try {
      for (;;) {
        const up = await fetch(`${base}/livez`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (proc.exitCode !== null) throw new Error(stderr);
        await new Promise((r) => setTimeout(r, 200));
      }
      const started = await call('POST', '/api/v1/runs', { date: '2026-01-05', dry_run: true });
      expect(started.status, JSON.stringify(started.json)).toBe(202);
      const runId = started.json.run_id as number;
      let run: Record<string, unknown>;
      do {
        await new Promise((r) => setTimeout(r, 300));
        run = (await call('GET', `/api/v1/runs/${runId}`)).json;
      } while (run.status === 'running');
      expect(run).toMatchObject({ id: runId, trigger: 'api' });
      expect(String(run.worker)).toMatch(new RegExp(`:${proc.pid}$`));
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  }, 180_000);
});
