import { describe, expect, it } from 'vitest';
import { fixtureModel } from './testdata/model.ts';
import { fitToBudget, keepSectionItems, sectionItemCount } from './trim.ts';

describe('keepSectionItems', () => {
  it('drops the lowest ranks of every section first and keeps section order', () => {
    const model = fixtureModel();
    const kept = keepSectionItems(model, 7);
    expect(sectionItemCount(kept)).toBe(7);
    // Seven sections: each keeps its rank-1 story.
    for (const s of kept.sections) expect(s.items.map((e) => e.rank)).toEqual([1]);
    const more = keepSectionItems(model, 10);
    for (const s of more.sections) expect(s.items.map((e) => e.rank)).toEqual(s.items.map((_, i) => i + 1));
    expect(model.top).toEqual(kept.top);
  });
});

describe('fitToBudget', () => {
  it('renders once when it fits', async () => {
    let calls = 0;
    const r = await fitToBudget(fixtureModel(), 1000, async () => {
      calls++;
      return 'x'.repeat(10);
    });
    expect(r).toMatchObject({ bytes: 10, omitted: 0 });
    expect(calls).toBe(1);
  });
  it('finds a number of stories that fits', async () => {
    const model = fixtureModel();
    const total = sectionItemCount(model);
    // 100 bytes of frame + 50 per section story.
    const draw = async (m: typeof model) => 'x'.repeat(100 + 50 * sectionItemCount(m));
    const r = await fitToBudget(model, 600, draw);
    expect(r.bytes).toBeLessThanOrEqual(600);
    expect(r.omitted).toBe(total - 10);
  });
  it('renders once from a hint that fits', async () => {
    const model = fixtureModel();
    let calls = 0;
    const draw = async (m: typeof model) => {
      calls++;
      return 'x'.repeat(100 + 50 * sectionItemCount(m));
    };
    const first = await fitToBudget(model, 600, draw);
    calls = 0;
    const again = await fitToBudget(model, 600, draw, first.kept);
    expect(again.omitted).toBe(first.omitted);
    expect(calls).toBe(1);
  });
  it('keeps only the top list when nothing else fits', async () => {
    const r = await fitToBudget(fixtureModel(), 10, async (m) => 'x'.repeat(100 + sectionItemCount(m)));
    expect(r.omitted).toBe(sectionItemCount(fixtureModel()));
  });
});
