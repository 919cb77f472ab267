/**
 * `npm run bench:extract`: the extract stage for 600 stories against the fake OpenAI-compatible server at
 * 1.5 s per answer with 8 calls in flight, compared with the bound ⌈600 / 8⌉ × 1.5 s (goal ≤ 1.1×), and the
 * tokens and cost per story. Embedded database (PGlite) in a temporary folder, everything in-process.
 * Results: bench/results/extract.json.
 *
 * Options: --stories N, --latency-ms N, --concurrency N.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/client.ts';
import { editionsQ, llmUsageQ } from '../src/db/queries/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import { warmUpLocalExtractor } from '../src/extract/local/index.ts';
import { LABELLED } from '../src/extract/local/testdata/labelled.ts';
import { runExtract } from '../src/extract/run.ts';
import { captureLogger, seedStories } from '../src/extract/testdata/support.ts';

const { values } = parseArgs({
  options: {
    stories: { type: 'string', default: '600' },
    'latency-ms': { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '8' },
  },
});
const N = Number(values.stories);
const LATENCY = Number(values['latency-ms']);
const CONCURRENCY = Number(values.concurrency);

warmUpLocalExtractor();
const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-extract-'));
const database = await openDatabase({ databaseUrl: null, dataDir });
const fake = await startFakeLlm({ style: 'deepseek', latencyMs: LATENCY });
try {
  // 600 distinct stories: the labelled items, each rewritten with its own number so content hashes differ.
  const items = Array.from({ length: N }, (_, i) => {
    const base = LABELLED[i % LABELLED.length]!;
    return { title: `${base.title}（${i + 1}）`, text: `${base.text}\n\n（本文为第${i + 1}篇，编号${1000 + i}。）` };
  });
  const stories = await seedStories(database.db, items, { sourceKey: 'bench:extract' });
  const config = loadConfig(
    {
      FINREP_DATA_DIR: dataDir,
      PROVIDER_DEEPSEEK_API_KEY: 'sk-bench',
      PROVIDER_DEEPSEEK_BASE_URL: fake.url,
      LLM_CONCURRENCY: String(CONCURRENCY),
    },
    { envFile: null },
  );
  const edition = await editionsQ.ensureEdition(database.db, '2025-11-10', new Date(), new Date());
  const { log } = captureLogger();

  const t0 = performance.now();
  const { summary } = await runExtract(
    { db: database.db, log, llm: config.llm, timeZone: config.timeZone, now: () => new Date(), editionId: edition.id },
    stories,
  );
  const seconds = (performance.now() - t0) / 1000;

  const bound = Math.ceil(N / CONCURRENCY) * (LATENCY / 1000);
  const ledger = await llmUsageQ.editionUsage(database.db, edition.id);
  const per = (x: number) => Math.round((x / N) * 10) / 10;
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    database: database.kind,
    stories: N,
    latency_ms: LATENCY,
    concurrency: CONCURRENCY,
    seconds: Math.round(seconds * 100) / 100,
    bound_seconds: bound,
    ratio: Math.round((seconds / bound) * 1000) / 1000,
    goal_ratio: 1.1,
    by_provider: summary.by_provider,
    calls: ledger.calls,
    per_story: {
      prompt_tokens: per(summary.prompt_tokens),
      cached_tokens: per(summary.cached_tokens),
      input_tokens_uncached: per(summary.prompt_tokens - summary.cached_tokens),
      completion_tokens: per(summary.completion_tokens),
      cost_cny: Math.round((summary.cost / N) * 1e6) / 1e6,
    },
    totals: {
      prompt_tokens: summary.prompt_tokens,
      cached_tokens: summary.cached_tokens,
      completion_tokens: summary.completion_tokens,
      cost_cny: summary.cost,
    },
  };
  process.stdout.write(
    `${N} stories, ${LATENCY} ms per call, ${CONCURRENCY} in flight: ${result.seconds} s (bound ${bound} s, ratio ${result.ratio}, goal ≤ 1.1)\n`,
  );
  process.stdout.write(
    `per story: ${result.per_story.prompt_tokens} prompt tokens (${result.per_story.cached_tokens} cached), ${result.per_story.completion_tokens} completion tokens, ${result.per_story.cost_cny} CNY\n`,
  );
  const out = path.resolve('bench/results/extract.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written to ${path.relative(process.cwd(), out)}\n`);
  if (result.ratio > 1.1) process.exitCode = 1;
} finally {
  await fake.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
