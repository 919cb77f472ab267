import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { openDatabase } from '../src/db/client.ts';
import type { Database } from '../src/db/client.ts';
import { recipientsQ } from '../src/db/queries/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { TEST_DB } from './helpers/db.ts';
import { testRecipients } from './helpers/delivery.ts';
import { HAS_PG15, privatePostgres, privateRedis } from './helpers/private-servers.ts';
import type { PrivatePostgres, PrivateRedis } from './helpers/private-servers.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import {
  demoWorldFor,
  editionRecord,
  FinrepProcs,
  finrepEnv,
  flushRedis,
  parseSummary,
  runRecords,
  sleep,
  waitFor,
  waitForWorkers,
} from './helpers/workers.ts';

const DATE = '2025-11-14';
const RECIPIENTS = 15;

// Restarting servers mid-edition needs servers of the test's own (a private redis-server and PostgreSQL 15
// cluster, never the shared 6379 / 5432), and worker processes need PostgreSQL: this file runs in the
// PostgreSQL pass of `npm test` only (FINREP_TEST_DB=postgres) and is skipped in the PGlite pass.
describe.skipIf(TEST_DB !== 'postgres' || !HAS_PG15)(
  'an edition whose Redis or PostgreSQL restarts mid-edition (PostgreSQL pass only; private servers)',
  () => {
    let pgServer: PrivatePostgres | undefined;
    let redisServer: PrivateRedis | undefined;
    let world: DemoWorld | undefined;
    let fake: FakeLlmServer | undefined;
    const cleanups: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      // One at a time, so that afterAll stops whatever started should a later one fail.
      pgServer = await privatePostgres();
      redisServer = await privateRedis();
      world = await demoWorldFor(DATE);
      fake = await startFakeLlm({ style: 'deepseek', latencyMs: 200 });
    }, 180_000);
    // Each scenario's workers, SMTP server and database connection go when it ends, passed or not.
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    }, 120_000);
    afterAll(async () => {
      await fake?.close();
      await world?.close();
      await redisServer?.kill();
      await pgServer?.destroy();
    }, 120_000);

    /** A database and Redis db of the scenario's own, two workers, and `finrep run` started. */
    async function startEdition(name: string, redisDb: number) {
      const dataDir = mkdtempSync(path.join(tmpdir(), `finrep-${name}-`));
      const databaseUrl = await pgServer!.createDatabase(`finrep_${name}`);
      const database: Database = await openDatabase({ databaseUrl, dataDir });
      const smtp: TestSmtp = await startTestSmtp();
      const procs = new FinrepProcs(dataDir);
      cleanups.push(async () => {
        await procs.stopAll();
        await smtp.close();
        await database.close();
        rmSync(dataDir, { recursive: true, force: true });
      });
      await seedDemo(database.db, world!);
      await recipientsQ.upsertRecipients(database.db, testRecipients(RECIPIENTS - 3));
      const redisUrl = redisServer!.url(redisDb);
      await flushRedis(redisUrl);
      const env = finrepEnv({
        dataDir,
        databaseUrl,
        redisUrl,
        smtpPort: smtp.port,
        mailRate: 3,
        lockSec: 4,
        extra: {
          LLM_PROVIDERS: 'deepseek',
          PROVIDER_DEEPSEEK_API_KEY: 'sk-test-restart',
          PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
          LLM_CONCURRENCY: '4',
        },
      });
      procs.start('worker-1', ['worker'], env);
      procs.start('worker-2', ['worker'], env);
      await waitForWorkers(redisUrl, 2, procs);
      onTestFailed(() => {
        for (const p of procs.all)
          process.stderr.write(`--- ${p.role} (pid ${p.pid}) stderr tail:\n${p.output().stderr.slice(-2500)}\n`);
      });
      const llmBefore = fake!.requests.length;
      const run = procs.start('run', ['run', '--date', DATE, '--json'], env);
      return { database, smtp, procs, run, extracted: () => fake!.requests.length - llmBefore };
    }

    /** Restarts a server once while stories are being extracted and once while mail is being sent. */
    async function restartDuringExtractionAndDelivery(
      edition: Awaited<ReturnType<typeof startEdition>>,
      restart: () => Promise<void>,
    ) {
      const { run, smtp, extracted } = edition;
      await waitFor(() => run.exited || extracted() >= 30, '30 stories extracted', 150_000);
      expect(run.exited, run.output().stderr).toBe(false);
      await restart();
      await waitFor(() => run.exited || smtp.messages.length >= 4, '4 messages sent', 150_000);
      expect(run.exited, run.output().stderr).toBe(false);
      await restart();
    }

    /** The edition completed once: nothing duplicated, one delivery row and one message per recipient. */
    async function expectCompleteEdition(
      database: Database,
      smtp: TestSmtp,
      procs: FinrepProcs,
      result: { code: number | null; stdout: string; stderr: string },
    ) {
      expect(result.code, result.stderr).toBe(0);
      const summary = parseSummary(result.stdout) as unknown as RunSummary;
      expect(summary).toMatchObject({ edition: DATE, queue: 'bullmq' });
      expect(['ok', 'partial']).toContain(summary.status);
      const { runs, events } = await runRecords(database.db);
      expect(runs).toEqual([
        { id: summary.run_id, status: summary.status, finished: true, error: null, trigger: 'cli' },
      ]);
      const record = await editionRecord(database.db, DATE);
      expect(record.articles.length).toBeGreaterThanOrEqual(150);
      expect(record.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      expect(record.items.length).toBe(summary.report.items);
      expect(record.deliveries.map((d) => ({ email: d.email, status: d.status }))).toEqual(
        record.recipients.map((email) => ({ email, status: 'sent' })),
      );
      expect(smtp.messages).toHaveLength(RECIPIENTS);
      for (const email of record.recipients) expect(smtp.countFor(email), email).toBe(1);
      // One orchestrator finished it (a second one, left running beside a resumed one, would say so twice).
      expect(events.filter((e) => e.kind === 'info' && e.message.startsWith('run ')).map((e) => e.message)).toEqual([
        `run ${summary.status}`,
      ]);
      // The workers outlived the restart.
      expect(
        procs
          .alive()
          .map((p) => p.role)
          .filter((r) => r.startsWith('worker')),
      ).toEqual(['worker-1', 'worker-2']);
      return { summary, events };
    }

    it('Redis restarted without persistence (every job lost) during extraction and during delivery: the run recovers by itself', async () => {
      const edition = await startEdition('redis', 1);
      await restartDuringExtractionAndDelivery(edition, async () => {
        await redisServer!.kill();
        await sleep(2000);
        await redisServer!.start();
      });
      const { events } = await expectCompleteEdition(
        edition.database,
        edition.smtp,
        edition.procs,
        await edition.run.done,
      );
      // The orchestrator noticed the lost jobs and queued them again.
      expect(
        events
          .filter((e) => e.kind === 'recovered')
          .map((e) => e.message)
          .join('\n'),
      ).toMatch(/missing from the queue/);
    }, 300_000);

    it('PostgreSQL restarted during extraction and during delivery: the run recovers by itself', async () => {
      const edition = await startEdition('postgres', 2);
      await restartDuringExtractionAndDelivery(edition, async () => {
        await pgServer!.stop('fast');
        await sleep(2000);
        await pgServer!.start();
      });
      await expectCompleteEdition(edition.database, edition.smtp, edition.procs, await edition.run.done);
    }, 300_000);
  },
);
