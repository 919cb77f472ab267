/**
 * Fake chat platforms on one local HTTP server (127.0.0.1, a free port): 企业微信群机器人, 飞书 custom bot,
 * 钉钉 custom robot, Telegram Bot API and a generic / Slack-compatible webhook. Each checks what the real
 * platform documents — its URL token, signature (the real algorithm, with the server's clock), keyword
 * rule, payload shape and size limit, rate limit (a fixed per-minute window per token) — and answers with
 * the platform's own error codes. Switches simulate an outage (503, or the connection dropped) and a
 * platform that reads the body and never answers (the sender cannot know whether it was posted).
 *
 * @example
 * const chat = await startChatPlatforms();
 * const target = { name: 'ops', kind: 'dingtalk', url: chat.url('dingtalk'), secret: chat.secret('dingtalk'),
 *   options: { keywords: chat.keywords } };
 * …
 * expect(chat.received('dingtalk')).toHaveLength(1);
 * await chat.close();
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChannelKind } from '../../src/channels/types.ts';

/** A request a platform accepted (or, under `setHang`, read and kept without answering). */
export interface ReceivedMessage {
  kind: ChannelKind;
  token: string;
  /** The JSON body as it arrived. */
  body: Record<string, unknown>;
  /** The message's visible text (markdown / lark_md / Telegram text with tags stripped and entities decoded). */
  text: string;
  /** Server clock when it was received. */
  at: number;
  /** Whether the sender got a reply (false: received under `setHang`). */
  answered: boolean;
}

/** Options of {@link startChatPlatforms}. */
export interface ChatPlatformsOptions {
  /** The server's clock (signature windows, rate-limit windows). @defaultValue Date.now */
  now?: () => number;
  /** DingTalk robot keywords. @defaultValue ['finrep'] */
  keywords?: string[];
  /** Whether the Feishu and DingTalk robots check signatures. @defaultValue true */
  sign?: boolean;
}

/** Per-minute (and, for Feishu, per-second) request limits of one token. */
export interface RateLimit {
  perMinute: number;
  perSecond?: number;
}

/** The handle of the fake platforms. */
export interface ChatPlatforms {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** The webhook URL of a robot / bot / hook of `kind`; `token` defaults to the valid one. */
  url(kind: ChannelKind, token?: string): string;
  /** The valid token of a kind (it is in `url(kind)`). */
  token(kind: ChannelKind): string;
  /** The signing secret of Feishu / DingTalk robots; null for the other kinds. */
  secret(kind: ChannelKind): string | null;
  /** The DingTalk robot's keywords. */
  readonly keywords: string[];
  /** The Telegram chat the bot may post to. */
  readonly telegramChatId: string;
  /** The bot moved to another chat: only `chatId` is found from now on. */
  moveTelegramChat(chatId: string): void;
  /** The DingTalk robot's keywords changed. */
  setKeywords(keywords: string[]): void;
  /** Messages accepted (and hung) by a kind, in arrival order. */
  received(kind: ChannelKind): ReceivedMessage[];
  /** Every request of a kind, refused ones included. */
  requests(kind: ChannelKind): number;
  /** `'503'`: every request answered 503; `'drop'`: the connection closed without a reply; false: back up. */
  setOutage(kind: ChannelKind, mode: false | '503' | 'drop'): void;
  /** Read each request's body, keep the message, never answer (until `setHang(kind, false)` or `close()`). */
  setHang(kind: ChannelKind, on: boolean): void;
  /** Replace the platform's documented limit (to reach it in a test with few messages). */
  setRateLimit(kind: ChannelKind, limit: RateLimit): void;
  /** Forget received messages, request counts and rate-limit windows (switches stay). */
  clear(): void;
  close(): Promise<void>;
}

const KINDS: ChannelKind[] = ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'];

/** The platforms' documented limits. */
export const DOCUMENTED_LIMITS: Record<ChannelKind, RateLimit> = {
  wecom: { perMinute: 20 },
  feishu: { perMinute: 100, perSecond: 5 },
  dingtalk: { perMinute: 20 },
  telegram: { perMinute: 20 },
  webhook: { perMinute: 60 },
};

interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

interface Accepted {
  token: string;
  body: Record<string, unknown>;
  text: string;
}

interface State {
  now: () => number;
  tokens: Record<ChannelKind, string>;
  secrets: { feishu: string; dingtalk: string };
  sign: boolean;
  keywords: string[];
  chatId: string;
  limits: Record<ChannelKind, RateLimit>;
  /** `${kind}:${token}` → request times inside the last minute. */
  windows: Map<string, number[]>;
}

/** Starts the fake platforms on 127.0.0.1. */
export async function startChatPlatforms(opts: ChatPlatformsOptions = {}): Promise<ChatPlatforms> {
  const rand = () => Math.random().toString(36).slice(2, 12);
  const state: State = {
    now: opts.now ?? Date.now,
    tokens: {
      wecom: `wecom-${rand()}`,
      feishu: `feishu-${rand()}`,
      dingtalk: `dingtalk-${rand()}`,
      telegram: `123456:tg-${rand()}`,
      webhook: `hook-${rand()}`,
    },
    secrets: { feishu: `feishu-secret-${rand()}`, dingtalk: `SEC${rand()}${rand()}` },
    sign: opts.sign ?? true,
    keywords: opts.keywords ?? ['finrep'],
    chatId: '-1001234567890',
    limits: { ...DOCUMENTED_LIMITS },
    windows: new Map(),
  };
  const received = new Map<ChannelKind, ReceivedMessage[]>(KINDS.map((k) => [k, []]));
  const requests = new Map<ChannelKind, number>(KINDS.map((k) => [k, 0]));
  const outage = new Map<ChannelKind, false | '503' | 'drop'>();
  const hang = new Set<ChannelKind>();
  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const kind = KINDS.find((k) => url.pathname.startsWith(`/${k}/`));
    const raw = await readBody(req);
    if (!kind) return send(res, { status: 404, text: 'not found' });
    requests.set(kind, requests.get(kind)! + 1);
    const mode = outage.get(kind);
    if (mode === 'drop') {
      req.socket.destroy();
      return;
    }
    if (mode === '503') return send(res, { status: 503, text: 'Service Unavailable' });
    if (req.method !== 'POST') return send(res, { status: 405, text: 'method not allowed' });
    const outcome = PLATFORMS[kind](url, raw, state);
    if ('reply' in outcome) return send(res, outcome.reply);
    const message: ReceivedMessage = { kind, ...outcome.accepted, at: state.now(), answered: !hang.has(kind) };
    received.get(kind)!.push(message);
    if (hang.has(kind)) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    send(res, outcome.ok);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url(kind, token = state.tokens[kind]) {
      switch (kind) {
        case 'wecom':
          return `${origin}/wecom/cgi-bin/webhook/send?key=${encodeURIComponent(token)}`;
        case 'feishu':
          return `${origin}/feishu/open-apis/bot/v2/hook/${encodeURIComponent(token)}`;
        case 'dingtalk':
          return `${origin}/dingtalk/robot/send?access_token=${encodeURIComponent(token)}`;
        case 'telegram':
          return `${origin}/telegram/bot${token}`;
        case 'webhook':
          return `${origin}/webhook/services/${encodeURIComponent(token)}`;
      }
    },
    token: (kind) => state.tokens[kind],
    secret: (kind) => (kind === 'feishu' || kind === 'dingtalk' ? state.secrets[kind] : null),
    get keywords() {
      return state.keywords;
    },
    get telegramChatId() {
      return state.chatId;
    },
    moveTelegramChat: (chatId) => void (state.chatId = chatId),
    setKeywords: (keywords) => void (state.keywords = [...keywords]),
    received: (kind) => [...received.get(kind)!],
    requests: (kind) => requests.get(kind)!,
    setOutage: (kind, mode) => void outage.set(kind, mode),
    setHang(kind, on) {
      if (on) hang.add(kind);
      else hang.delete(kind);
    },
    setRateLimit: (kind, limit) => void (state.limits[kind] = limit),
    clear() {
      for (const k of KINDS) {
        received.set(k, []);
        requests.set(k, 0);
      }
      state.windows.clear();
    },
    async close() {
      for (const res of hung) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
  const type = reply.json !== undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
  res.writeHead(reply.status, { 'content-type': type, ...reply.headers }).end(body);
}

type Outcome = { reply: Reply } | { accepted: Accepted; ok: Reply };

function parseJson(raw: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Seconds until the token's window has room again, or 0 when this request is within the limit (and counted). */
function overLimit(state: State, kind: ChannelKind, token: string): number {
  const key = `${kind}:${token}`;
  const now = state.now();
  const times = (state.windows.get(key) ?? []).filter((t) => now - t < 60_000);
  const limit = state.limits[kind];
  const lastSecond = times.filter((t) => now - t < 1000).length;
  if (times.length >= limit.perMinute) {
    state.windows.set(key, times);
    return Math.max(1, Math.ceil((times[0]! + 60_000 - now) / 1000));
  }
  if (limit.perSecond !== undefined && lastSecond >= limit.perSecond) return 1;
  times.push(now);
  state.windows.set(key, times);
  return 0;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** 企业微信群机器人: https://developer.work.weixin.qq.com/document/path/91770 */
function wecom(url: URL, raw: string, state: State): Outcome {
  const err = (errcode: number, errmsg: string): Outcome => ({ reply: { status: 200, json: { errcode, errmsg } } });
  const token = url.searchParams.get('key') ?? '';
  if (url.pathname !== '/wecom/cgi-bin/webhook/send' || token !== state.tokens.wecom) {
    return err(93000, 'invalid webhook url');
  }
  const body = parseJson(raw);
  if (!body) return err(40035, 'invalid args, not json');
  if (overLimit(state, 'wecom', token) > 0) return err(45009, 'api freq out of limit');
  let text: string;
  if (body.msgtype === 'markdown') {
    const content = (body.markdown as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content === '') return err(44004, 'empty content');
    if (bytes(content) > 4096) return err(40058, 'markdown.content exceed max length 4096');
    text = content;
  } else if (body.msgtype === 'text') {
    const content = (body.text as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content === '') return err(44004, 'empty content');
    if (bytes(content) > 2048) return err(40058, 'text.content exceed max length 2048');
    text = content;
  } else {
    return err(40008, 'invalid message type');
  }
  return { accepted: { token, body, text }, ok: { status: 200, json: { errcode: 0, errmsg: 'ok' } } };
}

/** 飞书自定义机器人: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot */
function feishu(url: URL, raw: string, state: State): Outcome {
  const err = (code: number, msg: string): Outcome => ({ reply: { status: 200, json: { code, data: {}, msg } } });
  const token = decodeURIComponent(url.pathname.slice('/feishu/open-apis/bot/v2/hook/'.length));
  if (!url.pathname.startsWith('/feishu/open-apis/bot/v2/hook/') || token !== state.tokens.feishu) {
    return err(19001, 'param invalid: incoming webhook access token invalid');
  }
  if (bytes(raw) > 20 * 1024) return err(9499, 'Bad Request: request body too large');
  const body = parseJson(raw);
  if (!body) return err(9499, 'Bad Request');
  if (state.sign) {
    const ts = typeof body.timestamp === 'string' ? body.timestamp : String(body.timestamp ?? '');
    const expected = createHmac('sha256', `${ts}\n${state.secrets.feishu}`).update('').digest('base64');
    const fresh = /^\d+$/.test(ts) && Math.abs(state.now() / 1000 - Number(ts)) <= 3600;
    if (!fresh || body.sign !== expected) {
      return err(19021, 'sign match fail or timestamp is not within one hour from current time');
    }
  }
  if (overLimit(state, 'feishu', token) > 0) return err(11232, 'frequency limited psm[lark.oapi.app_platform_runtime]');
  let text: string;
  if (body.msg_type === 'interactive') {
    const card = body.card as { header?: unknown; elements?: unknown } | undefined;
    if (!card || typeof card !== 'object' || !Array.isArray(card.elements)) return err(19001, 'param invalid: card');
    text = JSON.stringify(card);
  } else if (body.msg_type === 'text') {
    const t = (body.content as { text?: unknown } | undefined)?.text;
    if (typeof t !== 'string') return err(19001, 'param invalid: content.text');
    text = t;
  } else if (body.msg_type === 'post') {
    if (!body.content || typeof body.content !== 'object') return err(19001, 'param invalid: content');
    text = JSON.stringify(body.content);
  } else {
    return err(19001, 'param invalid: msg_type');
  }
  return {
    accepted: { token, body, text },
    ok: { status: 200, json: { StatusCode: 0, StatusMessage: 'success', code: 0, data: {}, msg: 'success' } },
  };
}

/** 钉钉自定义机器人: https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages */
function dingtalk(url: URL, raw: string, state: State): Outcome {
  const err = (errcode: number, errmsg: string): Outcome => ({ reply: { status: 200, json: { errcode, errmsg } } });
  const token = url.searchParams.get('access_token') ?? '';
  if (url.pathname !== '/dingtalk/robot/send' || token !== state.tokens.dingtalk) {
    return err(300001, 'token is not exist');
  }
  if (state.sign) {
    const ts = url.searchParams.get('timestamp') ?? '';
    const sign = url.searchParams.get('sign') ?? '';
    if (!/^\d+$/.test(ts) || Math.abs(state.now() - Number(ts)) > 3_600_000) {
      return err(310000, 'invalid timestamp');
    }
    const expected = createHmac('sha256', state.secrets.dingtalk)
      .update(`${ts}\n${state.secrets.dingtalk}`)
      .digest('base64');
    if (sign !== expected) return err(310000, 'sign not match');
  }
  const body = parseJson(raw);
  if (!body) return err(43004, 'invalid json');
  let text: string;
  if (body.msgtype === 'markdown') {
    const md = body.markdown as { title?: unknown; text?: unknown } | undefined;
    if (typeof md?.title !== 'string' || typeof md.text !== 'string' || md.text === '') {
      return err(400103, 'markdown title or text is empty');
    }
    if (bytes(md.text) > 20_000) return err(460101, 'message too long, exceed 20000 bytes');
    text = `${md.title}\n${md.text}`;
  } else if (body.msgtype === 'text') {
    const content = (body.text as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content === '') return err(400102, 'text content is empty');
    text = content;
  } else {
    return err(40035, 'msgtype invalid');
  }
  if (state.keywords.length > 0 && !state.keywords.some((k) => text.includes(k))) {
    return err(310000, 'keywords not in content');
  }
  if (overLimit(state, 'dingtalk', token) > 0) return err(130101, 'send too fast, exceed 20 times per minute');
  return { accepted: { token, body, text }, ok: { status: 200, json: { errcode: 0, errmsg: 'ok' } } };
}

/** The tags Telegram's HTML parse mode knows: https://core.telegram.org/bots/api#html-style */
const TELEGRAM_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'tg-emoji',
  'code',
  'pre',
  'blockquote',
]);

/** Telegram HTML parsed as the Bot API does: the visible text, or why it cannot be parsed. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  const re = /<(\/?)([a-zA-Z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]/g;
  let last = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    text += html.slice(last, m.index);
    last = re.lastIndex;
    if (m[0] === '<' || m[0] === '>' || m[0] === '&') {
      if (m[0] === '>') return { error: `Unsupported start tag or stray ">" at byte offset ${m.index}` };
      return { error: `Unsupported start tag or unescaped "${m[0]}" at byte offset ${m.index}` };
    }
    if (m[4] !== undefined) {
      const e = m[4];
      text +=
        e === 'lt'
          ? '<'
          : e === 'gt'
            ? '>'
            : e === 'amp'
              ? '&'
              : e === 'quot'
                ? '"'
                : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
      continue;
    }
    const tag = m[2]!.toLowerCase();
    if (!TELEGRAM_TAGS.has(tag)) return { error: `Unsupported start tag "${tag}" at byte offset ${m.index}` };
    if (m[1]) {
      if (stack.pop() !== tag) return { error: `Unmatched end tag at byte offset ${m.index}, expected "</${tag}>"` };
    } else {
      if (tag === 'a' && !/href="https?:\/\//.test(m[3] ?? '')) return { error: 'Wrong HTTP URL' };
      stack.push(tag);
    }
  }
  text += html.slice(last);
  if (stack.length > 0) return { error: `Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}

/** Telegram Bot API sendMessage: https://core.telegram.org/bots/api#sendmessage */
function telegram(url: URL, raw: string, state: State): Outcome {
  const err = (code: number, description: string, parameters?: unknown): Outcome => ({
    reply: { status: code, json: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) } },
  });
  const m = /^\/telegram\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
  if (!m || decodeURIComponent(m[1]!) !== state.tokens.telegram) return err(401, 'Unauthorized');
  const token = m[1]!;
  if (m[2] !== 'sendMessage') return err(404, 'Not Found');
  const body = parseJson(raw);
  if (!body) return err(400, "Bad Request: can't parse JSON");
  if (String(body.chat_id ?? '') !== state.chatId) return err(400, 'Bad Request: chat not found');
  if (typeof body.text !== 'string' || body.text.trim() === '') return err(400, 'Bad Request: message text is empty');
  let text = body.text;
  if (body.parse_mode === 'HTML') {
    const parsed = parseTelegramHtml(body.text);
    if ('error' in parsed) return err(400, `Bad Request: can't parse entities: ${parsed.error}`);
    text = parsed.text;
  } else if (body.parse_mode !== undefined) {
    return err(400, 'Bad Request: unsupported parse_mode');
  }
  if (text.length > 4096) return err(400, 'Bad Request: message is too long');
  const wait = overLimit(state, 'telegram', token);
  if (wait > 0) return err(429, `Too Many Requests: retry after ${wait}`, { retry_after: wait });
  const result = { message_id: Math.floor(Math.random() * 1e6), chat: { id: Number(state.chatId) }, text };
  return { accepted: { token, body, text }, ok: { status: 200, json: { ok: true, result } } };
}

/** A generic / Slack incoming webhook: https://api.slack.com/messaging/webhooks */
function webhook(url: URL, raw: string, state: State): Outcome {
  const token = decodeURIComponent(url.pathname.slice('/webhook/services/'.length));
  if (token !== state.tokens.webhook) return { reply: { status: 404, text: 'no_service' } };
  const body = parseJson(raw);
  if (!body) return { reply: { status: 400, text: 'invalid_payload' } };
  if (body.type === undefined) {
    // Slack: `text` or `blocks`, at most 50 blocks, a section's text at most 3000 characters.
    const blocks = body.blocks;
    if (typeof body.text !== 'string' && !Array.isArray(blocks)) return { reply: { status: 400, text: 'no_text' } };
    if (Array.isArray(blocks)) {
      const bad =
        blocks.length > 50 ||
        blocks.some((b: { type?: string; text?: { text?: string } }) => {
          return b.type === 'section' && (typeof b.text?.text !== 'string' || Array.from(b.text.text).length > 3000);
        });
      if (bad) return { reply: { status: 400, text: 'invalid_blocks' } };
    }
  }
  const wait = overLimit(state, 'webhook', token);
  if (wait > 0) return { reply: { status: 429, text: 'rate_limited', headers: { 'retry-after': String(wait) } } };
  return { accepted: { token, body, text: raw }, ok: { status: 200, text: 'ok' } };
}

const PLATFORMS: Record<ChannelKind, (url: URL, raw: string, state: State) => Outcome> = {
  wecom,
  feishu,
  dingtalk,
  telegram,
  webhook,
};
