/**
 * Telegram Bot API `sendMessage`: `{chat_id, text, parse_mode: 'HTML', link_preview_options}`, the text at
 * most 4096 characters (measured here before entity parsing, so with room). The URL is the bot's API base
 * (`https://api.telegram.org/bot<token>`) or its `…/sendMessage`. Replies `{ok, result}` or `{ok: false,
 * error_code, description, parameters}`: 429 carries `parameters.retry_after` (seconds); 400 (chat not
 * found, message too long), 401 (bad token), 403 (bot removed) and 404 are permanent; 5xx transient.
 * A bot may post about 20 messages a minute to one group.
 */
import {
  digestTitle,
  escapeHtml,
  footerLine,
  headerLines,
  itemLines,
  oneLine,
  opsIcon,
  partMarker,
  safeHttpUrl,
  splitDigest,
} from '../markdown.ts';
import type { Markup } from '../markdown.ts';
import { ChannelError } from '../types.ts';
import type { ChannelAdapter, ChannelDigest, ChannelMessage, ChannelTarget, DigestItem } from '../types.ts';
import { postJson, retryAfterHeader, trimReply, where } from './http.ts';

export const TELEGRAM_MAX_TEXT_CHARS = 4096;

/** Telegram HTML: `&`, `<`, `>` (and `"`) as entities; links as `<a href>`. */
export const telegramMarkup: Markup = {
  text: (s) => escapeHtml(oneLine(s)),
  bold: (s) => `<b>${s}</b>`,
  link: (label, url) => {
    const safe = safeHttpUrl(url);
    return safe ? `<a href="${escapeHtml(safe)}">${label}</a>` : label;
  },
  muted: (s) => `<i>${s}</i>`,
};

/** The `sendMessage` endpoint of a bot URL. */
export function telegramEndpoint(url: string): string {
  const u = new URL(url);
  if (!/\/sendMessage\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/sendMessage`;
  return u.href;
}

function text(digest: ChannelDigest, items: DigestItem[], first: number, part: number, parts: number): string {
  const m = telegramMarkup;
  const marker = partMarker(part, parts);
  const icon = digest.kind === 'ops' ? `${opsIcon(digest)} ` : digest.kind === 'alert' ? '🚨 ' : '📰 ';
  const lines = [`${icon}${m.bold(m.text(digestTitle(digest)))}${marker ? ` ${marker}` : ''}`];
  if (part === 1) lines.push(...headerLines(digest, m));
  items.forEach((it, i) => lines.push('', ...itemLines(it, first + i, m)));
  const footer = part === parts ? footerLine(digest, m) : null;
  if (footer) lines.push('', footer);
  return lines.join('\n');
}

function render(digest: ChannelDigest, target: ChannelTarget): ChannelMessage[] {
  const chatId = target.options.chatId ?? '';
  return splitDigest(digest, {
    build: (items, first, part, parts) => ({
      chat_id: chatId,
      text: text(digest, items, first, part, parts),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    }),
    fits: (body) => (body as { text: string }).text.length <= TELEGRAM_MAX_TEXT_CHARS,
  });
}

/**
 * The body with the channel's current chat: a part kept from an earlier rendering (`channel_log.rendered`)
 * carries the chat id of that moment, and an operator who has since moved the channel to another chat wants
 * the rest there, not in the old one.
 */
function addressed(body: unknown, target: ChannelTarget): unknown {
  return { ...(body as Record<string, unknown>), chat_id: target.options.chatId ?? '' };
}

interface TelegramReply {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** Telegram Bot API. */
export const telegramAdapter: ChannelAdapter = {
  kind: 'telegram',
  rateLimit: { perMinute: 20 },
  render,
  async send(target, message, opts = {}) {
    const now = opts.now?.() ?? new Date();
    let endpoint: string;
    try {
      endpoint = telegramEndpoint(target.url);
    } catch {
      throw new ChannelError(`${where(target)}: not a URL`, { code: 'bad_url', permanent: true });
    }
    const reply = await postJson(target, endpoint, addressed(message.body, target), opts);
    const json = reply.json as TelegramReply | null;
    if (json?.ok === true && reply.status >= 200 && reply.status < 300) {
      return { status: reply.status, reply: trimReply(reply.text) };
    }
    const status = json?.error_code ?? reply.status;
    const common = { code: `telegram_${status}`, status: reply.status, reply: trimReply(reply.text) };
    const said = `${where(target)}: Telegram ${status} (${String(json?.description ?? '').slice(0, 120)})`;
    if (status === 429) {
      const after = json?.parameters?.retry_after;
      const retryAfterMs =
        typeof after === 'number' ? after * 1000 : (retryAfterHeader(reply.headers.get('retry-after'), now) ?? 60_000);
      throw new ChannelError(said, { ...common, retryAfterMs });
    }
    if (status >= 500) throw new ChannelError(said, common);
    throw new ChannelError(said, { ...common, permanent: true });
  },
};
