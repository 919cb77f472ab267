/**
 * The extract stage: one extraction per story (its representative article). Text seen before costs
 * nothing — an article's own stored extraction, or any stored result for the same content hash, prompt
 * version and model, is reused; the rest go through the chain (LLMs → local). Every call lands in the
 * ledger, and the summary carries this run's totals.
 */
import type { LlmConfig } from '../config/index.ts';
import type { Db } from '../db/client.ts';
import { extractionsQ, llmUsageQ, settingsQ } from '../db/queries/index.ts';
import type { ExtractionRow } from '../db/queries/extractions.ts';
import type { WindowStory } from '../db/queries/articles.ts';
import type { Extraction } from '../domain.ts';
import { mapLimit } from '../lib/pool.ts';
import type { Logger } from '../log.ts';
import { metrics } from '../ops/metrics.ts';
import { BudgetGuard, periodStarts } from './budget.ts';
import { ExtractionChain } from './chain.ts';
import type { ChainOptions, ChainResult, ChainTier, UsageRecord } from './chain.ts';
import { localExtractorVersion } from './local/index.ts';
import { mergePrices, priceTableSchema, PRICES_SETTING, roundCny } from './prices.ts';
import type { PriceTable } from './prices.ts';
import { PROMPT_VERSION } from './prompt.ts';
import { chainOptions, tiersFromConfig } from './setup.ts';
import { degradedText } from './degraded-texts.ts';
import type { CodedText } from '../lib/coded-text.ts';

/** What the extract stage did, in the run summary's shape (DESIGN §6). */
export interface ExtractSummary {
  /** Stories extracted in this run (not reused). */
  articles: number;
  by_provider: Record<string, number>;
  /** Stories answered from the content-hash cache. */
  cached: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost: number;
  currency: 'CNY';
  /** Why some stories did not get the chain's first choice (budget reached, providers failing). */
  degraded: string[];
}

export interface ExtractDeps {
  db: Db;
  log: Logger;
  llm: LlmConfig;
  /** Budgets count days and months in this zone. */
  timeZone: string;
  now: () => Date;
  /** Stamped on every ledger row. */
  editionId?: number | null;
  /** The LLM tiers; built from `llm` when omitted (tests and benchmarks bring their own). */
  tiers?: ChainTier[];
  /** Overrides of the chain's call options (tests: short backoffs). */
  chain?: Partial<ChainOptions>;
  sleep?: (ms: number) => Promise<void>;
}

/** Why stories left the chain's first choice, compactly (what `degradedReasons` reads), to merge across jobs. */
export interface ExtractOutcomes {
  outcomes: Pick<ChainResult, 'provider' | 'skipped'>[];
  budgetAtStart: string | null;
  budgetNow: string | null;
}

/** Extracts one representative article per story. */
export async function runExtract(
  deps: ExtractDeps,
  stories: WindowStory[],
): Promise<{ summary: ExtractSummary; results: Map<number, Extraction>; outcomes: ExtractOutcomes }> {
  const { db, log } = deps;
  const summary: ExtractSummary = {
    articles: 0,
    by_provider: {},
    cached: 0,
    prompt_tokens: 0,
    cached_tokens: 0,
    completion_tokens: 0,
    cost: 0,
    currency: 'CNY',
    degraded: [],
  };
  const results = new Map<number, Extraction>();
  const tiers = deps.tiers ?? tiersFromConfig(deps.llm);
  const budget = await loadBudget(deps);
  const budgetAtStart = budget.exceeded();
  const llmUsable = tiers.length > 0 && budgetAtStart === null;
  // Once per story (each extract job): debug, not info — 165 stories wrote 22 KB of this line per edition.
  if (tiers.length === 0) log.debug('no LLM provider configured: extracting with the local extractor');

  // 1. Reuse: the article's own extraction, then the content-hash cache.
  const models = tiers.map((t) => t.provider.model);
  const reusable = (r: ExtractionRow) =>
    r.promptVersion === PROMPT_VERSION
      ? !llmUsable || models.includes(r.model)
      : r.provider === 'local' && r.promptVersion === localExtractorVersion && !llmUsable;
  const existing = await extractionsQ.latestExtractions(
    db,
    stories.map((s) => s.articleId),
  );
  const todo: WindowStory[] = [];
  for (const s of stories) {
    const row = existing.get(s.articleId);
    if (row && reusable(row)) results.set(s.articleId, row.result);
    else todo.push(s);
  }
  const keys = [
    ...models.map((model) => ({ promptVersion: PROMPT_VERSION, model })),
    ...(llmUsable ? [] : [{ promptVersion: localExtractorVersion, model: 'local' }]),
  ];
  const cache = bestByContent(
    await extractionsQ.findCachedByContent(
      db,
      todo.map((s) => s.contentHash),
      keys,
    ),
    keys,
  );
  const fresh: WindowStory[] = [];
  for (const s of todo) {
    const hit = cache.get(s.contentHash);
    if (!hit) {
      fresh.push(s);
      continue;
    }
    await extractionsQ.saveExtraction(db, {
      articleId: s.articleId,
      provider: hit.provider,
      model: hit.model,
      promptVersion: hit.promptVersion,
      contentHash: s.contentHash,
      result: hit.result,
    });
    results.set(s.articleId, hit.result);
    summary.cached++;
  }

  // 2. The chain for the rest.
  const chain = new ExtractionChain(
    tiers,
    {
      log,
      prices: await loadPrices(db, deps.llm, log),
      sleep: deps.sleep,
      record: async (u: UsageRecord) => {
        // The stage's clock, so that budgets (which count by `now`) and the ledger agree.
        await llmUsageQ.recordUsage(db, { ...u, editionId: deps.editionId ?? null, createdAt: deps.now() });
        metrics.llmCall(u);
        summary.prompt_tokens += u.promptTokens;
        summary.cached_tokens += u.cachedTokens;
        summary.completion_tokens += u.completionTokens;
        summary.cost = roundCny(summary.cost + u.cost);
        budget.add(u.cost);
      },
      budgetExceeded: onceLogged(
        () => budget.exceeded(),
        (reason) => log.warn({ reason }, 'llm budget reached: the remaining stories go to the local extractor'),
      ),
    },
    { ...chainOptions(deps.llm), ...deps.chain },
  );
  const outcomes: ChainResult[] = [];
  // Twice the providers' slots: while one story writes its ledger row and extraction, another already waits
  // for the freed slot, so the providers' limits (not our database writes) set the pace.
  const parallel = Math.max(1, 2 * tiers.reduce((n, t) => n + t.limiter.concurrency, 0));
  await mapLimit(fresh, parallel, async (s) => {
    let r: ChainResult;
    try {
      r = await chain.extract(
        { title: s.title, source: s.sourceName, publishedAt: s.publishedAt, text: s.content ?? s.summary ?? s.title },
        s.articleId,
      );
    } catch (err) {
      log.error({ article_id: s.articleId, err }, 'extraction failed');
      return;
    }
    outcomes.push(r);
    await extractionsQ.saveExtraction(db, {
      articleId: s.articleId,
      provider: r.provider,
      model: r.model,
      promptVersion: r.promptVersion,
      contentHash: s.contentHash,
      result: r.extraction,
    });
    results.set(s.articleId, r.extraction);
    summary.articles++;
    summary.by_provider[r.provider] = (summary.by_provider[r.provider] ?? 0) + 1;
  });

  const budgetNow = budget.exceeded();
  summary.degraded = degradedReasons(outcomes, budgetAtStart, budgetNow);
  for (const reason of summary.degraded) log.warn({ reason }, 'extraction degraded');
  return {
    summary,
    results,
    outcomes: {
      outcomes: outcomes.filter((o) => o.skipped.length > 0).map((o) => ({ provider: o.provider, skipped: o.skipped })),
      budgetAtStart,
      budgetNow,
    },
  };
}

/** The ledger's spend so far today and this month, against the configured budgets. */
async function loadBudget(deps: ExtractDeps): Promise<BudgetGuard> {
  const limits = { daily: deps.llm.dailyBudget, monthly: deps.llm.monthlyBudget };
  if (limits.daily === null && limits.monthly === null) return new BudgetGuard(limits, { day: 0, month: 0 });
  const starts = periodStarts(deps.now(), deps.timeZone);
  return new BudgetGuard(limits, {
    day: await llmUsageQ.spentSince(deps.db, starts.day),
    month: await llmUsageQ.spentSince(deps.db, starts.month),
  });
}

/** Built-in prices, then `LLM_PRICES`, then the admin's `llm.prices` setting (ignored, with a warning, when malformed). */
async function loadPrices(db: Db, llm: LlmConfig, log: Logger): Promise<PriceTable> {
  const raw = await settingsQ.getSetting(db, PRICES_SETTING);
  if (raw === null) return mergePrices(llm.prices);
  const parsed = priceTableSchema.safeParse(raw);
  if (!parsed.success) {
    log.warn(
      { setting: PRICES_SETTING, problem: parsed.error.issues[0]?.message },
      'ignoring a malformed price setting',
    );
    return mergePrices(llm.prices);
  }
  return mergePrices(llm.prices, parsed.data);
}

/** For each content hash, the cached row of the most preferred (prompt version, model) key. */
function bestByContent(
  rows: ExtractionRow[],
  keys: { promptVersion: string; model: string }[],
): Map<string, ExtractionRow> {
  const rank = (r: ExtractionRow) => keys.findIndex((k) => k.promptVersion === r.promptVersion && k.model === r.model);
  const best = new Map<string, ExtractionRow>();
  for (const r of rows) {
    const cur = best.get(r.contentHash);
    if (!cur || rank(r) < rank(cur)) best.set(r.contentHash, r);
  }
  return best;
}

/** Calls `check`; the first time it returns a reason, reports it once. */
function onceLogged(check: () => string | null, report: (reason: string) => void): () => string | null {
  let reported = false;
  return () => {
    const reason = check();
    if (reason !== null && !reported) {
      reported = true;
      report(reason);
    }
    return reason;
  };
}

/** One line per cause of degradation, for the summary and the log. */
export function degradedReasons(
  outcomes: readonly Pick<ChainResult, 'provider' | 'skipped'>[],
  budgetAtStart: string | null,
  budgetNow: string | null,
): string[] {
  return degradedTexts(outcomes, budgetAtStart, budgetNow).map((t) => t.text);
}

/** {@link degradedReasons} with their codes, for the run's events (which the console translates). */
export function degradedTexts(
  outcomes: readonly Pick<ChainResult, 'provider' | 'skipped'>[],
  budgetAtStart: string | null,
  budgetNow: string | null,
): CodedText[] {
  const out: CodedText[] = [];
  const local = outcomes.filter((o) => o.provider === 'local' && o.skipped.length > 0);
  const byBudget = local.filter((o) => o.skipped.some((s) => s.reason === 'budget')).length;
  const byFailure = local.length - byBudget;
  const budgetReason = budgetNow ?? budgetAtStart;
  if (byBudget > 0 && budgetReason) out.push(degradedText('extract.budget', { reason: budgetReason, count: byBudget }));
  if (byFailure > 0) out.push(degradedText('extract.fallback', { count: byFailure }));
  const passed = new Map<string, Map<string, number>>();
  for (const o of outcomes) {
    if (o.provider === 'local') continue;
    for (const s of o.skipped) {
      const m = passed.get(s.provider) ?? new Map<string, number>();
      m.set(s.reason, (m.get(s.reason) ?? 0) + 1);
      passed.set(s.provider, m);
    }
  }
  for (const [provider, reasons] of passed) {
    const n = [...reasons.values()].reduce((a, b) => a + b, 0);
    const why = [...reasons].map(([r, k]) => `${r} ${k}`).join(', ');
    out.push(degradedText('extract.nextProvider', { provider, count: n, reasons: why }));
  }
  return out;
}
