/**
 * A `finrep worker` process from start to exit, against the real Redis and PostgreSQL: its heartbeat key,
 * a clean SIGTERM, the memory watchdog, and a job running past the grace period handed back to the queue
 * (and finished by the next worker).
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlesQ, editionsQ, extractionsQ, sourcesQ } from '../src/db/queries/index.ts';
import { runDedup } from '../src/dedup/run.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { BullQueue } from '../src/jobs/bullmq.ts';
import { HEARTBEAT_PREFIX } from '../src/jobs/worker.ts';
import { silentLogger } from '../src/log.ts';
import type { ExtractJob } from '../src/pipeline/queue.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { FinrepProcs, finrepEnv, flushRedis, redisUrlFor, waitFor } from './helpers/workers.ts';
import type { FinrepProc } from './helpers/workers.ts';

/** A Redis db of this file's own (deliver tests use 9, the worker tests 11–14, the benchmark 5). */
const REDIS_URL = redisUrlFor(15);
const KEY = 'sk-lifecycle-test-0123456789';

// Worker processes need a database they can share (PGlite belongs to one process) and Redis: this file
// runs in the PostgreSQL pass of `npm test` only (FINREP_TEST_DB=postgres); in the PGlite pass it would
// need the same servers and only repeat itself.
describe.skipIf(TEST_DB !== 'postgres')(
  'a `finrep worker` process: heartbeat, SIGTERM, memory watchdog, hand-back (PostgreSQL pass only)',
  () => {
    let t: TestDatabase | undefined;
    let procs: FinrepProcs | undefined;
    let redis: Redis | undefined;
    let fake: FakeLlmServer | undefined;

    beforeAll(async () => {
      t = await createTestDatabase();
      await flushRedis(REDIS_URL);
      procs = new FinrepProcs(t.dataDir);
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      fake = await startFakeLlm({ style: 'deepseek', apiKey: KEY });
    });
    afterAll(async () => {
      await procs?.stopAll(10_000);
      redis?.disconnect();
      await flushRedis(REDIS_URL).catch(() => {});
      await fake?.close();
      await t?.drop();
    });

    const env = (extra: Record<string, string> = {}) =>
      finrepEnv({
        dataDir: t!.dataDir,
        databaseUrl: t!.databaseUrl!,
        redisUrl: REDIS_URL,
        extra: {
          LOG_LEVEL: 'info',
          LLM_PROVIDERS: 'deepseek',
          PROVIDER_DEEPSEEK_API_KEY: KEY,
          PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
          LLM_TIMEOUT_SEC: '300',
          LLM_MAX_RETRIES: '0',
          ...extra,
        },
      });
    const heartbeatKey = (p: FinrepProc) => `${HEARTBEAT_PREFIX}${hostname()}:${p.pid}`;

    /** Waits for the worker's heartbeat (it took its queues), failing early if it exited. */
    async function started(p: FinrepProc): Promise<void> {
      await waitFor(
        async () => {
          if (p.exited) throw new Error(`${p.role} exited during start-up: ${p.output().stderr.slice(-1500)}`);
          return (await redis!.exists(heartbeatKey(p))) === 1;
        },
        `${p.role}'s heartbeat`,
        90_000,
        100,
      );
    }

    it('keeps a heartbeat key while it runs, and on SIGTERM removes it and exits 0 within the grace period', async () => {
      const w = procs!.start('worker-hb', ['worker'], env({ WORKER_GRACE_SEC: '20' }));
      await started(w);
      const beat = JSON.parse((await redis!.get(heartbeatKey(w)))!) as Record<string, unknown>;
      expect(beat).toMatchObject({ worker: `${hostname()}:${w.pid}`, pid: w.pid, active_jobs: 0 });
      expect(beat.rss_mb).toBeGreaterThan(0);
      // It expires by itself if the worker dies without a word (three heartbeats).
      const ttl = await redis!.pttl(heartbeatKey(w));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);

      const sent = Date.now();
      w.child.kill('SIGTERM');
      const r = await w.done;
      expect(r, r.stderr.slice(-2000)).toMatchObject({ code: 0, signal: null });
      // Idle, it has nothing to finish: it does not use up its grace.
      expect(Date.now() - sent).toBeLessThan(20_000);
      expect(await redis!.exists(heartbeatKey(w))).toBe(0);
      expect(r.stderr).toContain('worker stopping');
      expect(r.stderr).toContain('worker stopped');
      expect(r.stderr).not.toContain('"level":50');
    }, 120_000);

    it('exits cleanly by itself above WORKER_MAX_RSS_MB', async () => {
      // 128 MB, the lowest allowed, is below what a tsx process with the pipeline loaded holds.
      const w = procs!.start('worker-mem', ['worker'], env({ WORKER_MAX_RSS_MB: '128' }));
      const r = await w.done;
      expect(r, r.stderr.slice(-2000)).toMatchObject({ code: 0, signal: null });
      const warning = r.stderr.split('\n').find((l) => l.includes('memory above WORKER_MAX_RSS_MB'));
      expect(warning, r.stderr.slice(-2000)).toBeDefined();
      const line = JSON.parse(warning!) as { rss_mb: number; limit_mb: number };
      expect(line.limit_mb).toBe(128);
      expect(line.rss_mb).toBeGreaterThan(128);
      expect(r.stderr).toContain('"reason":"memory"');
      expect(r.stderr).toContain('worker stopped');
      expect(await redis!.exists(heartbeatKey(w))).toBe(0);
    }, 120_000);

    it('hands a job running past the grace period back to the queue, where the next worker completes it', async () => {
      // One story whose extraction waits on a DeepSeek that answers in a minute.
      const db = t!.db;
      await sourcesQ.upsertSources(db, [
        {
          key: 'lifecycle',
          name: '测试来源',
          kind: 'rss',
          url: 'http://lifecycle.test/feed',
          rules: null,
          weight: 1,
          timezone: null,
        },
      ]);
      const source = (await sourcesQ.listSources(db)).find((s) => s.key === 'lifecycle')!;
      const at = new Date();
      const articleId = (await articlesQ.insertArticle(db, {
        sourceId: source.id,
        url: 'http://lifecycle.test/a1',
        canonicalUrl: 'http://lifecycle.test/a1',
        urlHash: 'lifecycle-a1',
        title: '央行开展3000亿元MLF操作',
        content:
          '中国人民银行今日开展3000亿元中期借贷便利操作，中标利率2.0%，较上期持平。市场人士认为流动性保持合理充裕。',
        effectiveAt: at,
        publishedAt: at,
        contentHash: 'lifecycle-a1',
        simhash: 0n,
        band0: 0,
        band1: 0,
        band2: 0,
        band3: 0,
        dedupNumbers: [],
      }))!;
      await runDedup({ db, log: silentLogger() });
      const edition = await editionsQ.ensureEdition(db, '2025-11-20', new Date(at.getTime() - 86_400_000), at);
      fake!.configure({ latencyMs: 60_000 });
      const before = fake!.requests.length;

      const w1 = procs!.start('worker-slow', ['worker', '--queues', 'extract'], env({ WORKER_GRACE_SEC: '2' }));
      await started(w1);
      const queue = new BullQueue(redis!);
      const id = `r1-x${articleId}`;
      try {
        await queue.add<ExtractJob>('extract', [{ id, data: { runId: 1, editionId: edition.id, articleId } }]);
        await waitFor(() => fake!.requests.length > before, 'the LLM call', 60_000, 100);
        expect((await queue.states('extract', [id]))[0]!.status).toBe('active');

        // SIGTERM: the call takes a minute, the grace two seconds.
        w1.child.kill('SIGTERM');
        const r1 = await w1.done;
        expect(r1, r1.stderr.slice(-2000)).toMatchObject({ code: 0, signal: null });
        expect(r1.stderr).toContain('grace period over: running jobs handed back to the queue');
        expect(r1.stderr).toMatch(/"released":1/);
        expect(await redis!.exists(heartbeatKey(w1))).toBe(0);
        // Back in the queue, neither failed nor completed; no LLM extraction (at most the local fallback of the
        // cut call, which a worker with a usable LLM does not reuse).
        expect((await queue.states('extract', [id]))[0]!.status).toBe('pending');
        expect((await extractionsQ.latestExtractions(db, [articleId])).get(articleId)?.provider ?? 'none').not.toBe(
          'deepseek',
        );

        // The next worker, with DeepSeek answering at once, completes it.
        fake!.configure({ latencyMs: 0 });
        const w2 = procs!.start('worker-next', ['worker', '--queues', 'extract'], env());
        await waitFor(
          async () => (await queue.states('extract', [id]))[0]!.status === 'completed',
          'the job completed',
          90_000,
          200,
        );
        const [state] = await queue.states('extract', [id]);
        expect(state!.result).toMatchObject({ summary: { articles: 1, by_provider: { deepseek: 1 } } });
        const stored = await extractionsQ.latestExtractions(db, [articleId]);
        expect(stored.get(articleId)).toMatchObject({ provider: 'deepseek' });
        await procs!.stop(w2);
        const r2 = await w2.done;
        expect(r2.code, r2.stderr.slice(-2000)).toBe(0);
      } finally {
        await queue.close();
      }
    }, 240_000);
  },
);
