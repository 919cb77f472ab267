/**
 * 飞书 / Lark custom bot: an interactive card (`msg_type: 'interactive'`), the header plain text, each story
 * a `div` of `lark_md`. A bot with 签名校验 wants `timestamp` (seconds) and `sign` =
 * base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = empty)) in the body; the timestamp must
 * be within an hour of the platform's clock. The body is at most 20 KB; 100 requests a minute and 5 a
 * second per bot. Replies `{code, msg}`: 0 accepts, 19021 signature (or timestamp) refused, 19024 keyword
 * missing, 11232 / 9499 frequency limited, HTTP 429 the gateway's limit.
 */
import { createHmac } from 'node:crypto';
import {
  digestTitle,
  headerLines,
  itemLines,
  linkLabel,
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
import { errorFromStatus, postJson, retryAfterHeader, trimReply, where } from './http.ts';

/** The request body's cap (20 KB), with room for `timestamp` and `sign`. */
export const FEISHU_MAX_BODY_BYTES = 20_000;
const SIGN_ROOM = 120;
const RATE_LIMITED = new Set([11232, 9499]);

/** lark_md: markup characters (links, emphasis, `<at>`, `<font>`) become full-width look-alikes. */
export const feishuMarkup: Markup = {
  text: neutraliseMarkdown,
  bold: (s) => `**${s}**`,
  link: (label, url) => {
    const safe = safeHttpUrl(url);
    return safe ? `[${label}](${safe})` : label;
  },
  muted: (s) => `<font color='grey'>${s}</font>`,
};

/** The signature of a Feishu custom bot for `timestamp` (Unix seconds). */
export function feishuSign(secret: string, timestamp: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}

function div(content: string): unknown {
  return { tag: 'div', text: { tag: 'lark_md', content } };
}

function card(digest: ChannelDigest, items: DigestItem[], first: number, part: number, parts: number): unknown {
  const m = feishuMarkup;
  const marker = partMarker(part, parts);
  const elements: unknown[] = [];
  const header = part === 1 ? headerLines(digest, m) : [];
  if (header.length > 0) elements.push(div(header.join('\n')));
  items.forEach((it, i) => {
    if (elements.length > 0) elements.push({ tag: 'hr' });
    elements.push(div(itemLines(it, first + i, m).join('\n')));
  });
  const url = part === parts ? safeHttpUrl(digest.webViewUrl) : null;
  if (url) {
    const label = linkLabel(digest);
    elements.push({
      tag: 'action',
      actions: [{ tag: 'button', text: { tag: 'plain_text', content: label }, type: 'primary', url }],
    });
  }
  if (elements.length === 0) elements.push(div(m.text(digestTitle(digest))));
  const icon = opsIcon(digest) ? `${opsIcon(digest)} ` : '';
  return {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: {
        title: { tag: 'plain_text', content: `${icon}${digestTitle(digest)}${marker ? ` ${marker}` : ''}` },
        template: template(digest),
      },
      elements,
    },
  };
}

/** The card header's colour: an edition blue, an alert red; an ops alert by severity (red, orange, green). */
function template(digest: ChannelDigest): string {
  if (digest.kind === 'ops')
    return { critical: 'red', warning: 'orange', resolved: 'green' }[digest.ops?.severity ?? 'warning'];
  return digest.kind === 'alert' ? 'red' : 'blue';
}

function render(digest: ChannelDigest): ChannelMessage[] {
  return splitDigest(digest, {
    build: (items, first, part, parts) => card(digest, items, first, part, parts),
    fits: (body) => utf8Bytes(JSON.stringify(body)) + SIGN_ROOM <= FEISHU_MAX_BODY_BYTES,
  });
}

/** 飞书 / Lark custom bot. */
export const feishuAdapter: ChannelAdapter = {
  kind: 'feishu',
  rateLimit: { perMinute: 100 },
  render,
  async send(target, message, opts = {}) {
    const now = opts.now?.() ?? new Date();
    let body = message.body as Record<string, unknown>;
    if (target.secret) {
      const timestamp = String(Math.floor(now.getTime() / 1000));
      body = { timestamp, sign: feishuSign(target.secret, timestamp), ...body };
    }
    const reply = await postJson(target, target.url, body, opts);
    const json = reply.json as { code?: unknown; msg?: unknown; StatusCode?: unknown } | null;
    const code =
      typeof json?.code === 'number' ? json.code : typeof json?.StatusCode === 'number' ? json.StatusCode : null;
    if (reply.status === 429 || code === null) {
      const reset = retryAfterHeader(reply.headers.get('x-ogw-ratelimit-reset'), now);
      throw errorFromStatus(target, reply, now, reset ?? 60_000);
    }
    if (code === 0 && reply.status >= 200 && reply.status < 300) {
      return { status: reply.status, reply: trimReply(reply.text) };
    }
    const common = { code: `feishu_${code}`, status: reply.status, reply: trimReply(reply.text) };
    const said = `${where(target)}: Feishu code ${code} (${String(json?.msg ?? '').slice(0, 120)})`;
    if (RATE_LIMITED.has(code)) throw new ChannelError(said, { ...common, retryAfterMs: 60_000 });
    if (reply.status >= 500) throw new ChannelError(said, common);
    throw new ChannelError(said, { ...common, permanent: true });
  },
};
