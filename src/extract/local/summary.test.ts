import { describe, expect, it } from 'vitest';
import { sentences, stripDateline, summarize } from './summary.ts';

describe('stripDateline', () => {
  it.each([
    { name: '财联社 dateline', text: '财联社11月10日电，央行今日开展逆回购操作。', want: '央行今日开展逆回购操作。' },
    { name: '新华财经 with a city', text: '新华财经北京11月10日电 国家统计局发布数据。', want: '国家统计局发布数据。' },
    {
      name: '新华社 with a byline in parentheses',
      text: '新华社北京9月24日电（记者 吴雨）中国人民银行宣布降准。',
      want: '中国人民银行宣布降准。',
    },
    {
      name: 'year in the dateline',
      text: '中新网2025年11月10日电 A股三大指数集体收涨。',
      want: 'A股三大指数集体收涨。',
    },
    {
      name: 'bracketed headline',
      text: '【央行开展1万亿元买断式逆回购】财联社11月10日电，央行公告称……',
      want: '央行公告称……',
    },
    { name: '讯 without a date', text: '证券时报e公司讯，贵州茅台发布公告。', want: '贵州茅台发布公告。' },
    { name: '快讯', text: '每经AI快讯，宁德时代股价涨超5%。', want: '宁德时代股价涨超5%。' },
    {
      name: 'newspaper byline',
      text: '■证券时报记者 张三 李四\n\n近期多家银行下调存款利率。',
      want: '近期多家银行下调存款利率。',
    },
    {
      name: '本报讯 with reporter',
      text: '本报讯（记者 王五）今年前10个月，我国外贸进出口平稳增长。',
      want: '今年前10个月，我国外贸进出口平稳增长。',
    },
    { name: 'a plain lead is untouched', text: '11月10日，沪指收涨0.5%。', want: '11月10日，沪指收涨0.5%。' },
    {
      name: '记者从 is content, not a byline',
      text: '记者从央行获悉，央行将加大支持力度。',
      want: '记者从央行获悉，央行将加大支持力度。',
    },
  ])('$name', ({ text, want }) => {
    expect(stripDateline(text)).toBe(want);
  });
});

describe('sentences', () => {
  it('keeps closing quotes with their sentence', () => {
    expect(sentences('他说：“市场向好。”随后离场。')).toEqual(['他说：“市场向好。”', '随后离场。']);
  });
});

describe('summarize', () => {
  const long = `${'受多重因素影响，'.repeat(20)}市场大幅波动。`;
  it.each([
    {
      name: 'several sentences that fit',
      title: 't',
      text: '财联社11月10日电，第一句。第二句。',
      want: '第一句。第二句。',
    },
    {
      name: 'drops a repeated title line',
      title: '央行降准',
      text: '央行降准\n\n央行决定下调存款准备金率。',
      want: '央行决定下调存款准备金率。',
    },
    {
      name: 'a trailing semicolon becomes a full stop',
      title: 't',
      text: `前三季度营收增长；${'很'.repeat(115)}。`,
      want: '前三季度营收增长。',
    },
    { name: 'empty text falls back to the title', title: '【快讯】沪指收涨', text: '   ', want: '沪指收涨' },
    {
      name: 'meta lines are skipped',
      title: 't',
      text: '责任编辑：张三\n\n央行开展逆回购操作。',
      want: '央行开展逆回购操作。',
    },
  ])('$name', ({ title, text, want }) => {
    expect(summarize(title, text)).toBe(want);
  });

  it('cuts an overlong first sentence at a comma and adds an ellipsis', () => {
    const s = summarize('t', long);
    expect(s.length).toBeLessThanOrEqual(120);
    expect(s.endsWith('…')).toBe(true);
    expect(s.slice(-2, -1)).toBe('响');
  });

  it('never exceeds 120 characters, even for a comma-less first sentence', () => {
    const s = summarize('t', `${'很'.repeat(300)}。`);
    expect(s.length).toBeLessThanOrEqual(120);
  });

  it('stops before a sentence that would pass 120 characters', () => {
    const first = `${'甲'.repeat(60)}。`;
    const s = summarize('t', `${first}${'乙'.repeat(70)}。`);
    expect(s).toBe(first);
  });
});
