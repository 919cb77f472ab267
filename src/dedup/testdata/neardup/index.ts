/**
 * The near-duplicate evaluation set, generated from a seed: original articles (the demo world's 173
 * hand-written stories, 37 events of 12 listed companies, five daily template reports over five trading
 * days), each reposted in every way of `EDIT_KINDS`, and for the articles with figures a "next period" twin
 * with every figure changed. Ground truth: two documents are duplicates exactly when they share a story.
 */
import { fillPlaceholders, writtenArticles } from '../../../demo/articles/index.ts';
import { companyEvents } from './company-events.ts';
import { EDIT_KINDS, applyEdit, otherPeriod } from './edits.ts';
import type { Doc, EditKind } from './edits.ts';
import { prng } from './prng.ts';
import { templateReports } from './templates.ts';
import type { BaseArticle } from './types.ts';

export type { BaseArticle } from './types.ts';
export type { EditKind } from './edits.ts';
export { EDIT_KINDS } from './edits.ts';

/** One document of the set. */
export interface EvalDoc {
  id: string;
  story: string;
  group: string;
  /** How it was made from its original ('original' for the originals themselves). */
  kind: 'original' | 'other-period' | EditKind;
  title: string;
  text: string;
  publishedAt: Date;
}

/** The trading days of the template reports; the other articles are spread over the same days. */
export const EVAL_DAYS = ['2026-02-09', '2026-02-10', '2026-02-11', '2026-02-12', '2026-02-13'];
const ANCHOR = Date.parse('2026-02-11T02:00:00Z');
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;

/** Every original article of the set. */
export function baseArticles(): BaseArticle[] {
  const demo = writtenArticles.map((a): BaseArticle => {
    const at = new Date(ANCHOR - a.hoursAgo * HOUR);
    const note = a.editorNote ? [`【编者按】${fillPlaceholders(a.editorNote, at, TZ)}`] : [];
    return {
      id: `demo-${a.slug}`,
      story: `demo-${a.story ?? a.slug}`,
      group: `demo:${a.category}`,
      title: fillPlaceholders(a.title, at, TZ),
      paragraphs: [...note, ...a.body.map((p) => fillPlaceholders(p, at, TZ))],
    };
  });
  return [...demo, ...companyEvents, ...templateReports(EVAL_DAYS)];
}

const FIGURE = /\d+(?:\.\d+)?(?:%|万亿|亿|万)|\d+\.\d+/g;

/**
 * Builds the set: originals, one repost per edit kind each, and "next period" twins of the originals with at
 * least three figures (decimals, percentages, amounts). Deterministic for a seed.
 *
 * @example buildNearDupSet({ seed: 1 }).length
 */
export function buildNearDupSet(opts: { seed?: number } = {}): EvalDoc[] {
  const rand = prng(opts.seed ?? 20260210);
  const out: EvalDoc[] = [];
  const asDoc = (b: BaseArticle): Doc => ({ title: b.title, paragraphs: b.paragraphs });
  for (const base of baseArticles()) {
    const t0 = base.date ? Date.parse(`${base.date}T07:05:00Z`) : ANCHOR + (rand() - 0.5) * 60 * HOUR;
    const day = (() => {
      const d = new Date(t0 + 8 * HOUR);
      return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
    })();
    const push = (kind: EvalDoc['kind'], doc: Doc, story: string, at: number, id: string) =>
      out.push({
        id,
        story,
        group: base.group,
        kind,
        title: doc.title,
        text: doc.paragraphs.join('\n\n'),
        publishedAt: new Date(at),
      });
    push('original', asDoc(base), base.story, t0, base.id);
    for (const kind of EDIT_KINDS) {
      push(
        kind,
        applyEdit(kind, asDoc(base), rand, { day, title: base.title }),
        base.story,
        t0 + (0.1 + rand() * 30) * HOUR,
        `${base.id}~${kind}`,
      );
    }
    // Figures an event is told by (decimals, percentages, amounts with a unit), not codes or counts.
    const figures = `${base.title}${base.paragraphs.join('')}`.match(FIGURE)?.length ?? 0;
    if (figures >= 3 && !base.group.startsWith('template:')) {
      push(
        'other-period',
        otherPeriod(asDoc(base), rand),
        `${base.id}~other-period`,
        t0 + (rand() - 0.5) * 40 * HOUR,
        `${base.id}~other-period`,
      );
    }
  }
  return out;
}
