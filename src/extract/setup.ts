/**
 * The chain as configured: `LLM_PROVIDERS` order; DeepSeek and Qwen take part when their API key is set,
 * a provider added by configuration (a self-hosted endpoint) whenever it is listed.
 */
import type { LlmConfig } from '../config/index.ts';
import { makeTiers } from './chain.ts';
import type { ChainOptions, ChainTier } from './chain.ts';
import { createOpenAiCompatible } from './openai-compatible.ts';

/** Names whose endpoint is the vendor's cloud: without a key they are left out of the chain. */
const KEYED_PRESETS = new Set(['deepseek', 'qwen']);

/** The enabled providers' tiers, in chain order. */
export function tiersFromConfig(llm: LlmConfig): ChainTier[] {
  const enabled = llm.providers.filter((p) => p.apiKey !== null || !KEYED_PRESETS.has(p.name));
  return makeTiers(
    enabled.map((p) => ({
      provider: createOpenAiCompatible({
        name: p.name,
        baseUrl: p.baseUrl,
        model: p.model,
        apiKey: p.apiKey,
        timeoutMs: llm.timeoutSec * 1000,
        maxConnections: p.concurrency,
      }),
      concurrency: p.concurrency,
      rpm: p.rpm,
    })),
    { failures: llm.breaker.failures, cooldownMs: llm.breaker.cooldownSec * 1000 },
  );
}

/** The chain's call options from the configuration. */
export function chainOptions(llm: LlmConfig): ChainOptions {
  return {
    maxRetries: llm.maxRetries,
    maxOutputTokens: llm.maxOutputTokens,
    maxInputChars: llm.maxInputChars,
    maxRetryAfterMs: Math.max(30_000, llm.timeoutSec * 1000),
  };
}
