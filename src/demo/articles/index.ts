/**
 * Every article of the demo world, placed in time. Content files hold month-relative placeholders
 * (`{PM}月CPI`) so that whatever day the demo runs the text names the right months.
 */
import type { DemoArticle } from './types.ts';
import { addDays, localDate, localParts, zonedTime } from '../time.ts';
import { marketClose } from './market-close.ts';
import { macroArticles } from './macro.ts';
import { macroArticles2 } from './macro-2.ts';
import { policyArticles } from './policy.ts';
import { policyArticles2 } from './policy-2.ts';
import { marketArticles } from './markets.ts';
import { marketArticles2 } from './markets-2.ts';
import { globalArticles } from './global.ts';
import { globalArticles2 } from './global-2.ts';
import { rrrCutArticles } from './rrr-cut.ts';
import { companyArticles } from './companies.ts';
import { industryArticles } from './industry.ts';

/** An article with its publication instant and placeholders filled in. */
export interface PlacedArticle extends DemoArticle {
  publishedAt: Date;
}

/** The hand-written articles, before placement (anchor-independent). */
export const writtenArticles: readonly DemoArticle[] = [
  ...macroArticles,
  ...macroArticles2,
  ...policyArticles,
  ...policyArticles2,
  ...marketArticles,
  ...marketArticles2,
  ...globalArticles,
  ...globalArticles2,
  ...rrrCutArticles,
  ...companyArticles,
  ...industryArticles,
];

/** How many days of market-close reports the world keeps. */
const CLOSE_DAYS = 3;
const QUARTERS = ['一', '二', '三', '四'];

/** Fills `{Y}` `{M}` `{D}` (publication day), `{PY}` `{PM}` (previous month) and `{PQY}` `{PQ}` (last finished quarter, 一…四). */
export function fillPlaceholders(text: string, at: Date, timezone: string): string {
  const p = localParts(at, timezone);
  const pm = p.month === 1 ? 12 : p.month - 1;
  const py = p.month === 1 ? p.year - 1 : p.year;
  const q = Math.floor((p.month - 1) / 3); // current quarter index; the finished one is q - 1
  const pq = q === 0 ? 3 : q - 1;
  const pqy = q === 0 ? p.year - 1 : p.year;
  const values: Record<string, string> = {
    Y: String(p.year),
    M: String(p.month),
    D: String(p.day),
    PY: String(py),
    PM: String(pm),
    PQY: String(pqy),
    PQ: QUARTERS[pq] ?? '',
  };
  return text.replace(/\{(PQY|PQ|PY|PM|Y|M|D)\}/g, (_m, key: string) => values[key] ?? '');
}

function place(article: DemoArticle, publishedAt: Date, timezone: string): PlacedArticle {
  return {
    ...article,
    title: fillPlaceholders(article.title, publishedAt, timezone),
    body: article.body.map((p) => fillPlaceholders(p, publishedAt, timezone)),
    editorNote:
      article.editorNote === undefined ? undefined : fillPlaceholders(article.editorNote, publishedAt, timezone),
    publishedAt,
  };
}

/** The market-close reports of the last few local days whose 15:05 publication is before the anchor. */
export function closeReports(anchor: Date, timezone: string): PlacedArticle[] {
  const today = localDate(anchor, timezone);
  const out: PlacedArticle[] = [];
  for (let back = 0; back < CLOSE_DAYS; back++) {
    const day = addDays(today, -back);
    const at = zonedTime(day, 15, 5, timezone);
    if (at.getTime() >= anchor.getTime()) continue;
    const report = marketClose(day);
    out.push(place({ ...report, hoursAgo: (anchor.getTime() - at.getTime()) / 3_600_000 }, at, timezone));
  }
  return out;
}

/** Every article of the world for an edition anchor, newest first. */
export function placeArticles(anchor: Date, timezone: string): PlacedArticle[] {
  const written = writtenArticles.map((a) => place(a, new Date(anchor.getTime() - a.hoursAgo * 3_600_000), timezone));
  return [...written, ...closeReports(anchor, timezone)].sort(
    (a, b) => b.publishedAt.getTime() - a.publishedAt.getTime(),
  );
}
