/**
 * 钉钉自定义机器人: `{msgtype: 'markdown', markdown: {title, text}}`. A robot with 加签 wants `timestamp`
 * (milliseconds) and `sign` = urlencode(base64(HMAC-SHA256(key = secret, message = `${timestamp}\n${secret}`)))
 * in the URL's query, the timestamp within an hour of the platform's clock. A robot with 自定义关键词
 * refuses a message that contains none of its keywords (errcode 310000, like a bad signature). 20
 * messages a minute per robot; past that the robot is throttled for 10 minutes (130101 / 660026 /
 * 410100). Replies `{errcode, errmsg}`, HTTP 200.
 */
import { createHmac } from 'node:crypto';
import {
  digestTitle,
  footerLine,
  headerLines,
  itemLines,
  neutraliseMarkdown,
  opsIcon,
  partMarker,
  safeHttpUrl,
  splitDigest,
  utf8Bytes,
} from '../markdown.ts';
import type { Markup } from '../markdown.ts';
import { ChannelError } from '../types.ts';
import type { ChannelAdapter, ChannelDigest, ChannelMessage, ChannelTarget, DigestItem } from '../types.ts';
import { errorFromStatus, postJson, trimReply, where } from './http.ts';

export const DINGTALK_MAX_TEXT_BYTES = 20_000;
const RATE_LIMITED = new Set([130101, 660026, 410100]);
const TRANSIENT = new Set([-1]);
/** DingTalk throttles a robot that went over 20 a minute for 10 minutes. */
const THROTTLE_MS = 10 * 60_000;

/** DingTalk markdown: no escape syntax, so markup characters become full-width. */
export const dingtalkMarkup: Markup = {
  text: neutraliseMarkdown,
  bold: (s) => `**${s}**`,
  link: (label, url) => {
    const safe = safeHttpUrl(url);
    return safe ? `[${label}](${safe})` : label;
  },
  muted: (s) => s,
};

/** The (not yet URL-encoded) signature of a DingTalk robot for `timestamp` (Unix milliseconds). */
export function dingtalkSign(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

/** `url` with `timestamp` and `sign` added to its query. */
export function dingtalkSignedUrl(url: string, secret: string, now: Date): string {
  const timestamp = String(now.getTime());
  const u = new URL(url);
  u.searchParams.set('timestamp', timestamp);
  u.searchParams.set('sign', dingtalkSign(secret, timestamp));
  return u.href;
}

function part(
  digest: ChannelDigest,
  keywords: string[],
  items: DigestItem[],
  first: number,
  n: number,
  parts: number,
): unknown {
  const m = dingtalkMarkup;
  const marker = partMarker(n, parts);
  const icon = opsIcon(digest) ? `${opsIcon(digest)} ` : '';
  let title = `${icon}${m.text(digestTitle(digest))}${marker ? ` ${marker}` : ''}`;
  const lines = [...(n === 1 ? headerLines(digest, m).map((l) => `> ${l}`) : [])];
  items.forEach((it, i) => lines.push(...itemLines(it, first + i, m)));
  const footer = n === parts ? footerLine(digest, m) : null;
  if (footer) lines.push(footer);
  const rest = lines.join('\n\n');
  // The robot refuses a message without one of its keywords: the first one goes in front of the title.
  if (keywords.length > 0 && !keywords.some((k) => title.includes(k) || rest.includes(k))) {
    title = `【${keywords[0]}】${title}`;
  }
  return { msgtype: 'markdown', markdown: { title, text: `### ${title}\n\n${rest}` } };
}

/**
 * The body with one of the channel's current keywords: a part kept from an earlier rendering
 * (`channel_log.rendered`) has the keywords of that moment, and a robot whose keywords were changed since
 * would refuse it (310000).
 */
function withKeyword(body: unknown, target: ChannelTarget): unknown {
  const keywords = (target.options.keywords ?? []).filter((k) => k.trim() !== '');
  const md = (body as { markdown?: { title?: unknown; text?: unknown } }).markdown;
  if (keywords.length === 0 || typeof md?.title !== 'string' || typeof md.text !== 'string') return body;
  const { title, text } = md as { title: string; text: string };
  if (keywords.some((k) => title.includes(k) || text.includes(k))) return body;
  const marked = `【${keywords[0]}】${title}`;
  const rest = text.startsWith(`### ${title}`) ? text.slice(`### ${title}`.length) : `\n\n${text}`;
  return { ...(body as object), markdown: { ...md, title: marked, text: `### ${marked}${rest}` } };
}

function render(digest: ChannelDigest, target: ChannelTarget): ChannelMessage[] {
  const keywords = (target.options.keywords ?? []).filter((k) => k.trim() !== '');
  return splitDigest(digest, {
    build: (items, first, n, parts) => part(digest, keywords, items, first, n, parts),
    fits: (body) => utf8Bytes((body as { markdown: { text: string } }).markdown.text) <= DINGTALK_MAX_TEXT_BYTES,
  });
}

/** 钉钉自定义机器人 (DingTalk custom robot). */
export const dingtalkAdapter: ChannelAdapter = {
  kind: 'dingtalk',
  rateLimit: { perMinute: 20 },
  render,
  async send(target, message, opts = {}) {
    const now = opts.now?.() ?? new Date();
    const url = target.secret ? dingtalkSignedUrl(target.url, target.secret, now) : target.url;
    const reply = await postJson(target, url, withKeyword(message.body, target), opts);
    const json = reply.json as { errcode?: unknown; errmsg?: unknown } | null;
    if (reply.status !== 200 || typeof json?.errcode !== 'number')
      throw errorFromStatus(target, reply, now, THROTTLE_MS);
    if (json.errcode === 0) return { status: reply.status, reply: trimReply(reply.text) };
    const errcode = json.errcode;
    const common = { code: `dingtalk_${errcode}`, status: reply.status, reply: trimReply(reply.text) };
    const said = `${where(target)}: DingTalk errcode ${errcode} (${String(json.errmsg ?? '').slice(0, 120)})`;
    if (RATE_LIMITED.has(errcode)) throw new ChannelError(said, { ...common, retryAfterMs: THROTTLE_MS });
    throw new ChannelError(said, { ...common, permanent: !TRANSIENT.has(errcode) });
  },
};
