/**
 * Cutting a huge XML feed down before feed-parser reads it. feed-parser builds fast-xml-parser's whole tree
 * (and wraps it again on every access): a 13 MB feed of 100,000 items peaked above 1 GB. A streaming pass
 * (htmlparser2's SAX `Parser` in XML mode) records each item's character range and date; the document
 * without the items the cap would drop is what feed-parser then reads.
 */
import { Parser } from 'htmlparser2';
import { parseDate } from './dates.ts';

/** Item date elements, most specific first (RSS pubDate / dc:date, Atom published / updated, Atom 0.3 issued). */
export const DATE_ELEMENTS = ['pubdate', 'published', 'date', 'issued', 'updated', 'modified'];

/**
 * feed-parser's own item date (`published ?? updated`) when ours reads none, per feed kind: RSS
 * `pubDate || dc:date`, Atom `published || issued || modified || updated`, each the first such child, read
 * by `new Date`.
 */
const FALLBACK_DATES = { rss: ['pubdate', 'date'], atom: ['published', 'issued', 'modified', 'updated'] };

/** One item element of a feed: its characters `[start, end)` in the document and its date. */
export interface ItemSpan {
  start: number;
  end: number;
  date: Date | null;
}

/** Indices of `dates`, newest first; undated last; document order among equals. */
export function newestFirst(dates: readonly (Date | null)[]): number[] {
  const t = dates.map((d) => d?.getTime() ?? -Infinity);
  return [...dates.keys()].sort((a, b) => t[b]! - t[a]! || a - b);
}

/**
 * Whether the document may list more than `max` items: more `<item>`/`<entry>` tags (any case, any namespace
 * prefix — feed-parser ignores both) than `max`, counted only until there are.
 */
export function hasMoreItemTagsThan(text: string, max: number): boolean {
  const tag = /<(?:[\w.-]+:)?(?:item|entry)[\s/>]/gi;
  let n = 0;
  while (tag.exec(text)) if (++n > max) return true;
  return false;
}

/** feed-parser's element name: lower-cased, without its namespace prefix. */
function localName(raw: string): string {
  const parts = raw.toLowerCase().split(':');
  return parts.length > 1 ? parts.slice(1).join(':') : parts[0]!;
}

/**
 * The items of an XML feed in the order feed-parser lists them (RSS: the first `<channel>`'s `<item>`s,
 * then the root's — RSS 1.0; Atom: the `<feed>`'s `<entry>`s), each with its range and the date
 * `readFeed` would give it (dates in `timeZone`, relative to `now`). Null when the document has no feed
 * root or an RSS root without a channel (the full parse says why).
 */
export function scanFeedItems(text: string, opts: { timeZone: string; now: Date }): ItemSpan[] | null {
  let kind: 'rss' | 'atom' | null = null;
  let depth = 0; // open elements
  let channels = 0; // channels opened under the RSS root; only the first one's items are the feed's
  let inChannel = false;
  let itemDepth = -1; // depth of the open item element, -1 outside one
  let itemStart = 0;
  let dateName: string | null = null; // the open date child of the item, whose text is gathered
  let dateText = '';
  let texts = new Map<string, string>();
  const channelItems: ItemSpan[] = [];
  const rootItems: ItemSpan[] = [];
  let failed = false;
  const parser = new Parser(
    {
      onopentag(raw) {
        const name = localName(raw);
        if (depth === 0) {
          if (kind === null && (name === 'rss' || name === 'rdf')) kind = 'rss';
          else if (kind === null && name === 'feed') kind = 'atom';
          else failed = true; // not a feed, or a second root element: not for trimming
        } else if (itemDepth < 0) {
          const isItem =
            kind === 'atom'
              ? depth === 1 && name === 'entry'
              : name === 'item' && (depth === 1 || (depth === 2 && inChannel));
          if (kind === 'rss' && depth === 1 && name === 'channel') inChannel = ++channels === 1;
          if (isItem) {
            itemDepth = depth;
            itemStart = parser.startIndex;
            texts = new Map();
          }
        } else if (depth === itemDepth + 1 && !texts.has(name)) {
          dateName = DATE_ELEMENTS.includes(name) ? name : null;
          dateText = '';
        }
        depth++;
      },
      ontext(data) {
        if (dateName !== null) dateText += data;
      },
      onclosetag() {
        depth--;
        if (depth === itemDepth + 1 && dateName !== null) {
          texts.set(dateName, dateText);
          dateName = null;
        } else if (depth === itemDepth) {
          const span = { start: itemStart, end: parser.endIndex + 1, date: spanDate(texts, kind!, opts) };
          (depth === 1 ? rootItems : channelItems).push(span);
          itemDepth = -1;
        } else if (depth === 1 && inChannel) {
          inChannel = false;
        }
      },
    },
    { xmlMode: true },
  );
  parser.end(text);
  if (failed || kind === null || (kind === 'rss' && channels === 0)) return null;
  return [...channelItems, ...rootItems];
}

/** The date `readFeed` gives an item with these date children (raw text by element name). */
function spanDate(
  texts: Map<string, string>,
  kind: 'rss' | 'atom',
  opts: { timeZone: string; now: Date },
): Date | null {
  for (const name of DATE_ELEMENTS) {
    const raw = texts.get(name)?.trim();
    const parsed = raw ? parseDate(raw, opts.timeZone, opts.now) : null;
    if (parsed) return parsed;
  }
  for (const name of FALLBACK_DATES[kind]) {
    const raw = texts.get(name);
    const d = raw === undefined ? null : new Date(raw.trim());
    if (d && !Number.isNaN(d.getTime())) return d;
  }
  return null;
}

/** The document without the items of `spans` not in `keep` (indices into `spans`); the rest verbatim. */
export function withoutItems(text: string, spans: readonly ItemSpan[], keep: ReadonlySet<number>): string {
  const dropped = [...spans.keys()]
    .filter((i) => !keep.has(i))
    .map((i) => spans[i]!)
    .sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let cursor = 0;
  for (const s of dropped) {
    parts.push(text.slice(cursor, s.start));
    cursor = s.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}
