import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { Extraction } from '../../domain.ts';
import { sources } from './sources.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Story clusters: near-duplicate articles grouped into one story. */
export const storyClusters = pgTable('story_clusters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  representativeId: bigint('representative_id', { mode: 'number' }),
  title: text('title').notNull(),
  /** Distinct sources carrying the story. */
  size: integer('size').notNull().default(1),
  articleCount: integer('article_count').notNull().default(1),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
});

/** Collected articles, unique by canonical-URL hash; the SimHash also split into its four 16-bit bands (looked up through `article_dedup_keys`). */
export const articles = pgTable(
  'articles',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sourceId: integer('source_id')
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    canonicalUrl: text('canonical_url').notNull(),
    urlHash: text('url_hash').notNull(),
    guid: text('guid'),
    title: text('title').notNull(),
    summary: text('summary'),
    content: text('content'),
    author: text('author'),
    publishedAt: ts('published_at'),
    firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
    /** Publication time, or first-seen time when the source gave none: what edition windows select on. */
    effectiveAt: ts('effective_at').notNull(),
    contentHash: text('content_hash').notNull(),
    /** 64-bit SimHash stored signed (`BigInt.asIntN(64, h)`). */
    simhash: bigint('simhash', { mode: 'bigint' }).notNull(),
    band0: integer('band0').notNull(),
    band1: integer('band1').notNull(),
    band2: integer('band2').notNull(),
    band3: integer('band3').notNull(),
    /** The significant numbers of title and text (`dedupNumbers`): rewrites of a story share them. */
    dedupNumbers: text('dedup_numbers')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    clusterId: bigint('cluster_id', { mode: 'number' }).references(() => storyClusters.id),
    /**
     * The near-duplicate index keys of the article (`dedupKeys`: SimHash bands, anchor sentences, number pairs),
     * ascending, written by the dedup stage with its story; null until then. The stage reads those of its
     * window once per run into memory (`dedup/lookup.ts`): one range of the time index, no row per key.
     */
    dedupKeys: integer('dedup_keys').array(),
  },
  (t) => [
    uniqueIndex('articles_url_hash_uq').on(t.urlHash),
    index('articles_effective_at_idx').on(t.effectiveAt),
    index('articles_source_content_idx').on(t.sourceId, t.contentHash),
    index('articles_cluster_idx').on(t.clusterId),
    // A source's articles since a time (the sources pages' "last 7 days"), counted from the index alone.
    index('articles_source_seen_idx').on(t.sourceId, t.firstSeenAt),
  ],
);

/**
 * The former near-duplicate index (`dedup/keys.ts`), superseded by `articles.dedup_keys`: the dedup stage no
 * longer writes or reads it (only the dedup-lookup benchmark still fills and measures it). One row per key of an article — its SimHash bands, anchor
 * sentences and number pairs — with the article's time, written by the dedup stage. A B-tree on (key, time,
 * article) rather than a GIN array: a lookup is one descent per key that reads only the postings of its time
 * window, and an index-only scan (the articles are read by primary key afterwards, only the candidates).
 */
export const articleDedupKeys = pgTable(
  'article_dedup_keys',
  {
    key: integer('key').notNull(),
    /** The article's `effective_at` (never changes once the article is stored). */
    effectiveAt: ts('effective_at').notNull(),
    articleId: bigint('article_id', { mode: 'number' })
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.effectiveAt, t.articleId] }),
    index('article_dedup_keys_article_idx').on(t.articleId),
  ],
);

/** One extraction per article, provider and prompt version; reused by content hash across articles. */
export const extractions = pgTable(
  'extractions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    articleId: bigint('article_id', { mode: 'number' })
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    promptVersion: text('prompt_version').notNull(),
    contentHash: text('content_hash').notNull(),
    result: jsonb('result').$type<Extraction>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('extractions_article_uq').on(t.articleId, t.provider, t.promptVersion),
    index('extractions_cache_idx').on(t.contentHash, t.promptVersion, t.model),
    // The articles page's filters by the facts (`console-articles.ts`): the facts of a category or sentiment.
    index('extractions_category_idx').on(
      sql`(${t.result} ->> 'category')`,
      sql`(${t.result} ->> 'sentiment')`,
      t.articleId,
    ),
    index('extractions_sentiment_idx').on(sql`(${t.result} ->> 'sentiment')`, t.articleId),
  ],
);

/**
 * The companies the stories' facts name, one row per extraction, story and key (a company's ticker, and its
 * name): what the company pages read, newest story first, in one range of the primary key — the GIN index
 * on `extractions` finds the same extractions, but then every one of them (10,000 for a common ticker) is
 * read and joined to its article and story to learn its time. Kept by triggers (migration 0012): an
 * extraction inserted adds its rows, an article moved to another story moves them; deletes cascade.
 */
export const companyMentions = pgTable(
  'company_mentions',
  {
    /** A ticker (`600519.SH`) or a company name, as the extraction wrote it. */
    company: text('company').notNull(),
    /** The story's `first_seen_at` (never changes once the story is stored). */
    firstSeenAt: ts('first_seen_at').notNull(),
    storyId: bigint('story_id', { mode: 'number' }).notNull(),
    extractionId: bigint('extraction_id', { mode: 'number' })
      .notNull()
      .references(() => extractions.id, { onDelete: 'cascade' }),
    category: text('category').notNull(),
    sentiment: text('sentiment').notNull(),
    /** The extraction's `sentiment_score` (-1…1), 0 when it gave none. */
    score: real('score').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.company, t.firstSeenAt, t.storyId, t.extractionId] }),
    index('company_mentions_extraction_idx').on(t.extractionId),
  ],
);

/** The LLM cost ledger: one row per call attempt. */
export const llmUsage = pgTable(
  'llm_usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    editionId: integer('edition_id'),
    articleId: bigint('article_id', { mode: 'number' }),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    purpose: text('purpose').notNull().default('extract'),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    cachedTokens: integer('cached_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    latencyMs: integer('latency_ms').notNull().default(0),
    outcome: text('outcome').notNull(),
    error: text('error'),
    cost: numeric('cost', { precision: 14, scale: 6 }).notNull().default('0'),
    currency: text('currency').notNull().default('CNY'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('llm_usage_created_idx').on(t.createdAt), index('llm_usage_edition_idx').on(t.editionId)],
);

export type ArticleRow = typeof articles.$inferSelect;
