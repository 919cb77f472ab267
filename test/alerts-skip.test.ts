import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertJobHandler } from '../src/alerts/job.ts';
import type { AlertJobDeps } from '../src/alerts/job.ts';
import { runs } from '../src/db/schema/index.ts';
import { createLogger } from '../src/log.ts';
import type { EditionJob, JobHandle } from '../src/pipeline/queue.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

describe(`the scheduled alert run without a rule (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('records no run and collects nothing when no rule is enabled', async () => {
    // Only the database and the logger are reached before the skip: anything else would throw here.
    const deps = { db: t.db, log: createLogger({ level: 'silent' }) } as unknown as AlertJobDeps;
    const job = { data: { trigger: 'alerts' } } as unknown as JobHandle<EditionJob>;
    await expect(alertJobHandler(deps, job)).resolves.toEqual({ skipped: 'no enabled alert rules' });
    expect(await t.db.select().from(runs)).toHaveLength(0);
  });
});
