import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseFeed } from '@rowanmanning/feed-parser';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { corpusDir } from '../../test/helpers/corpora.ts';
import type { CollectedItem } from '../domain.ts';
import { decodeBody } from './charset.ts';
import { newestFirst, scanFeedItems } from './feed-trim.ts';
import { parseFeedItems, readFeed } from './rss.ts';

// The parser is watched: how many items each document handed to it lists.
vi.mock('@rowanmanning/feed-parser', async (importOriginal) => {
  const real = await importOriginal<typeof import('@rowanmanning/feed-parser')>();
  return { ...real, parseFeed: vi.fn(real.parseFeed) };
});
const parsed = vi.mocked(parseFeed);
/** Items in each document feed-parser was given since the test began. */
const itemsHandedToParser = () =>
  parsed.mock.calls.map(([doc]) => (doc.match(/<(?:\w+:)?(?:item|entry)[\s/>]/gi) ?? []).length);
beforeEach(() => {
  parsed.mockClear();
});

const opts = { timeZone: 'Asia/Shanghai', now: new Date('2025-11-10T02:00:00Z') };

/** The cap as applied after a full parse: every item read, then the newest `max`, in document order. */
function capAfterFullParse(doc: string, url: string, max: number): CollectedItem[] {
  const all = parseFeedItems(doc, url, opts);
  return newestFirst(all.map((i) => i.publishedAt))
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => all[i]!);
}

const day = (i: number) => new Date(Date.UTC(2025, 10, 1) + i * 3_600_000).toUTCString();

describe('readFeed above the cap: feed-parser reads only the items kept', () => {
  const rss = (n: number, item: (i: number) => string) =>
    `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><link>http://a.example/</link>\n${Array.from(
      { length: n },
      (_, i) => item(i),
    ).join('\n')}\n</channel></rss>`;

  it('hands the parser max items, not the thousand, and keeps the newest with the true total', () => {
    const doc = rss(
      1000,
      (i) =>
        `<item><title>n${i}</title><link>http://a.example/${i}</link><pubDate>${day((i * 7919) % 1000)}</pubDate></item>`,
    );
    const read = readFeed(doc, 'http://a.example/rss', { ...opts, maxItems: 10 });
    expect(itemsHandedToParser()).toEqual([10]);
    expect(read.items).toEqual(capAfterFullParse(doc, 'http://a.example/rss', 10));
    expect(read.items).toHaveLength(10);
    expect(read.listed).toBe(1000);
    expect(read.warnings).toEqual(['kept the newest 10 of 1000 items (maxItems 10)']);
  });

  it('reads twice as many while the newest have no usable link', () => {
    // The 25 newest have no link (or a javascript: one): the 10 kept are the next newest.
    const doc = rss(
      300,
      (i) =>
        `<item><title>n${i}</title>${i >= 275 ? (i % 2 ? '' : '<link>javascript:alert(1)</link>') : `<link>http://a.example/${i}</link>`}<pubDate>${day(i)}</pubDate></item>`,
    );
    const read = readFeed(doc, 'http://a.example/rss', { ...opts, maxItems: 10 });
    expect(itemsHandedToParser()).toEqual([10, 20, 40]);
    expect(read.items.map((i) => i.title)).toEqual(Array.from({ length: 10 }, (_, k) => `n${265 + k}`));
    expect(read.listed).toBe(300);
  });

  it('keeps CDATA, entities, namespaced dates and undated items as the full parse does', () => {
    const doc = rss(
      40,
      (i) =>
        `<item><title>A &amp; B &lt;${i}&gt; &#x4E2D;</title><link>http://a.example/${i}?x=1&amp;y=2</link>` +
        `<description><![CDATA[<p>fake <item> and </item> in CDATA ${i}</p>]]></description>` +
        `<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<b>${i}</b>]]></content:encoded>` +
        (i % 5 === 0
          ? ''
          : i % 2
            ? `<dc:date>2025-11-0${1 + (i % 9)}T0${i % 10}:00:00Z</dc:date>`
            : `<pubDate>${day(i % 13)}</pubDate>`) +
        `<!-- <item>${i}</item> --></item>`,
    );
    for (const max of [1, 7, 19]) {
      parsed.mockClear();
      const read = readFeed(doc, 'http://a.example/rss', { ...opts, maxItems: max });
      expect(read.items).toEqual(capAfterFullParse(doc, 'http://a.example/rss', max));
      expect(read.items[0]?.title).toMatch(/^A & B <\d+> 中$/);
      expect(read.listed).toBe(40);
      expect(itemsHandedToParser()[0]).toBeLessThanOrEqual(max * 3); // its items, plus the fake ones in CDATA/comments
      expect(parsed.mock.calls[0]![0].length).toBeLessThan(doc.length / 2);
    }
  });

  it.each([
    {
      name: 'Atom with a namespace prefix',
      doc: `<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>t</a:title>${Array.from(
        { length: 30 },
        (_, i) =>
          `<a:entry><a:title>e${i}</a:title><a:link href="http://b.example/${i}"/><a:updated>2025-11-0${1 + (i % 7)}T00:00:00Z</a:updated></a:entry>`,
      ).join('')}</a:feed>`,
    },
    {
      name: 'RSS 1.0 (items beside the channel)',
      doc: `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>c</title><link>http://c.example/</link></channel>${Array.from(
        { length: 30 },
        (_, i) =>
          `<item rdf:about="http://c.example/${i}"><title>r${i}</title><link>http://c.example/${i}</link><dc:date>2025-11-0${1 + (i % 7)}</dc:date></item>`,
      ).join('')}</rdf:RDF>`,
    },
  ])('$name', ({ doc }) => {
    const read = readFeed(doc, 'http://x.example/feed', { ...opts, maxItems: 4 });
    expect(itemsHandedToParser()).toEqual([4]);
    expect(read.items).toEqual(capAfterFullParse(doc, 'http://x.example/feed', 4));
    expect(read.listed).toBe(30);
  });

  it('a malformed feed above the cap: the newest items a lenient pass delimits, with the XML error', () => {
    const items = Array.from(
      { length: 30 },
      (_, i) => `<item><title>m${i}</title><link>http://m.example/${i}</link><pubDate>${day(i)}</pubDate></item>`,
    );
    items[20] = '<item><title>unclosed</title><link>http://m.example/u</link>'; // swallows the items after it
    const doc = `<rss version="2.0"><channel><title>m</title>${items.join('')}</channel></rss>`;
    const read = readFeed(doc, 'http://m.example/rss', { ...opts, maxItems: 5 });
    // The unclosed item (undated) holds the ten after it: 21 items delimited, the newest 5 handed over.
    expect(itemsHandedToParser()).toEqual([5]);
    expect(read.items.map((i) => i.title)).toEqual(['m15', 'm16', 'm17', 'm18', 'm19']);
    expect(read.warnings).toEqual([
      expect.stringMatching(
        /^not well-formed XML: Expected closing tag 'item' .*\(line 1, column \d+\): kept the newest 5 of the 21 items a lenient pass could delimit \(maxItems 5\)$/,
      ),
    ]);
    // A broken channel element: no item can be read at all.
    const hopeless = `<rss version="2.0"><channel><title>m</title><description><b>x</description>${items.join('')}</channel></rss>`;
    expect(() => readFeed(hopeless, 'http://m.example/rss', { ...opts, maxItems: 5 })).toThrow(
      /^http:\/\/m\.example\/rss is not a valid feed: not well-formed XML: Expected closing tag 'b' .*; no item could be read$/,
    );
  });
});

describe('scanFeedItems', () => {
  it('dates items as readFeed does and finds no item in a document that is not a feed', () => {
    expect(scanFeedItems('<html><body><item/></body></html>', opts)).toBeNull();
    const spans = scanFeedItems(
      '<rss><channel><item><pubDate>2025年11月10日 08:30</pubDate></item><item/></channel></rss>',
      opts,
    )!;
    expect(spans.map((s) => s.date?.toISOString() ?? null)).toEqual(['2025-11-10T00:30:00.000Z', null]);
  });
});

// Real feeds captured from the web (see corpora/README.md in ../shared beside the repository).
const CORPUS = corpusDir('feeds');
const hasCorpus = existsSync(CORPUS);
if (!hasCorpus) console.warn(`skipping the real-feed trimming test: ${CORPUS} does not exist`);

describe.skipIf(!hasCorpus)('real feeds from the corpus, trimmed', () => {
  const cases = hasCorpus
    ? ['real-world', 'examples'].flatMap((kind) =>
        readdirSync(path.join(CORPUS, 'content', kind))
          .filter((dir) => existsSync(path.join(CORPUS, 'content', kind, dir, 'feed.xml')))
          .map((dir) => ({
            name: `${kind}/${dir}`,
            xml: decodeBody(readFileSync(path.join(CORPUS, 'content', kind, dir, 'feed.xml')), 'application/xml'),
          })),
      )
    : [];
  let trimmed = 0;

  it.each(cases)('$name: the newest items as after a full parse', ({ xml }) => {
    let all: CollectedItem[];
    try {
      all = parseFeedItems(xml, 'http://corpus.example/feed', opts);
    } catch {
      return; // not a readable feed: nothing to trim
    }
    for (const max of [1, 2, 5]) {
      parsed.mockClear();
      const read = readFeed(xml, 'http://corpus.example/feed', { ...opts, maxItems: max });
      const handed = itemsHandedToParser();
      expect(read.items).toEqual(capAfterFullParse(xml, 'http://corpus.example/feed', max));
      if (all.length > 2 * max && handed.length === 1 && handed[0]! <= 2 * max) trimmed++;
    }
  });

  it('trims most of them', () => {
    expect(trimmed).toBeGreaterThan(40);
  });
});
