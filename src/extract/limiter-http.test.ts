import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { ExtractionChain } from './chain.ts';
import { startFakeLlm } from './fake-server.ts';
import type { FakeLlmOptions, FakeLlmServer } from './fake-server.ts';
import { warmUpLocalExtractor } from './local/index.ts';
import { DEFAULT_PRICES } from './prices.ts';
import { tiersFromConfig } from './setup.ts';
import { captureLogger } from './testdata/support.ts';

const LIMIT = 3;

/** Distinct articles (a distinct prompt each), as the extract stage sends them. */
const articles = Array.from({ length: 36 }, (_, i) => ({
  title: `第${i + 1}号公司发布三季报`,
  source: '证券时报',
  publishedAt: null,
  text: `第${i + 1}号公司前三季度实现营业收入${100 + i}亿元，同比增长${i % 17}.5%；归母净利润${10 + i}亿元。`,
}));

/**
 * Extracts every article with twice the provider's slots of callers at once (as the extract stage and the
 * in-process queue do) and returns the most requests the provider saw open at once.
 */
async function peakSeenByProvider(fake: FakeLlmServer, opts: { timeoutSec: number }): Promise<number> {
  // The tiers exactly as a process builds them from its configuration.
  const { llm } = loadConfig(
    {
      FINREP_DATA_DIR: '.',
      LLM_PROVIDERS: 'deepseek',
      PROVIDER_DEEPSEEK_API_KEY: 'sk-limit-test-key',
      PROVIDER_DEEPSEEK_BASE_URL: fake.url,
      LLM_CONCURRENCY: String(LIMIT),
      LLM_TIMEOUT_SEC: String(opts.timeoutSec),
      LLM_BREAKER_FAILURES: '1000',
    },
    { envFile: null },
  );
  const tiers = tiersFromConfig(llm);
  const chain = new ExtractionChain(
    tiers,
    {
      log: captureLogger().log,
      prices: DEFAULT_PRICES,
      budgetExceeded: () => null,
      record: async () => {},
    },
    { maxRetries: 2, maxOutputTokens: 512, maxInputChars: 3000, backoffBaseMs: 5, backoffMaxMs: 20 },
  );
  const queue = [...articles];
  await Promise.all(
    Array.from({ length: 2 * LIMIT }, async () => {
      for (let a = queue.shift(); a; a = queue.shift()) await chain.extract(a);
    }),
  );
  expect(tiers[0]!.limiter.inFlight).toBe(0);
  return fake.peakInFlight;
}

/**
 * LLM_CONCURRENCY is the provider's limit, counted where the provider counts it: requests open on its
 * server, from arrival until the response ended or the connection closed — whatever happens to a call
 * (answered, rate-limited and retried, failed, timed out and abandoned).
 */
describe('a provider never sees more requests at once than its concurrency limit', () => {
  beforeAll(() => warmUpLocalExtractor());

  const cases: { name: string; fake: FakeLlmOptions; timeoutSec: number }[] = [
    { name: 'every call answered', fake: { latencyMs: 60 }, timeoutSec: 10 },
    {
      name: 'a third rate-limited (429, Retry-After 0) and retried',
      fake: { latencyMs: 40, failure: 'rate_limit', failRate: 0.33, retryAfterSec: 0 },
      timeoutSec: 10,
    },
    {
      name: 'a third failing with 500 and retried',
      fake: { latencyMs: 40, failure: 'server_error', failRate: 0.33 },
      timeoutSec: 10,
    },
    {
      name: 'a quarter never answered: the client times out and abandons them',
      fake: { latencyMs: 40, failure: 'hang', failRate: 0.25 },
      timeoutSec: 1,
    },
  ];
  const servers: FakeLlmServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const c of cases) {
    it(
      c.name,
      async () => {
        const fake = await startFakeLlm({ style: 'deepseek', ...c.fake });
        servers.push(fake);
        const peak = await peakSeenByProvider(fake, { timeoutSec: c.timeoutSec });
        expect(fake.requests.length).toBeGreaterThanOrEqual(articles.length);
        expect(peak).toBeLessThanOrEqual(LIMIT);
        expect(peak).toBe(LIMIT); // the limit is used, not just respected
      },
      60_000,
    );
  }
});
