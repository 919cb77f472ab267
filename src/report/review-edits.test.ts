import { describe, expect, it } from 'vitest';
import { applyReviewEdits, moveStory, NO_EDITS, reviewLists } from './review-edits.ts';
import type { ReviewEdits } from './review-edits.ts';
import { fixtureModel } from './testdata/model.ts';

const ids = (items: { articleId: number }[]) => items.map((e) => e.articleId);

describe('applyReviewEdits', () => {
  const model = fixtureModel();
  const top = ids(model.top);
  const macro = model.sections.find((s) => s.category === 'macro')!;
  const fromSection = macro.items.find((e) => !top.includes(e.articleId))!.articleId;

  const cases: { name: string; edits: ReviewEdits; check: (m: ReturnType<typeof applyReviewEdits>) => void }[] = [
    { name: 'no edits: the same lists', edits: NO_EDITS, check: (m) => expect(ids(m.top)).toEqual(top) },
    {
      name: 'a dropped story leaves every list, ranks renumbered',
      edits: { ...NO_EDITS, dropped: [top[0]!] },
      check: (m) => {
        expect(reviewLists(m).flatMap((l) => ids(l.items))).not.toContain(top[0]);
        expect(m.top.map((e) => e.rank)).toEqual(m.top.map((_, i) => i + 1));
      },
    },
    {
      name: 'a pinned section story comes first in 今日要闻 and leaves its section',
      edits: { ...NO_EDITS, pinned: [fromSection] },
      check: (m) => {
        expect(m.top[0]!.articleId).toBe(fromSection);
        expect(ids(m.sections.find((s) => s.category === 'macro')?.items ?? [])).not.toContain(fromSection);
      },
    },
    {
      name: 'an order puts the list in the editor’s order',
      edits: { ...NO_EDITS, order: { top: [top[2]!, top[0]!] } },
      check: (m) => expect(ids(m.top).slice(0, 3)).toEqual([top[2], top[0], top[1]]),
    },
    {
      name: 'a rewritten summary shows everywhere the story does, the workbook too',
      edits: { ...NO_EDITS, summaries: { [top[0]!]: '新摘要' } },
      check: (m) => {
        expect(m.top[0]!.summary).toBe('新摘要');
        expect(m.all.filter((e) => e.articleId === top[0]).every((e) => e.summary === '新摘要')).toBe(true);
      },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const once = applyReviewEdits(fixtureModel(), c.edits);
      c.check(once);
      // Idempotent: a resumed run applies the edits to an already edited model and sends the same report.
      expect(applyReviewEdits(once, c.edits)).toEqual(once);
    });

  it('moves a story within its list, never past a pinned one', () => {
    const m = fixtureModel();
    const down = moveStory(m, NO_EDITS, top[0]!, 'down')!;
    expect(ids(applyReviewEdits(m, down).top).slice(0, 2)).toEqual([top[1], top[0]]);
    expect(moveStory(m, NO_EDITS, top[0]!, 'up')).toBeNull();
    const pinned = { ...NO_EDITS, pinned: [top[0]!] };
    expect(moveStory(m, pinned, top[1]!, 'up')).toBeNull();
    expect(moveStory(m, pinned, top[0]!, 'down')).toBeNull();
  });
});
