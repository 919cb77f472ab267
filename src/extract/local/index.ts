/**
 * The local extractor: structured facts from one article with no network and no keys — jieba
 * segmentation with a finance dictionary, then rules for each field. It is the last tier of the LLM
 * chain and what the demo runs on. The article is only ever read as data.
 *
 * @example
 * const x = extractLocal({ title: '贵州茅台：前三季度净利润同比增长15%', source: '财联社', publishedAt: null, text });
 * x.entities.companies; // [{ name: '贵州茅台', ticker: '600519.SH' }]
 */
import type { ArticleInput, Extraction } from '../../domain.ts';
import { extractionSchema } from '../schema.ts';
import { categoryOf, eventTypeOf, importanceOf } from './classify.ts';
import { findEntities } from './entities.ts';
import { extractKeywords } from './keywords.ts';
import { regionOf } from './region.ts';
import { getJieba, getTfIdf, segment } from './segment.ts';
import { sentimentOf } from './sentiment.ts';
import { bodyWithoutTitle, summarize } from './summary.ts';

/** Bumped whenever a rule or the dictionary changes, so stored extractions can be told apart. */
export const localExtractorVersion = 'local-1.0.0';

/**
 * Loads the segmenter, dictionaries and IDF table now (~0.3 s) instead of on the first article, so a
 * worker can pay that cost at start-up.
 */
export function warmUpLocalExtractor(): void {
  getJieba();
  getTfIdf();
}

/** Characters of the body that count as the lead for classification. */
const LEAD_CHARS = 300;
/** Longer bodies are cut: the facts of a news item are at its top, and time stays bounded. */
const MAX_BODY_CHARS = 6000;

/**
 * Extracts the DESIGN §2 fields from one article. Deterministic, synchronous; the result has passed
 * `extractionSchema`, so a bug in a rule fails here rather than downstream.
 */
export function extractLocal(input: ArticleInput): Extraction {
  const title = input.title.replace(/\s+/g, ' ').trim();
  const body = bodyWithoutTitle(title, input.text).slice(0, MAX_BODY_CHARS);
  const lead = body.slice(0, LEAD_CHARS);
  const titleTokens = segment(title);
  const bodyTokens = segment(body);

  const entities = findEntities(title, body, titleTokens, bodyTokens);
  const region = regionOf(title, lead, entities.regionVotes);
  const category = categoryOf(title, lead, entities, region);
  const eventType = eventTypeOf(title, lead);
  const { sentiment, score } = sentimentOf(titleTokens, bodyTokens);

  return extractionSchema.parse({
    summary: summarize(title, body),
    category,
    event_type: eventType,
    sentiment,
    sentiment_score: score,
    importance: importanceOf(title, category, eventType, entities),
    entities: {
      companies: entities.companies.map(({ name, ticker }) => ({ name, ticker })),
      people: entities.people,
      institutions: entities.institutions,
    },
    // A fragment of a person's name (振国 of 李振国) is a segmentation artefact, not a keyword.
    keywords: extractKeywords(title, body, [...titleTokens, ...bodyTokens]).filter(
      (k) => !entities.people.some((p) => p !== k && p.includes(k)),
    ),
    region,
  });
}
