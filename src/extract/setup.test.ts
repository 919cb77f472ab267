import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/index.ts';
import { chainOptions, tiersFromConfig } from './setup.ts';

const load = (env: Record<string, string | undefined>) => loadConfig(env, { envFile: null });

describe('the chain from the configuration', () => {
  it('has no LLM tier without keys (the local extractor alone)', () => {
    expect(tiersFromConfig(load({}).llm)).toEqual([]);
  });

  it('follows LLM_PROVIDERS, takes presets with a key and extra providers without one', () => {
    const llm = load({
      LLM_PROVIDERS: 'vllm,deepseek,qwen',
      PROVIDER_VLLM_BASE_URL: 'http://127.0.0.1:8001/v1',
      PROVIDER_VLLM_MODEL: 'qwen2.5-7b-instruct',
      PROVIDER_QWEN_API_KEY: 'k',
      PROVIDER_QWEN_CONCURRENCY: '3',
      PROVIDER_QWEN_RPM: '60',
      LLM_CONCURRENCY: '5',
    }).llm;
    const tiers = tiersFromConfig(llm);
    expect(tiers.map((t) => `${t.provider.name}/${t.provider.model}`)).toEqual([
      'vllm/qwen2.5-7b-instruct',
      'qwen/qwen-max',
    ]);
    expect(tiers.map((t) => t.limiter.concurrency)).toEqual([5, 3]);
    expect(llm.providers.find((p) => p.name === 'qwen')).toMatchObject({ concurrency: 3, rpm: 60 });
  });

  it('reads the LLM settings with their defaults', () => {
    const { llm } = load({});
    expect(llm).toMatchObject({
      timeoutSec: 90,
      maxRetries: 2,
      maxInputChars: 3000,
      maxOutputTokens: 1024,
      breaker: { failures: 5, cooldownSec: 60 },
      prices: {},
    });
    expect(chainOptions(llm)).toMatchObject({
      maxRetries: 2,
      maxOutputTokens: 1024,
      maxInputChars: 3000,
      maxRetryAfterMs: 90_000,
    });
    const custom = load({
      LLM_PRICES: '{"deepseek-chat":{"input_hit":0.1,"input_miss":1,"output":2}}',
      LLM_DAILY_BUDGET: '5',
      LLM_MONTHLY_BUDGET: '100',
    }).llm;
    expect(custom.prices['deepseek-chat']).toEqual({ input_hit: 0.1, input_miss: 1, output: 2 });
    expect(custom).toMatchObject({ dailyBudget: 5, monthlyBudget: 100 });
  });

  it.each([
    { env: { LLM_PRICES: '{not json' }, variable: 'LLM_PRICES' },
    { env: { LLM_PRICES: '{"deepseek-chat":{"input":1}}' }, variable: 'LLM_PRICES' },
    { env: { LLM_MAX_RETRIES: '-1' }, variable: 'LLM_MAX_RETRIES' },
    { env: { PROVIDER_DEEPSEEK_CONCURRENCY: '0' }, variable: 'PROVIDER_DEEPSEEK_CONCURRENCY' },
    { env: { PROVIDER_QWEN_RPM: 'lots' }, variable: 'PROVIDER_QWEN_RPM' },
  ])('rejects a bad $variable naming it', ({ env, variable }) => {
    let err: unknown;
    try {
      load(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
  });
});
