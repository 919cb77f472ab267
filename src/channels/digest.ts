/**
 * An edition as the chat channels get it: the report's top stories (what the mail calls 今日要闻) with
 * sentiment, importance and tickers, the counts and mood for a header line, and the web view's link.
 * Stories an intraday alert pushed before the edition was composed carry `alerted` (已预警).
 */
import type { Db } from '../db/client.ts';
import { alertedStories } from '../db/queries/channels.ts';
import { CATEGORY_LABELS } from '../domain.ts';
import type { ReportEntry, ReportModel } from '../domain.ts';
import type { ChannelDigest, DigestItem } from './types.ts';

/** Stories a channel shows when its `maxItems` is not set. */
export const DEFAULT_MAX_ITEMS = 10;

function item(e: ReportEntry, alerted: ReadonlySet<number>): DigestItem {
  return {
    title: e.title,
    url: e.url,
    source: e.source,
    summary: e.summary,
    sentiment: e.sentiment,
    sentimentScore: e.sentimentScore,
    importance: e.importance,
    tickers: e.tickers,
    category: CATEGORY_LABELS[e.category] ?? e.category,
    ...(e.clusterId != null && alerted.has(e.clusterId) ? { alerted: true } : {}),
  };
}

/**
 * The digest of a composed edition: the top list (every entry of `model.top`, in order; each channel shows
 * its first `maxItems`), with `alerted` set from `alert_log` (a `sent` alert for the story before
 * `model.generatedAt`, so that a later alert does not change an edition already being sent in parts).
 *
 * @example
 * const digest = await editionDigest(db, loadReportModel(edition.model));
 */
export async function editionDigest(db: Db, model: ReportModel): Promise<ChannelDigest> {
  const top = model.top.length > 0 ? model.top : model.all.slice(0, 50);
  const ids = top.map((e) => e.clusterId).filter((id): id is number => typeof id === 'number');
  const alerted = await alertedStories(db, ids, new Date(model.generatedAt));
  return {
    kind: 'edition',
    title: model.title || `金融情报日报 ${model.edition}`,
    edition: model.edition,
    webViewUrl: model.webViewUrl,
    counts: model.counts,
    mood: model.mood,
    items: top.map((e) => item(e, alerted)),
  };
}

/** The digest a channel gets: the edition's first `maxItems` stories. */
export function forChannel(digest: ChannelDigest, maxItems: number | undefined): ChannelDigest {
  return { ...digest, items: digest.items.slice(0, maxItems ?? DEFAULT_MAX_ITEMS) };
}
