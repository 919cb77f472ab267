import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractionSchema } from './schema.ts';
import { articleFromPrompt, startFakeLlm } from './fake-server.ts';
import type { FakeLlmServer } from './fake-server.ts';
import { buildMessages } from './prompt.ts';

const messages = buildMessages(
  {
    title: '宁德时代：拟回购股份',
    source: '测试源',
    publishedAt: null,
    text: '宁德时代（300750）公告，拟以30亿元至50亿元回购公司股份。',
  },
  { maxInputChars: 3000 },
);
const post = (
  url: string,
  body: unknown = { model: 'deepseek-chat', messages },
  headers: Record<string, string> = {},
) =>
  fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers },
    body: JSON.stringify(body),
  });

describe('the fake OpenAI-compatible server', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers with a schema-valid extraction of the article in the prompt, DeepSeek-style usage and a prefix cache', async () => {
    fake.configure({ style: 'deepseek', failure: null });
    const first = (await (await post(fake.url)).json()) as {
      choices: { message: { content: string } }[];
      usage: Record<string, number>;
    };
    const x = extractionSchema.parse(JSON.parse(first.choices[0]!.message.content));
    expect(x.entities.companies).toContainEqual({ name: '宁德时代', ticker: '300750.SZ' });
    expect(first.usage.prompt_cache_hit_tokens).toBe(0);
    const second = (await (await post(fake.url)).json()) as { usage: Record<string, number> };
    expect(second.usage.prompt_cache_hit_tokens).toBeGreaterThan(0);
    expect(second.usage.prompt_cache_hit_tokens! + second.usage.prompt_cache_miss_tokens!).toBe(
      second.usage.prompt_tokens,
    );
  });

  it('sends Qwen-style usage on a /qwen/ base URL', async () => {
    const res = (await (await post(fake.url.replace('/v1', '/qwen/v1'))).json()) as {
      usage: { prompt_tokens_details: { cached_tokens: number } };
    };
    expect(res.usage.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(0);
    expect(fake.requests.at(-1)!.style).toBe('qwen');
  });

  it.each([
    {
      mode: 'rate_limit' as const,
      status: 429,
      check: (r: Response) => expect(r.headers.get('retry-after')).toBe('2'),
    },
    { mode: 'server_error' as const, status: 500, check: () => {} },
  ])('fails with $mode', async ({ mode, status, check }) => {
    fake.configure({ failure: mode, failTimes: 1, retryAfterSec: 2 });
    const r = await post(fake.url);
    expect(r.status).toBe(status);
    check(r);
    expect((await post(fake.url)).status).toBe(200); // only the first request failed
  });

  it.each([
    {
      mode: 'invalid_json' as const,
      check: (c: unknown[]) =>
        expect(() => JSON.parse((c[0] as { message: { content: string } }).message.content)).toThrow(),
    },
    {
      mode: 'schema_violation' as const,
      check: (c: unknown[]) =>
        expect(
          extractionSchema.safeParse(JSON.parse((c[0] as { message: { content: string } }).message.content)).success,
        ).toBe(false),
    },
    { mode: 'empty_choices' as const, check: (c: unknown[]) => expect(c).toEqual([]) },
  ])('answers 200 with $mode', async ({ mode, check }) => {
    fake.configure({ failure: mode, failTimes: 1 });
    const body = (await (await post(fake.url)).json()) as { choices: unknown[] };
    check(body.choices);
  });

  it('hangs until the client gives up', async () => {
    fake.configure({ failure: 'hang', failTimes: 1 });
    await expect(
      fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ messages }),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
  });

  it('picks a failure mode from the path', async () => {
    fake.configure({ failure: null });
    expect((await post(fake.url.replace('/v1', '/fail-server_error/v1'))).status).toBe(500);
  });

  it('rejects a wrong key with a 401 that echoes it, like some providers', async () => {
    fake.configure({ apiKey: 'right-key', failure: null });
    const r = await post(fake.url, undefined, { authorization: 'Bearer wrong-key' });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain('wrong-key');
    expect((await post(fake.url, undefined, { authorization: 'Bearer right-key' })).status).toBe(200);
    fake.configure({ apiKey: null });
  });

  it('reads the article back out of the prompt', () => {
    expect(articleFromPrompt(messages[1]!.content)).toMatchObject({
      title: '宁德时代：拟回购股份',
      text: expect.stringContaining('回购公司股份'),
    });
  });
});
