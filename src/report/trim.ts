/**
 * Keeping the email under Gmail's clipping limit (102 KB): section stories are dropped lowest rank first
 * (rank 9 of every section before rank 8 of any), never the 今日要闻 list.
 */
import type { ReportModel } from '../domain.ts';

/** Keeps the `keep` best-ranked section stories of the model (order within sections unchanged). */
export function keepSectionItems(model: ReportModel, keep: number): ReportModel {
  const ranked = model.sections
    .flatMap((s) => s.items)
    .sort((a, b) => a.rank - b.rank || b.score - a.score || a.articleId - b.articleId);
  const kept = new Set(ranked.slice(0, Math.max(0, keep)));
  return {
    ...model,
    sections: model.sections.map((s) => ({ ...s, items: s.items.filter((e) => kept.has(e)) })),
  };
}

/** Number of stories across the model's sections. */
export function sectionItemCount(model: ReportModel): number {
  return model.sections.reduce((n, s) => n + s.items.length, 0);
}

/** Result of fitting a rendering into a byte budget. */
export interface Fitted {
  output: string;
  bytes: number;
  /** Section stories left out. */
  omitted: number;
  /** Section stories kept (a good `hint` for the next rendering of the same model). */
  kept: number;
}

/**
 * Renders `model` and, when the result is larger than `budget` bytes, renders again with fewer section
 * stories until it fits (or only the top list is left). `draw` receives the reduced model and how many
 * stories it lacks. Renders 1 time when it fits, typically 3 times when it does not; with `hint` (the
 * `kept` of an earlier fit of the same model) usually once.
 */
export async function fitToBudget(
  model: ReportModel,
  budget: number,
  draw: (model: ReportModel, omitted: number) => Promise<string>,
  hint?: number,
): Promise<Fitted> {
  const total = sectionItemCount(model);
  const measure = async (keep: number): Promise<Fitted> => {
    const kept = Math.max(0, Math.min(keep, total));
    const output = await draw(kept === total ? model : keepSectionItems(model, kept), total - kept);
    return { output, bytes: Buffer.byteLength(output), omitted: total - kept, kept };
  };
  if (hint !== undefined && hint < total) {
    const hinted = await measure(hint);
    if (hinted.bytes <= budget) return hinted;
  }
  const full = await measure(total);
  if (full.bytes <= budget || total === 0) return full;
  const bare = await measure(0);
  if (bare.bytes > budget) return bare;
  const perItem = Math.max(1, (full.bytes - bare.bytes) / total);
  let keep = Math.min(total - 1, Math.floor((budget - bare.bytes) / perItem));
  for (;;) {
    if (keep <= 0) return bare;
    const fitted = await measure(keep);
    if (fitted.bytes <= budget) return fitted;
    keep -= Math.max(1, Math.ceil((fitted.bytes - budget) / perItem));
  }
}
