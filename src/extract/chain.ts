/**
 * The provider chain for one article: each configured LLM in order (DeepSeek → Qwen → … by default), then
 * the local extractor, which always answers. Per LLM: retries with backoff on 429 (honouring
 * Retry-After), 5xx, timeouts and network errors; one repair request quoting the validation problem when a
 * reply is not a valid extraction; then the next tier. Every HTTP attempt is reported to `record` (the
 * ledger) with its tokens and cost.
 */
import type { ArticleInput, Extraction } from '../domain.ts';
import type { Logger } from '../log.ts';
import { CircuitBreaker } from './breaker.ts';
import { RateLimiter } from './limiter.ts';
import { extractLocal, localExtractorVersion } from './local/index.ts';
import { parseExtractionReply } from './parse.ts';
import { costOf } from './prices.ts';
import type { PriceTable } from './prices.ts';
import { buildMessages, PROMPT_VERSION, repairMessages } from './prompt.ts';
import type { ChatMessage, LlmProvider, LlmResponse, TokenUsage } from './provider.ts';
import { LlmCallError, LlmOutputError } from './provider.ts';

/** One LLM of the chain with its breaker and limits. */
export interface ChainTier {
  provider: LlmProvider;
  breaker: CircuitBreaker;
  limiter: RateLimiter;
}

/** One ledger row: a single HTTP attempt. */
export interface UsageRecord extends TokenUsage {
  provider: string;
  model: string;
  purpose: 'extract' | 'repair';
  articleId: number | null;
  latencyMs: number;
  /** `ok`, `invalid_output`, `empty`, or the `LlmFailure` kind. */
  outcome: string;
  error: string | null;
  /** CNY; 0 when the model has no price. */
  cost: number;
}

/** Why a tier did not give this article's extraction. */
export type SkipReason = 'budget' | 'circuit_open' | 'failed' | 'invalid_output';

export interface ChainResult {
  extraction: Extraction;
  provider: string;
  model: string;
  promptVersion: string;
  /** The tiers passed over before the one that answered. */
  skipped: { provider: string; reason: SkipReason; detail: string }[];
}

export interface ChainOptions {
  maxRetries: number;
  maxOutputTokens: number;
  maxInputChars: number;
  /** First backoff; doubles per retry, with jitter. @defaultValue 1000 */
  backoffBaseMs?: number;
  /** @defaultValue 20 000 */
  backoffMaxMs?: number;
  /** A Retry-After longer than this sends the article to the next tier instead of waiting. @defaultValue 30 000 */
  maxRetryAfterMs?: number;
}

export interface ChainDeps {
  log: Logger;
  prices: PriceTable;
  /** Writes one ledger row (and counts it in the run's totals). */
  record: (u: UsageRecord) => Promise<void>;
  /** Why LLM calls must stop now (a budget reached), or null. */
  budgetExceeded: () => string | null;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

class BreakerOpenError extends Error {
  override name = 'BreakerOpenError';
}

/** Tiers for providers, each with its own breaker and limiter. */
export function makeTiers(
  providers: { provider: LlmProvider; concurrency: number; rpm: number }[],
  breaker: { failures: number; cooldownMs: number; now?: () => number },
): ChainTier[] {
  return providers.map(({ provider, concurrency, rpm }) => ({
    provider,
    breaker: new CircuitBreaker(provider.name, breaker),
    limiter: new RateLimiter({ concurrency, rpm }),
  }));
}

export class ExtractionChain {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly unpriced = new Set<string>();

  constructor(
    readonly tiers: readonly ChainTier[],
    private readonly deps: ChainDeps,
    private readonly opts: ChainOptions,
  ) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
  }

  /** The extraction of one article from the first tier that gives a valid one; the local extractor last. */
  async extract(article: ArticleInput, articleId: number | null = null): Promise<ChainResult> {
    const skipped: ChainResult['skipped'] = [];
    for (const tier of this.tiers) {
      const name = tier.provider.name;
      const budget = this.deps.budgetExceeded();
      if (budget !== null) {
        skipped.push({ provider: name, reason: 'budget', detail: budget });
        continue;
      }
      try {
        const extraction = await this.fromTier(tier, article, articleId);
        return { extraction, provider: name, model: tier.provider.model, promptVersion: PROMPT_VERSION, skipped };
      } catch (err) {
        if (err instanceof BreakerOpenError) {
          // Expected while a provider is down: the opening was logged once, not once per article.
          skipped.push({ provider: name, reason: 'circuit_open', detail: `${name}: circuit open` });
          this.deps.log.debug({ provider: name, article_id: articleId }, 'llm circuit open: skipping the provider');
          continue;
        }
        if (err instanceof LlmOutputError)
          skipped.push({ provider: name, reason: 'invalid_output', detail: err.message });
        else if (err instanceof LlmCallError) skipped.push({ provider: name, reason: 'failed', detail: err.message });
        // Anything else is a bug in an adapter; the article still gets an extraction from the next tier.
        else
          skipped.push({
            provider: name,
            reason: 'failed',
            detail: `${name}: ${(err as Error).name}: ${(err as Error).message}`.slice(0, 300),
          });
        this.deps.log.warn(
          { provider: name, article_id: articleId, reason: skipped.at(-1)!.reason, err },
          'llm tier gave no extraction; trying the next',
        );
      }
    }
    return {
      extraction: extractLocal(article),
      provider: 'local',
      model: 'local',
      promptVersion: localExtractorVersion,
      skipped,
    };
  }

  /** One tier: a call, and one repair call when the reply does not validate. */
  private async fromTier(tier: ChainTier, article: ArticleInput, articleId: number | null): Promise<Extraction> {
    let messages = buildMessages(article, { maxInputChars: this.opts.maxInputChars });
    let problem = '';
    for (const purpose of ['extract', 'repair'] as const) {
      const { res, latencyMs } = await this.call(tier, messages, purpose, articleId);
      const parsed = parseExtractionReply(res.content);
      await this.record(
        tier,
        purpose,
        articleId,
        res.usage,
        latencyMs,
        parsed.ok ? 'ok' : res.content ? 'invalid_output' : 'empty',
        parsed.ok ? null : parsed.problem,
      );
      if (parsed.ok) return parsed.value;
      problem = parsed.problem;
      this.deps.log.warn(
        { provider: tier.provider.name, article_id: articleId, purpose, problem: problem.slice(0, 300) },
        'llm reply is not a valid extraction',
      );
      messages = repairMessages(messages, res.content, problem);
    }
    throw new LlmOutputError(tier.provider.name, problem.slice(0, 300), null);
  }

  /** One request with retries; every failed attempt is recorded here, a successful one by the caller. */
  private async call(
    tier: ChainTier,
    messages: ChatMessage[],
    purpose: 'extract' | 'repair',
    articleId: number | null,
  ): Promise<{ res: LlmResponse; latencyMs: number }> {
    const { provider, breaker } = tier;
    for (let attempt = 0; ; attempt++) {
      let t0 = this.now();
      try {
        const res = await tier.limiter.run(async () => {
          if (!breaker.tryAcquire()) throw new BreakerOpenError(provider.name);
          t0 = this.now();
          return provider.complete({ messages, maxTokens: this.opts.maxOutputTokens });
        });
        if (breaker.success())
          this.deps.log.info({ provider: provider.name }, 'llm circuit closed: provider answers again');
        return { res, latencyMs: Math.round(this.now() - t0) };
      } catch (err) {
        if (!(err instanceof LlmCallError)) {
          if (!(err instanceof BreakerOpenError)) breaker.release();
          throw err;
        }
        const latencyMs = Math.round(this.now() - t0);
        if (breaker.failure()) {
          this.deps.log.warn(
            { provider: provider.name, failures: breaker.failures, err },
            'llm circuit opened: skipping the provider until the cool-down ends',
          );
        }
        await this.record(
          tier,
          purpose,
          articleId,
          { promptTokens: 0, cachedTokens: 0, completionTokens: 0 },
          latencyMs,
          err.kind,
          err.message,
        );
        const wait = this.retryDelay(err, attempt);
        this.deps.log.warn(
          {
            provider: provider.name,
            article_id: articleId,
            attempt: attempt + 1,
            outcome: err.kind,
            status: err.status,
            retry_in_ms: wait,
            err,
          },
          'llm call failed',
        );
        if (wait === null) throw err;
        await this.sleep(wait);
      }
    }
  }

  /** Milliseconds to wait before the next attempt, or null to give up on this tier. */
  private retryDelay(err: LlmCallError, attempt: number): number | null {
    if (!err.retryable || attempt >= this.opts.maxRetries) return null;
    if (err.retryAfterMs !== null)
      return err.retryAfterMs <= (this.opts.maxRetryAfterMs ?? 30_000) ? err.retryAfterMs : null;
    const cap = Math.min(this.opts.backoffMaxMs ?? 20_000, (this.opts.backoffBaseMs ?? 1000) * 2 ** attempt);
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  private async record(
    tier: ChainTier,
    purpose: 'extract' | 'repair',
    articleId: number | null,
    usage: TokenUsage,
    latencyMs: number,
    outcome: string,
    error: string | null,
  ): Promise<void> {
    const { name, model } = tier.provider;
    const price = this.deps.prices[model];
    if (!price && !this.unpriced.has(model) && usage.promptTokens + usage.completionTokens > 0) {
      this.unpriced.add(model);
      this.deps.log.warn(
        { provider: name, model },
        'no price for this model: its calls are recorded at cost 0 (set LLM_PRICES or the llm.prices setting)',
      );
    }
    await this.deps.record({
      provider: name,
      model,
      purpose,
      articleId,
      ...usage,
      latencyMs,
      outcome,
      error,
      cost: costOf(price, usage) ?? 0,
    });
  }
}
