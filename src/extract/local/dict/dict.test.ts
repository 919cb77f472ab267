import { describe, expect, it } from 'vitest';
import { extractionSchema } from '../../schema.ts';
import { segment } from '../segment.ts';
import { COMPANIES } from './companies.ts';
import { companyByTicker, LEXICON, lookup } from './index.ts';
import { INDICES, INSTITUTIONS } from './lexicon.ts';

const tickerSchema = extractionSchema.shape.entities.shape.companies.element.shape.ticker;

describe('finance dictionary', () => {
  it('covers at least 150 companies', () => {
    expect(COMPANIES.length).toBeGreaterThanOrEqual(150);
  });

  it('has tickers the schema accepts, each used once', () => {
    const seen = new Set<string>();
    for (const c of COMPANIES) {
      expect(tickerSchema.safeParse(c.ticker).success, `${c.name} ${c.ticker}`).toBe(true);
      if (c.ticker !== null) {
        expect(seen.has(c.ticker), c.ticker).toBe(false);
        seen.add(c.ticker);
      }
    }
  });

  it('gives every company name or alias to one company only', () => {
    const owner = new Map<string, string>();
    for (const c of COMPANIES) {
      for (const form of new Set([c.name, ...c.aliases])) {
        expect(owner.get(form) ?? c.name, form).toBe(c.name);
        owner.set(form, c.name);
      }
    }
  });

  it.each([
    ['茅台', '贵州茅台', '600519.SH'],
    ['宁王', '宁德时代', '300750.SZ'],
    ['腾讯', '腾讯控股', '0700.HK'],
    ['英伟达', '英伟达', 'NVDA'],
    ['京东方A', '京东方A', '000725.SZ'],
  ])('alias %s → %s %s', (alias, name, ticker) => {
    expect(lookup(alias, 'company')).toMatchObject({ name, ticker });
    expect(companyByTicker(ticker)?.name).toBe(name);
  });

  it.each([
    ['央行', '中国人民银行'],
    ['金融监管总局', '国家金融监督管理总局'],
    ['证监会', '中国证监会'],
  ])('institution alias %s → %s', (alias, name) => {
    expect(lookup(alias, 'institution')?.name).toBe(name);
  });

  it('segments every company, index and institution name as one word', () => {
    const forms = [...COMPANIES.map((c) => c.name), ...INDICES.map((i) => i.name), ...INSTITUTIONS.map((i) => i.name)];
    for (const form of forms) {
      expect(
        segment(`据报道${form}今日公告`).map((t) => t.word),
        form,
      ).toContain(form);
    }
  });

  it('segments dictionary words inside running text', () => {
    const words = segment('北向资金净买入贵州茅台，中期借贷便利操作和沪深300指数、恒生科技指数').map((t) => t.word);
    for (const w of ['北向资金', '贵州茅台', '中期借贷便利', '沪深300指数', '恒生科技指数']) expect(words).toContain(w);
    expect(LEXICON.size).toBeGreaterThan(600);
  });
});
