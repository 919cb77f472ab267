import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listQueues, purgeJobs, retryFailed } from '../src/cli/queue.ts';
import { freePort, privateRedis } from './helpers/private-servers.ts';
import type { PrivateRedis } from './helpers/private-servers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

/** Two failed and one waiting `extract` jobs, one waiting `deliver` job, under `prefix`. */
async function fillQueues(url: string, prefix: string): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const extract = new Queue('extract', { connection, prefix });
  const deliver = new Queue('deliver', { connection, prefix });
  let failures = 0;
  const worker = new Worker(
    'extract',
    async () => {
      failures += 1;
      throw new Error('model unreachable');
    },
    { connection: new Redis(url, { maxRetriesPerRequest: null }), prefix },
  );
  await extract.addBulk([
    { name: 'extract', data: {}, opts: { jobId: 'a', attempts: 1 } },
    { name: 'extract', data: {}, opts: { jobId: 'b', attempts: 1 } },
  ]);
  for (let i = 0; i < 200 && (await extract.getFailedCount()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
  await worker.close();
  await extract.add('extract', {}, { jobId: 'c' });
  await deliver.add('deliver', {}, { jobId: 'd' });
  expect(failures).toBe(2);
  await extract.close();
  await deliver.close();
  connection.disconnect();
}

describe('finrep queue on a Redis of its own', () => {
  let redis: PrivateRedis;
  let cwd: string;

  beforeAll(async () => {
    redis = await privateRedis();
    cwd = mkdtempSync(path.join(tmpdir(), 'finrep-queue-'));
  });
  afterAll(async () => {
    await redis?.kill();
    rmSync(cwd, { recursive: true, force: true });
  });

  const finrep = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, 'queue', ...args], {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('lists, retries and purges jobs (a private prefix)', async () => {
    const prefix = `finrep-test-${process.pid}`;
    await fillQueues(redis.url(1), prefix);
    const conn = new Redis(redis.url(1), { maxRetriesPerRequest: null });
    try {
      const states = await listQueues(conn, ['extract', 'deliver'], prefix);
      expect(states).toMatchObject([
        { queue: 'extract', waiting: 1, active: 0, delayed: 0, failed: 2 },
        { queue: 'deliver', waiting: 1, failed: 0 },
      ]);
      expect(states[0]!.oldest_waiting_sec).toBeGreaterThanOrEqual(0);

      expect(await retryFailed(conn, ['extract', 'deliver'], prefix)).toEqual({ extract: 2, deliver: 0 });
      expect((await listQueues(conn, ['extract'], prefix))[0]).toMatchObject({ waiting: 3, failed: 0 });

      expect(await purgeJobs(conn, ['extract', 'deliver'], prefix, { all: true, dryRun: true })).toEqual({
        extract: 3,
        deliver: 1,
      });
      expect(await purgeJobs(conn, ['extract', 'deliver'], prefix, { all: true })).toEqual({ extract: 3, deliver: 1 });
      const after = await listQueues(conn, ['extract', 'deliver'], prefix);
      expect(after.map((s) => s.waiting + s.failed)).toEqual([0, 0]);
    } finally {
      conn.disconnect();
    }
  });

  it('`finrep queue list` shows finrep’s queues; purge --all asks for --yes', async () => {
    await fillQueues(redis.url(2), 'finrep');
    const list = finrep(['list'], { REDIS_URL: redis.url(2) });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^extract\s+1\s+0\s+0\s+2\s+\d+ s$/m);
    expect(list.stdout).toMatch(/^deliver\s+1\s+0\s+0\s+0\s+\d+ s$/m);
    expect(list.stdout).toMatch(/^edition\s+0\s+0\s+0\s+0\s+-$/m);

    const asked = finrep(['purge', '--all'], { REDIS_URL: redis.url(2) });
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain('would delete 4 failed, waiting and delayed jobs (extract 3, deliver 1)');
    expect(asked.stderr.trim()).toBe('finrep: error: nothing was deleted: run again with --yes');

    const failedOnly = finrep(['purge', 'extract'], { REDIS_URL: redis.url(2) });
    expect(failedOnly.stdout.trim()).toBe('2 jobs deleted (extract 2)');
  });

  it('says in one line when REDIS_URL is unset or Redis does not answer', async () => {
    const unset = finrep(['list']);
    expect(unset.code).toBe(1);
    expect(unset.stderr.trim()).toMatch(/^finrep: error: REDIS_URL is not set: the queues live in Redis/);
    const port = await freePort();
    const down = finrep(['list'], { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}/0` });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toBe(
      `finrep: redis error: REDIS_URL redis://:***@127.0.0.1:${port}/0: unreachable within 5 s (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });
});
