/**
 * RSS 0.9x/1.0/2.0, Atom, RDF and JSON Feed sources: fetch (conditional) → decode → refuse unsafe XML →
 * parse → items with absolute links, plain-text summaries and dates read in the source's zone.
 */
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';
import type { CollectResult, CollectedItem, SourceSpec } from '../domain.ts';
import { decodeBody } from './charset.ts';
import { DEFAULT_FEED_MAX_ITEMS, fetcherOf, fetchOptionsFor, sourceTimeZone } from './context.ts';
import type { CollectDeps } from './context.ts';
import { parseDate } from './dates.ts';
import { DATE_ELEMENTS, hasMoreItemTagsThan, newestFirst, scanFeedItems, withoutItems } from './feed-trim.ts';
import { ParseError } from './errors.ts';
import { toPlainText } from './boilerplate.ts';
import { collapseWhitespace } from './html-text.ts';
export { newestFirst } from './feed-trim.ts';
import { capWarning, firstWords, looksLikeJson, parseJsonFeed, resolveUrl } from './jsonfeed.ts';

const FEED_ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8';

type FeedItem = ReturnType<typeof parseFeed>['items'][number];

/** A link with a scheme other than http(s): never stored. */
const UNSAFE_SCHEME = /^\s*(?!https?:)[a-z][a-z0-9+.-]*:/i;

/**
 * Collects one feed source.
 *
 * @example const result = await collectFeed(source, { log, timeZone: 'Asia/Shanghai', now: () => new Date() });
 */
export async function collectFeed(source: SourceSpec, deps: CollectDeps): Promise<CollectResult> {
  const res = await fetcherOf(deps)(
    source.url,
    fetchOptionsFor(source, deps, {
      accept: FEED_ACCEPT,
      etag: source.etag,
      lastModified: source.lastModified,
    }),
  );
  const etag = res.headers.etag ?? null;
  const lastModified = res.headers['last-modified'] ?? null;
  if (res.notModified) {
    return {
      items: [],
      notModified: true,
      httpStatus: res.status,
      bytes: 0,
      etag: etag ?? source.etag,
      lastModified: lastModified ?? source.lastModified,
    };
  }
  const text = decodeBody(res.body, res.headers['content-type']);
  const maxItems = source.rules?.maxItems ?? deps.maxFeedItems ?? DEFAULT_FEED_MAX_ITEMS;
  const feed = readFeed(text, res.url, { timeZone: sourceTimeZone(source, deps), now: deps.now(), maxItems });
  deps.log.debug({ source_id: source.id, url: res.url, items: feed.items.length, listed: feed.listed }, 'feed parsed');
  return {
    items: feed.items,
    notModified: false,
    httpStatus: res.status,
    bytes: res.body.length,
    etag,
    lastModified,
    ...(feed.warnings.length ? { warnings: feed.warnings } : {}),
  };
}

/** A feed document read: the items kept, how many it listed, and what an operator should know. */
export interface ReadFeed {
  items: CollectedItem[];
  /** Items in the document (with or without a usable link). */
  listed: number;
  /** The cap applied, items lost to malformed XML. */
  warnings: string[];
}

/** How a feed is read: dates in `timeZone`, relative to `now`; at most `maxItems` kept (the newest). */
export interface ReadFeedOptions {
  timeZone: string;
  now: Date;
  maxItems?: number;
}

/**
 * Parses a feed document (already decoded) into collected items, all of them. See {@link readFeed}.
 */
export function parseFeedItems(text: string, feedUrl: string, opts: { timeZone: string; now: Date }): CollectedItem[] {
  return readFeed(text, feedUrl, opts).items;
}

/**
 * Reads a feed document (already decoded). Items without a usable http(s) link are skipped (the pipeline
 * identifies articles by URL); a feed whose only links are non-http(s) is a `ParseError`, and so is a
 * document that is not well-formed XML and yields no item (with the XML error's line and column). Above
 * `maxItems`, the newest are kept (undated items last, document order among equals).
 */
export function readFeed(text: string, feedUrl: string, opts: ReadFeedOptions): ReadFeed {
  const max = opts.maxItems ?? Infinity;
  if (looksLikeJson(text)) return parseJsonFeed(text, feedUrl, { ...opts, maxItems: max });
  refuseUnsafeXml(text, feedUrl);
  refuseTruncatedXml(text, feedUrl);
  const tags = countItemTags(text);
  const read =
    (hasMoreItemTagsThan(text, max) ? readOverCap(text, feedUrl, opts, max) : null) ??
    readItems(text, feedUrl, opts, max);
  const { listed, refused } = read;
  const items = read.kept.sort((a, b) => a.at - b.at).map((k) => k.item);
  // Link-less items are normal (RSS 0.92); a feed whose only links are javascript:/data: is hostile or broken.
  if (refused > 0 && items.length === 0) {
    throw new ParseError(
      `${feedUrl} refused: all ${refused} item links use a non-http(s) scheme (javascript:, data:, …)`,
      { url: feedUrl },
    );
  }
  if (read.warning) return { items, listed, warnings: [read.warning] };
  const warnings = read.capped ? [capWarning(max, listed)] : [];
  // The parser is lenient: a broken tag can swallow items silently. Only then is the document validated.
  if (listed === 0 || tags > listed) {
    const broken = notWellFormed(text);
    if (broken && items.length === 0) {
      throw new ParseError(`${feedUrl} is not a valid feed: ${broken}; no item could be read`, { url: feedUrl });
    }
    if (broken && tags > listed) warnings.push(`${broken}: read ${listed} of the feed's ${tags} items`);
  }
  return { items, listed, warnings };
}

/** What the parser read of a feed document: the items kept (`at`: their place in it) and every item's date. */
interface ItemsRead {
  kept: { at: number; item: CollectedItem }[];
  /** Item elements the parser listed. */
  listed: number;
  /** Items passed over for a non-http(s) link. */
  refused: number;
  /** More items were listed than the `max` kept. */
  capped: boolean;
  /** Every listed item's date, in the parser's order. */
  dates: (Date | null)[];
  /** What an operator should know, when it says more than the cap's warning (a malformed feed trimmed). */
  warning?: string;
}

/**
 * The parse behind {@link readFeed}: the newest `max` items with a usable link (all of them when the
 * document lists at most `max`). Throws the `ParseError` of a document feed-parser cannot read.
 */
function readItems(text: string, feedUrl: string, opts: ReadFeedOptions, max: number): ItemsRead {
  let refused = 0;
  let capped = false;
  const kept: { at: number; item: CollectedItem }[] = [];
  try {
    const feed = parseFeed(text);
    pinFeedFallbacks(feed);
    // Relative item links are relative to the channel's <link> (itself possibly relative to the feed URL).
    const base = resolveUrl(feed.url ?? '', feedUrl) ?? feedUrl;
    const all = feed.items; // a getter that wraps every element again: read once
    const dates = all.map((item) => itemDate(item, opts));
    for (const at of all.length > max ? newestFirst(dates) : all.keys()) {
      if (kept.length >= max) {
        capped = true;
        break;
      }
      const mapped = toCollectedItem(all[at]!, base, dates[at]!);
      if (mapped) kept.push({ at, item: mapped });
      else if (all[at]!.url && UNSAFE_SCHEME.test(all[at]!.url!)) refused++;
    }
    return { kept, listed: all.length, refused, capped, dates };
  } catch (err) {
    const reason =
      (err as { code?: unknown }).code === 'INVALID_FEED'
        ? 'no <rss>, <feed> or <rdf:RDF> root element (is it an HTML page?)'
        : (notWellFormed(text) ?? (err instanceof Error ? err.message : String(err)));
    throw new ParseError(`${feedUrl} is not a valid feed: ${reason}`, { url: feedUrl, cause: err });
  }
}

/**
 * A document listing more than `max` items, read without feed-parser building all of them: well-formed,
 * see {@link readTrimmed}; not well-formed, {@link readLeniently}. Null — read the whole document — when
 * the well-formed trim cannot be trusted.
 */
function readOverCap(text: string, feedUrl: string, opts: ReadFeedOptions, max: number): ItemsRead | null {
  if (!(max >= 1)) return null;
  const broken = notWellFormed(text);
  return broken ? readLeniently(text, feedUrl, opts, max, broken) : readTrimmed(text, feedUrl, opts, max);
}

/**
 * A document that is not well-formed and lists more than `max` items. feed-parser would build its whole
 * tree (over 1 GB for 100,000 items) to read whatever it can, so the streaming pass — htmlparser2, lenient —
 * delimits and dates the items it can, and feed-parser reads the document without all but the newest `max`
 * of them; the warning gives the XML error. A `ParseError` when that still leaves more than twice `max`
 * item tags (the break hides them from the pass: the feed is refused, not read whole), or when no item can
 * be read.
 */
function readLeniently(text: string, feedUrl: string, opts: ReadFeedOptions, max: number, broken: string): ItemsRead {
  const spans = scanFeedItems(text, opts) ?? [];
  const chosen = newestFirst(spans.map((s) => s.date))
    .slice(0, max)
    .sort((a, b) => a - b);
  const trimmed = spans.length > max ? withoutItems(text, spans, new Set(chosen)) : text;
  if (hasMoreItemTagsThan(trimmed, 2 * max)) {
    throw new ParseError(
      `${feedUrl} is not a valid feed: ${broken}; its items could not be told apart to keep the newest ` +
        `${max} (maxItems), so none was read`,
      { url: feedUrl },
    );
  }
  const read = readItems(trimmed, feedUrl, opts, max);
  if (read.kept.length === 0) {
    throw new ParseError(`${feedUrl} is not a valid feed: ${broken}; no item could be read`, { url: feedUrl });
  }
  // The parser's items are the pass's when they agree in number; otherwise their own order is kept.
  const agree = read.listed === chosen.length;
  return {
    ...read,
    kept: agree ? read.kept.map(({ at, item }) => ({ at: chosen[at]!, item })) : read.kept,
    listed: Math.max(spans.length, read.listed),
    capped: true,
    warning:
      `${broken}: kept the newest ${read.kept.length} of the ${spans.length} items a lenient pass ` +
      `could delimit (maxItems ${max})`,
  };
}

/**
 * {@link readItems} of a well-formed document listing more than `max` items, without feed-parser reading
 * them all: a streaming pass dates every item, and feed-parser reads the document without all but the
 * newest `max` (twice as many, and so on, while too few of those have a usable link). Null — read the
 * whole document — when the pass and the parser disagree on the items or their dates, or when more than
 * half the items would be needed.
 */
function readTrimmed(text: string, feedUrl: string, opts: ReadFeedOptions, max: number): ItemsRead | null {
  const spans = scanFeedItems(text, opts);
  if (!spans || spans.length <= max) return null;
  const order = newestFirst(spans.map((s) => s.date));
  const time = (d: Date | null | undefined) => d?.getTime() ?? null;
  for (let keep = max; keep * 2 <= spans.length; keep *= 2) {
    const chosen = order.slice(0, keep).sort((a, b) => a - b); // the parser's order, as in the document
    let read: ItemsRead;
    try {
      read = readItems(withoutItems(text, spans, new Set(chosen)), feedUrl, opts, max);
    } catch {
      return null;
    }
    if (read.listed !== keep || read.dates.some((d, j) => time(d) !== time(spans[chosen[j]!]!.date))) return null;
    // Every item left out comes after every item read in the cap's order: the `max` kept are all here.
    if (read.kept.length >= max) {
      return {
        kept: read.kept.map(({ at, item }) => ({ at: chosen[at]!, item })),
        listed: spans.length,
        refused: read.refused,
        capped: true,
        dates: [],
      };
    }
  }
  return null;
}

/** How many item elements the raw document has (RSS/RDF `<item>`, Atom `<entry>`). */
function countItemTags(text: string): number {
  return text.match(/<(?:item|entry)[\s/>]/g)?.length ?? 0;
}

/** The XML validator's reason a document is not well-formed (with line and column), or null when it is. */
function notWellFormed(text: string): string | null {
  const v = XMLValidator.validate(text);
  if (v === true) return null;
  // The message quotes the offending character: a binary body's would be a raw control byte.
  const msg = [...v.err.msg]
    .map((c) => (/\p{Cc}/u.test(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
    .join('');
  return `not well-formed XML: ${msg.replace(/\.$/, '')} (line ${v.err.line}, column ${v.err.col})`;
}

/**
 * Refuses documents with a DTD internal subset or entity declarations: the XML parser expands entities
 * without a limit, so "billion laughs" would exhaust memory, and external entities are an XXE vector.
 */
export function refuseUnsafeXml(text: string, url: string): void {
  if (/<!DOCTYPE[^>]*\[/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new ParseError(
      `${url} refused: the document declares a DTD internal subset or entities (XXE / entity expansion)`,
      {
        url,
      },
    );
  }
}

/**
 * Refuses a document whose root element is never closed: the parser is lenient with a body cut off mid-text
 * and would return a partial (or empty) item list as if the feed were complete.
 */
export function refuseTruncatedXml(text: string, url: string): void {
  const root = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)*<([A-Za-z_][\w:.-]*)/.exec(
    text.replace(/^\uFEFF/, ''),
  )?.[1];
  if (!root) return; // not XML at all: the parser says why
  const tail = withoutTrailingJunk(text);
  if (tail.endsWith('/>') && !tail.includes(`</${root}`)) return; // an empty root, <feed/>
  if (!new RegExp(`^</${root.replace(/\./g, '\\.')}\\s*>$`).test(tail.slice(tail.lastIndexOf('</')))) {
    throw new ParseError(`${url} is truncated: the document ends before its root element </${root}> is closed`, {
      url,
    });
  }
}

/**
 * The document without what may follow its root element: whitespace, NULs and comments. Scanned from the
 * end (a regex anchored at the end is tried from every position of a multi-megabyte feed), each trailing
 * comment matched to its own nearest `<!--`.
 */
function withoutTrailingJunk(text: string): string {
  let end = text.length;
  for (;;) {
    while (end > 0 && /[\s\0]/.test(text[end - 1]!)) end--;
    const open = end >= 7 && text.endsWith('-->', end) ? text.lastIndexOf('<!--', end - 7) : -1;
    if (open < 0) return text.slice(0, end);
    end = open;
  }
}

/**
 * feed-parser recomputes a feed's `url` and `authors` (wrapping every child of the channel, items included)
 * each time an item falls back on them — once per item, quadratic in the item count. The values do not
 * change once parsed: pinned on this feed object, they are computed once.
 */
function pinFeedFallbacks(feed: ReturnType<typeof parseFeed>): void {
  for (const key of ['url', 'authors'] as const) Object.defineProperty(feed, key, { value: feed[key] });
}

function toCollectedItem(item: FeedItem, base: string, publishedAt: Date | null): CollectedItem | null {
  const guid = item.id ?? null;
  const url = resolveUrl(item.url ?? '', base) ?? (guid && /^https?:\/\//i.test(guid) ? resolveUrl(guid, base) : null);
  if (!url) return null;
  const title = collapseWhitespace(item.title ?? '');
  const summary = toPlainText(item.description, title);
  const content = toPlainText(item.content, title);
  const names = item.authors.map((a) => a.name ?? a.email).filter((n): n is string => Boolean(n));
  return {
    url,
    title: title || firstWords(summary ?? content ?? ''),
    summary,
    content,
    author: names.length ? [...new Set(names)].join(', ') : null,
    publishedAt,
    guid,
  };
}

/**
 * Our parser first (it reads zone-less and Chinese dates in the source's zone), then feed-parser's Date,
 * which reads zone-less dates in the process zone.
 */
function itemDate(item: FeedItem, opts: { timeZone: string; now: Date }): Date | null {
  // One pass over the item's children (each `findElementWithName` wraps all of them again).
  const children = item.element.children.filter((c) => typeof c !== 'string');
  for (const name of DATE_ELEMENTS) {
    const raw = children.find((c) => c.name === name)?.textContent.trim();
    const parsed = raw ? parseDate(raw, opts.timeZone, opts.now) : null;
    if (parsed) return parsed;
  }
  return item.published ?? item.updated ?? null;
}
