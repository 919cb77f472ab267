import { describe, expect, it } from 'vitest';
import { segment } from './segment.ts';
import { sentimentOf } from './sentiment.ts';

const score = (title: string, body = '') => sentimentOf(segment(title), segment(body));

describe('sentimentOf', () => {
  it.each([
    { name: 'growth', title: '公司净利润同比增长30%', want: 'positive' },
    { name: 'beat', title: '营收超预期 股价创新高', want: 'positive' },
    { name: 'buyback and holding increase', title: '控股股东增持 公司同时启动回购', want: 'positive' },
    { name: 'loss', title: '公司前三季度亏损扩大 营收下滑', want: 'negative' },
    { name: 'regulatory case', title: '公司因财务造假被立案调查', want: 'negative' },
    { name: 'default', title: '某房企境外债券违约', want: 'negative' },
    { name: 'negated fall', title: '市场未出现大幅下跌', not: 'negative' },
    { name: 'negated good news', title: '业绩并非利好', not: 'positive' },
    { name: 'rate cut is easing', title: '央行下调存款准备金率', want: 'positive' },
    { name: 'rate hike is tightening', title: '央行上调政策利率', want: 'negative' },
    { name: 'narrowing loss', title: '公司亏损收窄', not: 'negative' },
    { name: 'mixed day', title: '沪指涨0.5% 创业板指跌0.5%', want: 'neutral' },
    { name: 'no opinion', title: '国务院召开常务会议', want: 'neutral' },
  ])('$name', ({ title, want, not }) => {
    const { sentiment } = score(title);
    if (want !== undefined) expect(sentiment).toBe(want);
    if (not !== undefined) expect(sentiment).not.toBe(not);
  });

  it('a degree word strengthens the score', () => {
    expect(score('股价大幅下跌').score).toBeLessThan(score('股价小幅下跌').score);
  });

  it('stays within [-1, 1] for a long one-sided text', () => {
    const { score: s } = score('暴跌', '暴跌，跌停，亏损，违约。'.repeat(200));
    expect(s).toBeGreaterThanOrEqual(-1);
    expect(s).toBeLessThan(-0.9);
  });
});
