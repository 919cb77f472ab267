/**
 * What a call costs. Prices are per model in CNY per million tokens, split the way DeepSeek and Qwen bill:
 * prompt tokens served from the provider's prefix cache, the other prompt tokens, and output tokens.
 * The built-in table is overridden by `LLM_PRICES` (environment) and then by the `llm.prices` setting
 * (admin, no restart), model by model.
 */
import { z } from 'zod';
import type { ModelPrice } from '../config/index.ts';
import type { TokenUsage } from './provider.ts';

export type { ModelPrice };
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices of the providers' published price pages (mainland China, CNY per million tokens; checked
 * 2025-10). Qwen bills implicit-cache hits at 20 % of the input price. Verify before relying on them:
 * override with `LLM_PRICES` or the `llm.prices` setting.
 */
export const DEFAULT_PRICES: PriceTable = {
  'deepseek-chat': { input_hit: 0.2, input_miss: 2, output: 3 },
  'deepseek-reasoner': { input_hit: 0.2, input_miss: 2, output: 3 },
  'qwen-max': { input_hit: 0.48, input_miss: 2.4, output: 9.6 },
  'qwen-max-latest': { input_hit: 0.48, input_miss: 2.4, output: 9.6 },
  'qwen-plus': { input_hit: 0.16, input_miss: 0.8, output: 2 },
  'qwen-plus-latest': { input_hit: 0.16, input_miss: 0.8, output: 2 },
  'qwen-turbo': { input_hit: 0.06, input_miss: 0.3, output: 0.6 },
  'qwen-turbo-latest': { input_hit: 0.06, input_miss: 0.3, output: 0.6 },
  'qwen-flash': { input_hit: 0.03, input_miss: 0.15, output: 1.5 },
};

/** The settings key of the admin's price overrides. */
export const PRICES_SETTING = 'llm.prices';

export const priceTableSchema = z.record(
  z.string().min(1),
  z.object({
    input_hit: z.number().min(0),
    input_miss: z.number().min(0),
    output: z.number().min(0),
  }),
);

/** The built-in table with each layer of overrides applied in turn (later wins, per model). */
export function mergePrices(...layers: (PriceTable | null | undefined)[]): PriceTable {
  return Object.freeze(Object.assign({}, DEFAULT_PRICES, ...layers.filter(Boolean)));
}

/**
 * The cost of one call in CNY, rounded to the ledger's 6 decimals; null when the model has no price
 * (a self-hosted model — or a table to complete).
 * @example costOf({ input_hit: 0.2, input_miss: 2, output: 3 }, { promptTokens: 1000, cachedTokens: 600, completionTokens: 200 }) // 0.00152
 */
export function costOf(price: ModelPrice | undefined, usage: TokenUsage): number | null {
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const cny =
    (cached * price.input_hit +
      (usage.promptTokens - cached) * price.input_miss +
      usage.completionTokens * price.output) /
    1e6;
  return roundCny(cny);
}

/** Rounds to the ledger's precision (numeric(14, 6)), so sums of rounded rows equal the stored total. */
export function roundCny(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
