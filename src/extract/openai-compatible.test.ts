import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm } from './fake-server.ts';
import type { FakeLlmServer } from './fake-server.ts';
import { createOpenAiCompatible, redact, retryAfterMs, usageOf } from './openai-compatible.ts';
import { buildMessages } from './prompt.ts';
import { LlmCallError } from './provider.ts';

const messages = buildMessages(
  {
    title: '央行开展逆回购操作',
    source: '测试源',
    publishedAt: null,
    text: '中国人民银行今日开展2000亿元7天期逆回购操作。',
  },
  { maxInputChars: 3000 },
);

describe('the OpenAI-compatible adapter against a real HTTP server', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake.close();
  });
  // An answer gets 15 s: the fake answers at once, but a loaded test machine (four lanes on two cores) once
  // took 2.7 s. Only the hang case wants a short timeout.
  const provider = (path = '/v1', apiKey: string | null = 'sk-test-key-0001', timeoutMs = 15_000) =>
    createOpenAiCompatible({
      name: 'deepseek',
      baseUrl: fake.url.replace('/v1', path),
      model: 'deepseek-chat',
      apiKey,
      timeoutMs,
    });

  it.each([
    { style: 'deepseek', path: '/deepseek/v1' },
    { style: 'qwen', path: '/qwen/v1' },
  ])('reads prompt, cached and completion tokens from $style-style usage', async ({ path }) => {
    const p = provider(path);
    await p.complete({ messages, maxTokens: 512 });
    const r = await p.complete({ messages, maxTokens: 512 });
    expect(r.content).toMatch(/^\{/);
    expect(r.usage.promptTokens).toBeGreaterThan(0);
    expect(r.usage.cachedTokens).toBeGreaterThan(0);
    expect(r.usage.cachedTokens).toBeLessThanOrEqual(r.usage.promptTokens);
    expect(r.usage.completionTokens).toBeGreaterThan(0);
  });

  it('returns null content for empty choices', async () => {
    const r = await provider('/fail-empty_choices/v1').complete({ messages, maxTokens: 512 });
    expect(r.content).toBeNull();
  });

  it.each([
    { mode: 'rate_limit', kind: 'rate_limited', status: 429, retryAfter: 1000 },
    { mode: 'server_error', kind: 'server_error', status: 500, retryAfter: null },
    { mode: 'hang', kind: 'timeout', status: null, retryAfter: null },
  ])('maps $mode to a $kind LlmCallError', async ({ mode, kind, status, retryAfter }) => {
    const err = await provider(`/fail-${mode}/v1`, 'sk-test-key-0001', mode === 'hang' ? 300 : 15_000)
      .complete({ messages, maxTokens: 512 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as LlmCallError).kind).toBe(kind);
    expect((err as LlmCallError).status).toBe(status);
    expect((err as LlmCallError).retryAfterMs).toBe(retryAfter);
    expect((err as LlmCallError).retryable).toBe(true);
  });

  it('maps a refused connection to a network error', async () => {
    const p = createOpenAiCompatible({
      name: 'qwen',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'qwen-max',
      apiKey: 'k',
      timeoutMs: 1000,
    });
    const err = await p.complete({ messages, maxTokens: 512 }).catch((e: unknown) => e);
    expect((err as LlmCallError).kind).toBe('network_error');
  });

  it('keeps the key out of the error when the provider echoes it', async () => {
    fake.configure({ apiKey: 'the-right-key' });
    try {
      const err = (await provider('/v1', 'sk-live-0123456789abcdef')
        .complete({ messages, maxTokens: 512 })
        .catch((e: unknown) => e)) as LlmCallError;
      expect(err.kind).toBe('client_error');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('HTTP 401');
      expect(err.message).not.toContain('0123456789abcdef');
      expect(JSON.stringify(err)).not.toContain('0123456789abcdef');
      expect(String(err.stack)).not.toContain('0123456789abcdef');
    } finally {
      fake.configure({ apiKey: null });
    }
  });
});

describe('usageOf', () => {
  it.each([
    {
      name: 'DeepSeek',
      u: { prompt_tokens: 100, completion_tokens: 20, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 },
      want: { promptTokens: 100, cachedTokens: 64, completionTokens: 20 },
    },
    {
      name: 'Qwen',
      u: { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 80 } },
      want: { promptTokens: 100, cachedTokens: 80, completionTokens: 20 },
    },
    {
      name: 'no cache field',
      u: { prompt_tokens: 10, completion_tokens: 5 },
      want: { promptTokens: 10, cachedTokens: 0, completionTokens: 5 },
    },
    { name: 'missing usage', u: undefined, want: { promptTokens: 0, cachedTokens: 0, completionTokens: 0 } },
    {
      name: 'nonsense',
      u: { prompt_tokens: -3, completion_tokens: 'x', prompt_cache_hit_tokens: 999 },
      want: { promptTokens: 0, cachedTokens: 0, completionTokens: 0 },
    },
  ])('$name', ({ u, want }) => expect(usageOf(u)).toEqual(want));
});

describe('retryAfterMs and redact', () => {
  it('reads seconds, an HTTP date and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterMs(undefined)).toBeNull();
  });

  it('removes keys, bearer tokens and sk- strings', () => {
    const out = redact('key my-secret-key; Authorization: Bearer abc.def; also sk-abcdef123456', ['my-secret-key']);
    expect(out).not.toMatch(/my-secret-key|abc\.def|sk-abcdef123456/);
  });
});
