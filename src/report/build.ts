import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WindowStory } from '../db/queries/articles.ts';
import { CATEGORY_LABELS } from '../domain.ts';
import type { Extraction, ReportEntry, ReportModel, SourceStat } from '../domain.ts';
import type { Ranking, ScoredStory } from '../score/index.ts';
import { buildWorkbook, emailSubject, renderEmailHtml, renderEmailText, renderWebView } from './index.ts';

function entry(s: ScoredStory, story: WindowStory, rank: number): ReportEntry {
  const e = s.extraction;
  return {
    articleId: s.articleId, title: story.title, url: story.url, source: story.sourceName, sources: story.sources,
    coverage: story.size, publishedAt: story.publishedAt ?? story.effectiveAt, summary: e.summary, category: e.category,
    eventType: e.event_type, sentiment: e.sentiment, sentimentScore: e.sentiment_score, importance: e.importance,
    tickers: e.entities.companies.map((c) => c.ticker).filter((t): t is string => Boolean(t)),
    companies: e.entities.companies.map((c) => c.name), keywords: e.keywords, region: e.region,
    score: s.score, factors: s.factors, rank,
  };
}

/** Everything of an edition the report shows, from the ranking and the stored stories. */
export function buildReportModel(input: {
  edition: string; timeZone: string; generatedAt: Date; window: { from: Date; to: Date };
  ranking: Ranking; stories: WindowStory[]; articleCount: number;
  allArticles: { id: number; clusterId: number | null; title: string; url: string; publishedAt: Date | null; effectiveAt: Date; sourceName: string }[];
  extractions: Map<number, Extraction>; sourceStats: SourceStat[]; webViewUrl: string | null;
}): ReportModel {
  const byArticle = new Map(input.stories.map((s) => [s.articleId, s]));
  const byCluster = new Map(input.ranking.all.map((s) => [s.clusterId, s]));
  const top = input.ranking.top.map((s, i) => entry(s, byArticle.get(s.articleId)!, i + 1));
  const sections = [...input.ranking.sections].map(([category, items]) => ({
    category, label: CATEGORY_LABELS[category], items: items.map((s, i) => entry(s, byArticle.get(s.articleId)!, i + 1)),
  }));
  const all: ReportEntry[] = [];
  for (const a of input.allArticles) {
    const story = byCluster.get(a.clusterId);
    if (!story) continue;
    const base = entry(story, byArticle.get(story.articleId)!, 0);
    all.push({ ...base, articleId: a.id, title: a.title, url: a.url, source: a.sourceName, publishedAt: a.publishedAt ?? a.effectiveAt });
  }
  const mood = { positive: 0, neutral: 0, negative: 0 };
  for (const s of input.ranking.all) mood[s.extraction.sentiment]++;
  const sources = new Set(input.stories.flatMap((s) => s.sources));
  return {
    edition: input.edition, title: '金融情报日报', timezone: input.timeZone, generatedAt: input.generatedAt, window: input.window,
    counts: { sources: sources.size, articles: input.articleCount, stories: input.ranking.all.length },
    mood, top, sections, all, sourceStats: input.sourceStats, webViewUrl: input.webViewUrl,
  };
}

/** The files of a composed edition. */
export interface ComposedFiles { dir: string; webview: string; emailHtml: string; text: string; xlsx: string; subject: string; xlsxName: string }

/** Renders the web view, a generic copy of the email, the text part and the workbook into `dir`. */
export async function writeReportFiles(model: ReportModel, dir: string): Promise<ComposedFiles> {
  await mkdir(dir, { recursive: true });
  const xlsxName = `金融情报日报-${model.edition}.xlsx`;
  const files = {
    webview: path.join(dir, 'report.html'), emailHtml: path.join(dir, 'email.html'), text: path.join(dir, 'report.txt'), xlsx: path.join(dir, xlsxName),
  };
  const generic = { recipientName: null, unsubscribeUrl: null };
  await atomicWrite(files.webview, await renderWebView(model));
  await atomicWrite(files.emailHtml, await renderEmailHtml(model, generic));
  await atomicWrite(files.text, renderEmailText(model, generic));
  await atomicWrite(files.xlsx, await buildWorkbook(model));
  return { dir, ...files, subject: emailSubject(model), xlsxName };
}

async function atomicWrite(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
