/**
 * The chat platform adapters against the fake platforms (real HTTP on 127.0.0.1): accepted, signature or
 * token refused with the platform's own code, rate limit, split, trimmed, outage, hang, connection
 * refused, hostile text, and no token or secret in any error.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { adapterFor, CHANNEL_KINDS } from '../src/channels/adapters.ts';
import { ChannelError } from '../src/channels/types.ts';
import type { ChannelDigest, ChannelKind, ChannelMessage, ChannelTarget } from '../src/channels/types.ts';
import {
  alertDigest,
  hostileEdition,
  hostileOps,
  hugeStory,
  longEdition,
  opsDigest,
  smallEdition,
} from './helpers/channel-digests.ts';
import { startChatPlatforms } from './helpers/chat-platforms.ts';
import type { ChatPlatforms } from './helpers/chat-platforms.ts';

let chat: ChatPlatforms;
beforeAll(async () => {
  chat = await startChatPlatforms();
});
afterAll(async () => {
  await chat?.close();
});
beforeEach(() => {
  chat.clear();
  for (const kind of CHANNEL_KINDS) {
    chat.setOutage(kind, false);
    chat.setHang(kind, false);
    chat.setRateLimit(kind, { perMinute: 1000 });
  }
});

interface Case {
  name: string;
  kind: ChannelKind;
  format?: 'json' | 'slack';
  /** The platform's own code for a refused signature (or token, for a kind that does not sign). */
  refusedCode: string;
  /** The size of a message as the platform limits it, and the limit. */
  size: (body: unknown) => number;
  limit: number;
  /** The strings of a body the platform parses as markup (plain-text fields left out). */
  markup: (body: unknown) => string[];
  /** Whether the markup has `[label](url)` links. */
  mdLinks: boolean;
}

const larkMd = (b: unknown): string[] =>
  (b as { card: { elements: { text?: { tag: string; content: string } }[] } }).card.elements
    .filter((e) => e.text?.tag === 'lark_md')
    .map((e) => e.text!.content);
const slackMrkdwn = (b: unknown): string[] => {
  const body = b as {
    text: string;
    blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[];
  };
  return [
    body.text,
    ...body.blocks.filter((x) => x.type === 'section').map((x) => x.text!.text),
    ...body.blocks.filter((x) => x.type === 'context').flatMap((x) => x.elements!.map((e) => e.text)),
  ];
};

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const CASES: Case[] = [
  {
    name: 'wecom',
    kind: 'wecom',
    refusedCode: 'wecom_93000',
    size: (b) => bytes((b as { markdown: { content: string } }).markdown.content),
    limit: 4096,
    markup: (b) => [(b as { markdown: { content: string } }).markdown.content],
    mdLinks: true,
  },
  {
    name: 'feishu',
    kind: 'feishu',
    refusedCode: 'feishu_19021',
    size: (b) => bytes(JSON.stringify(b)) + 120,
    limit: 20 * 1024,
    markup: larkMd,
    mdLinks: true,
  },
  {
    name: 'dingtalk',
    kind: 'dingtalk',
    refusedCode: 'dingtalk_310000',
    size: (b) => bytes((b as { markdown: { text: string } }).markdown.text),
    limit: 20_000,
    markup: (b) => [(b as { markdown: { text: string; title: string } }).markdown.text],
    mdLinks: true,
  },
  {
    name: 'telegram',
    kind: 'telegram',
    refusedCode: 'telegram_401',
    size: (b) => (b as { text: string }).text.length,
    limit: 4096,
    markup: (b) => [(b as { text: string }).text],
    mdLinks: false,
  },
  {
    name: 'webhook json',
    kind: 'webhook',
    format: 'json',
    refusedCode: 'http_404',
    size: (b) => bytes(JSON.stringify(b)),
    limit: 256 * 1024,
    markup: () => [],
    mdLinks: false,
  },
  {
    name: 'webhook slack',
    kind: 'webhook',
    format: 'slack',
    refusedCode: 'http_404',
    size: (b) => (b as { blocks: unknown[] }).blocks.length,
    limit: 50,
    markup: slackMrkdwn,
    mdLinks: false,
  },
];

function target(c: Case, over: Partial<ChannelTarget> = {}): ChannelTarget {
  return {
    name: `test-${c.name.replace(' ', '-')}`,
    kind: c.kind,
    url: chat.url(c.kind),
    secret: chat.secret(c.kind),
    options: { keywords: chat.keywords, chatId: chat.telegramChatId, format: c.format },
    ...over,
  };
}

/** Every secret of the fake platforms, none of which may appear in an error message. */
function secrets(): string[] {
  return CHANNEL_KINDS.flatMap((k) => [chat.token(k), chat.secret(k), chat.url(k)]).filter((s): s is string => !!s);
}

/** The ChannelError a send throws, checked to name the channel and to carry no token or secret. */
async function sendError(
  c: Case,
  t: ChannelTarget,
  message: ChannelMessage,
  opts: { timeoutMs?: number; signal?: AbortSignal; whileSending?: () => Promise<void> } = {},
) {
  const sending = adapterFor(c.kind).send(t, message, opts);
  await opts.whileSending?.();
  const err = await sending.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelError);
  const e = err as ChannelError;
  expect(e.message).toContain(t.name);
  const shown = `${e.message} ${String((e.cause as Error | undefined)?.message ?? '')} ${e.stack ?? ''}`;
  for (const s of [...secrets(), t.secret ?? '', t.url]) if (s) expect(shown).not.toContain(s);
  return e;
}

async function sendAll(c: Case, t: ChannelTarget, digest: ChannelDigest): Promise<ChannelMessage[]> {
  const messages = adapterFor(c.kind).render(digest, t);
  for (const m of messages) {
    const r = await adapterFor(c.kind).send(t, m);
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(r.status).toBeLessThan(300);
  }
  return messages;
}

/** The visible text of what a platform received (Telegram: entities decoded, tags stripped). */
function receivedText(c: Case): string {
  return chat
    .received(c.kind)
    .map((m) => m.text)
    .join('\n');
}

describe.each(CASES)('$name', (c) => {
  it('posts a small edition in one message the platform accepts', async () => {
    const messages = await sendAll(c, target(c), smallEdition());
    expect(messages).toHaveLength(1);
    const got = chat.received(c.kind);
    expect(got).toHaveLength(1);
    const text = receivedText(c);
    for (const it of smallEdition().items) expect(text).toContain(it.source);
    expect(text).toContain(c.format === 'json' ? '"alerted":true' : '已预警');
    expect(text).toContain('300750.SZ');
    expect(JSON.stringify(got[0]!.body)).toContain('https://finrep.example.com/reports/2026-12-05');
  });

  it("gets the platform's refusal for a wrong signature (or token) as a permanent error", async () => {
    const t =
      c.kind === 'feishu' || c.kind === 'dingtalk'
        ? target(c, { secret: 'SECwrong-secret' })
        : target(c, { url: chat.url(c.kind, 'wrong-token-xyz') });
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const e = await sendError(c, t, message!);
    expect(e.code).toBe(c.refusedCode);
    expect(e.permanent).toBe(true);
    expect(e.uncertain).toBe(false);
    expect(e.message).not.toContain('wrong-token-xyz');
    expect(e.message).not.toContain('SECwrong-secret');
    expect(chat.received(c.kind)).toHaveLength(0);
  });

  it('reports a rate limit with the time to wait', async () => {
    chat.setRateLimit(c.kind, { perMinute: 2 });
    const t = target(c);
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    await adapterFor(c.kind).send(t, message!);
    await adapterFor(c.kind).send(t, message!);
    const e = await sendError(c, t, message!);
    expect(e.permanent).toBe(false);
    expect(e.uncertain).toBe(false);
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(chat.received(c.kind)).toHaveLength(2);
  });

  it('splits a long edition into parts under the limit, all accepted, no story lost', async () => {
    const digest = longEdition(c.format === 'slack' ? 60 : 40);
    const messages = await sendAll(c, target(c), digest);
    if (c.format !== 'json') expect(messages.length).toBeGreaterThan(1);
    messages.forEach((m, i) => {
      expect(c.size(m.body)).toBeLessThanOrEqual(c.limit);
      expect([m.part, m.parts]).toEqual([i + 1, messages.length]);
    });
    expect(chat.received(c.kind)).toHaveLength(messages.length);
    const text = receivedText(c);
    for (let i = 1; i <= digest.items.length; i++) expect(text).toContain(`story-${i}`);
    if (messages.length > 1) expect(text).toContain(`(2/${messages.length})`);
  });

  it('trims a story too long for one message instead of dropping it', async () => {
    const messages = await sendAll(c, target(c), hugeStory());
    expect(messages).toHaveLength(1);
    expect(c.size(messages[0]!.body)).toBeLessThanOrEqual(c.limit);
    const text = receivedText(c);
    expect(text).toContain('huge-story');
    if (c.format !== 'json') expect(text).toContain('…');
  });

  it('treats an outage (503) as transient', async () => {
    chat.setOutage(c.kind, '503');
    const t = target(c);
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const e = await sendError(c, t, message!);
    expect(e.status).toBe(503);
    expect([e.permanent, e.uncertain, e.retryAfterMs]).toEqual([false, false, null]);
  });

  it('treats a connection dropped after the body as uncertain', async () => {
    chat.setOutage(c.kind, 'drop');
    const t = target(c);
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const e = await sendError(c, t, message!);
    expect([e.permanent, e.uncertain]).toEqual([false, true]);
  });

  it('treats a platform that read the body and never answered as uncertain (timeout)', async () => {
    chat.setHang(c.kind, true);
    const t = target(c);
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const e = await sendError(c, t, message!, { timeoutMs: 500 });
    expect(e.code).toBe('timeout');
    expect([e.permanent, e.uncertain]).toEqual([false, true]);
  });

  it('treats a send aborted after the platform kept the message as uncertain', async () => {
    chat.setHang(c.kind, true);
    const t = target(c);
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const abort = new AbortController();
    const e = await sendError(c, t, message!, {
      signal: abort.signal,
      whileSending: async () => {
        await vi.waitFor(() => expect(chat.received(c.kind)).toHaveLength(1), { timeout: 20_000 });
        abort.abort();
      },
    });
    expect(e.code).toBe('aborted');
    expect([e.permanent, e.uncertain]).toEqual([false, true]);
    expect(chat.received(c.kind).map((m) => m.answered)).toEqual([false]);
  });

  it('treats a refused connection as transient, not uncertain', async () => {
    const port = await freePort();
    const url = chat.url(c.kind).replace(new URL(chat.origin).host, `127.0.0.1:${port}`);
    const t = target(c, { url });
    const [message] = adapterFor(c.kind).render(smallEdition(), t);
    const e = await sendError(c, t, message!);
    expect(e.code).toBe('connect');
    expect([e.permanent, e.uncertain]).toEqual([false, false]);
  });

  it('keeps hostile third-party text inert and links only http(s) URLs', async () => {
    const t = target(c);
    const messages = await sendAll(c, t, hostileEdition());
    const raw = messages.map((m) => JSON.stringify(m.body)).join('\n');
    expect(raw).not.toContain('javascript:');
    if (c.format === 'json') {
      // The document carries text as data: the receiver escapes it for its own markup.
      expect((messages[0]!.body as { items: { url: string | null }[] }).items[0]!.url).toBeNull();
      return;
    }
    // No link to the phishing URL, no mention, no tag from the text, in any field parsed as markup.
    const markup = messages.flatMap((m) => c.markup(m.body)).join('\n');
    expect(markup).toContain('BUY NOW');
    if (c.mdLinks) expect(markup).not.toMatch(/\]\(https:\/\/evil/);
    expect(markup).not.toContain('<https://evil');
    expect(markup).not.toContain('href="https://evil');
    for (const tag of [
      '<at id=all>',
      '<script>',
      '<!channel>',
      '<@all>',
      '<@U123>',
      '<font color="red">',
      '<b>x</b>',
    ]) {
      expect(markup).not.toContain(tag);
    }
    // Emphasis and headings: Telegram's HTML mode does not read markdown, the others do.
    if (c.kind !== 'telegram') expect(markup).not.toContain('**BUY NOW**');
    expect(markup).not.toMatch(/^[#>] ?(heading|quote)/m);
    // The link with parentheses and quotes stays one link.
    expect(raw).toContain('a_%28b%29');
    if (c.kind === 'telegram') {
      // The fake parses HTML like the Bot API: the hostile text arrived as text.
      expect(receivedText(c)).toContain('<script>alert(1)</script>');
    }
  });

  it('renders an operational alert as one short message with its lines and the console link', async () => {
    const messages = await sendAll(c, target(c), opsDigest());
    expect(messages).toHaveLength(1);
    const raw = JSON.stringify(messages[0]!.body);
    expect(raw).toContain('最近错误：HTTP 503 Service Unavailable');
    expect(raw).toContain('https://finrep.example.com/sources/7');
    if (c.format !== 'json') expect(raw).toContain('🟠');
  });

  it('keeps the hostile text of an operational alert inert, its non-http link unlinked', async () => {
    const messages = await sendAll(c, target(c), hostileOps());
    expect(messages).toHaveLength(1);
    const raw = JSON.stringify(messages[0]!.body);
    expect(raw).not.toContain('javascript:');
    if (c.format === 'json') return;
    const markup = messages.flatMap((m) => c.markup(m.body)).join('\n');
    expect(markup).toContain('BUY NOW');
    if (c.mdLinks) expect(markup).not.toMatch(/\]\(https:\/\/evil/);
    expect(markup).not.toContain('href="https://evil');
    for (const tag of ['<at id=all>', '<script>', '<!channel>', '<@all>', '<b>x</b>'])
      expect(markup).not.toContain(tag);
    if (c.kind !== 'telegram') expect(markup).not.toContain('**BUY NOW**');
    expect(markup).not.toMatch(/^[#>] ?(heading|quote)/m);
  });

  it('renders an alert as a short urgent message with the rule and its hits', async () => {
    const messages = await sendAll(c, target(c), alertDigest());
    expect(messages).toHaveLength(1);
    const text = receivedText(c);
    expect(text).toContain('宁德时代');
    expect(text).toContain('钠离子');
    expect(text).toContain('300750.SZ');
  });
});

describe('signatures', () => {
  it('Feishu refuses a signature made more than an hour from its clock (opts.now signs)', async () => {
    const c = CASES.find((x) => x.kind === 'feishu')!;
    const t = target(c);
    const [message] = adapterFor('feishu').render(smallEdition(), t);
    const stale = new Date(Date.now() - 2 * 3600_000);
    const err = await adapterFor('feishu')
      .send(t, message!, { now: () => stale })
      .catch((e: unknown) => e);
    expect((err as ChannelError).code).toBe('feishu_19021');
    const fresh = await adapterFor('feishu').send(t, message!, { now: () => new Date() });
    expect(fresh.status).toBe(200);
    const body = chat.received('feishu')[0]!.body;
    expect(body.timestamp).toMatch(/^\d{10}$/);
  });

  it('DingTalk refuses a stale timestamp and accepts a fresh one in the query', async () => {
    const c = CASES.find((x) => x.kind === 'dingtalk')!;
    const t = target(c);
    const [message] = adapterFor('dingtalk').render(smallEdition(), t);
    const err = await adapterFor('dingtalk')
      .send(t, message!, { now: () => new Date(Date.now() - 2 * 3600_000) })
      .catch((e: unknown) => e);
    expect((err as ChannelError).code).toBe('dingtalk_310000');
    expect((err as ChannelError).permanent).toBe(true);
    await adapterFor('dingtalk').send(t, message!);
    expect(chat.received('dingtalk')).toHaveLength(1);
  });
});

describe('DingTalk keywords', () => {
  const c = CASES.find((x) => x.kind === 'dingtalk')!;

  it('puts a keyword in front of the title of every part that lacks one', async () => {
    const digest = { ...longEdition(40), webViewUrl: null };
    const messages = await sendAll(c, target(c), digest);
    expect(messages.length).toBeGreaterThan(1);
    const got = chat.received('dingtalk');
    expect(got).toHaveLength(messages.length);
    for (const m of got) {
      expect((m.body as { markdown: { title: string } }).markdown.title.startsWith('【finrep】')).toBe(true);
    }
  });

  it('leaves a title alone when the message already has a keyword', async () => {
    const t = target(c, { options: { keywords: ['日报'] } });
    const [message] = adapterFor('dingtalk').render(smallEdition(), t);
    expect((message!.body as { markdown: { title: string } }).markdown.title).toBe('金融情报日报 2026-12-05');
  });

  it('is refused by the robot (310000) when the channel does not know the keywords', async () => {
    const t = target(c, { options: {} });
    const [message] = adapterFor('dingtalk').render({ ...smallEdition(), webViewUrl: null }, t);
    const e = await sendError(c, t, message!);
    expect(e.code).toBe('dingtalk_310000');
    expect(e.permanent).toBe(true);
  });
});

describe('Telegram', () => {
  it('posts to the configured chat and refuses an unknown chat permanently', async () => {
    const c = CASES.find((x) => x.kind === 'telegram')!;
    await sendAll(c, target(c), smallEdition());
    expect(chat.received('telegram')[0]!.body).toMatchObject({ chat_id: chat.telegramChatId, parse_mode: 'HTML' });
    const t = target(c, { options: { chatId: '-100999' } });
    const [message] = adapterFor('telegram').render(smallEdition(), t);
    const e = await sendError(c, t, message!);
    expect([e.code, e.permanent]).toEqual(['telegram_400', true]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
