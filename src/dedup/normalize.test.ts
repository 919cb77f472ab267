import { describe, expect, it } from 'vitest';
import { normalizeText, storyText } from './normalize.ts';

const BODY = '中国人民银行宣布下调存款准备金率0.25个百分点，释放长期流动性约5000亿元。';
const NORM = normalizeText(BODY);

describe('normalizeText', () => {
  it('folds width and case, collapses spaces, keeps line breaks', () => {
    expect(normalizeText('  ＣＰＩ　上涨０.２％ \n\n  第二段  ')).toBe('cpi 上涨0.2%\n第二段');
  });
});

describe('storyText strips what reposting adds', () => {
  it.each([
    { name: '【财联社】', text: `【财联社】${BODY}` },
    { name: '财联社…电，', text: `财联社11月10日电，${BODY}` },
    { name: 'two leads in a row', text: `【新华财经】新华财经北京11月10日电 ${BODY}` },
    { name: '证券时报e公司讯，', text: `证券时报e公司讯，${BODY}` },
    { name: '新浪财经讯', text: `新浪财经讯 ${BODY}` },
    { name: '本报讯（记者 王晓）', text: `本报讯（记者 王晓）${BODY}` },
    { name: '智通财经APP获悉，', text: `智通财经APP获悉，${BODY}` },
    { name: '每经AI快讯，', text: `每经AI快讯，${BODY}` },
    { name: '据上海证券报报道，', text: `据上海证券报报道，${BODY}` },
    { name: '格隆汇11月10日丨', text: `格隆汇11月10日丨${BODY}` },
    { name: 'a reporter line of its own', text: `界面新闻记者 | 王敏\n\n${BODY}` },
    { name: '…记者王敏 北京报道', text: `21世纪经济报道记者王敏 北京报道 ${BODY}` },
    { name: "an editor's note", text: `【编者按】本文为快讯，详细内容以公告为准。\n\n${BODY}` },
    { name: '（来源：证券时报）', text: `${BODY}\n\n（来源：证券时报）` },
    { name: 'an inline source note', text: `${BODY}（来源：证券时报）` },
    { name: '责任编辑：王敏', text: `${BODY}\n\n责任编辑：王敏` },
    { name: '（编辑 张璇）', text: `${BODY}\n\n（编辑 张璇）` },
    {
      name: 'a disclaimer and a source line',
      text: `${BODY}\n\n免责声明：本文内容与数据仅供参考，不构成投资建议。据此操作，风险自担。\n\n来源：中国证券报 作者：王珞`,
    },
    { name: 'a reposting note', text: `${BODY}\n\n本文转载自华夏财经网，原标题为《央行降准》。` },
    { name: 'a follow-us line', text: `${BODY}\n\n更多精彩内容，请关注财经头条微信公众号。` },
    { name: 'an AI note', text: `${BODY}\n\n（本文由AI辅助生成，内容仅供参考）` },
  ])('$name', ({ text }) => {
    expect(storyText('标题', text).text).toBe(NORM);
  });

  it.each([
    { name: '【财联社】', title: '【财联社】央行降准0.25个百分点' },
    { name: '重磅！', title: '重磅！央行降准0.25个百分点' },
    { name: '快讯｜', title: '快讯｜央行降准0.25个百分点' },
    { name: 'two flags', title: '【独家】突发！央行降准0.25个百分点' },
  ])('title flag $name', ({ title }) => {
    expect(storyText(title, BODY).title).toBe('央行降准0.25个百分点');
  });
});

describe('storyText keeps the story', () => {
  it.each([
    { name: 'a first sentence that reports a release', text: '国家统计局今日发布消息，10月CPI同比上涨0.2%。' },
    { name: 'a quote with a reporter', text: '记者从央行获悉，降准将于下周一实施。' },
    {
      name: "a last paragraph that starts with an editor's word",
      text: `${BODY}\n\n编辑部认为，此次降准释放了积极信号。`,
    },
    {
      name: 'a long last paragraph mentioning the source',
      text: `${BODY}\n\n${'来源于多家机构的测算显示，降准将降低银行负债成本。'.repeat(6)}`,
    },
    { name: 'a bracketed term inside the text', text: `据悉，【重要】${BODY}` },
  ])('$name', ({ text }) => {
    expect(storyText('标题', text).text).toBe(normalizeText(text));
  });

  it('keeps a text made only of boilerplate rather than nothing', () => {
    expect(storyText('', '责任编辑：王敏').text).toBe('责任编辑:王敏');
    expect(storyText('【财联社】', 'x').title).toBe('【财联社】');
  });
});
