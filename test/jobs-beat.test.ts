/**
 * `finrep beat` against the real Redis and PostgreSQL: two beats fire a seconds-level cron exactly once per
 * fire time (the test plays the worker), a missed edition is caught up once on start, and not at all when
 * the edition already has its scheduled run. `missedEdition`, the catch-up's decision, runs on both databases.
 */
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { editionsQ, runsQ } from '../src/db/queries/index.ts';
import { fireTimes, missedEdition, SCHEDULER_ID, startBeat } from '../src/jobs/beat.ts';
import { QUEUE_PREFIX } from '../src/jobs/bullmq.ts';
import { SCHEDULED_TRIGGERS } from '../src/jobs/edition-job.ts';
import { dateInZone } from '../src/lib/time.ts';
import { silentLogger } from '../src/log.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { FinrepProcs, finrepEnv, flushRedis, redisUrlFor, sleep, waitFor } from './helpers/workers.ts';
import type { FinrepProc } from './helpers/workers.ts';

/** A Redis db of this file's own (deliver tests use 9, the worker tests 11, the benchmark 5). */
const REDIS_URL = redisUrlFor(14);
const TZ = 'Asia/Shanghai';
const EVERY_3S = '*/3 * * * * *';

/** An edition row for `date`, and optionally a run of it with `trigger` ending in `status`. */
async function editionWithRun(
  db: TestDatabase['db'],
  date: string,
  run?: { trigger: string; status?: 'ok' | 'failed' },
) {
  const w = editionWindow(date, { timeZone: TZ, cutoff: '06:00', windowHours: 24 });
  const edition = await editionsQ.ensureEdition(db, date, w.from, w.to);
  if (!run) return;
  const id = (SCHEDULED_TRIGGERS as readonly string[]).includes(run.trigger)
    ? await runsQ.claimScheduledRun(db, edition.id, run.trigger, SCHEDULED_TRIGGERS, 'test')
    : await runsQ.startRun(db, edition.id, run.trigger);
  if (run.status) await runsQ.finishRun(db, id!, run.status, {}, run.status === 'failed' ? 'boom' : null);
}

describe(`missedEdition: which edition a starting beat catches up (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  type Setup = { edition: boolean; run?: { trigger: string; status?: 'ok' | 'failed' } };
  const cases: { name: string; date: string; now: string; hours: string; setup?: Setup; expected: string | null }[] = [
    // 06:00 in Shanghai is 22:00 UTC the day before: the edition of 2025-11-10 fired at 2025-11-09T22:00Z.
    {
      name: 'nothing ran: 3 h after the fire, within 6 h',
      date: '2025-11-10',
      now: '2025-11-10T01:00:00Z',
      hours: '6',
      expected: '2025-11-10',
    },
    { name: 'past the grace window', date: '2025-11-11', now: '2025-11-11T05:00:00Z', hours: '6', expected: null },
    {
      name: 'catch-up switched off (0 h)',
      date: '2025-11-12',
      now: '2025-11-11T23:00:00Z',
      hours: '0',
      expected: null,
    },
    {
      name: 'the edition exists without a run',
      date: '2025-11-13',
      now: '2025-11-12T23:00:00Z',
      hours: '6',
      setup: { edition: true },
      expected: '2025-11-13',
    },
    {
      name: 'only a manual run',
      date: '2025-11-14',
      now: '2025-11-13T23:00:00Z',
      hours: '6',
      setup: { edition: true, run: { trigger: 'cli', status: 'ok' } },
      expected: '2025-11-14',
    },
    {
      name: 'its scheduled run failed',
      date: '2025-11-15',
      now: '2025-11-14T23:00:00Z',
      hours: '6',
      setup: { edition: true, run: { trigger: 'schedule', status: 'failed' } },
      expected: '2025-11-15',
    },
    {
      name: 'a scheduled run is running',
      date: '2025-11-16',
      now: '2025-11-15T23:00:00Z',
      hours: '6',
      setup: { edition: true, run: { trigger: 'schedule' } },
      expected: null,
    },
    {
      name: 'a scheduled run finished',
      date: '2025-11-17',
      now: '2025-11-16T23:00:00Z',
      hours: '6',
      setup: { edition: true, run: { trigger: 'schedule', status: 'ok' } },
      expected: null,
    },
    {
      name: 'a catch-up run finished',
      date: '2025-11-18',
      now: '2025-11-17T23:00:00Z',
      hours: '6',
      setup: { edition: true, run: { trigger: 'catch-up', status: 'ok' } },
      expected: null,
    },
  ];
  it.each(cases)('$name', async ({ date, now, hours, setup, expected }) => {
    if (setup?.edition) await editionWithRun(t.db, date, setup.run);
    const config = loadConfig({ SCHEDULE_CATCHUP_HOURS: hours, FINREP_DATA_DIR: t.dataDir }, { envFile: null });
    const missed = await missedEdition(t.db, config, new Date(now));
    expect(missed?.date ?? null).toBe(expected);
    if (missed) expect(missed.dueAt.toISOString()).toBe(new Date(Date.parse(`${date}T06:00:00+08:00`)).toISOString());
  });
});

// `finrep beat` processes share one database, which PGlite cannot (it belongs to one process), and need
// Redis: this part runs in the PostgreSQL pass of `npm test` only (FINREP_TEST_DB=postgres); in the PGlite
// pass it would need the same servers and only repeat itself.
describe.skipIf(TEST_DB !== 'postgres')(
  '`finrep beat` on Redis (PostgreSQL pass only: beat processes need a shared database)',
  () => {
    let t: TestDatabase | undefined;
    let procs: FinrepProcs | undefined;
    let redis: Redis | undefined;
    let queue: Queue | undefined;
    let worker: Worker | undefined;

    beforeAll(async () => {
      t = await createTestDatabase();
      await flushRedis(REDIS_URL);
      procs = new FinrepProcs(t.dataDir);
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      queue = new Queue('edition', { connection: redis, prefix: QUEUE_PREFIX });
    });
    afterAll(async () => {
      await worker?.close(true).catch(() => {});
      await procs?.stopAll(10_000);
      await queue?.close().catch(() => {});
      redis?.disconnect();
      await flushRedis(REDIS_URL).catch(() => {});
      await t?.drop();
    });

    const env = (extra: Record<string, string>) =>
      finrepEnv({
        dataDir: t!.dataDir,
        databaseUrl: t!.databaseUrl!,
        redisUrl: REDIS_URL,
        // The edition's scheduler alone: the intraday alert run's shares the edition queue (ALERT_CRON).
        extra: { LOG_LEVEL: 'info', ALERT_CRON: 'off', ...extra },
      });

    /** Starts two beats at once and waits until both have upserted the scheduler and done their catch-up check. */
    async function twoBeats(extra: Record<string, string>): Promise<FinrepProc[]> {
      const beats = [procs!.start('beat-1', ['beat'], env(extra)), procs!.start('beat-2', ['beat'], env(extra))];
      await waitFor(
        () => {
          const dead = beats.find((b) => b.exited);
          if (dead) throw new Error(`${dead.role} exited: ${dead.output().stderr.slice(-1500)}`);
          return beats.every((b) => b.output().stderr.includes('beat: edition scheduled'));
        },
        'two beats',
        90_000,
      );
      return beats;
    }

    /** SIGTERM: a beat stops cleanly (exit 0) and leaves its scheduler in Redis. */
    async function stopBeats(beats: FinrepProc[]): Promise<void> {
      for (const b of beats) b.child.kill('SIGTERM');
      for (const b of beats) {
        const r = await b.done;
        expect(r.code, r.stderr.slice(-1500)).toBe(0);
      }
    }

    /** Every job of the edition queue, whatever its state. */
    const allJobs = async () =>
      (
        await queue!.getJobs(['wait', 'delayed', 'active', 'completed', 'failed', 'prioritized', 'waiting-children'])
      ).filter(Boolean);

    it('fires a seconds-level cron once per fire time with two beats running', async () => {
      // The test is the worker: it records each job it is given and when it was due.
      const processed: { id: string; dueAt: number }[] = [];
      worker = new Worker(
        'edition',
        async (job: Job) => {
          processed.push({ id: job.id!, dueAt: job.timestamp + (job.opts.delay ?? 0) });
          return { recorded: true };
        },
        { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: QUEUE_PREFIX, concurrency: 4 },
      );

      const beats = await twoBeats({ SCHEDULE_CRON: EVERY_3S, SCHEDULE_CATCHUP_HOURS: '0' });
      const from = Date.now();
      await sleep(13_000);
      const to = Date.now();
      await stopBeats(beats);
      // A fire due just before `to` has its moment to be processed.
      await sleep(2000);
      await worker.close();

      const inWindow = processed.filter((p) => p.dueAt >= from && p.dueAt <= to);
      // Exactly once per fire time: no job processed twice, no two jobs for one fire time.
      expect(new Set(processed.map((p) => p.id)).size).toBe(processed.length);
      expect(new Set(processed.map((p) => p.dueAt)).size).toBe(processed.length);
      // Every job is a scheduler's job due on the cron (a whole multiple of 3 s).
      for (const p of processed) {
        expect(p.id).toMatch(new RegExp(`^repeat:${SCHEDULER_ID}:\\d+$`));
        expect(p.dueAt % 3000).toBe(0);
      }
      // And none was skipped: the count matches the fires of the window (its ends may fall either way).
      const fires: number[] = [];
      for (let at = fireTimes(EVERY_3S, TZ, new Date(from)).next.getTime(); at <= to; at += 3000) fires.push(at);
      expect(fires.length).toBeGreaterThanOrEqual(4);
      expect(Math.abs(inWindow.length - fires.length)).toBeLessThanOrEqual(1);
      for (const at of fires.slice(0, -1)) expect(inWindow.map((p) => p.dueAt)).toContain(at);
      // Nothing left behind: one scheduler, its next job the only one waiting.
      expect(await queue!.getJobSchedulersCount()).toBe(1);
      const pending = (await allJobs()).filter((j) => !j.finishedOn);
      expect(pending.length).toBeLessThanOrEqual(1);
    }, 150_000);

    it('keeps a fire that no worker has taken yet across its refreshes, and puts back a scheduler Redis lost', async () => {
      await flushRedis(REDIS_URL);
      const config = loadConfig(
        {
          REDIS_URL,
          SCHEDULE_CRON: '*/2 * * * * *',
          SCHEDULE_CATCHUP_HOURS: '0',
          ALERT_CRON: 'off',
          FINREP_DATA_DIR: t!.dataDir,
        },
        { envFile: null },
      );
      const started = new Date();
      // Refreshing every 300 ms: each refresh used to replace the overdue job with the next fire.
      const beat = await startBeat({ db: t!.db, config, log: silentLogger() }, { refreshMs: 300 });
      try {
        // The scheduler was put in Redis somewhere between `started` and now (a loaded machine can take seconds
        // to start beat): its first fire is the first cron time after that moment.
        const earliest = fireTimes('*/2 * * * * *', TZ, started).next.getTime();
        const latest = fireTimes('*/2 * * * * *', TZ, new Date()).next.getTime();
        await sleep(latest - Date.now() + 3000);
        // No worker: the first fire is overdue and still waiting, as the only job — not replaced by a later
        // fire at each refresh (3 s is more than one 2 s period past it).
        const ids = (await allJobs()).map((j) => j.id);
        expect(ids).toHaveLength(1);
        const fire = Number(/^repeat:daily-edition:(\d+)$/.exec(ids[0] ?? '')?.[1]);
        expect(ids[0]).toBe(`repeat:${SCHEDULER_ID}:${fire}`);
        expect(fire).toBeGreaterThanOrEqual(earliest);
        expect(fire).toBeLessThanOrEqual(latest);

        // Redis lost everything: the next refresh puts the scheduler back.
        await redis!.flushdb();
        await waitFor(async () => (await queue!.getJobSchedulersCount()) === 1, 'the scheduler back', 10_000, 100);
        expect(await queue!.getJobScheduler(SCHEDULER_ID)).toMatchObject({ pattern: '*/2 * * * * *', tz: TZ });
      } finally {
        await beat.stop();
      }
    }, 60_000);

    it('catches up a missed edition once when two beats start together, and not when it has its scheduled run', async () => {
      // A minute-level cron fired less than a minute ago; this database has no edition for it.
      const cron = '* * * * *';
      await flushRedis(REDIS_URL);
      let before = new Date();
      let beats = await twoBeats({ SCHEDULE_CRON: cron, SCHEDULE_CATCHUP_HOURS: '1' });
      await waitFor(
        () => beats.every((b) => b.output().stderr.includes('beat: missed edition queued')),
        'the catch-up',
        30_000,
      );
      const date = dateInZone(fireTimes(cron, TZ, before).prev, TZ);
      await stopBeats(beats);
      const catchUps = (await allJobs()).filter((j) => (j.data as { trigger?: string }).trigger === 'catch-up');
      expect(catchUps.map((j) => j.id)).toEqual([`catchup-${date}`]);
      expect(catchUps[0]!.data).toEqual({ date, trigger: 'catch-up' });
      for (const b of beats) expect(b.output().stderr).toContain(`"edition":"${date}"`);

      // The same, once the edition has its scheduled run: nothing to catch up.
      await flushRedis(REDIS_URL);
      await editionWithRun(t!.db, date, { trigger: 'schedule' });
      before = new Date();
      beats = await twoBeats({ SCHEDULE_CRON: cron, SCHEDULE_CATCHUP_HOURS: '1' });
      // Catch-up is decided right after the scheduler is upserted; give it the moment.
      await sleep(3000);
      await stopBeats(beats);
      expect(dateInZone(fireTimes(cron, TZ, before).prev, TZ)).toBe(date); // still the same edition (not across midnight)
      expect((await allJobs()).filter((j) => (j.data as { trigger?: string }).trigger === 'catch-up')).toEqual([]);
      for (const b of beats) expect(b.output().stderr).not.toContain('missed');
      // The scheduler is there all the same.
      expect(await queue!.getJobSchedulersCount()).toBe(1);
    }, 150_000);
  },
);
