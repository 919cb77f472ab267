import { describe, expect, it } from 'vitest';
import { eventTypeOf } from './classify.ts';
import { extractLocal } from './index.ts';

describe('eventTypeOf', () => {
  it.each([
    {
      name: 'reverse repo is monetary policy, not a buyback',
      title: '央行开展2000亿元7天期逆回购操作',
      want: '货币政策',
    },
    { name: 'buyback', title: '美的集团拟回购不超过50亿元A股', want: '回购' },
    { name: 'results', title: '中芯国际第三季度收入同比增长15%', want: '业绩' },
    { name: 'penalty', title: '某券商因违规被证监会出具警示函', want: '监管处罚' },
    { name: 'IPO', title: '科创板新股上市首日大涨218%', want: '融资上市' },
    { name: 'product', title: '科大讯飞发布星火X2大模型', want: '产品发布' },
    { name: 'a press conference is not a product launch', title: '国新办举行新闻发布会介绍经济运行情况', want: '其他' },
    { name: 'purchase price is no acquisition', title: '苹果收购价上涨', want: '其他' },
    { name: 'debt default', title: '某房企美元债未能按期兑付构成违约', want: '债务违约' },
    { name: 'FX fixing', title: '人民币对美元中间价调升52个基点', want: '汇率' },
    { name: 'rule document', title: '证监会发布《上市公司监管指引第10号——市值管理》', want: '政策发布' },
  ])('$name', ({ title, want }) => {
    expect(eventTypeOf(title, '')).toBe(want);
  });
});

describe('importance', () => {
  const imp = (title: string, text: string) => extractLocal({ title, text, source: 's', publishedAt: null }).importance;
  it.each([
    {
      name: 'an RRR cut is top news',
      title: '人民银行：下调金融机构存款准备金率0.25个百分点',
      text: '中国人民银行决定下调金融机构存款准备金率0.25个百分点。',
      min: 5,
      max: 5,
    },
    {
      name: 'an expected cut is not a decision',
      title: '10年期美债收益率升至4.18%，市场下调年内降息预期',
      text: '美债收益率全线上行。',
      min: 2,
      max: 4,
    },
    {
      name: 'a closing report is routine',
      title: '收评：沪指微涨0.1%',
      text: '沪指微涨0.1%，两市成交额1.1万亿元。',
      min: 3,
      max: 3,
    },
    {
      name: 'headline macro data',
      title: '10月CPI同比上涨0.2%',
      text: '国家统计局发布数据，10月CPI同比上涨0.2%。',
      min: 4,
      max: 4,
    },
    {
      name: 'a small company item',
      title: '岳川新材控股股东拟减持不超3%股份',
      text: '岳川新材（605762.SH）公告，控股股东拟减持。',
      min: 2,
      max: 3,
    },
    { name: 'a non-finance item', title: '周末天气预报', text: '本周末天气晴好。', min: 1, max: 2 },
  ])('$name', ({ title, text, min, max }) => {
    const v = imp(title, text);
    expect(v).toBeGreaterThanOrEqual(min);
    expect(v).toBeLessThanOrEqual(max);
  });
});
