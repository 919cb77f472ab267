/**
 * `finrep health web|worker|beat` as a container HEALTHCHECK runs it (a real process, exit status and one
 * line), against a real web server, a real worker and beat keeping their heartbeats in a redis-server of
 * this file's own, which is then given a password and finally killed.
 */
import { spawn } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBeat } from '../src/jobs/beat.ts';
import type { RunningBeat } from '../src/jobs/beat.ts';
import { startWorker } from '../src/jobs/worker.ts';
import type { RunningWorker } from '../src/jobs/worker.ts';
import { silentLogger } from '../src/log.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { freePort, privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';
import { SECRET, startTestServer, webConfig } from './helpers/web.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `finrep health …` in an empty folder (no .env) with only `env` set. */
function health(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'health', ...args], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe(`finrep health web|worker|beat (${TEST_DB})`, () => {
  let t: TestDatabase;
  let redis: PrivateRedis;
  let web: { app: FastifyInstance; base: string };
  let worker: RunningWorker | null = null;
  let beat: RunningBeat | null = null;
  beforeAll(async () => {
    t = await createTestDatabase();
    redis = await privateRedis();
    const config = webConfig({
      FINREP_DATA_DIR: t.dataDir,
      ...(t.databaseUrl && { DATABASE_URL: t.databaseUrl }),
      REDIS_URL: redis.url(0),
      WORKER_GRACE_SEC: '1',
    });
    web = await startTestServer(t.db, config);
    const log = silentLogger();
    beat = await startBeat({ db: t.db, config, log });
    worker = await startWorker(
      { db: t.db, config, log, secret: SECRET, openMailer: async () => null },
      { queues: ['deliver'] },
    );
  });
  afterAll(async () => {
    await worker?.stop();
    await beat?.stop();
    await web?.app.close();
    await redis?.kill();
    await t?.drop();
  });

  it('web: 0 while /livez answers, 1 when nothing listens', async () => {
    const port = new URL(web.base).port;
    const [up, down] = await Promise.all([
      health(['web'], { WEB_HOST: '127.0.0.1', WEB_PORT: port }),
      health(['web'], { WEB_HOST: '127.0.0.1', WEB_PORT: String(await freePort()) }),
    ]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^web: ok \(http:\/\/127\.0\.0\.1:\d+\/livez answered 200 in \d+ ms\)\n$/);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^web: down \(http:\/\/127\.0\.0\.1:\d+\/livez: connect ECONNREFUSED .*\)\n$/);
  });

  it('worker and beat: 0 with fresh heartbeats (this host, another id, any), behind a password too', async () => {
    const env = { REDIS_URL: redis.url(0) };
    const [own, other, any, beatUp, unset] = await Promise.all([
      health(['worker'], env),
      health(['worker', '--id', 'some-other-host'], env),
      health(['worker', '--any'], env),
      health(['beat'], env),
      health(['beat'], {}),
    ]);
    expect(own.status, own.stderr).toBe(0);
    expect(own.stdout).toMatch(
      new RegExp(`^worker: ok \\(${hostname()}:${process.pid}, heartbeat \\d+ s ago, 0 active job\\(s\\)\\)\\n$`),
    );
    expect(other.status).toBe(1);
    expect(other.stderr).toBe('worker: down (no fresh heartbeat from some-other-host in Redis)\n');
    expect(any.status, any.stderr).toBe(0);
    expect(beatUp.status, beatUp.stderr).toBe(0);
    expect(beatUp.stdout).toMatch(/^beat: ok \(last tick \d+ s ago, next edition at \d{4}-\d\d-\d\dT[\d:.]+Z\)\n$/);
    expect(unset.status).toBe(1);
    expect(unset.stderr).toBe('beat: REDIS_URL is not set (the beat runs on Redis)\n');

    const admin = new Redis(redis.url(0));
    try {
      await admin.config('SET', 'requirepass', 'Pr0be-Secret');
      const url = `redis://:Pr0be-Secret@127.0.0.1:${redis.port}/0`;
      const [withPassword, wrong] = await Promise.all([
        health(['worker'], { REDIS_URL: url }),
        health(['beat'], { REDIS_URL: url.replace('Pr0be-Secret', 'Wr0ng-Secret') }),
      ]);
      expect(withPassword.status, withPassword.stderr).toBe(0);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/^beat: cannot read its heartbeat from Redis \(WRONGPASS/);
      expect(wrong.stderr).not.toContain('Wr0ng-Secret');
    } finally {
      await admin.config('SET', 'requirepass', '').catch(() => {});
      admin.disconnect();
    }
  });

  it('worker and beat: 1 once the worker stopped and Redis is gone', async () => {
    await worker!.stop();
    worker = null;
    const stoppedWorker = await health(['worker'], { REDIS_URL: redis.url(0) });
    expect(stoppedWorker.status).toBe(1);
    expect(stoppedWorker.stderr).toBe(`worker: down (no fresh heartbeat from ${hostname()} in Redis)\n`);
    await redis.kill();
    const [w, b] = await Promise.all([
      health(['worker', '--any'], { REDIS_URL: redis.url(0) }),
      health(['beat'], { REDIS_URL: redis.url(0) }),
    ]);
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/^worker: cannot read its heartbeat from Redis \(connect ECONNREFUSED/);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^beat: cannot read its heartbeat from Redis \(connect ECONNREFUSED/);
    await redis.start();
  });
});
