/**
 * Every payload finrep posts, validated against the platform's documented schema
 * (docs/channels-schemas/*.schema.json, JSON Schema draft-07 read with zod's `fromJSONSchema`), as the
 * fake platforms received it (signature fields included), for several digests: small, split, trimmed,
 * hostile, alert, operational alert, empty. The byte limits JSON Schema cannot say are checked beside it. The examples in
 * docs/channels.md are the real renderings of a small edition and an alert: this test fails when they
 * drift (`FINREP_UPDATE_CHANNEL_DOCS=1` rewrites them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adapterFor } from '../src/channels/adapters.ts';
import { feishuSign } from '../src/channels/platforms/feishu.ts';
import type { ChannelDigest, ChannelKind, ChannelTarget } from '../src/channels/types.ts';
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

const SCHEMA_DIR = new URL('../docs/channels-schemas/', import.meta.url);
const DOC = new URL('../docs/channels.md', import.meta.url);

function schema(name: string): z.ZodType {
  const json = JSON.parse(readFileSync(new URL(`${name}.schema.json`, SCHEMA_DIR), 'utf8')) as object;
  return z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]);
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

interface Variant {
  name: string;
  kind: ChannelKind;
  format?: 'json' | 'slack';
  schema: string;
  /** What JSON Schema cannot express (UTF-8 byte caps). */
  extra?: (body: Record<string, unknown>) => void;
}

const VARIANTS: Variant[] = [
  {
    name: 'wecom',
    kind: 'wecom',
    schema: 'wecom',
    extra: (b) => expect(bytes((b.markdown as { content: string }).content)).toBeLessThanOrEqual(4096),
  },
  {
    name: 'feishu',
    kind: 'feishu',
    schema: 'feishu',
    extra: (b) => expect(bytes(JSON.stringify(b))).toBeLessThanOrEqual(20 * 1024),
  },
  {
    name: 'dingtalk',
    kind: 'dingtalk',
    schema: 'dingtalk',
    extra: (b) => expect(bytes((b.markdown as { text: string }).text)).toBeLessThanOrEqual(20_000),
  },
  { name: 'telegram', kind: 'telegram', schema: 'telegram' },
  { name: 'webhook-json', kind: 'webhook', format: 'json', schema: 'finrep-v1' },
  { name: 'webhook-slack', kind: 'webhook', format: 'slack', schema: 'slack' },
];

const DIGESTS: [string, () => ChannelDigest][] = [
  ['small edition', smallEdition],
  ['40-story edition (split)', () => longEdition(40)],
  ['one huge story (trimmed)', hugeStory],
  ['hostile text', hostileEdition],
  ['alert', alertDigest],
  ['operational alert', opsDigest],
  ['operational alert, hostile text', hostileOps],
  ['empty edition', () => ({ ...smallEdition(), items: [], webViewUrl: null })],
];

let chat: ChatPlatforms;
beforeAll(async () => {
  chat = await startChatPlatforms();
  for (const v of VARIANTS) chat.setRateLimit(v.kind, { perMinute: 10_000 });
});
afterAll(async () => {
  await chat?.close();
});
beforeEach(() => chat.clear());

function target(v: Variant): ChannelTarget {
  return {
    name: v.name,
    kind: v.kind,
    url: chat.url(v.kind),
    secret: chat.secret(v.kind),
    options: { keywords: chat.keywords, chatId: chat.telegramChatId, format: v.format },
  };
}

describe.each(VARIANTS)('$name payloads', (v) => {
  const validator = schema(v.schema);

  it.each(DIGESTS)('%s: every part as received is valid', async (_name, make) => {
    const t = target(v);
    const messages = adapterFor(v.kind).render(make(), t);
    for (const m of messages) await adapterFor(v.kind).send(t, m);
    const got = chat.received(v.kind);
    expect(got).toHaveLength(messages.length);
    for (const r of got) {
      const result = validator.safeParse(r.body);
      expect(result.success ? null : result.error.issues).toBeNull();
      v.extra?.(r.body);
    }
  });
});

describe('the schemas are not vacuous', () => {
  it.each([
    ['wecom', { msgtype: 'markdown', markdown: { content: 'x'.repeat(4097) } }],
    ['wecom', { msgtype: 'text', text: { content: 'x' } }],
    [
      'feishu',
      { msg_type: 'interactive', card: { header: { title: { tag: 'plain_text', content: 'x' } }, elements: [] } },
    ],
    ['dingtalk', { msgtype: 'markdown', markdown: { title: '', text: 'x' } }],
    ['telegram', { chat_id: '1', text: 'x'.repeat(4097), parse_mode: 'HTML' }],
    ['slack', { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }],
    ['slack', { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }],
    ['finrep-v1', { type: 'finrep.edition', version: 2 }],
  ])('%s refuses an invalid payload', (name, body) => {
    expect(schema(name).safeParse(body).success).toBe(false);
  });
});

/**
 * The doc's examples: a small edition and an operational alert on every platform, an alert on two. Signed
 * with a fixed clock.
 */
const EXAMPLE_NOW = new Date('2026-12-05T22:30:00Z');
const EXAMPLE_SECRET = 'example-secret';

function exampleBody(v: Variant, digest: ChannelDigest): unknown {
  const t: ChannelTarget = {
    name: 'example',
    kind: v.kind,
    url: 'https://example.invalid/hook',
    secret: v.kind === 'feishu' ? EXAMPLE_SECRET : null,
    options: { keywords: ['日报'], chatId: '-1001234567890', format: v.format },
  };
  const [message] = adapterFor(v.kind).render(digest, t);
  if (v.kind !== 'feishu') return message!.body;
  const timestamp = String(Math.floor(EXAMPLE_NOW.getTime() / 1000));
  return { timestamp, sign: feishuSign(EXAMPLE_SECRET, timestamp), ...(message!.body as object) };
}

const EXAMPLES: [string, Variant, () => ChannelDigest][] = [
  ...VARIANTS.map((v): [string, Variant, () => ChannelDigest] => [v.name, v, smallEdition]),
  ['wecom-alert', VARIANTS[0]!, alertDigest],
  ['telegram-alert', VARIANTS[3]!, alertDigest],
  ...VARIANTS.map((v): [string, Variant, () => ChannelDigest] => [`${v.name}-ops`, v, opsDigest]),
];

describe('docs/channels.md examples', () => {
  it('are the payloads finrep renders today', () => {
    let doc = readFileSync(DOC, 'utf8');
    const update = process.env.FINREP_UPDATE_CHANNEL_DOCS === '1';
    for (const [name, v, make] of EXAMPLES) {
      const body = exampleBody(v, make());
      expect(schema(v.schema).safeParse(body).success).toBe(true);
      const re = new RegExp(
        `(<!-- example:${name} -->\\n\`\`\`json\\n)([\\s\\S]*?)(\\n\`\`\`\\n<!-- /example:${name} -->)`,
      );
      const m = re.exec(doc);
      expect(m, `docs/channels.md lacks the example block ${name}`).not.toBeNull();
      if (update)
        doc = doc.replace(
          re,
          (_all, open: string, _old: string, close: string) => `${open}${JSON.stringify(body, null, 2)}${close}`,
        );
      else
        expect(JSON.parse(m![2]!), `example ${name} drifted: FINREP_UPDATE_CHANNEL_DOCS=1 rewrites it`).toEqual(body);
    }
    if (update) writeFileSync(DOC, doc);
  });
});
