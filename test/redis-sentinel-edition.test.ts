/**
 * A whole edition through `REDIS_URL` in the Sentinel form, its Redis primary SIGKILLed in the middle: a
 * `finrep worker` process and `finrep run` (the client that queues the edition and follows it) both reach
 * Redis through three sentinels (Debian's `redis-sentinel`); when the run is extracting, the primary dies,
 * the sentinels promote the replica, and the edition still completes once — one run, every recipient mailed
 * exactly once (as the test SMTP server counts), no duplicate articles or report items.
 *
 * The replica is brought level (`WAIT 1`) just before the kill, but the worker keeps writing until the
 * primary dies: what the last moments wrote may be lost with it (Redis replication is asynchronous). The
 * edition copes as it copes with a Redis restarted without its data — missing stage jobs are queued again,
 * jobs whose lock lapsed are taken over — which is what this test proves on the Sentinel path.
 *
 * PostgreSQL only: the worker and the client are processes of their own on one database.
 */
import { sql } from 'drizzle-orm';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { redisConnection } from '../src/jobs/bullmq.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { HAS_SENTINEL, startSentinelGroup } from './helpers/sentinel.ts';
import type { SentinelGroup } from './helpers/sentinel.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import {
  demoWorldFor,
  editionRecord,
  FinrepProcs,
  finrepEnv,
  parseSummary,
  runRecords,
  waitFor,
} from './helpers/workers.ts';

const DATE = '2025-11-14';
/** Sources kept enabled: enough stories for every stage, a short edition. */
const SOURCES = 4;

describe.skipIf(TEST_DB !== 'postgres' || !HAS_SENTINEL)(
  'an edition on BullMQ through Redis Sentinel, the primary killed mid-edition (postgres, redis-sentinel)',
  () => {
    let world: DemoWorld | undefined;
    let database: TestDatabase | undefined;
    let smtp: TestSmtp | undefined;
    let group: SentinelGroup | undefined;
    let procs: FinrepProcs | undefined;
    let watch: ReturnType<typeof redisConnection> | undefined;

    beforeAll(async () => {
      world = await demoWorldFor(DATE);
      database = await createTestDatabase();
      smtp = await startTestSmtp();
      group = await startSentinelGroup();
      const keys = await seedDemo(database.db, world);
      await database.db.execute(
        sql`update sources set enabled = false where key not in (${sql.join(
          keys.slice(0, SOURCES).map((k) => sql`${k}`),
          sql`, `,
        )})`,
      );
    }, 120_000);
    afterAll(async () => {
      await procs?.stopAll(5000);
      watch?.disconnect();
      await group?.stop();
      await smtp?.close();
      await world?.close();
      await database?.drop();
    });

    it('completes once, every recipient mailed once, after the sentinels promote the replica', async () => {
      const g = group!;
      const { primary, replica } = g.ports;
      procs = new FinrepProcs(database!.dataDir);
      const env = finrepEnv({
        dataDir: database!.dataDir,
        databaseUrl: database!.databaseUrl!,
        redisUrl: g.url(0),
        smtpPort: smtp!.port,
        lockSec: 3,
        extra: { REDIS_WAIT_SEC: '60' },
      });
      const worker = procs.start('worker', ['worker'], env);
      watch = redisConnection(g.url(0));
      await waitFor(
        async () => {
          if (worker.exited) throw new Error(`the worker exited: ${worker.output().stderr.slice(-1500)}`);
          return (await watch!.exists(`finrep:heartbeat:worker:${hostname()}:${worker.pid}`)) === 1;
        },
        'the worker to beat through the sentinels',
        60_000,
      );
      const run = procs.start('run', ['run', '--date', DATE, '--json'], env);

      // Mid-edition: the run is extracting (collect and dedup jobs done or under way, extract jobs queued).
      await waitFor(
        async () => {
          if (run.exited) throw new Error(`finrep run ended before the kill: ${run.output().stderr.slice(-1500)}`);
          const { stages } = await runRecords(database!.db);
          return stages.some((s) => s.stage === 'extract');
        },
        'the edition to reach extract',
        90_000,
        100,
      );
      const old = g.node(primary);
      expect(await old.call('WAIT', '1', '5000')).toBe(1);
      await g.kill(primary);
      const killedAt = Date.now();
      // Nothing was sent yet when the primary died.
      const atKill = (await runRecords(database!.db)).stages.map((s) => s.stage);
      expect(atKill).not.toContain('deliver');
      await waitFor(async () => (await g.primaryPort()) === replica, 'the sentinels to promote the replica', 60_000);

      const done = await run.done;
      if (process.env.FINREP_TEST_VERBOSE) {
        const events = (await database!.db.execute(
          sql`select at, stage, kind, message from run_events where kind <> 'progress' order by id`,
        )) as unknown as { rows: { at: Date; stage: string; kind: string; message: string }[] };
        const lines = events.rows.map(
          (e) => `${new Date(e.at).getTime() - killedAt} ${e.stage} ${e.kind} ${e.message}`,
        );
        console.info(
          `done ${Date.now() - killedAt} ms after the kill; at the kill: ${atKill.join(',')}\n${lines.join('\n')}`,
        );
      }
      expect(done.code, done.stderr.slice(-2000)).toBe(0);
      const summary = parseSummary(done.stdout) as unknown as RunSummary;
      expect(summary).toMatchObject({ edition: DATE, queue: 'bullmq' });
      expect(['ok', 'partial']).toContain(summary.status);

      const record = await editionRecord(database!.db, DATE);
      expect(record.recipients.length).toBeGreaterThan(0);
      expect(record.deliveries.map((d) => [d.email, d.status])).toEqual(record.recipients.map((e) => [e, 'sent']));
      for (const email of record.recipients) expect(smtp!.countFor(email), email).toBe(1);
      expect(smtp!.messages).toHaveLength(record.recipients.length);
      expect(record.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      expect(record.items.length).toBeGreaterThan(0);

      // One run, finished; the worker is still up and the queue lives on the promoted replica.
      const { runs } = await runRecords(database!.db);
      expect(runs).toEqual([
        { id: summary.run_id, status: summary.status, trigger: 'cli', error: null, finished: true },
      ]);
      expect(worker.exited).toBe(false);
      const promoted = g.node(replica);
      expect(((await promoted.call('ROLE')) as [string])[0]).toBe('master');
      expect(await promoted.exists(`finrep:edition:e${DATE}-r${summary.run_id}`)).toBe(1);
    }, 240_000);
  },
);
