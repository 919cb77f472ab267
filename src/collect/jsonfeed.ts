/** JSON Feed 1.0/1.1 (https://jsonfeed.org), parsed through a tolerant zod schema. */
import { z } from 'zod';
import type { CollectedItem } from '../domain.ts';
import { parseDate } from './dates.ts';
import { ParseError } from './errors.ts';
import { toPlainText } from './boilerplate.ts';
import { collapseWhitespace } from './html-text.ts';

const optString = z.string().nullish().catch(null);
const author = z.object({ name: optString }).loose();
const item = z
  .object({
    id: z.union([z.string(), z.number()]).nullish().catch(null),
    url: optString,
    external_url: optString,
    title: optString,
    summary: optString,
    content_html: optString,
    content_text: optString,
    date_published: optString,
    date_modified: optString,
    author: author.nullish().catch(null),
    authors: z.array(author).nullish().catch(null),
  })
  .loose();
const feed = z
  .object({
    version: z.string().startsWith('https://jsonfeed.org/version/'),
    home_page_url: optString,
    items: z.array(z.unknown()),
  })
  .loose();

/** True when `text` looks like a JSON document rather than XML. */
export function looksLikeJson(text: string): boolean {
  return /^\s*\{/.test(text);
}

/**
 * Maps a JSON Feed to collected items; items without a usable link are skipped. Above `maxItems`, the newest
 * are kept (undated last, document order among equals), the rest never mapped.
 */
export function parseJsonFeed(
  text: string,
  feedUrl: string,
  opts: { timeZone: string; now: Date; maxItems?: number },
): { items: CollectedItem[]; listed: number; warnings: string[] } {
  let data: z.infer<typeof feed>;
  try {
    data = feed.parse(JSON.parse(text));
  } catch (err) {
    throw new ParseError(`${feedUrl} is not a valid JSON Feed: ${err instanceof Error ? err.message : String(err)}`, {
      url: feedUrl,
      cause: err,
    });
  }
  const base = resolveUrl(data.home_page_url ?? '', feedUrl) ?? feedUrl;
  const linked: { at: number; it: z.infer<typeof item>; url: string; publishedAt: Date | null }[] = [];
  for (const [at, raw] of data.items.entries()) {
    const parsed = item.safeParse(raw);
    const url = parsed.success ? resolveUrl(parsed.data.url ?? parsed.data.external_url ?? '', base) : null;
    if (!parsed.success || !url) continue;
    const publishedAt = parseDate(parsed.data.date_published ?? parsed.data.date_modified, opts.timeZone, opts.now);
    linked.push({ at, it: parsed.data, url, publishedAt });
  }
  const max = opts.maxItems ?? Infinity;
  const chosen =
    linked.length > max
      ? [...linked]
          .sort(
            (a, b) => (b.publishedAt?.getTime() ?? -Infinity) - (a.publishedAt?.getTime() ?? -Infinity) || a.at - b.at,
          )
          .slice(0, max)
          .sort((a, b) => a.at - b.at)
      : linked;
  const items = chosen.map(({ it, url, publishedAt }): CollectedItem => {
    const title = collapseWhitespace(it.title ?? '');
    const content = toPlainText(it.content_html ?? it.content_text, title);
    const summary = toPlainText(it.summary, title);
    const names = [...(it.authors ?? []), ...(it.author ? [it.author] : [])].map((a) => a.name).filter(Boolean);
    return {
      url,
      title: title || firstWords(summary ?? content ?? ''),
      summary,
      content,
      author: names.length ? names.join(', ') : null,
      publishedAt,
      guid: it.id === null || it.id === undefined ? null : String(it.id),
    };
  });
  const listed = data.items.length;
  return { items, listed, warnings: linked.length > max ? [capWarning(max, listed)] : [] };
}

/** The warning a capped feed leaves on its source's health. */
export function capWarning(max: number, listed: number): string {
  return `kept the newest ${max} of ${listed} items (maxItems ${max})`;
}

/** An absolute http(s) URL for `href` relative to `base`, or null. */
export function resolveUrl(href: string, base: string): string | null {
  if (!href.trim()) return null;
  try {
    const u = new URL(href.trim(), base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** A title for an untitled item (microblog posts): the first sentence-ish of its text. */
export function firstWords(text: string, max = 60): string {
  const t = collapseWhitespace(text);
  return t.length <= max ? t : `${t.slice(0, max)}…`;
}
