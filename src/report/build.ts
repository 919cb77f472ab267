/**
 * Compose, as the pipeline calls it: the ranking and the stored stories → a `ReportModel`
 * (`buildReportModel`), then the model → the edition's files and inline images (`writeReportFiles`).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WindowStory } from '../db/queries/articles.ts';
import { CATEGORIES, CATEGORY_LABELS } from '../domain.ts';
import type { CategoryMood, Extraction, ReportEntry, ReportModel, SourceStat } from '../domain.ts';
import type { Ranking, ScoredStory } from '../score/index.ts';
import { renderCharts } from './charts.ts';
import type { ChartOptions, RenderedChart } from './charts.ts';
import { buildWorkbook, emailSubject, renderEmailDetailed, renderEmailText, renderWebView } from './index.ts';

/**
 * Companies and tickers of an extraction, each once: an extractor may name one company twice (with two
 * tickers, or with and without one).
 */
export function entities(e: Extraction): { companies: string[]; tickers: string[] } {
  const companies = [...new Set(e.entities.companies.map((c) => c.name.trim()).filter((n) => n.length > 0))];
  const tickers = [
    ...new Set(e.entities.companies.map((c) => c.ticker?.trim().toUpperCase() ?? '').filter((t) => t.length > 0)),
  ];
  return { companies, tickers };
}

function storyEntry(s: ScoredStory, story: WindowStory, rank: number): ReportEntry {
  const e = s.extraction;
  return {
    articleId: s.articleId,
    title: story.title,
    url: story.url,
    source: story.sourceName,
    sources: story.sources,
    coverage: story.size,
    publishedAt: story.publishedAt ?? story.effectiveAt,
    summary: e.summary,
    category: e.category,
    eventType: e.event_type,
    sentiment: e.sentiment,
    sentimentScore: e.sentiment_score,
    importance: e.importance,
    ...entities(e),
    keywords: [...new Set(e.keywords)],
    region: e.region,
    score: s.score,
    factors: s.factors,
    rank,
    watchHits: s.watchHits,
    clusterId: s.clusterId,
  };
}

/** Stories per category and sentiment, every category in report order. */
function categoryMood(stories: ScoredStory[]): CategoryMood[] {
  const rows = new Map<string, CategoryMood>(
    CATEGORIES.map((c) => [c, { category: c, positive: 0, neutral: 0, negative: 0 }]),
  );
  for (const s of stories) rows.get(s.extraction.category)![s.extraction.sentiment]++;
  return [...rows.values()];
}

/** Everything of an edition the report shows, from the ranking and the stored stories. */
export function buildReportModel(input: {
  edition: string;
  timeZone: string;
  generatedAt: Date;
  window: { from: Date; to: Date };
  ranking: Ranking;
  stories: WindowStory[];
  articleCount: number;
  allArticles: {
    id: number;
    clusterId: number | null;
    title: string;
    url: string;
    publishedAt: Date | null;
    effectiveAt: Date;
    sourceName: string;
  }[];
  extractions: Map<number, Extraction>;
  sourceStats: SourceStat[];
  webViewUrl: string | null;
  /** Stories (cluster ids) an intraday alert already pushed: their entries are marked 已预警. */
  alerted?: ReadonlySet<number>;
}): ReportModel {
  const byArticle = new Map(input.stories.map((s) => [s.articleId, s]));
  const alerted = input.alerted ?? new Set<number>();
  const entry = (s: ScoredStory, story: WindowStory, rank: number): ReportEntry => {
    const e = storyEntry(s, story, rank);
    return s.clusterId !== null && alerted.has(s.clusterId) ? { ...e, alerted: true } : e;
  };
  const byCluster = new Map(input.ranking.all.map((s) => [s.clusterId, s]));
  const top = input.ranking.top.map((s, i) => entry(s, byArticle.get(s.articleId)!, i + 1));
  const sections = [...input.ranking.sections].map(([category, items]) => ({
    category,
    label: CATEGORY_LABELS[category],
    items: items.map((s, i) => entry(s, byArticle.get(s.articleId)!, i + 1)),
  }));
  // Every article of a story shares one story entry's values (summary, sources, scores …): built once per
  // story, not once per article, so 6,000 articles of 600 stories hold 600 sets of them.
  const storyEntries = new Map<ScoredStory, ReportEntry>();
  const all: ReportEntry[] = [];
  for (const a of input.allArticles) {
    const story = byCluster.get(a.clusterId);
    if (!story) continue;
    let base = storyEntries.get(story);
    if (!base) {
      base = entry(story, byArticle.get(story.articleId)!, 0);
      storyEntries.set(story, base);
    }
    all.push({
      ...base,
      articleId: a.id,
      title: a.title,
      url: a.url,
      source: a.sourceName,
      publishedAt: a.publishedAt ?? a.effectiveAt,
    });
  }
  const mood = { positive: 0, neutral: 0, negative: 0 };
  for (const s of input.ranking.all) mood[s.extraction.sentiment]++;
  const sources = new Set(input.stories.flatMap((s) => s.sources));
  return {
    edition: input.edition,
    title: '金融情报日报',
    timezone: input.timeZone,
    generatedAt: input.generatedAt,
    window: input.window,
    counts: { sources: sources.size, articles: input.articleCount, stories: input.ranking.all.length },
    mood,
    top,
    sections,
    all,
    sourceStats: input.sourceStats,
    webViewUrl: input.webViewUrl,
    categoryMood: categoryMood(input.ranking.all),
  };
}

/** An image the email shows inline: attach it with this Content-ID (`<img src="cid:…">`). */
export interface InlineImage {
  cid: string;
  filename: string;
  content: Buffer;
  contentType: 'image/png';
}

/** The files of a composed edition. */
export interface ComposedFiles {
  dir: string;
  webview: string;
  emailHtml: string;
  text: string;
  xlsx: string;
  subject: string;
  xlsxName: string;
  /** The charts, to attach to every copy of the email. */
  inlineImages: InlineImage[];
  /** The model with its `charts`: render the recipients' emails from this one, so they reference `inlineImages`. */
  model: ReportModel;
  /** Size of the stored email HTML, and how many section stories it left out to stay under the limit. */
  emailBytes: number;
  emailOmitted: number;
  /** Why the charts are missing, when drawing them failed. */
  chartError: string | null;
}

export interface WriteOptions {
  /** @defaultValue the CJK font finrep ships (a system one if it is missing), 2× pixels, no log */
  charts?: ChartOptions;
  /** Draws the charts. @defaultValue renderCharts */
  drawCharts?: (model: ReportModel, opts?: ChartOptions) => Promise<RenderedChart[]>;
}

/** The manifest of the inline images stored with an edition (next to `email.html`). */
export const INLINE_IMAGES_FILE = 'inline-images.json';

/**
 * Renders the charts, the web view, a generic copy of the email exactly as mailed (images as `cid:`), the
 * text part and the workbook into `dir`, with the chart PNGs and their manifest (`readInlineImages`).
 */
export async function writeReportFiles(
  input: ReportModel,
  dir: string,
  opts: WriteOptions = {},
): Promise<ComposedFiles> {
  await mkdir(dir, { recursive: true });
  // The charts are a garnish: if they cannot be drawn, the email shows its text bar instead.
  let chartError: string | null = null;
  const charts = await (opts.drawCharts ?? renderCharts)(input, opts.charts).catch((err: unknown) => {
    chartError = err instanceof Error ? err.message : String(err);
    return [];
  });
  const model: ReportModel = { ...input, charts: charts.map(({ png: _png, svg: _svg, ...chart }) => chart) };
  const xlsxName = `金融情报日报-${model.edition}.xlsx`;
  const files = {
    webview: path.join(dir, 'report.html'),
    emailHtml: path.join(dir, 'email.html'),
    text: path.join(dir, 'report.txt'),
    xlsx: path.join(dir, xlsxName),
  };
  const generic = { recipientName: null, unsubscribeUrl: null };
  const email = await renderEmailDetailed(model, generic);
  const inlineImages = charts.map((c) => ({
    cid: c.cid,
    filename: c.filename,
    content: c.png,
    contentType: 'image/png' as const,
  }));
  await Promise.all(charts.map((c) => atomicWrite(path.join(dir, c.filename), c.png)));
  await atomicWrite(
    path.join(dir, INLINE_IMAGES_FILE),
    `${JSON.stringify(
      inlineImages.map(({ content: _content, ...rest }) => rest),
      null,
      2,
    )}\n`,
  );
  await atomicWrite(files.webview, await renderWebView(model));
  await atomicWrite(files.emailHtml, email.html);
  await atomicWrite(files.text, renderEmailText(model, generic));
  await atomicWrite(files.xlsx, await buildWorkbook(model));
  return {
    dir,
    ...files,
    subject: emailSubject(model),
    xlsxName,
    model,
    emailBytes: email.bytes,
    emailOmitted: email.omitted,
    inlineImages,
    chartError,
  };
}

/**
 * The inline images of an edition composed earlier in `dir` (for re-sending the stored `email.html`);
 * none when the edition has no charts.
 */
export async function readInlineImages(dir: string): Promise<InlineImage[]> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, INLINE_IMAGES_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the inline images of ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const entries = Array.isArray(manifest) ? (manifest as { cid?: unknown; filename?: unknown }[]) : [];
  return Promise.all(
    entries.map(async (e) => {
      const filename = typeof e.filename === 'string' ? path.basename(e.filename) : '';
      if (typeof e.cid !== 'string' || !filename) throw new Error(`malformed ${INLINE_IMAGES_FILE} in ${dir}`);
      return {
        cid: e.cid,
        filename,
        content: await readFile(path.join(dir, filename)),
        contentType: 'image/png' as const,
      };
    }),
  );
}

/** Writes `file` whole or not at all: a failed write (a full disk) leaves neither it nor its temporary file. */
async function atomicWrite(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
