/**
 * One feed's flood (issue 14): items that are the same title and summary with a counter, all of one time, as
 * collect stores them (unclustered, no fingerprint yet). The counter is a significant number: no item is a
 * near-duplicate of another, and every one starts a story of its own, as `clusterItems` decides.
 */
import { createHash } from 'node:crypto';
import type { NewArticle } from '../../db/queries/articles.ts';

/** The flood's time. */
export const FLOOD_AT = new Date('2026-03-02T08:00:00Z');

/** Items `from`..`to` (exclusive) of the flood of source `sourceId`. */
export function floodRows(sourceId: number, from: number, to: number): NewArticle[] {
  const rows: NewArticle[] = [];
  for (let j = from; j < to; j++) {
    const h = createHash('sha256').update(`flood-${j}`).digest('hex').slice(0, 32);
    rows.push({
      sourceId,
      url: `https://flood.example.com/item/${j}`,
      canonicalUrl: `https://flood.example.com/item/${j}`,
      urlHash: h,
      title: `市场快讯：沪深两市今日震荡整理，投资者关注政策动向（${j}）`,
      summary: `今日沪深两市震荡整理，成交额较上一交易日小幅萎缩，板块轮动较快。市场人士认为，短期内指数仍将维持区间震荡格局，投资者可关注政策面变化。本条为第${j}条快讯。`,
      effectiveAt: FLOOD_AT,
      publishedAt: FLOOD_AT,
      contentHash: h,
      simhash: 0n,
      band0: 0,
      band1: 0,
      band2: 0,
      band3: 0,
      dedupNumbers: [],
    });
  }
  return rows;
}
