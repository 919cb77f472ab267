import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, mergePrices } from './prices.ts';

describe('costOf', () => {
  it('bills cache hits, cache misses and output at their own prices (CNY per million tokens)', () => {
    const price = { input_hit: 0.2, input_miss: 2, output: 3 };
    // 600 × 0.2 + 400 × 2 + 200 × 3 = 120 + 800 + 600 = 1520 per million
    expect(costOf(price, { promptTokens: 1000, cachedTokens: 600, completionTokens: 200 })).toBe(0.00152);
    expect(costOf(price, { promptTokens: 0, cachedTokens: 0, completionTokens: 0 })).toBe(0);
  });

  it('never counts more cached tokens than prompt tokens', () => {
    expect(
      costOf(
        { input_hit: 1, input_miss: 10, output: 0 },
        { promptTokens: 100, cachedTokens: 500, completionTokens: 0 },
      ),
    ).toBe(0.0001);
  });

  it('is null for a model without a price', () => {
    expect(costOf(undefined, { promptTokens: 10, cachedTokens: 0, completionTokens: 10 })).toBeNull();
  });
});

describe('mergePrices', () => {
  it("has the presets' default models and lets later layers win per model", () => {
    expect(DEFAULT_PRICES['deepseek-chat']).toBeDefined();
    expect(DEFAULT_PRICES['qwen-max']).toBeDefined();
    const t = mergePrices(
      { 'deepseek-chat': { input_hit: 1, input_miss: 1, output: 1 } },
      { 'my-vllm': { input_hit: 0, input_miss: 0, output: 0 } },
    );
    expect(t['deepseek-chat']).toEqual({ input_hit: 1, input_miss: 1, output: 1 });
    expect(t['qwen-max']).toEqual(DEFAULT_PRICES['qwen-max']);
    expect(t['my-vllm']).toBeDefined();
  });
});
