/**
 * `REDIS_URL` in the Sentinel form through a real failover: a private primary, replica and three sentinels
 * (Debian's `redis-sentinel`), the primary SIGKILLed mid-queue. The BullMQ queue and workers (the connection
 * every finrep worker uses), the mail rate limiter and the container probe follow the sentinels to the new
 * primary; every job queued before the failover completes, and one queued after it too.
 *
 * Redis replication is asynchronous: a write acknowledged by the primary a moment before it dies may not be
 * on the replica yet. The test waits (`WAIT 1`) for the replica to hold the queue before it kills the
 * primary, so it proves the failover, not luck with the replication lag; docs/deploy.md says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullQueue, BullWorkers, redisConnection } from '../src/jobs/bullmq.ts';
import type { JobHandle } from '../src/jobs/queue.ts';
import { createRedisRateLimiter } from '../src/deliver/rate-limit.ts';
import { silentLogger } from '../src/log.ts';
import { connectRedis } from '../src/ops/redis-probe.ts';
import { BIN } from './helpers/delivery.ts';
import { freePort } from './helpers/private-servers.ts';
import { DATA_PASSWORD, HAS_SENTINEL, SENTINEL_PASSWORD, startSentinelGroup } from './helpers/sentinel.ts';
import type { SentinelGroup } from './helpers/sentinel.ts';
import { waitFor } from './helpers/workers.ts';

const log = silentLogger();
const BEFORE = 20;

describe.skipIf(!HAS_SENTINEL)('REDIS_URL through Redis Sentinel, across a failover (redis-sentinel)', () => {
  let group: SentinelGroup;
  let queue: BullQueue;
  let workers: BullWorkers;
  const connections: ReturnType<typeof redisConnection>[] = [];
  const connect = () => {
    const c = redisConnection(group.url(0), log);
    connections.push(c);
    return c;
  };
  /** Each job id with how often a handler ran it. */
  const handled = new Map<string, number>();
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));

  beforeAll(async () => {
    group = await startSentinelGroup();
    queue = new BullQueue(connect());
    workers = new BullWorkers({
      connection: connect,
      log,
      // Short locks: a job whose lock lapsed during the failover is taken over quickly (at-least-once).
      lockMs: 5000,
      handlers: {
        dedup: async (job: JobHandle) => {
          handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
          await gate;
          return { unique: 0, nearDuplicates: 0, queued: [] };
        },
      },
      settings: { dedup: { concurrency: 2 } },
    });
    await workers.start();
  });
  afterAll(async () => {
    openGate();
    await workers?.close(1000);
    await queue?.close();
    for (const c of connections) c.disconnect();
    await group?.stop();
  });

  const job = (id: string) => ({ id, data: { runId: 1, editionId: 1, from: '', to: '' } });
  const states = async (ids: string[]) => (await queue.states('dedup', ids)).map((s) => s.status);

  it('keeps the queue working when the primary dies: nothing queued before is lost, a new job runs', async () => {
    const { primary, replica } = group.ports;
    expect(await group.primaryPort()).toBe(primary);

    // Jobs queued on the primary; two start (and wait on the gate), the rest wait in the queue.
    const before = Array.from({ length: BEFORE }, (_, i) => `before-${i}`);
    await queue.add('dedup', before.map(job));
    await waitFor(() => handled.size === 2, 'two jobs to start');
    // The replica holds everything written so far (a write, then WAIT for one replica's acknowledgement).
    const old = group.node(primary);
    await old.set('finrep:test:marker', '1');
    expect(await old.call('WAIT', '1', '5000')).toBe(1);

    await group.kill(primary);
    await waitFor(async () => (await group.primaryPort()) === replica, 'the sentinels to promote the replica', 60_000);
    const promoted = group.node(replica);
    expect(((await promoted.call('ROLE')) as [string])[0]).toBe('master');

    // A job queued after the failover, through the same queue object (its connection asked the sentinels).
    await queue.add('dedup', [job('after-0')]);
    openGate();
    const all = [...before, 'after-0'];
    await waitFor(async () => (await states(all)).every((s) => s === 'completed'), 'every job to complete', 60_000);
    expect(new Set(await states(all))).toEqual(new Set(['completed']));
    // Every job ran; the two running at the failover may have run twice (BullMQ is at-least-once).
    expect([...handled.keys()].sort()).toEqual([...all].sort());
    expect([...handled.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(2);
    // The jobs live on the new primary.
    expect(await promoted.exists('finrep:dedup:after-0', 'finrep:dedup:before-0')).toBe(2);
  });

  it('the mail rate limiter and the container probe follow the sentinels to the new primary', async () => {
    const limiter = createRedisRateLimiter({ url: group.url(0), ratePerSec: 1000, log, key: 'finrep:test:rate' });
    try {
      await limiter.acquire();
    } finally {
      await limiter.close();
    }
    const probe = await connectRedis(group.url(0), 5000);
    try {
      expect(await probe.command('PING')).toBe('PONG');
      const role = (await probe.command('ROLE')) as string[];
      expect(role[0]).toBe('master');
      expect(await probe.command('EXISTS', 'finrep:test:rate')).toBe(1);
    } finally {
      probe.close();
    }
    expect(await group.primaryPort()).toBe(group.ports.replica);
  });

  it('`finrep queue list` reads the queues through the sentinels; an unreachable group is named without its passwords', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'finrep-sentinel-cli-'));
    const finrep = (url: string, args: string[] = []) =>
      spawnSync(process.execPath, [BIN, 'queue', 'list', ...args], {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', REDIS_URL: url },
      });
    try {
      // Three jobs on a queue no worker here serves: they wait, and the CLI counts them on the new primary.
      await queue.add('extract', ['x1', 'x2', 'x3'].map(job));
      const ok = finrep(group.url(0), ['extract', '--json']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject([{ queue: 'extract', waiting: 3 }]);

      const dead = await freePort();
      const url = group.url(0).replace(/@[^/]+\//, `@127.0.0.1:${dead}/`);
      const down = finrep(url);
      expect(down.status).not.toBe(0);
      expect(down.stderr).toContain(`redis+sentinel://:***@127.0.0.1:${dead}/finrep-test/0?sentinel_password=***`);
      expect(down.stderr + down.stdout).not.toContain(DATA_PASSWORD);
      expect(down.stderr + down.stdout).not.toContain(SENTINEL_PASSWORD);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
