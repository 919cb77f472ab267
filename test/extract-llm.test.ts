import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { editionsQ, llmUsageQ } from '../src/db/queries/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { captureLogger } from '../src/extract/testdata/support.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';

const DATE = '2025-11-10';
const KEY = 'sk-e2e-SECRET-1234567890abcdef';

/** A demo-world edition (dry run: extraction is what this test is about) on a fresh database. */
async function edition(env: Record<string, string>) {
  const t = await createTestDatabase();
  const config = loadConfig({ FINREP_DATA_DIR: t.dataDir, ...env }, { envFile: null });
  const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
  const world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
  const keys = await seedDemo(t.db, world);
  const logs = captureLogger();
  const run = () =>
    runEdition(
      { db: t.db, config, log: logs.log, now: () => new Date(), mailer: null, secret: 'test-secret-0123456789' },
      { date: DATE, sourceKeys: keys, dryRun: true },
    );
  return { t, world, run, logs };
}

/** A whole edition, and creating a migrated PGlite database, take a while on a loaded machine. */
const SETUP_MS = 180_000;

describe(`an edition's extraction through the LLM chain (${TEST_DB})`, () => {
  let fake: FakeLlmServer;
  let withKey: Awaited<ReturnType<typeof edition>>;

  beforeAll(async () => {
    fake = await startFakeLlm({ style: 'deepseek', apiKey: KEY });
    withKey = await edition({ PROVIDER_DEEPSEEK_API_KEY: KEY, PROVIDER_DEEPSEEK_BASE_URL: fake.url });
  }, SETUP_MS);
  afterAll(async () => {
    await withKey?.world.close();
    await withKey?.t.drop();
    await fake?.close();
  });

  it(
    'extracts with DeepSeek when it is configured: cached tokens and a cost above zero in the summary',
    async () => {
      const summary = await withKey.run();
      const x = summary.extract;
      expect(x.articles).toBeGreaterThan(100);
      expect(x.by_provider).toEqual({ deepseek: x.articles });
      expect(x.prompt_tokens).toBeGreaterThan(0);
      expect(x.cached_tokens).toBeGreaterThan(0);
      expect(x.completion_tokens).toBeGreaterThan(0);
      expect(x.cost).toBeGreaterThan(0);
      expect(x).toMatchObject({ currency: 'CNY', degraded: [], cached: 0 });
      expect(fake.requests.length).toBe(x.articles); // one call per story

      // The edition's ledger holds exactly what the summary reports.
      const ed = await editionsQ.ensureEdition(withKey.t.db, DATE, new Date(), new Date());
      const totals = await llmUsageQ.editionUsage(withKey.t.db, ed.id);
      expect(totals).toMatchObject({
        calls: x.articles,
        promptTokens: x.prompt_tokens,
        cachedTokens: x.cached_tokens,
        completionTokens: x.completion_tokens,
      });
      expect(totals.cost).toBeCloseTo(x.cost, 6);
      expect(summary.report.items).toBeGreaterThan(10);
      expect(`${withKey.logs.text()}${JSON.stringify(summary)}`).not.toContain(KEY);
    },
    SETUP_MS,
  );

  it(
    'costs nothing when the same edition runs again',
    async () => {
      const before = fake.requests.length;
      const summary = await withKey.run();
      expect(summary.extract).toMatchObject({ articles: 0, cost: 0, prompt_tokens: 0 });
      expect(fake.requests.length).toBe(before);
    },
    SETUP_MS,
  );
});

describe(`an edition's extraction with no LLM key (${TEST_DB})`, () => {
  let noKeys: Awaited<ReturnType<typeof edition>>;
  beforeAll(async () => {
    noKeys = await edition({});
  }, SETUP_MS);
  afterAll(async () => {
    await noKeys?.world.close();
    await noKeys?.t.drop();
  });

  it(
    'extracts locally, at no cost',
    async () => {
      const summary = await noKeys.run();
      const x = summary.extract;
      expect(x.articles).toBeGreaterThan(100);
      expect(x.by_provider).toEqual({ local: x.articles });
      expect(x).toMatchObject({
        prompt_tokens: 0,
        cached_tokens: 0,
        completion_tokens: 0,
        cost: 0,
        currency: 'CNY',
        degraded: [],
      });
    },
    SETUP_MS,
  );
});
