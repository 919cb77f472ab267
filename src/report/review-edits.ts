/**
 * The editorial gate's edits (REPORT_REVIEW): an editor drops, pins, re-orders stories of a draft edition and
 * rewrites summaries; the edits are kept by article id and applied to the composed model when the draft is
 * approved. Applying is idempotent (an edited model edited again is the same), so a run resumed after a crash
 * applies them again to its freshly composed model and sends the same report.
 */
import type { ReviewEdits } from '../db/schema/index.ts';
import type { ReportEntry, ReportModel } from '../domain.ts';

export type { ReviewEdits } from '../db/schema/index.ts';

/** No edits yet. */
export const NO_EDITS: ReviewEdits = { dropped: [], pinned: [], summaries: {}, order: {} };

/** A summary an editor may write: one trimmed line of text, at most this long. */
export const SUMMARY_MAX = 500;

/** One list of the report as an editor sees it: 今日要闻 (`top`) or a section (its category). */
export interface ReviewList {
  key: string;
  label: string;
  items: ReportEntry[];
}

/** Edits read back from the database, tolerant of a missing or partial value. */
export function normalizeEdits(e: Partial<ReviewEdits> | null | undefined): ReviewEdits {
  return {
    dropped: Array.isArray(e?.dropped) ? e.dropped : [],
    pinned: Array.isArray(e?.pinned) ? e.pinned : [],
    summaries: e?.summaries && typeof e.summaries === 'object' ? e.summaries : {},
    order: e?.order && typeof e.order === 'object' ? e.order : {},
  };
}

/** Whether anything was edited. */
export const hasEdits = (e: ReviewEdits): boolean =>
  e.dropped.length + e.pinned.length + Object.keys(e.summaries).length + Object.keys(e.order).length > 0;

/** `items` sorted by `order` (ids it does not name keep their places after the ones it does). */
function ordered(items: ReportEntry[], order: number[] | undefined): ReportEntry[] {
  if (!order || order.length === 0) return items;
  const at = new Map(order.map((id, i) => [id, i]));
  const pos = (e: ReportEntry, i: number) => at.get(e.articleId) ?? order.length + i;
  return items
    .map((e, i) => ({ e, k: pos(e, i) }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.e);
}

const ranked = (items: ReportEntry[]) => items.map((e, i) => (e.rank === i + 1 ? e : { ...e, rank: i + 1 }));

/**
 * The model as approved: dropped stories gone, each list in the editor's order, pinned stories first in 今日要闻
 * (taken out of their section), rewritten summaries everywhere the story shows (the workbook's rows too).
 *
 * @example
 * const sent = applyReviewEdits(model, { dropped: [12], pinned: [40], summaries: { 7: '新摘要' }, order: {} });
 */
export function applyReviewEdits(model: ReportModel, edits: ReviewEdits): ReportModel {
  const dropped = new Set(edits.dropped);
  const keep = (e: ReportEntry) => !dropped.has(e.articleId);
  let top = ordered(model.top.filter(keep), edits.order.top);
  let sections = model.sections.map((s) => ({ ...s, items: ordered(s.items.filter(keep), edits.order[s.category]) }));
  const pinned = edits.pinned.filter((id) => !dropped.has(id));
  if (pinned.length > 0) {
    const pins = new Set(pinned);
    const found = new Map<number, ReportEntry>();
    for (const e of [...top, ...sections.flatMap((s) => s.items)]) if (pins.has(e.articleId)) found.set(e.articleId, e);
    const first = pinned.map((id) => found.get(id)).filter((e): e is ReportEntry => e !== undefined);
    top = [...first, ...top.filter((e) => !pins.has(e.articleId))];
    sections = sections.map((s) => ({ ...s, items: s.items.filter((e) => !pins.has(e.articleId)) }));
  }
  const summaries = new Map(Object.entries(edits.summaries).map(([id, text]) => [Number(id), text]));
  const stories = new Map<number, string>(); // cluster → summary, for the workbook's rows of the same story
  for (const e of [...model.top, ...model.sections.flatMap((s) => s.items)]) {
    const text = summaries.get(e.articleId);
    if (text !== undefined && e.clusterId != null) stories.set(e.clusterId, text);
  }
  const edit = (e: ReportEntry): ReportEntry => {
    const text = summaries.get(e.articleId) ?? (e.clusterId != null ? stories.get(e.clusterId) : undefined);
    return text === undefined || text === e.summary ? e : { ...e, summary: text };
  };
  if (summaries.size > 0) {
    top = top.map(edit);
    sections = sections.map((s) => ({ ...s, items: s.items.map(edit) }));
  }
  return {
    ...model,
    top: ranked(top),
    sections: sections.filter((s) => s.items.length > 0).map((s) => ({ ...s, items: ranked(s.items) })),
    all: summaries.size > 0 ? model.all.map(edit) : model.all,
  };
}

/** The lists of a model as an editor works on them: 今日要闻 first, then each section. */
export function reviewLists(model: ReportModel): ReviewList[] {
  return [
    { key: 'top', label: '今日要闻', items: model.top },
    ...model.sections.map((s) => ({ key: s.category, label: s.label, items: s.items })),
  ];
}

/** A story of the composed model by article id (dropped or not), for the audit's before/after. */
export function findStory(model: ReportModel, articleId: number): ReportEntry | null {
  for (const l of reviewLists(model)) for (const e of l.items) if (e.articleId === articleId) return e;
  return null;
}

/** The edits with one story moved up or down its list (as the approved model would show it); null: it cannot move. */
export function moveStory(
  model: ReportModel,
  edits: ReviewEdits,
  articleId: number,
  dir: 'up' | 'down',
): ReviewEdits | null {
  if (edits.pinned.includes(articleId)) return null; // pinned stories stay first, in pin order
  const list = reviewLists(applyReviewEdits(model, edits)).find((l) => l.items.some((e) => e.articleId === articleId));
  if (!list) return null;
  const ids = list.items.map((e) => e.articleId);
  const i = ids.indexOf(articleId);
  const j = dir === 'up' ? i - 1 : i + 1;
  if (j < 0 || j >= ids.length || edits.pinned.includes(ids[j]!)) return null;
  [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  return { ...edits, order: { ...edits.order, [list.key]: ids } };
}
