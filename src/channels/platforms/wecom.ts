/**
 * 企业微信群机器人: `{msgtype: 'markdown', markdown: {content}}`, the content at most 4096 bytes of UTF-8, at
 * most 20 messages a minute per robot. The reply is `{errcode, errmsg}` with HTTP 200: 0 accepts, 45009
 * is the rate limit, -1 is "system busy" (transient), every other code is a request the robot will keep
 * refusing (93000 invalid webhook key, 40008 invalid message type, 44004 empty content, …).
 */
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
import type { ChannelAdapter, ChannelDigest, ChannelMessage, DigestItem } from '../types.ts';
import { errorFromStatus, postJson, trimReply, where } from './http.ts';

export const WECOM_MAX_CONTENT_BYTES = 4096;
/** Errcodes of a rate limit: the robot's 20 a minute is a fixed window. */
const RATE_LIMITED = new Set([45009, 45033]);
const TRANSIENT = new Set([-1]);

/** WeCom markdown: no escape syntax, so markup characters become full-width; `<font color>` for grey. */
export const wecomMarkup: Markup = {
  text: neutraliseMarkdown,
  bold: (s) => `**${s}**`,
  link: (label, url) => {
    const safe = safeHttpUrl(url);
    return safe ? `[${label}](${safe})` : label;
  },
  muted: (s) => `<font color="comment">${s}</font>`,
};

function content(digest: ChannelDigest, items: DigestItem[], first: number, part: number, parts: number): string {
  const m = wecomMarkup;
  const marker = partMarker(part, parts);
  // WeCom has three colours: info (green), comment (grey), warning (orange-red).
  const color =
    digest.kind === 'ops'
      ? digest.ops?.severity === 'resolved'
        ? 'info'
        : 'warning'
      : digest.kind === 'alert'
        ? 'warning'
        : 'info';
  const icon = opsIcon(digest) ? `${opsIcon(digest)} ` : '';
  const title = `## ${icon}<font color="${color}">${m.text(digestTitle(digest))}</font>${marker ? ` ${marker}` : ''}`;
  const lines = [title, ...(part === 1 ? headerLines(digest, m).map((l) => `> ${l}`) : [])];
  items.forEach((it, i) => lines.push('', ...itemLines(it, first + i, m)));
  const footer = part === parts ? footerLine(digest, m) : null;
  if (footer) lines.push('', footer);
  return lines.join('\n');
}

function render(digest: ChannelDigest): ChannelMessage[] {
  return splitDigest(digest, {
    build: (items, first, part, parts) => ({
      msgtype: 'markdown',
      markdown: { content: content(digest, items, first, part, parts) },
    }),
    fits: (body) => utf8Bytes((body as { markdown: { content: string } }).markdown.content) <= WECOM_MAX_CONTENT_BYTES,
  });
}

/** 企业微信群机器人 (WeCom group robot). */
export const wecomAdapter: ChannelAdapter = {
  kind: 'wecom',
  rateLimit: { perMinute: 20 },
  render,
  async send(target, message, opts = {}) {
    const now = opts.now?.() ?? new Date();
    const reply = await postJson(target, target.url, message.body, opts);
    const json = reply.json as { errcode?: unknown; errmsg?: unknown } | null;
    if (reply.status !== 200 || typeof json?.errcode !== 'number') throw errorFromStatus(target, reply, now, 60_000);
    if (json.errcode === 0) return { status: reply.status, reply: trimReply(reply.text) };
    const errcode = json.errcode;
    const common = { code: `wecom_${errcode}`, status: reply.status, reply: trimReply(reply.text) };
    const said = `${where(target)}: WeCom errcode ${errcode} (${String(json.errmsg ?? '').slice(0, 120)})`;
    if (RATE_LIMITED.has(errcode)) throw new ChannelError(said, { ...common, retryAfterMs: 60_000 });
    throw new ChannelError(said, { ...common, permanent: !TRANSIENT.has(errcode) });
  },
};
