/**
 * Test and benchmark support for the extract stage: a logger whose output can be read back, and stories
 * stored in a database (articles need a source row; extractions reference articles).
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import type { Db } from '../../db/client.ts';
import { articlesQ, sourcesQ } from '../../db/queries/index.ts';
import type { WindowStory } from '../../db/queries/articles.ts';
import { REDACT_PATHS } from '../../log.ts';
import type { Logger } from '../../log.ts';

/** A pino logger at `debug` with the process logger's redaction, writing JSON lines into `lines`. */
export function captureLogger(): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const log = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    {
      write: (s: string) => {
        lines.push(s);
      },
    },
  );
  return { log, lines, text: () => lines.join('') };
}

/** An article to extract. */
export interface StoryInput {
  title: string;
  text: string;
  source?: string;
}

/**
 * Stores the articles (one source, one story each) and returns them as the extract stage receives them.
 * @example const stories = await seedStories(db, [{ title, text }]);
 */
export async function seedStories(
  db: Db,
  items: StoryInput[],
  opts: { sourceKey?: string; publishedAt?: Date } = {},
): Promise<WindowStory[]> {
  const key = opts.sourceKey ?? 'test:extract';
  await sourcesQ.upsertSources(db, [
    { key, name: '测试来源', kind: 'rss', url: `http://127.0.0.1/${key}`, rules: null, weight: 1, timezone: null },
  ]);
  const source = (await sourcesQ.listSources(db)).find((s) => s.key === key)!;
  const at = opts.publishedAt ?? new Date('2025-11-10T00:00:00Z');
  const out: WindowStory[] = [];
  for (const [i, it] of items.entries()) {
    const contentHash = createHash('sha256').update(`${it.title}\n${it.text}`).digest('hex');
    const url = `http://127.0.0.1/${key}/${contentHash.slice(0, 16)}/${i}`;
    const id = await articlesQ.insertArticle(db, {
      sourceId: source.id,
      url,
      canonicalUrl: url,
      urlHash: createHash('sha256').update(url).digest('hex'),
      title: it.title,
      content: it.text,
      publishedAt: at,
      effectiveAt: at,
      contentHash,
      simhash: 0n,
      band0: 0,
      band1: 0,
      band2: 0,
      band3: 0,
    });
    if (id === null) throw new Error(`article ${i} was not inserted (duplicate content from the same source?)`);
    out.push({
      clusterId: id,
      size: 1,
      articleId: id,
      title: it.title,
      url,
      summary: null,
      content: it.text,
      publishedAt: at,
      effectiveAt: at,
      contentHash,
      sourceName: it.source ?? source.name,
      sourceKind: 'rss',
      sourceWeight: 1,
      sources: [source.name],
    });
  }
  return out;
}
