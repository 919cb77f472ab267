import type { Db } from '../db/client.ts';
import { extractionsQ } from '../db/queries/index.ts';
import type { WindowStory } from '../db/queries/articles.ts';
import type { Extraction } from '../domain.ts';
import type { Logger } from '../log.ts';
import { extractLocal, localExtractorVersion } from './local/index.ts';
import { extractionSchema } from './schema.ts';

/** What the extract stage did, in the run summary's shape (DESIGN §6). */
export interface ExtractSummary {
  articles: number;
  by_provider: Record<string, number>;
  cached: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost: number;
  currency: 'CNY';
  degraded: string[];
}

/**
 * Extracts one representative article per story (the LLM chain comes in a later issue; the local extractor
 * is its always-available last tier). Stories extracted before, or whose text was seen before, cost nothing.
 */
export async function runExtract(deps: { db: Db; log: Logger }, stories: WindowStory[]): Promise<{ summary: ExtractSummary; results: Map<number, Extraction> }> {
  const summary: ExtractSummary = {
    articles: 0, by_provider: {}, cached: 0, prompt_tokens: 0, cached_tokens: 0, completion_tokens: 0, cost: 0, currency: 'CNY', degraded: [],
  };
  const results = new Map<number, Extraction>();
  const existing = await extractionsQ.latestExtractions(deps.db, stories.map((s) => s.articleId));
  const promptVersion = localExtractorVersion;
  for (const story of stories) {
    const stored = existing.get(story.articleId);
    if (stored) {
      results.set(story.articleId, stored.result);
      continue;
    }
    const cached = await extractionsQ.findCachedExtraction(deps.db, story.contentHash, promptVersion, 'local');
    let result: Extraction;
    if (cached) {
      result = cached.result;
      summary.cached++;
    } else {
      try {
        result = extractionSchema.parse(extractLocal({
          title: story.title, source: story.sourceName, publishedAt: story.publishedAt, text: story.content ?? story.summary ?? story.title,
        }));
      } catch (err) {
        deps.log.error({ article_id: story.articleId, err }, 'local extraction failed');
        continue;
      }
      summary.articles++;
      summary.by_provider.local = (summary.by_provider.local ?? 0) + 1;
    }
    await extractionsQ.saveExtraction(deps.db, {
      articleId: story.articleId, provider: 'local', model: 'local', promptVersion, contentHash: story.contentHash, result,
    });
    results.set(story.articleId, result);
  }
  return { summary, results };
}
