import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { editionsQ, llmUsageQ, settingsQ } from '../src/db/queries/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { LABELLED } from '../src/extract/local/testdata/labelled.ts';
import { warmUpLocalExtractor } from '../src/extract/local/index.ts';
import { costOf, DEFAULT_PRICES, PRICES_SETTING } from '../src/extract/prices.ts';
import { runExtract } from '../src/extract/run.ts';
import type { ExtractDeps } from '../src/extract/run.ts';
import { extractionSchema } from '../src/extract/schema.ts';
import { captureLogger, seedStories } from '../src/extract/testdata/support.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DEEPSEEK_KEY = 'sk-ledger-test-SECRET-42424242';
const NOW = new Date('2025-11-10T01:30:00Z'); // 09:30 in Asia/Shanghai

describe(`the extract stage with its ledger and budgets (${TEST_DB})`, () => {
  let t: TestDatabase;
  let deepseek: FakeLlmServer;
  let qwen: FakeLlmServer;
  let logs: ReturnType<typeof captureLogger>;
  let batch = 0;

  beforeAll(async () => {
    warmUpLocalExtractor();
    t = await createTestDatabase();
    deepseek = await startFakeLlm({ style: 'deepseek', apiKey: DEEPSEEK_KEY, retryAfterSec: 0 });
    qwen = await startFakeLlm({ style: 'qwen', retryAfterSec: 0 });
  }, 180_000); // creating a migrated PGlite database is slow on a loaded machine
  afterAll(async () => {
    await deepseek?.close();
    await qwen?.close();
    await t?.drop();
  });
  beforeEach(() => {
    deepseek.configure({ failure: null, failTimes: undefined });
    qwen.configure({ failure: null, failTimes: undefined });
    deepseek.requests.length = 0;
    qwen.requests.length = 0;
    logs = captureLogger();
  });

  /** Stories not seen before (a new source key per batch, a suffix so content hashes differ). */
  const stories = async (n: number) => {
    batch++;
    return seedStories(
      t.db,
      LABELLED.slice(0, n).map((i) => ({ title: i.title, text: `${i.text}（批次${batch}）` })),
      { sourceKey: `test:ledger:${batch}` },
    );
  };
  const deps = async (env: Record<string, string> = {}, now = NOW): Promise<ExtractDeps> => {
    const config = loadConfig(
      {
        PROVIDER_DEEPSEEK_API_KEY: DEEPSEEK_KEY,
        PROVIDER_DEEPSEEK_BASE_URL: deepseek.url,
        PROVIDER_QWEN_API_KEY: 'sk-qwen-test',
        PROVIDER_QWEN_BASE_URL: qwen.url,
        LLM_TIMEOUT_SEC: '2',
        ...env,
      },
      { envFile: null },
    );
    const edition = await editionsQ.ensureEdition(t.db, `2025-11-${String(10 + batch).padStart(2, '0')}`, NOW, NOW);
    return {
      db: t.db,
      log: logs.log,
      llm: config.llm,
      timeZone: config.timeZone,
      now: () => now,
      editionId: edition.id,
      chain: { backoffBaseMs: 1 },
    };
  };

  it('writes one ledger row per call attempt, and the summary totals equal the sum of the calls', async () => {
    const s = await stories(12);
    deepseek.configure({ failure: 'rate_limit', failTimes: 2 });
    const d = await deps();
    const { summary, results } = await runExtract(d, s);
    deepseek.configure({ failure: 'schema_violation', failTimes: 1 });
    const more = await stories(3);
    const second = await runExtract({ ...d }, more);

    expect(results.size).toBe(12);
    for (const x of results.values()) expect(extractionSchema.safeParse(x).success).toBe(true);
    expect(summary).toMatchObject({ articles: 12, by_provider: { deepseek: 12 }, currency: 'CNY', degraded: [] });
    expect(second.summary.by_provider).toEqual({ deepseek: 3 });

    const rows = await llmUsageQ.listEditionUsage(t.db, d.editionId!);
    const served = [...deepseek.requests, ...qwen.requests];
    expect(rows).toHaveLength(served.length); // every HTTP attempt, failed ones included
    expect(rows.filter((r) => r.outcome === 'rate_limited')).toHaveLength(2);
    expect(rows.filter((r) => r.outcome === 'invalid_output')).toHaveLength(1);
    expect(rows.filter((r) => r.purpose === 'repair')).toHaveLength(1);

    const sum = (f: (u: { promptTokens: number; cachedTokens: number; completionTokens: number }) => number) =>
      served.reduce((n, r) => n + (r.usage ? f(r.usage) : 0), 0);
    const both = {
      prompt_tokens: summary.prompt_tokens + second.summary.prompt_tokens,
      cached_tokens: summary.cached_tokens + second.summary.cached_tokens,
      completion_tokens: summary.completion_tokens + second.summary.completion_tokens,
      cost: Math.round((summary.cost + second.summary.cost) * 1e6) / 1e6,
    };
    expect(both.prompt_tokens).toBe(sum((u) => u.promptTokens));
    expect(both.cached_tokens).toBe(sum((u) => u.cachedTokens));
    expect(both.completion_tokens).toBe(sum((u) => u.completionTokens));
    expect(both.cached_tokens).toBeGreaterThan(0);
    const expectedCost = served.reduce(
      (n, r) => n + (r.usage ? costOf(DEFAULT_PRICES['deepseek-chat'], r.usage)! : 0),
      0,
    );
    expect(both.cost).toBeCloseTo(expectedCost, 6);
    expect(both.cost).toBeGreaterThan(0);

    const totals = await llmUsageQ.editionUsage(t.db, d.editionId!);
    expect(totals).toMatchObject({
      calls: rows.length,
      promptTokens: both.prompt_tokens,
      cachedTokens: both.cached_tokens,
      completionTokens: both.completion_tokens,
    });
    expect(totals.cost).toBeCloseTo(both.cost, 6);
    expect(totals.byProvider.deepseek!.calls).toBe(rows.length);
    const rowsCost = rows.reduce((n, r) => n + Number(r.cost), 0);
    expect(rowsCost).toBeCloseTo(both.cost, 6);
    // The usage page's view: the calls were made at 09:30 on 2025-11-10 in Shanghai.
    const days = await llmUsageQ.usageByDay(
      t.db,
      new Date('2025-11-09T16:00:00Z'),
      new Date('2025-11-10T16:00:00Z'),
      'Asia/Shanghai',
    );
    expect(days).toEqual([
      expect.objectContaining({
        day: '2025-11-10',
        provider: 'deepseek',
        calls: rows.length,
        promptTokens: both.prompt_tokens,
      }),
    ]);
  });

  it('reuses text seen before: no call for a stored article or a known content hash', async () => {
    const s = await stories(4);
    const d = await deps();
    await runExtract(d, s);
    const calls = deepseek.requests.length;
    const again = await runExtract(d, s);
    expect(again.summary).toMatchObject({ articles: 0, cached: 0, cost: 0 });
    expect(again.results.size).toBe(4);
    // The same texts under new articles (another source): answered from the cache.
    const copies = await seedStories(
      t.db,
      s.map((x) => ({ title: x.title, text: x.content! })),
      { sourceKey: `test:ledger:copy:${batch}` },
    );
    const cached = await runExtract(d, copies);
    expect(cached.summary).toMatchObject({ articles: 0, cached: 4, cost: 0 });
    expect(deepseek.requests.length).toBe(calls);
  });

  it('sends the rest to the local extractor once the daily budget is reached, and says why', async () => {
    const s = await stories(10);
    const d = await deps({ LLM_DAILY_BUDGET: '0.0005' }, new Date('2025-12-05T01:00:00Z')); // a day with nothing spent yet
    const { summary } = await runExtract(
      { ...d, llm: { ...d.llm, providers: d.llm.providers.map((p) => ({ ...p, concurrency: 1 })) } },
      s,
    );
    const spentBefore = summary.by_provider.deepseek ?? 0;
    expect(spentBefore).toBeGreaterThan(0);
    expect(summary.by_provider.local).toBeGreaterThan(0);
    expect(spentBefore + summary.by_provider.local!).toBe(10);
    expect(summary.degraded).toEqual([
      expect.stringMatching(
        /^budget: daily LLM budget 0\.0005 CNY reached .*; \d+ stories extracted by the local extractor$/,
      ),
    ]);
    expect(logs.text()).toContain('llm budget reached');
    expect(logs.text()).toContain('daily LLM budget 0.0005 CNY reached');
  });

  it("goes local from the start when the ledger already holds this month's budget", async () => {
    await llmUsageQ.recordUsage(t.db, {
      editionId: null,
      articleId: null,
      provider: 'deepseek',
      model: 'deepseek-chat',
      purpose: 'extract',
      promptTokens: 1,
      cachedTokens: 0,
      completionTokens: 1,
      latencyMs: 1,
      outcome: 'ok',
      error: null,
      cost: 50,
      createdAt: new Date('2026-01-02T00:00:00Z'),
    });
    const now = new Date('2026-01-15T01:00:00Z');
    const s = await stories(3);
    const d = await deps({ LLM_MONTHLY_BUDGET: '40' }, now);
    const { summary } = await runExtract(d, s);
    expect(summary.by_provider).toEqual({ local: 3 });
    expect(summary.cost).toBe(0);
    expect(deepseek.requests).toHaveLength(0);
    expect(summary.degraded[0]).toMatch(/^budget: monthly LLM budget 40 CNY reached/);
    // The daily budget counts today only: yesterday's spend does not stop today's calls.
    const daily = await runExtract(await deps({ LLM_DAILY_BUDGET: '40' }, now), await stories(1));
    expect(daily.summary.by_provider).toEqual({ deepseek: 1 });
  });

  it('reports stories that fell to the local extractor because every provider failed', async () => {
    deepseek.configure({ failure: 'server_error' });
    qwen.configure({ failure: 'empty_choices' });
    const { summary } = await runExtract(await deps({ LLM_MAX_RETRIES: '0' }), await stories(2));
    expect(summary.by_provider).toEqual({ local: 2 });
    expect(summary.degraded).toEqual([
      'fallback: 2 stories extracted by the local extractor after every LLM provider failed',
    ]);
  });

  it('prices calls from the admin setting when one is stored', async () => {
    await settingsQ.setSetting(
      t.db,
      PRICES_SETTING,
      { 'deepseek-chat': { input_hit: 0, input_miss: 0, output: 1000 } },
      'test',
    );
    try {
      const { summary } = await runExtract(await deps(), await stories(1));
      expect(summary.cost).toBeCloseTo((summary.completion_tokens * 1000) / 1e6, 6);
    } finally {
      await settingsQ.setSetting(t.db, PRICES_SETTING, {}, 'test');
    }
  });

  it('keeps the API key out of the logs, the summary and the ledger', async () => {
    const d = await deps({ PROVIDER_DEEPSEEK_API_KEY: 'sk-wrong-SECRET-77777777', LLM_MAX_RETRIES: '0' });
    qwen.configure({ failure: 'server_error' });
    const { summary } = await runExtract(d, await stories(2));
    expect(summary.by_provider).toEqual({ local: 2 });
    const rows = await llmUsageQ.listEditionUsage(t.db, d.editionId!);
    expect(rows.some((r) => r.error?.includes('HTTP 401'))).toBe(true);
    const everything = [logs.text(), JSON.stringify(summary), JSON.stringify(rows)].join('\n');
    for (const s of ['sk-wrong-SECRET-77777777', 'SECRET-77777777', DEEPSEEK_KEY, 'sk-qwen-test'])
      expect(everything).not.toContain(s);
    expect(everything).not.toMatch(/Bearer\s+(?!\[redacted\])\S/i);
  });
});
