/**
 * A run whose edition has a delivery of unknown outcome (`uncertain`: a worker died during the SMTP
 * conversation, and the row is never re-sent automatically) ends `partial`, not `ok`: the console must not
 * show a clean run while a recipient may not have the edition (bench:chaos, kill trial 9 of seed 1).
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { deliveriesQ, editionsQ, recipientsQ, runsQ } from '../src/db/queries/index.ts';
import { createOutboxMailer } from '../src/deliver/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DATE = '2025-11-12';
const log = silentLogger();

describe(`a run with an uncertain delivery ends partial (${TEST_DB})`, () => {
  let world: DemoWorld | undefined;
  let t: TestDatabase | undefined;

  beforeAll(async () => {
    const { to } = editionWindow(DATE, { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: 'Asia/Shanghai' });
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await world?.close();
    await t?.drop();
  });

  it('partial, with the uncertain row counted, the other recipients sent once', async () => {
    const keys = await seedDemo(t!.db, world!);
    const window = editionWindow(DATE, { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 });
    const edition = await editionsQ.ensureEdition(t!.db, DATE, window.from, window.to);
    const [first, ...others] = await recipientsQ.listActiveRecipients(t!.db);
    // An earlier attempt of this edition died mid-send to the first recipient.
    await deliveriesQ.queueDeliveries(t!.db, edition.id, [{ recipientId: first!.id, email: first!.email }]);
    await t!.db.execute(
      sql`update delivery_log set status = 'uncertain' where edition_id = ${edition.id} and recipient_id = ${first!.id}`,
    );
    const config = loadConfig({ FINREP_DATA_DIR: t!.dataDir, MAIL_RATE_LIMIT_PER_SEC: '50' }, { envFile: null });
    const mailer = createOutboxMailer(path.join(t!.dataDir, 'outbox', DATE), { log });
    const summary = await runEdition(
      { db: t!.db, config, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' },
      { date: DATE, sourceKeys: keys },
    ).finally(() => mailer.close());

    expect(summary.deliver).toMatchObject({ sent: others.length, failed: 0, uncertain: 1, error: null });
    expect(summary.status).toBe('partial');
    expect(await runsQ.getRun(t!.db, summary.run_id!)).toMatchObject({ status: 'partial' });
    expect(await editionsQ.findEditionByDate(t!.db, DATE)).toMatchObject({ status: 'partial' });
  }, 240_000);
});
