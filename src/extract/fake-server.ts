/**
 * A fake OpenAI-compatible chat server for tests, the demo and benchmarks (`finrep fake-llm`): real HTTP
 * on 127.0.0.1, answers derived from the article in the prompt (by the local extractor, so they are
 * schema-valid and about the article), DeepSeek-style or Qwen-style usage with a simulated prefix cache,
 * a configurable latency, and the failures real providers show.
 *
 * URL: `http://127.0.0.1:<port>[/deepseek|/qwen][/fail-<mode>]/v1/chat/completions` — the optional path
 * segments pick the usage style and a failure mode per base URL, so one server can stand in for several
 * providers.
 *
 * @example
 * const fake = await startFakeLlm({ style: 'deepseek', latencyMs: 50 });
 * // PROVIDER_DEEPSEEK_BASE_URL = fake.url
 * fake.configure({ failure: 'rate_limit', failTimes: 2 });
 * await fake.close();
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extractLocal } from './local/index.ts';

export const FAKE_FAILURES = [
  'rate_limit',
  'server_error',
  'hang',
  'invalid_json',
  'schema_violation',
  'empty_choices',
] as const;
export type FakeFailure = (typeof FAKE_FAILURES)[number];
export type UsageStyle = 'deepseek' | 'qwen';

export interface FakeLlmOptions {
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** Which usage fields to send. @defaultValue 'deepseek' */
  style?: UsageStyle;
  /** Delay before each answer (not before a 429). @defaultValue 0 */
  latencyMs?: number;
  failure?: FakeFailure | null;
  /** Fail only the next N requests, then answer normally; unset = every request (or `failRate`). */
  failTimes?: number;
  /** Fail this fraction of requests at random instead. */
  failRate?: number;
  /** The 429's `Retry-After`. @defaultValue 1 */
  retryAfterSec?: number;
  /** When set, any other bearer token gets a 401 that echoes it (as some providers do). */
  apiKey?: string | null;
}

/** What the server saw of one request (never the token itself). */
export interface FakeRequestLog {
  path: string;
  model: string | null;
  style: UsageStyle;
  failure: FakeFailure | 'unauthorized' | null;
  messages: number;
  at: number;
  /** The last user message (first 2000 characters): a repair request quotes the validation problem there. */
  lastUser: string;
  /** The usage the answer reported (null when it failed before answering). */
  usage: { promptTokens: number; cachedTokens: number; completionTokens: number } | null;
}

export interface FakeLlmServer {
  /** Base URL for the OpenAI SDK: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  readonly port: number;
  readonly requests: FakeRequestLog[];
  /**
   * The most requests open at once, each counted from its arrival until its response ended or its connection
   * closed: what a provider's concurrency limit counts.
   */
  readonly peakInFlight: number;
  /** Changes options from now on (and restarts the `failTimes` count). */
  configure(patch: Partial<Omit<FakeLlmOptions, 'port' | 'host'>>): void;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  let opts: FakeLlmOptions = { style: 'deepseek', latencyMs: 0, retryAfterSec: 1, ...options };
  let failuresLeft = opts.failTimes ?? Infinity;
  const requests: FakeRequestLog[] = [];
  const sockets = new Set<Socket>();
  const seenPrefixes = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const pickFailure = (fromPath: FakeFailure | null): FakeFailure | null => {
    if (fromPath) return fromPath;
    if (!opts.failure) return null;
    if (opts.failRate !== undefined) return Math.random() < opts.failRate ? opts.failure : null;
    if (failuresLeft <= 0) return null;
    failuresLeft--;
    return opts.failure;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const arrived = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const segments = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && url.pathname.endsWith('/models'))
      return json(res, 200, {
        object: 'list',
        data: [
          { id: 'deepseek-chat', object: 'model' },
          { id: 'qwen-max', object: 'model' },
        ],
      });
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions'))
      return json(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    const style: UsageStyle = segments.includes('qwen')
      ? 'qwen'
      : segments.includes('deepseek')
        ? 'deepseek'
        : (opts.style ?? 'deepseek');
    const pathFailure = (segments.find((s) => s.startsWith('fail-'))?.slice(5) ?? null) as FakeFailure | null;

    let body: { model?: string; messages?: { role: string; content: string }[] };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return json(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error' } });
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const lastUser = String(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '').slice(0, 2000);
    const log: FakeRequestLog = {
      path: url.pathname,
      model: body.model ?? null,
      style,
      failure: null,
      messages: messages.length,
      at: Date.now(),
      lastUser,
      usage: null,
    };
    requests.push(log);

    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (opts.apiKey && token !== opts.apiKey) {
      log.failure = 'unauthorized';
      return json(res, 401, {
        error: { message: `Authentication Fails, Your api key: ${token} is invalid`, type: 'authentication_error' },
      });
    }
    const failure = pickFailure(FAKE_FAILURES.includes(pathFailure as FakeFailure) ? pathFailure : null);
    log.failure = failure;
    if (failure === 'rate_limit') {
      res.setHeader('retry-after', String(opts.retryAfterSec ?? 1));
      return json(res, 429, { error: { message: 'Rate limit reached for requests', type: 'rate_limit_error' } });
    }
    if (failure === 'hang') return; // the client's timeout ends it (or close())
    if (failure === 'server_error') {
      await sleep(opts.latencyMs ?? 0);
      return json(res, 500, {
        error: { message: 'The server had an error while processing your request', type: 'server_error' },
      });
    }

    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    const firstUser = messages.find((m) => m.role === 'user')?.content ?? '';
    const extraction = extractLocal(articleFromPrompt(firstUser));
    let content: string | null = JSON.stringify(extraction);
    if (failure === 'invalid_json')
      content = `好的，以下是分析结果：{"summary": "${extraction.summary.slice(0, 20)}", "category": `;
    if (failure === 'schema_violation')
      content = JSON.stringify({ ...extraction, category: '科技', importance: 9, sentiment_score: 3 });

    const promptTokens = messages.reduce((n, m) => n + estimateTokens(String(m.content ?? '')) + 4, 0);
    // Prefix cache: a system prompt seen before is served from cache in 64-token units, as DeepSeek bills it.
    const cacheKey = `${body.model}\u0000${system}`;
    const cached = seenPrefixes.has(cacheKey)
      ? Math.min(promptTokens, Math.floor(estimateTokens(system) / 64) * 64)
      : 0;
    seenPrefixes.add(cacheKey);
    const completionTokens = failure === 'empty_choices' ? 0 : estimateTokens(content);
    log.usage = { promptTokens, cachedTokens: cached, completionTokens };
    const usage =
      style === 'deepseek'
        ? {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
            prompt_cache_hit_tokens: cached,
            prompt_cache_miss_tokens: promptTokens - cached,
          }
        : {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
            prompt_tokens_details: { cached_tokens: cached },
          };
    // The answer leaves `latencyMs` after the request arrived: the server's own work is part of the latency.
    await sleep(Math.max(0, (opts.latencyMs ?? 0) - (Date.now() - arrived)));
    return json(res, 200, {
      id: `chatcmpl-fake-${requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'fake',
      choices:
        failure === 'empty_choices'
          ? []
          : [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage,
    });
  };

  let inFlight = 0;
  let peakInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.once('close', () => {
      inFlight--;
    });
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        json(res, 500, { error: { message: `fake server error: ${(err as Error).message}`, type: 'server_error' } });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    requests,
    get peakInFlight() {
      return peakInFlight;
    },
    configure(patch) {
      opts = { ...opts, ...patch };
      failuresLeft = opts.failTimes ?? Infinity;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The article in a prompt built by `prompt.ts` (title, source, text between their tags); the whole text otherwise. */
export function articleFromPrompt(user: string): { title: string; source: string; publishedAt: null; text: string } {
  const tag = (name: string) => new RegExp(`<${name}>\\n?([\\s\\S]*?)\\n?</${name}>`).exec(user)?.[1]?.trim();
  const title = tag('title');
  if (title === undefined) return { title: user.slice(0, 60), source: '', publishedAt: null, text: user };
  return { title, source: tag('source') ?? '', publishedAt: null, text: tag('text') ?? '' };
}

/** A rough token count: a CJK character ≈ 0.6 token, other text ≈ 4 characters per token. */
export function estimateTokens(text: string): number {
  const cjk = (text.match(/[\u3000-\u9fff\uff00-\uffef]/g) ?? []).length;
  return Math.ceil(cjk * 0.6 + (text.length - cjk) / 4);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
  });
  res.end(data);
}

function readBody(req: IncomingMessage, limit = 2_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
