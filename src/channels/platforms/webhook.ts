/**
 * A generic webhook: any 2xx accepts, 429 waits for `Retry-After`, another 4xx is permanent, a 5xx is
 * transient. Two bodies: `json`, finrep's own versioned document (`finrep.edition` / `finrep.alert` /
 * `finrep.ops`, version 1, the stories as data, nothing to escape), and `slack`, a Slack incoming-webhook
 * message (`text` + `blocks`, section blocks in mrkdwn, ≤ 50 blocks and ≤ 3000 characters a section).
 */
import {
  cut,
  digestTitle,
  footerLine,
  headerLines,
  itemLines,
  oneLine,
  opsIcon,
  partMarker,
  safeHttpUrl,
  splitDigest,
  utf8Bytes,
} from '../markdown.ts';
import type { Markup } from '../markdown.ts';
import type { ChannelAdapter, ChannelDigest, ChannelMessage, ChannelTarget, DigestItem } from '../types.ts';
import { errorFromStatus, postJson, trimReply } from './http.ts';

/** Version of the `json` document; bumped on any incompatible change. */
export const FINREP_DOCUMENT_VERSION = 1;
/** A `json` part's cap: no platform limit, but a receiver should not need to take more. */
const JSON_MAX_BYTES = 256 * 1024;
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_CHARS = 3000;
const SLACK_MAX_HEADER_CHARS = 150;

/** Slack mrkdwn: `&`, `<`, `>` as entities (no link or mention), emphasis marks as look-alikes. */
export const slackMarkup: Markup = {
  text: (s) =>
    oneLine(s)
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replace(/[*_~`|]/g, (c) => SLACK_LOOKALIKE[c] ?? c),
  bold: (s) => `*${s}*`,
  link: (label, url) => {
    const safe = safeHttpUrl(url);
    return safe ? `<${safe}|${label}>` : label;
  },
  muted: (s) => s,
};
const SLACK_LOOKALIKE: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ', '|': '│' };

function section(text: string): unknown {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function slackBody(digest: ChannelDigest, items: DigestItem[], first: number, part: number, parts: number): unknown {
  const m = slackMarkup;
  const marker = partMarker(part, parts);
  const icon = opsIcon(digest) ? `${opsIcon(digest)} ` : '';
  const title = cut(`${icon}${digestTitle(digest)}${marker ? ` ${marker}` : ''}`, SLACK_MAX_HEADER_CHARS - 1);
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: title, emoji: true } }];
  const header = part === 1 ? headerLines(digest, m) : [];
  if (header.length > 0) blocks.push(section(header.join('\n')));
  if (items.length > 0) blocks.push({ type: 'divider' });
  items.forEach((it, i) => blocks.push(section(itemLines(it, first + i, m).join('\n'))));
  const footer = part === parts ? footerLine(digest, m) : null;
  if (footer) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: footer }] });
  // `text` is the notification's fallback, read as mrkdwn: escaped like the sections.
  return { text: m.text(title), blocks };
}

function slackFits(body: unknown): boolean {
  const blocks = (body as { blocks: { type: string; text?: { text: string } }[] }).blocks;
  if (blocks.length > SLACK_MAX_BLOCKS) return false;
  return blocks.every((b) => b.type !== 'section' || Array.from(b.text!.text).length <= SLACK_MAX_SECTION_CHARS);
}

function jsonItem(it: DigestItem, rank: number): unknown {
  return {
    rank,
    title: it.title,
    url: safeHttpUrl(it.url),
    source: it.source,
    summary: it.summary,
    sentiment: it.sentiment,
    sentimentScore: it.sentimentScore,
    importance: it.importance,
    tickers: it.tickers,
    category: it.category,
    alerted: it.alerted ?? false,
  };
}

function jsonBody(digest: ChannelDigest, items: DigestItem[], first: number, part: number, parts: number): unknown {
  return {
    type: digest.kind === 'ops' ? 'finrep.ops' : digest.kind === 'alert' ? 'finrep.alert' : 'finrep.edition',
    version: FINREP_DOCUMENT_VERSION,
    part,
    parts,
    title: digest.title,
    edition: digest.edition,
    webViewUrl: safeHttpUrl(digest.webViewUrl),
    counts: digest.counts ?? null,
    mood: digest.mood ?? null,
    rule: digest.rule ?? null,
    items: items.map((it, i) => jsonItem(it, first + i)),
    // Only an operational alert has it (an edition or alert document is as it was in version 1).
    ...(digest.kind === 'ops'
      ? { ops: { severity: digest.ops?.severity ?? 'warning', lines: digest.ops?.lines ?? [] } }
      : {}),
  };
}

function render(digest: ChannelDigest, target: ChannelTarget): ChannelMessage[] {
  if (target.options.format === 'slack') {
    return splitDigest(digest, {
      build: (items, first, part, parts) => slackBody(digest, items, first, part, parts),
      fits: slackFits,
    });
  }
  return splitDigest(digest, {
    build: (items, first, part, parts) => jsonBody(digest, items, first, part, parts),
    fits: (body) => utf8Bytes(JSON.stringify(body)) <= JSON_MAX_BYTES,
  });
}

/** The generic JSON / Slack-compatible webhook. */
export const webhookAdapter: ChannelAdapter = {
  kind: 'webhook',
  // Slack's documented pace for incoming webhooks is about one message a second.
  rateLimit: { perMinute: 60 },
  render,
  async send(target, message, opts = {}) {
    const now = opts.now?.() ?? new Date();
    const reply = await postJson(target, target.url, message.body, opts);
    if (reply.status >= 200 && reply.status < 300) return { status: reply.status, reply: trimReply(reply.text) };
    throw errorFromStatus(target, reply, now, 60_000);
  },
};
