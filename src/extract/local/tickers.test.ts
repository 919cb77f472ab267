import { describe, expect, it } from 'vitest';
import { segment } from './segment.ts';
import { findCodes, inferExchange, normalizeHk } from './tickers.ts';

describe('findCodes', () => {
  it.each([
    {
      name: '6-digit SH code in full-width parentheses',
      text: '贵州茅台（600519）发布公告',
      want: [['600519.SH', '贵州茅台']],
    },
    {
      name: '6-digit SZ code in ASCII parentheses',
      text: '平安银行(000001)晚间公告',
      want: [['000001.SZ', '平安银行']],
    },
    { name: 'ChiNext code', text: '公司公告称东方精工（002611）中标', want: [['002611.SZ', '东方精工']] },
    { name: 'Beijing exchange code', text: '贝特瑞（835185）', want: [['835185.BJ', '贝特瑞']] },
    { name: 'suffixed code', text: '宁德时代（300750.SZ）', want: [['300750.SZ', '宁德时代']] },
    { name: 'prefixed code', text: '行情显示SH601318上涨', want: [['601318.SH', null]] },
    { name: 'five-digit HK code', text: '腾讯控股（00700.HK）', want: [['0700.HK', '腾讯控股']] },
    { name: 'four-digit HK code', text: '美团（3690.HK）', want: [['3690.HK', '美团']] },
    { name: 'HK prefix in parentheses', text: '小米集团（HK:01810）', want: [['1810.HK', '小米集团']] },
    { name: 'NASDAQ ticker', text: '英伟达（NASDAQ: NVDA）', want: [['NVDA', '英伟达']] },
    { name: 'NYSE class-B ticker', text: '伯克希尔哈撒韦（NYSE: BRK.B）', want: [['BRK.B', '伯克希尔哈撒韦']] },
    { name: '美股 prefix', text: '隔夜美股AAPL涨2%', want: [['AAPL', null]] },
    { name: 'Wind-style US suffix', text: '特斯拉(TSLA.O)收涨', want: [['TSLA', '特斯拉']] },
    { name: '证券代码 label', text: '证券代码：002594 证券简称：比亚迪', want: [['002594.SZ', null]] },
    { name: 'ST prefix kept', text: '公告显示，*ST华仪（600290）', want: [['600290.SH', '*ST华仪']] },
    { name: 'ETF code only with a fund name', text: '沪深300ETF（510300）放量', want: [['510300.SH', '沪深300ETF']] },
    {
      name: 'a list of codes in one pair of parentheses',
      text: '中芯国际（688981.SH，00981.HK）公布业绩',
      want: [
        ['688981.SH', '中芯国际'],
        ['0981.HK', '中芯国际'],
      ],
    },
    {
      name: 'unknown four-character name after an enumeration',
      text: '立讯、蓝思、领益智造（002600.SZ）订单饱满',
      want: [['002600.SZ', '领益智造']],
    },
    { name: 'macro acronyms are not tickers', text: 'CPI同比上涨，PMI回升，MLF和LPR持平（CPI）', want: [] },
    { name: 'a number in parentheses that is no code', text: '营收（100000）万元', want: [] },
    { name: 'a year is no code', text: '规划（2024）提出', want: [] },
  ])('$name', ({ text, want }) => {
    const got = findCodes(text, segment).map((c) => [c.ticker, c.name]);
    expect(got).toEqual(want);
  });
});

describe('inferExchange', () => {
  it.each([
    ['600519', 'SH'],
    ['688981', 'SH'],
    ['900901', 'SH'],
    ['000001', 'SZ'],
    ['300750', 'SZ'],
    ['200012', 'SZ'],
    ['835185', 'BJ'],
    ['430047', 'BJ'],
    ['920001', 'BJ'],
    ['100000', null],
    ['510300', null],
  ] as const)('%s → %s', (code, want) => {
    expect(inferExchange(code, null)).toBe(want);
  });
});

describe('normalizeHk', () => {
  it.each([
    ['00700', '0700.HK'],
    ['700', '0700.HK'],
    ['09988', '9988.HK'],
    ['0005', '0005.HK'],
    ['80737', '80737.HK'],
  ])('%s → %s', (code, want) => {
    expect(normalizeHk(code)).toBe(want);
  });
});
