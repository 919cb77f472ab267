import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { deliveriesQ } from '../src/db/queries/index.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { deliverEnv, seedStoredEdition, startFinrep } from './helpers/delivery.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';

const DATE = '2026-02-01';
const N = 12;
const K = 5;

describe(`deliver: the sender killed with SIGKILL after ${K} of ${N} messages, then the edition again (${TEST_DB})`, () => {
  let t: TestDatabase | undefined;
  let smtp: TestSmtp | undefined;
  afterAll(async () => {
    await smtp?.close();
    await t?.drop();
  });

  it('every recipient holds exactly one message; the interrupted one is uncertain and not re-sent', async () => {
    t = await createTestDatabase();
    const { emails } = await seedStoredEdition(t.db, t.dataDir, { date: DATE, recipients: N });
    await t.close(); // the child opens it (PGlite belongs to one process)
    smtp = await startTestSmtp({ holdAfter: K }); // the reply to message K+1 never comes
    const env = deliverEnv({ dataDir: t.dataDir, databaseUrl: t.databaseUrl, smtpPort: smtp.port, rate: 20 });
    const args = ['deliver', '--edition', DATE, '--concurrency', '1', '--json'];

    const first = startFinrep(args, env, t.dataDir);
    const held = await Promise.race([
      smtp.held,
      first.done.then((r) => {
        throw new Error(`the sender exited before the hold (${r.code}): ${r.stderr}`);
      }),
    ]);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(K + 1);

    // Run the edition again (on PGlite the new process takes over the dead one's lock).
    const second = await startFinrep(args, env, t.dataDir).done;
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('delivery interrupted by a crash marked uncertain (not re-sent)'); // the operator sees it
    expect(JSON.parse(second.stdout)).toMatchObject({
      recipients: N,
      sent: N - K - 1,
      skipped: K,
      uncertain: 1,
      failed: 0,
      retrying: 0,
      error: null,
    });
    expect(smtp.messages).toHaveLength(N);
    for (const e of emails) expect(smtp.countFor(e)).toBe(1);

    const third = await startFinrep(args, env, t.dataDir).done;
    expect(JSON.parse(third.stdout)).toMatchObject({ sent: 0, skipped: N, uncertain: 1 });
    expect(smtp.messages).toHaveLength(N);

    const database = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir });
    try {
      const rows = await deliveriesQ.listDeliveries(
        database.db,
        (await deliveriesQ.findEditionByDate(database.db, DATE))!.id,
      );
      const interrupted = rows.filter((r) => r.status === 'uncertain');
      expect(interrupted).toHaveLength(1);
      expect(interrupted[0]).toMatchObject({ email: held.envelope.to[0], messageId: held.messageId, attempts: 1 });
      expect(interrupted[0]!.error).toMatch(/interrupted while sending/);
      expect(rows.filter((r) => r.status === 'sent')).toHaveLength(N - 1);
      const received = new Set(smtp.messages.map((m) => m.messageId));
      for (const r of rows) expect(received.has(r.messageId)).toBe(true);
    } finally {
      await database.close();
    }
  }, 300_000);
});
