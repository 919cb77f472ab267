/**
 * What the extract stage needs from an LLM: one chat completion at a time, with its token usage. The
 * OpenAI-compatible adapter (`openai-compatible.ts`) implements it for DeepSeek, Qwen and any configured
 * endpoint; tests may implement it too.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  messages: ChatMessage[];
  /** Upper bound of the reply's tokens. */
  maxTokens: number;
  signal?: AbortSignal;
}

/** Tokens of one call; `cachedTokens` is the part of `promptTokens` the provider served from its prefix cache. */
export interface TokenUsage {
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
}

export interface LlmResponse {
  /** The reply's text; null when the provider returned no choice or no content. */
  content: string | null;
  usage: TokenUsage;
  finishReason: string | null;
}

/** One OpenAI-compatible chat model behind a provider name (`deepseek`, `qwen`, `vllm` …). */
export interface LlmProvider {
  readonly name: string;
  readonly model: string;
  /** One call, no retries (the chain retries, so that each attempt lands in the ledger). Throws `LlmCallError`. */
  complete(req: LlmRequest): Promise<LlmResponse>;
}

/** How a call failed; the ledger's `outcome` for a failed attempt. */
export type LlmFailure = 'rate_limited' | 'server_error' | 'timeout' | 'network_error' | 'client_error';

/**
 * A call that got no usable HTTP answer. Its message never contains the API key or request headers: it is
 * built from the status and the provider's (redacted, shortened) error text only.
 */
export class LlmCallError extends Error {
  override name = 'LlmCallError';
  constructor(
    readonly provider: string,
    readonly kind: LlmFailure,
    message: string,
    readonly status: number | null = null,
    /** From a 429's `Retry-After`. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(`${provider}: ${message}`);
  }

  /** 429, 5xx, timeouts and network errors may succeed when tried again; 4xx (bad key, bad request) will not. */
  get retryable(): boolean {
    return this.kind !== 'client_error';
  }
}

/** A reply that is not a valid extraction (not JSON, or not the schema), with the validation problem. */
export class LlmOutputError extends Error {
  override name = 'LlmOutputError';
  constructor(
    readonly provider: string,
    readonly problem: string,
    readonly raw: string | null,
  ) {
    super(`${provider}: invalid output: ${problem}`);
  }
}
