/**
 * The OpenAI-compatible adapter: the openai SDK pointed at a provider's base URL (DeepSeek, Qwen's
 * DashScope compatible mode, a self-hosted vLLM or Ollama). It makes exactly one HTTP request per call —
 * the SDK's own retries are off, the chain retries so that every attempt lands in the ledger.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { LlmProvider, LlmRequest, LlmResponse, TokenUsage } from './provider.ts';
import { LlmCallError } from './provider.ts';

export interface OpenAiCompatibleOptions {
  name: string;
  baseUrl: string;
  model: string;
  /** May be null for a local endpoint that wants none. */
  apiKey: string | null;
  timeoutMs: number;
  /**
   * Connections open to the provider at most (its concurrency limit): a request abandoned by a timeout or an
   * abort keeps its connection — and its place — until that connection has really closed, so the provider
   * never sees more requests than this, even while the chain has already moved on to the next call.
   * @defaultValue unlimited
   */
  maxConnections?: number;
}

/** Creates a provider. @example createOpenAiCompatible({ name: 'deepseek', baseUrl: 'https://api.deepseek.com/v1', model: 'deepseek-chat', apiKey, timeoutMs: 90_000 }) */
export function createOpenAiCompatible(opts: OpenAiCompatibleOptions): LlmProvider {
  const client = new OpenAI({
    apiKey: opts.apiKey ?? 'no-key',
    baseURL: opts.baseUrl,
    // Set explicitly so that OPENAI_* variables of the environment never change where or how we call.
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: opts.timeoutMs,
    logLevel: 'off',
    // One request per connection at a time (no pipelining), at most `maxConnections` of them: the transport
    // holds the limit that the chain's limiter releases as soon as a call returns or gives up.
    fetch: undiciFetch as unknown as typeof globalThis.fetch,
    fetchOptions: { dispatcher: new Agent({ connections: opts.maxConnections ?? null, pipelining: 1 }) } as never,
  });
  const secrets = opts.apiKey ? [opts.apiKey] : [];
  return {
    name: opts.name,
    model: opts.model,
    async complete(req: LlmRequest): Promise<LlmResponse> {
      try {
        const res = await client.chat.completions.create(
          {
            model: opts.model,
            messages: req.messages,
            temperature: 0,
            max_tokens: req.maxTokens,
            response_format: { type: 'json_object' },
            stream: false,
          },
          { signal: req.signal },
        );
        const choice = res.choices?.[0];
        return {
          content: choice?.message?.content ?? null,
          usage: usageOf(res.usage),
          finishReason: choice?.finish_reason ?? null,
        };
      } catch (err) {
        throw toCallError(opts.name, err, secrets);
      }
    },
  };
}

/**
 * Token counts of a response, wherever the provider puts its cache hits: DeepSeek's
 * `prompt_cache_hit_tokens`, or `prompt_tokens_details.cached_tokens` (Qwen, OpenAI, vLLM).
 */
export function usageOf(usage: unknown): TokenUsage {
  const u = (usage && typeof usage === 'object' ? usage : {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
  const details = (
    u.prompt_tokens_details && typeof u.prompt_tokens_details === 'object' ? u.prompt_tokens_details : {}
  ) as Record<string, unknown>;
  const promptTokens = n(u.prompt_tokens);
  const cached = u.prompt_cache_hit_tokens !== undefined ? n(u.prompt_cache_hit_tokens) : n(details.cached_tokens);
  return { promptTokens, cachedTokens: Math.min(cached, promptTokens), completionTokens: n(u.completion_tokens) };
}

/** The SDK's error as an `LlmCallError` whose message holds no key, header or long body. */
function toCallError(provider: string, err: unknown, secrets: string[]): LlmCallError {
  const clean = (s: string) => redact(s, secrets);
  if (err instanceof APIConnectionTimeoutError || err instanceof APIUserAbortError) {
    return new LlmCallError(provider, 'timeout', 'request timed out');
  }
  if (err instanceof APIConnectionError) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new LlmCallError(provider, 'network_error', `connection failed${cause?.code ? ` (${cause.code})` : ''}`);
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const text = `HTTP ${status}: ${clean(err.message.replace(/^\d{3}\s*/, ''))}`;
    if (status === 429) return new LlmCallError(provider, 'rate_limited', text, status, retryAfterMs(err.headers));
    if (status === 408) return new LlmCallError(provider, 'timeout', text, status);
    if (status >= 500 || status === 409) return new LlmCallError(provider, 'server_error', text, status);
    return new LlmCallError(provider, 'client_error', text, status);
  }
  // A body that is not JSON, a socket reset mid-body …: the provider gave no usable answer.
  return new LlmCallError(
    provider,
    'server_error',
    clean(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
  );
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in milliseconds. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const v = headers?.get('retry-after')?.trim();
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Removes the key and any bearer token from a text, and keeps it short. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  out = out.replace(/Bearer\s+[^\s"',;]+/gi, 'Bearer [redacted]').replace(/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-[redacted]');
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}
