import { describe, expect, it } from 'vitest';
import { writtenArticles } from '../../demo/articles/index.ts';
import { CATEGORIES } from '../../domain.ts';
import { evaluateLocal } from './evaluate.ts';
import { ARTICLES } from './testdata/articles.ts';
import { LABELLED } from './testdata/labelled.ts';

const TICKER = /^(\d{6}\.(SH|SZ|BJ)|\d{4}\.HK|[A-Z]{1,5})$/;

describe('the labelled evaluation set', () => {
  it('has at least 80 items with unique ids, every category, and well-formed labels', () => {
    expect(LABELLED.length).toBeGreaterThanOrEqual(80);
    expect(new Set(LABELLED.map((i) => i.id)).size).toBe(LABELLED.length);
    for (const c of CATEGORIES)
      expect(
        LABELLED.some((i) => i.category === c),
        c,
      ).toBe(true);
    for (const i of LABELLED) {
      expect(i.text.length, i.id).toBeGreaterThan(50);
      for (const c of i.companies) if (c.ticker !== null) expect(c.ticker, i.id).toMatch(TICKER);
    }
  });

  it('shares no article with the demo world or the unit tests', () => {
    const titles = new Set([...writtenArticles.map((a) => a.title), ...ARTICLES.map((a) => a.title)]);
    for (const i of LABELLED) expect(titles.has(i.title), i.title).toBe(false);
  });
});

describe('evaluateLocal', () => {
  // Floors a little under the measured numbers (docs/extraction.md): a rule change that costs accuracy fails here.
  it('keeps category accuracy, sentiment accuracy and entity recall above their floors', () => {
    const r = evaluateLocal();
    expect(r.items).toBe(LABELLED.length);
    expect(r.category.rate).toBeGreaterThanOrEqual(0.82);
    expect(r.sentiment.rate).toBeGreaterThanOrEqual(0.72);
    expect(r.entities.rate).toBeGreaterThanOrEqual(0.8);
    expect(r.tickers.rate).toBeGreaterThanOrEqual(0.9);
  });
});
