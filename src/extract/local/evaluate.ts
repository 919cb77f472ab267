/**
 * Measures the local extractor on the labelled set (`testdata/labelled.ts`): category accuracy, sentiment
 * accuracy and entity recall (companies by name or ticker, tickers, people, institutions). Run it with
 * `npm run eval:local`; `evaluate.test.ts` keeps the numbers from sliding back.
 */
import type { Extraction } from '../../domain.ts';
import { extractLocal } from './index.ts';
import { LABELLED } from './testdata/labelled.ts';
import type { LabelledItem } from './testdata/labelled.ts';

export interface Ratio {
  found: number;
  total: number;
  rate: number;
}

export interface EvalReport {
  items: number;
  category: Ratio & { confusion: Record<string, Record<string, number>> };
  sentiment: Ratio & { confusion: Record<string, Record<string, number>> };
  /** All labelled companies, people and institutions together. */
  entities: Ratio;
  companies: Ratio;
  tickers: Ratio;
  people: Ratio;
  institutions: Ratio;
  /** Average extraction time. */
  msPerItem: number;
  /** Per item, what was missed (for reading, not for scoring). */
  misses: { id: string; category?: string; sentiment?: string; entities?: string[] }[];
}

const ratio = (found: number, total: number): Ratio => ({
  found,
  total,
  rate: total === 0 ? 1 : Math.round((found / total) * 1000) / 1000,
});

/** A labelled name counts as found when an extracted one equals it or one contains the other (中国人民银行 / 人民银行). */
const sameName = (a: string, b: string) =>
  a === b || (Math.min(a.length, b.length) >= 2 && (a.includes(b) || b.includes(a)));

/** Scores one extraction against its labels. */
function score(item: LabelledItem, x: Extraction) {
  const names = x.entities.companies.map((c) => c.name);
  const tickers = new Set(x.entities.companies.map((c) => c.ticker).filter((t): t is string => t !== null));
  const companyHits = item.companies.map(
    (c) => names.some((n) => sameName(n, c.name)) || (c.ticker !== null && tickers.has(c.ticker)),
  );
  const labelledTickers = item.companies.map((c) => c.ticker).filter((t): t is string => t !== null);
  const tickerHits = labelledTickers.map((t) => tickers.has(t));
  const peopleHits = item.people.map((p) => x.entities.people.some((q) => sameName(q, p)));
  const instHits = item.institutions.map((i) => x.entities.institutions.some((q) => sameName(q, i)));
  const missed = [
    ...item.companies.filter((_, i) => !companyHits[i]).map((c) => `company ${c.name}`),
    ...labelledTickers.filter((_, i) => !tickerHits[i]).map((t) => `ticker ${t}`),
    ...item.people.filter((_, i) => !peopleHits[i]).map((p) => `person ${p}`),
    ...item.institutions.filter((_, i) => !instHits[i]).map((p) => `institution ${p}`),
  ];
  return { companyHits, tickerHits, peopleHits, instHits, missed };
}

/** Runs the extractor over the set and returns the measures. */
export function evaluateLocal(items: readonly LabelledItem[] = LABELLED): EvalReport {
  const count = { cat: 0, sent: 0, comp: [0, 0], tick: [0, 0], ppl: [0, 0], inst: [0, 0] };
  const catConfusion: Record<string, Record<string, number>> = {};
  const sentConfusion: Record<string, Record<string, number>> = {};
  const misses: EvalReport['misses'] = [];
  const bump = (m: Record<string, Record<string, number>>, want: string, got: string) => {
    m[want] ??= {};
    m[want][got] = (m[want][got] ?? 0) + 1;
  };
  const t0 = performance.now();
  for (const item of items) {
    const x = extractLocal({ title: item.title, text: item.text, source: '评测', publishedAt: null });
    const s = score(item, x);
    const add = (c: number[], hits: boolean[]) => {
      c[0]! += hits.filter(Boolean).length;
      c[1]! += hits.length;
    };
    add(count.comp, s.companyHits);
    add(count.tick, s.tickerHits);
    add(count.ppl, s.peopleHits);
    add(count.inst, s.instHits);
    if (x.category === item.category) count.cat++;
    if (x.sentiment === item.sentiment) count.sent++;
    bump(catConfusion, item.category, x.category);
    bump(sentConfusion, item.sentiment, x.sentiment);
    const miss: EvalReport['misses'][number] = { id: item.id };
    if (x.category !== item.category) miss.category = `${item.category} → ${x.category}`;
    if (x.sentiment !== item.sentiment) miss.sentiment = `${item.sentiment} → ${x.sentiment}`;
    if (s.missed.length > 0) miss.entities = s.missed;
    if (Object.keys(miss).length > 1) misses.push(miss);
  }
  const ms = (performance.now() - t0) / Math.max(1, items.length);
  const found = count.comp[0]! + count.ppl[0]! + count.inst[0]!;
  const total = count.comp[1]! + count.ppl[1]! + count.inst[1]!;
  return {
    items: items.length,
    category: { ...ratio(count.cat, items.length), confusion: catConfusion },
    sentiment: { ...ratio(count.sent, items.length), confusion: sentConfusion },
    entities: ratio(found, total),
    companies: ratio(count.comp[0]!, count.comp[1]!),
    tickers: ratio(count.tick[0]!, count.tick[1]!),
    people: ratio(count.ppl[0]!, count.ppl[1]!),
    institutions: ratio(count.inst[0]!, count.inst[1]!),
    msPerItem: Math.round(ms * 100) / 100,
    misses,
  };
}
