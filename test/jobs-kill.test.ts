import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { recipientsQ } from '../src/db/queries/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { testRecipients } from './helpers/delivery.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import {
  demoWorldFor,
  editionRecord,
  FinrepProcs,
  finrepEnv,
  flushRedis,
  parseSummary,
  prng,
  redisUrlFor,
  runRecords,
  waitFor,
  waitForWorkers,
  workerIsUp,
} from './helpers/workers.ts';
import type { FinrepProc } from './helpers/workers.ts';

const DATE = '2025-11-13';
const REDIS_URL = redisUrlFor(12);
const MIN_KILLS = 5;
const RECIPIENTS = 15;
/** FINREP_TEST_SEED replays a failed run's kill schedule (as far as timing allows). */
const SEED = Number(process.env.FINREP_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const rand = prng(SEED);
/** The SMTP server holds its reply to the message after this many: the sender is killed mid-transaction. */
const HOLD_AFTER = 2 + Math.floor(rand() * 7);

// Worker processes share one database, which PGlite cannot (it belongs to one process): this file runs in
// the PostgreSQL pass of `npm test` only (FINREP_TEST_DB=postgres) and is skipped in the PGlite pass.
describe.skipIf(TEST_DB !== 'postgres')(
  'an edition whose workers are killed with SIGKILL at random moments (PostgreSQL pass only: workers need a shared database)',
  () => {
    let t: TestDatabase | undefined;
    let world: DemoWorld | undefined;
    let smtp: TestSmtp | undefined;
    let fake: FakeLlmServer | undefined;
    let procs: FinrepProcs | undefined;

    beforeAll(async () => {
      // The fake LLM's latency and a low mail rate stretch extraction and delivery, so that the kill points
      // inside them are reached while they run. One at a time: afterAll stops whatever started.
      t = await createTestDatabase();
      world = await demoWorldFor(DATE);
      smtp = await startTestSmtp({ holdAfter: HOLD_AFTER });
      fake = await startFakeLlm({ style: 'deepseek', latencyMs: 300 });
      await seedDemo(t.db, world);
      await recipientsQ.upsertRecipients(t.db, testRecipients(RECIPIENTS - 3));
      await flushRedis(REDIS_URL);
    });
    afterAll(async () => {
      await procs?.stopAll();
      await flushRedis(REDIS_URL).catch(() => {});
      await fake?.close();
      await smtp?.close();
      await world?.close();
      await t?.drop();
    });

    it(`completes without duplicating any article, report item or mail, and loses no delivery row (at least ${MIN_KILLS} kills)`, async () => {
      const kills: string[] = [];
      onTestFailed(() => {
        process.stderr.write(
          `jobs-kill: seed ${SEED} (replay with FINREP_TEST_SEED=${SEED})\n  ${kills.join('\n  ')}\n`,
        );
        for (const p of procs?.all ?? [])
          process.stderr.write(`--- ${p.role} (pid ${p.pid}) stderr tail:\n${p.output().stderr.slice(-1500)}\n`);
      });
      const env = finrepEnv({
        dataDir: t!.dataDir,
        databaseUrl: t!.databaseUrl!,
        redisUrl: REDIS_URL,
        smtpPort: smtp!.port,
        mailRate: 2,
        lockSec: 3,
        extra: {
          LLM_PROVIDERS: 'deepseek',
          PROVIDER_DEEPSEEK_API_KEY: 'sk-test-kill',
          PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
          LLM_CONCURRENCY: '4',
        },
      });
      procs = new FinrepProcs(t!.dataDir);
      let started = 0;
      const startWorker = () => procs!.start(`worker-${++started}`, ['worker'], env);
      startWorker();
      startWorker();
      await waitForWorkers(REDIS_URL, 2, procs);

      const t0 = Date.now();
      const run = procs.start('run', ['run', '--date', DATE, '--json'], env);
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
      let held = false;
      void smtp!.held.then(() => {
        held = true;
      });
      const query = async <T>(q: ReturnType<typeof sql>) => ((await t!.db.execute(q)) as unknown as { rows: T[] }).rows;
      const stages = async () =>
        new Map(
          (await query<{ stage: string; status: string }>(sql`select stage, status from run_stages`)).map((r) => [
            r.stage,
            r.status,
          ]),
        );
      const byPid = (owner: string | null | undefined) =>
        procs!.alive().find((p) => owner !== null && owner !== undefined && Number(owner.split(':')[1]) === p.pid);
      const orchestrator = async () =>
        byPid((await query<{ worker: string | null }>(sql`select worker from runs`))[0]?.worker);
      const sender = async () =>
        byPid(
          (
            await query<{ lease_owner: string | null }>(
              sql`select lease_owner from delivery_log where status = 'sending'`,
            )
          )[0]?.lease_owner,
        );
      const randomUp = async () => {
        const up: FinrepProc[] = [];
        for (const p of procs!.alive()) if (p.role.startsWith('worker') && (await workerIsUp(redis, p))) up.push(p);
        return up[Math.floor(rand() * up.length)];
      };
      const extracted = () => fake!.requests.length;

      // Six kill points at random moments of the edition, in order: a point whose moment has passed fires at
      // once. Most victims are random; the orchestrator (resumed by another worker) and the sender held in the
      // middle of the SMTP transaction (its row must end `uncertain`) are chosen on purpose.
      const plan: { name: string; ready: () => Promise<boolean>; victim: () => Promise<FinrepProc | undefined> }[] = [];
      const delay = 500 + rand() * 2500;
      let collectSeen = 0;
      const x1 = Math.round(20 + rand() * 50);
      const x2 = Math.round(x1 + 30 + rand() * 50);
      const tail = 1 + Math.floor(rand() * 3);
      plan.push(
        {
          name: `collect + ${Math.round(delay)} ms`,
          ready: async () => (await stages()).has('collect') && (collectSeen ||= Date.now()) + delay <= Date.now(),
          victim: randomUp,
        },
        { name: `${x1} stories extracted`, ready: async () => extracted() >= x1, victim: randomUp },
        { name: `${x2} stories extracted (orchestrator)`, ready: async () => extracted() >= x2, victim: orchestrator },
        { name: 'compose (orchestrator)', ready: async () => (await stages()).has('compose'), victim: orchestrator },
        { name: `message ${HOLD_AFTER + 1} held in DATA (sender)`, ready: async () => held, victim: sender },
        {
          name: `${tail} more messages`,
          ready: async () => held && smtp!.messages.length >= HOLD_AFTER + 1 + tail,
          victim: randomUp,
        },
      );
      const killing = (async () => {
        for (let i = 0; i < plan.length; i++) {
          let victim: FinrepProc | undefined;
          await waitFor(
            async () => {
              if (run.exited) return true;
              for (const later of plan.slice(i))
                if (await later.ready()) return (victim = await plan[i]!.victim()) !== undefined;
              return false;
            },
            `kill point "${plan[i]!.name}"`,
            240_000,
          );
          if (run.exited) return;
          const stage =
            [...(await stages())]
              .filter(([, st]) => st === 'running')
              .map(([name]) => name)
              .join('+') || 'between stages';
          const n = await procs!.kill(victim!);
          const replacement = startWorker();
          kills.push(
            `${((Date.now() - t0) / 1000).toFixed(1)} s, ${plan[i]!.name}: SIGKILL ${victim!.role} (${n} processes) during ${stage}; started ${replacement.role}`,
          );
        }
      })().finally(() => redis.disconnect());
      killing.catch(() => {
        /* awaited below, once the edition is over */
      });
      const result = await run.done;
      await killing;
      expect(result.code, result.stderr).toBe(0);
      expect(kills.length, kills.join('\n')).toBeGreaterThanOrEqual(MIN_KILLS);

      // The edition completed, on one run record.
      const summary = parseSummary(result.stdout) as unknown as RunSummary;
      expect(summary).toMatchObject({ edition: DATE, queue: 'bullmq' });
      expect(['ok', 'partial']).toContain(summary.status);
      const { runs } = await runRecords(t!.db);
      expect(runs).toEqual([
        { id: summary.run_id, status: summary.status, finished: true, error: null, trigger: 'cli' },
      ]);

      // Nothing duplicated, nothing lost.
      const record = await editionRecord(t!.db, DATE);
      expect(record.articles.length).toBeGreaterThanOrEqual(150);
      expect(record.duplicates).toEqual({ canonical: 0, source_url: 0, items: 0 });
      expect(record.items.length).toBe(summary.report.items);
      expect(record.deliveries.map((d) => d.email)).toEqual(record.recipients);
      expect(record.recipients).toHaveLength(RECIPIENTS);
      for (const d of record.deliveries) {
        const received = smtp!.countFor(d.email);
        expect(received, d.email).toBeLessThanOrEqual(1);
        // Sent and received once; or interrupted during the SMTP conversation: uncertain, never re-sent.
        if (d.status === 'sent') expect(received, d.email).toBe(1);
        else expect(d.status, d.email).toBe('uncertain');
      }
      expect(smtp!.messages.length).toBe(new Set(smtp!.messages.map((m) => m.envelope.to[0])).size);
      // The sender killed while the server held its message: that row is the uncertain one, not re-sent.
      const heldTo = (await smtp!.held).envelope.to[0];
      expect(record.deliveries.find((d) => d.email === heldTo)?.status).toBe('uncertain');
      expect(smtp!.countFor(heldTo!)).toBe(1);
      // The orchestrator was killed and resumed elsewhere, which the run's events say.
      const { events } = await runRecords(t!.db);
      expect(events.filter((e) => e.kind === 'info' && e.message.startsWith('run ')).map((e) => e.message)).toEqual([
        `run ${summary.status}`,
      ]);
      expect(
        events
          .filter((e) => e.kind === 'recovered')
          .map((e) => e.message)
          .join('\n'),
      ).toMatch(/run resumed by/);
      process.stderr.write(
        `jobs-kill: seed ${SEED}, edition in ${((Date.now() - t0) / 1000).toFixed(0)} s\n  ${kills.join('\n  ')}\n`,
      );
    }, 300_000);
  },
);
