/**
 * A huge feed that is not well-formed XML, through the real collect stage, a real HTTP server and the
 * database: feed-parser must never be handed the whole document (it builds the whole tree: 100,000 items
 * cost hundreds of MB), whatever the break. The newest items a lenient pass could delimit are kept, with
 * the XML error in the source's health; a break that hides the items from that pass refuses the feed.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCollect } from '../src/collect/run.ts';
import { send, startTestServer } from '../src/collect/test-server.ts';
import type { TestServer } from '../src/collect/test-server.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import type { SourceSeed } from '../src/db/queries/sources.ts';
import { articles, sources } from '../src/db/schema/index.ts';
import { silentLogger } from '../src/log.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

/** The length of every document feed-parser was handed, in order. */
const parsed = vi.hoisted(() => [] as number[]);
vi.mock('@rowanmanning/feed-parser', async (importOriginal) => {
  const real = await importOriginal<typeof import('@rowanmanning/feed-parser')>();
  return {
    ...real,
    parseFeed: (text: string) => {
      parsed.push(text.length);
      return real.parseFeed(text);
    },
  };
});

const RSS = 'application/rss+xml; charset=utf-8';
const MAX = 100;
const t0 = Date.UTC(2025, 10, 1);
const item = (i: number) =>
  `<item><title>Index up 0.${i % 100}% & more #${i}</title><link>http://f.example/${i}</link>` +
  `<pubDate>${new Date(t0 + i * 60_000).toUTCString()}</pubDate></item>`;
/** `n` items a minute apart, oldest first, each title with a bare `&`, the channel closed as `</chanel>`. */
const malformed = (n: number, head = '') =>
  '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>huge</title><link>http://f.example/</link>' +
  `${head}\n${Array.from({ length: n }, (_, i) => item(i)).join('\n')}\n</chanel></rss>`;
/** ~14 MB: under the 15 MB body cap. */
const HUGE = malformed(100_000);
/** An item left open before the others: every later item nests in it, out of the lenient pass's sight. */
const HIDDEN = malformed(2_000, '<item><title>open');

describe(`a huge feed that is not well-formed XML (${TEST_DB})`, () => {
  let t: TestDatabase;
  let srv: TestServer;
  const row = async (key: string) => (await t.db.select().from(sources).where(eq(sources.key, key)))[0]!;
  const parsedOf = async (key: string) => {
    parsed.length = 0;
    await runCollect(
      {
        db: t.db,
        log: silentLogger(),
        now: () => new Date(),
        timeZone: 'UTC',
        userAgent: 'finrep-test',
        timeoutMs: 60_000,
        concurrency: { rss: 1, web: 1 },
        sourceBudgetSec: 600,
        maxFeedItems: MAX,
      },
      { runId: null, keys: [key] },
    );
    return [...parsed];
  };

  beforeAll(async () => {
    srv = await startTestServer({
      '/huge.xml': send(HUGE, { 'content-type': RSS }),
      '/hidden.xml': send(HIDDEN, { 'content-type': RSS }),
    });
    t = await createTestDatabase();
    const seed = (key: string, path: string): SourceSeed => ({
      key,
      name: key,
      kind: 'rss',
      url: srv.url(path),
      weight: 1,
      timezone: 'UTC',
      allowPrivate: true,
      rules: null,
    });
    await sourcesQ.upsertSources(t.db, [seed('huge', '/huge.xml'), seed('hidden', '/hidden.xml')]);
  });
  afterAll(async () => {
    await srv?.close();
    await t?.drop();
  });

  it('keeps the newest items the lenient pass delimits, hands feed-parser only those, and warns with the XML error', async () => {
    expect(HUGE.length).toBeGreaterThan(13_000_000);
    const lengths = await parsedOf('huge');
    // 100 items of ~140 characters, the channel's head and the line breaks between the items left out
    // (100,000): under 1 % of the 14 MB.
    expect(lengths.length).toBeGreaterThan(0);
    expect(Math.max(...lengths)).toBeLessThan(140_000);
    const stored = await t.db
      .select({ title: articles.title })
      .from(articles)
      .where(eq(articles.sourceId, (await row('huge')).id));
    expect(stored.map((a) => a.title).sort()).toEqual(
      Array.from({ length: MAX }, (_, i) => `Index up 0.${i % 100}% & more #${99_900 + i}`).sort(),
    );
    const r = await row('huge');
    expect(r.consecutiveFailures).toBe(0);
    expect(r.lastError).toMatch(
      /^not well-formed XML: char '&' is not expected \(line 2, column \d+\): kept the newest 100 of the 100000 items a lenient pass could delimit \(maxItems 100\)$/,
    );
  });

  it('refuses a feed whose break hides its items from the lenient pass, without parsing it whole', async () => {
    const lengths = await parsedOf('hidden');
    expect(lengths).toEqual([]);
    const r = await row('hidden');
    expect(r.consecutiveFailures).toBe(1);
    expect(r.lastError).toMatch(
      /\/hidden\.xml is not a valid feed: not well-formed XML: .* \(line 2, column \d+\); its items could not be told apart to keep the newest 100 \(maxItems\), so none was read$/,
    );
  });
});
