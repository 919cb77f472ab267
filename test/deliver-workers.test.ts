import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { deliveriesQ } from '../src/db/queries/index.ts';
import { RATE_LIMIT_KEY } from '../src/deliver/rate-limit.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { deliverEnv, seedStoredEdition, startFinrep } from './helpers/delivery.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { redisUrlFor } from './helpers/workers.ts';

const DATE = '2026-03-01';
const N = 200;
const RATE = 20;
const REDIS_URL = process.env.FINREP_TEST_REDIS_URL ?? redisUrlFor(9);

// Two processes need PostgreSQL: PGlite belongs to one process (the embedded shape has one worker).
describe.skipIf(TEST_DB !== 'postgres')(
  `deliver: two worker processes sharing Redis send ${N} messages at ${RATE}/s (PostgreSQL only: PGlite belongs to one process)`,
  () => {
    let t: TestDatabase | undefined;
    let smtp: TestSmtp | undefined;
    afterAll(async () => {
      await smtp?.close();
      await t?.drop();
    });

    it('keeps the global rate, sends every recipient exactly one message and completes the log', async () => {
      t = await createTestDatabase();
      const { emails } = await seedStoredEdition(t.db, t.dataDir, { date: DATE, recipients: N });
      await t.close();
      const redis = new Redis(REDIS_URL);
      await redis.del(RATE_LIMIT_KEY);
      await redis.quit();
      smtp = await startTestSmtp();
      const env = deliverEnv({
        dataDir: t.dataDir,
        databaseUrl: t.databaseUrl,
        smtpPort: smtp.port,
        rate: RATE,
        redisUrl: REDIS_URL,
      });

      const args = ['deliver', '--edition', DATE, '--json'];
      const results = await Promise.all([
        startFinrep(args, env, t.dataDir).done,
        startFinrep(args, env, t.dataDir).done,
      ]);
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
      const summaries = results.map(
        (r) => JSON.parse(r.stdout) as { sent: number; failed: number; error: string | null },
      );
      expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(N);
      for (const s of summaries) expect(s).toMatchObject({ failed: 0, error: null });
      for (const s of summaries) expect(s.sent).toBeGreaterThan(0); // both workers took part

      // Exactly once, counted in the SMTP server.
      expect(smtp.messages).toHaveLength(N);
      for (const e of emails) expect(smtp.countFor(e)).toBe(1);

      // The rate over the whole run, as the server saw it, never above the shared limit (10 % for the clock's
      // grain). How close it comes is a speed figure, measured by `npm run bench:mail` (bench/results/mail.json):
      // a loaded machine only slows the sends down.
      const at = smtp.messages.map((m) => m.at).sort((a, b) => a - b);
      const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
      expect(rate).toBeLessThanOrEqual(RATE * 1.1);

      // The log is complete: one sent row per recipient with the Message-ID the server received.
      const database = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
      try {
        const rows = await deliveriesQ.listDeliveries(
          database.db,
          (await deliveriesQ.findEditionByDate(database.db, DATE))!.id,
        );
        expect(rows).toHaveLength(N);
        const received = new Map(smtp.messages.map((m) => [m.envelope.to[0], m.messageId]));
        for (const r of rows) {
          expect(r).toMatchObject({ status: 'sent', attempts: 1, replyCode: 250, leaseOwner: null });
          expect(r.messageId).toBe(received.get(r.email));
          expect(r.sentAt).toBeInstanceOf(Date);
        }
        expect(new Set(rows.map((r) => r.history[0]!.owner)).size).toBe(2);
      } finally {
        await database.close();
      }
    }, 300_000);
  },
);
