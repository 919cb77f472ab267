/**
 * An edition whose LLM providers all failed (extracted by the local extractor instead) says so in its run's
 * events, where the console's run page shows them — not only deep in the summary (bench:chaos outage).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { runsQ } from '../src/db/queries/index.ts';
import { createOutboxMailer } from '../src/deliver/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DATE = '2025-11-13';
const KEY = 'sk-fallback-test-0123456789';
const log = silentLogger();

describe(`an edition whose LLM providers are down tells why in its events (${TEST_DB})`, () => {
  let world: DemoWorld | undefined;
  let fake: FakeLlmServer | undefined;
  let t: TestDatabase | undefined;

  beforeAll(async () => {
    const { to } = editionWindow(DATE, { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: 'Asia/Shanghai' });
    fake = await startFakeLlm({ style: 'deepseek', apiKey: KEY, failure: 'server_error' });
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await world?.close();
    await fake?.close();
    await t?.drop();
  });

  it('a degraded event for the stories the local extractor did after every provider failed', async () => {
    const keys = await seedDemo(t!.db, world!);
    const config = loadConfig(
      {
        FINREP_DATA_DIR: t!.dataDir,
        MAIL_RATE_LIMIT_PER_SEC: '50',
        LLM_PROVIDERS: 'deepseek',
        PROVIDER_DEEPSEEK_API_KEY: KEY,
        PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
        LLM_MAX_RETRIES: '0',
      },
      { envFile: null },
    );
    const mailer = createOutboxMailer(path.join(t!.dataDir, 'outbox', DATE), { log });
    const summary = await runEdition(
      { db: t!.db, config, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' },
      { date: DATE, sourceKeys: keys },
    ).finally(() => mailer.close());

    expect(Object.keys(summary.extract.by_provider)).toEqual(['local']);
    const fallback = summary.extract.degraded.find((l) =>
      /^fallback: \d+ stories extracted by the local extractor after every LLM provider failed$/.test(l),
    );
    expect(fallback).toBeDefined();
    const events = await runsQ.listRunEvents(t!.db, summary.run_id!);
    const degraded = events.filter((e) => e.kind === 'degraded');
    expect(degraded.map((e) => e.message)).toContain(fallback);
    expect(degraded.find((e) => e.message === fallback)?.stage).toBe('extract');
  }, 240_000);
});
