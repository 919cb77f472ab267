import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { silentLogger } from '../src/log.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import {
  demoWorldFor,
  editionRecord,
  FinrepProcs,
  finrepEnv,
  flushRedis,
  parseSummary,
  redisUrlFor,
  runRecords,
  waitForWorkers,
} from './helpers/workers.ts';

const DATE = '2025-11-12';
const REDIS_URL = redisUrlFor(11);
const log = silentLogger();

// Worker processes share one database, which PGlite cannot (it belongs to one process): this file runs in
// the PostgreSQL pass of `npm test` only (FINREP_TEST_DB=postgres) and is skipped in the PGlite pass.
describe.skipIf(TEST_DB !== 'postgres')(
  'an edition through BullMQ with two `finrep worker` processes (PostgreSQL pass only: workers need a shared database)',
  () => {
    let world: DemoWorld | undefined;
    let queued: TestDatabase | undefined;
    let embedded: TestDatabase | undefined;
    let smtpQueued: TestSmtp | undefined;
    let smtpEmbedded: TestSmtp | undefined;
    let procs: FinrepProcs | undefined;

    beforeAll(async () => {
      // One at a time: afterAll stops whatever started.
      world = await demoWorldFor(DATE);
      queued = await createTestDatabase();
      embedded = await createTestDatabase();
      smtpQueued = await startTestSmtp();
      smtpEmbedded = await startTestSmtp();
      await seedDemo(queued.db, world);
      await seedDemo(embedded.db, world);
      await flushRedis(REDIS_URL);
    });
    afterAll(async () => {
      await procs?.stopAll();
      await flushRedis(REDIS_URL).catch(() => {});
      await world?.close();
      await smtpQueued?.close();
      await smtpEmbedded?.close();
      await queued?.drop();
      await embedded?.drop();
    });

    it('produces the same articles, report items and deliveries as the embedded run', async () => {
      // The embedded run: the same world and date, in this process, on a database of its own.
      const env = finrepEnv({
        dataDir: embedded!.dataDir,
        databaseUrl: embedded!.databaseUrl!,
        redisUrl: REDIS_URL,
        smtpPort: smtpEmbedded!.port,
      });
      const { REDIS_URL: _noRedis, ...embeddedEnv } = env;
      const config = loadConfig(embeddedEnv, { envFile: null });
      const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtpEmbedded!.port, secure: false }, { log });
      let reference: RunSummary;
      try {
        reference = await runEdition(
          { db: embedded!.db, config, log, now: () => new Date(), mailer, secret: env.JWT_SECRET_KEY! },
          { date: DATE },
        );
      } finally {
        await mailer.close();
      }
      expect(reference.queue).toBe('in-process');

      // The production shape: two workers on Redis, and `finrep run` as the client.
      procs = new FinrepProcs(queued!.dataDir);
      const workerEnv = finrepEnv({
        dataDir: queued!.dataDir,
        databaseUrl: queued!.databaseUrl!,
        redisUrl: REDIS_URL,
        smtpPort: smtpQueued!.port,
      });
      procs.start('worker-1', ['worker'], workerEnv);
      procs.start('worker-2', ['worker'], workerEnv);
      await waitForWorkers(REDIS_URL, 2, procs);
      const run = await procs.start('run', ['run', '--date', DATE, '--json'], workerEnv).done;
      expect(run.code, run.stderr).toBe(0);
      const summary = parseSummary(run.stdout) as unknown as RunSummary;
      expect(run.stderr).toContain(`queued as job e${DATE}-r${summary.run_id}`);
      expect(summary).toMatchObject({ edition: DATE, queue: 'bullmq', status: reference.status });
      expect(summary.deliver).toMatchObject({
        recipients: 3,
        sent: 3,
        failed: 0,
        uncertain: 0,
        transport: 'smtp',
        error: null,
      });
      expect(summary.collect).toEqual(reference.collect);
      expect(summary.report.items).toBe(reference.report.items);

      const [mine, theirs] = await Promise.all([editionRecord(queued!.db, DATE), editionRecord(embedded!.db, DATE)]);
      expect(mine.articles.length).toBeGreaterThanOrEqual(150);
      expect(mine.articles).toEqual(theirs.articles);
      expect(mine.items.length).toBeGreaterThanOrEqual(10);
      expect(mine.items).toEqual(theirs.items);
      expect(mine.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      const outcome = (r: typeof mine) => r.deliveries.map((d) => ({ email: d.email, status: d.status }));
      expect(outcome(mine)).toEqual(outcome(theirs));
      expect(outcome(mine)).toEqual(mine.recipients.map((email) => ({ email, status: 'sent' })));

      // Exactly one message per recipient, as each SMTP server received them.
      for (const smtp of [smtpQueued!, smtpEmbedded!]) {
        expect(smtp.messages).toHaveLength(mine.recipients.length);
        for (const email of mine.recipients) expect(smtp.countFor(email)).toBe(1);
      }
      expect(new Set(smtpQueued!.messages.map((m) => m.messageId))).toEqual(
        new Set(mine.deliveries.map((d) => d.message_id)),
      );

      // The run's record: finished, every stage with its row, started and ended in the events.
      const { runs, stages, events } = await runRecords(queued!.db);
      expect(runs).toEqual([
        { id: summary.run_id, status: summary.status, trigger: 'cli', error: null, finished: true },
      ]);
      const STAGES = ['collect', 'extract', 'dedup', 'score', 'compose', 'deliver'];
      expect(stages.map((s) => s.stage).sort()).toEqual([...STAGES].sort());
      for (const s of stages) expect(s, s.stage).toMatchObject({ run_id: summary.run_id, status: 'ok' });
      expect(events.filter((e) => e.kind === 'info' && e.message.startsWith('run ')).map((e) => e.message)).toEqual([
        `run ${summary.status}`,
      ]);
      for (const stage of STAGES) {
        const kinds = events.filter((e) => e.stage === stage).map((e) => e.kind);
        expect(kinds, stage).toContain('start');
        expect(kinds, stage).toContain('end');
        expect(kinds.indexOf('start'), stage).toBeLessThan(kinds.lastIndexOf('end'));
      }
    }, 300_000);
  },
);
