import { describe, expect, it } from 'vitest';
import { findEntities } from './entities.ts';
import { segment } from './segment.ts';

const find = (text: string, title = '') => findEntities(title, text, segment(title), segment(text));

describe('findEntities: people', () => {
  it.each([
    {
      name: 'chairman with a three-character name',
      text: '董事长王传福在股东大会上表示，公司将加大研发投入。',
      want: ['王传福'],
    },
    { name: 'governor from the dictionary', text: '潘功胜指出，货币政策将保持适度宽松。', want: ['潘功胜'] },
    { name: 'chief economist', text: '中金公司首席经济学家彭文生认为，通胀温和。', want: ['彭文生'] },
    { name: 'shareholder with 先生', text: '持股5%以上股东李振国先生计划减持。', want: ['李振国'] },
    { name: 'premier', text: '国务院总理李强主持召开国务院常务会议。', want: ['李强'] },
    { name: 'a common word after a title is no name', text: '分析师普遍认为，市场将企稳。董事长高度重视。', want: [] },
    { name: 'a title without a name', text: '发言人表示，将继续推进。负责人介绍，项目进展顺利。', want: [] },
    { name: 'a plural is no name', text: '研究员们认为估值合理。', want: [] },
  ])('$name', ({ text, want }) => {
    expect(find(text).people).toEqual(want);
  });
});

describe('findEntities: institutions', () => {
  it.each([
    { name: 'central bank alias', text: '央行今日开展逆回购操作。', want: ['中国人民银行'] },
    { name: 'foreign central bank is not the PBoC', text: '土耳其央行宣布加息。', want: [] },
    { name: 'ECB is its own institution', text: '欧洲央行维持利率不变。', want: ['欧洲央行'] },
    {
      name: 'regulators by short names',
      text: '证监会与金融监管总局联合发布通知，外汇局配合。',
      want: ['中国证监会', '国家金融监督管理总局', '国家外汇管理局'],
    },
  ])('$name', ({ text, want }) => {
    expect(find(text).institutions).toEqual(want);
  });
});

describe('findEntities: companies', () => {
  it.each([
    {
      name: 'alias resolves to the listed name',
      text: '宁王股价大涨，茅台小幅回落。',
      want: [
        ['宁德时代', '300750.SZ'],
        ['贵州茅台', '600519.SH'],
      ],
    },
    {
      name: 'an explicit code beats the dictionary listing',
      text: '比亚迪（01211.HK）股价上涨，比亚迪港股成交活跃。',
      want: [['比亚迪股份', '1211.HK']],
    },
    {
      name: 'Apple in a company context',
      text: '苹果公司发布新款iPhone，股价上涨。苹果市值再创新高。',
      want: [['苹果', 'AAPL']],
    },
    { name: 'apples in an agricultural context', text: '苹果期货上涨，果农收入增加。', want: [] },
    {
      name: 'unknown company with a code',
      text: '公司公告称东方精工（002611）中标大单。',
      want: [['东方精工', '002611.SZ']],
    },
    {
      name: 'a Hong Kong story picks the H share',
      text: '南向资金今日净买入中芯国际6.2亿港元，港股通成交活跃。',
      want: [['中芯国际', '0981.HK']],
    },
    {
      name: 'a US story picks the ADR',
      text: '隔夜中概股普遍上涨，阿里巴巴涨3%，百度涨2%。',
      want: [
        ['阿里巴巴', 'BABA'],
        ['百度集团', 'BIDU'],
      ],
    },
    {
      name: 'A and H codes give two listings',
      text: '招商银行（600036.SH，03968.HK）晚间公告。',
      want: [
        ['招商银行', '600036.SH'],
        ['招商银行', '3968.HK'],
      ],
    },
    { name: 'the exchange is not the stock', text: '公司拟在港交所主板上市。', want: [] },
    {
      name: 'the exchange operator as a company',
      text: '港交所第三季度收入75亿港元，同比增长。',
      want: [['香港交易所', '0388.HK']],
    },
    { name: 'no tickers from macro acronyms', text: 'CPI、PPI、PMI、GDP和MLF、LPR数据公布。', want: [] },
  ])('$name', ({ text, want }) => {
    expect(find(text).companies.map((c) => [c.name, c.ticker])).toEqual(want);
  });

  it('remembers which companies the title names', () => {
    const e = find('腾讯控股（00700.HK）公布业绩。', '腾讯第三季度营收增长');
    expect(e.titleCompanies).toEqual(['腾讯控股']);
    expect(e.regionVotes.get('HK')).toBeGreaterThan(0);
  });
});
