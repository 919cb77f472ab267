/**
 * The article's region (CN / HK / US / global / other) from its entities' markets and region words.
 * Chinese-language finance news with no foreign signal is domestic, so the default is CN.
 */
import type { Region } from '../../domain.ts';

type Signal = 'CN' | 'HK' | 'US' | 'other' | 'global';

const WORDS: Record<Signal, readonly string[]> = {
  CN: ['A股', '两市', '沪深', '内地', '我国', '全国', '国内', '人民币', '中国', '境内'],
  HK: ['港股', '香港', '港元', '恒指', '恒生', '南向资金', '港府', '特区政府'],
  US: ['美股', '美国', '美联储', '华尔街', '纳指', '道指', '标普', '美债', '非农', '白宫', '特朗普'],
  other: [
    '欧洲',
    '欧元区',
    '欧元',
    '日本',
    '日元',
    '英国',
    '英镑',
    '德国',
    '法国',
    '韩国',
    '印度',
    '东南亚',
    '俄罗斯',
    '中东',
    '加拿大',
    '澳大利亚',
    '巴西',
    '越南',
  ],
  global: [
    '全球',
    '国际',
    '海外',
    '世界',
    '原油',
    '油价',
    '黄金',
    '金价',
    'OPEC',
    '欧佩克',
    '大宗商品',
    'IMF',
    '比特币',
  ],
};

/** Words that hint at a region without placing the story there (全球 appears in domestic news too). */
const WEAK = new Set(['全球', '国际', '海外', '世界', '黄金', '金价', '中国']);

function count(text: string, word: string): number {
  let n = 0;
  for (let i = text.indexOf(word); i !== -1 && n < 3; i = text.indexOf(word, i + word.length)) n++;
  return n;
}

/** Region signals: entity markets (passed in) plus region words, title words weighted ×3. */
export function regionOf(title: string, lead: string, entityVotes: ReadonlyMap<Region, number>): Region {
  const score: Record<Signal, number> = { CN: 0, HK: 0, US: 0, other: 0, global: 0 };
  for (const [region, votes] of entityVotes) score[region] += votes;
  for (const signal of Object.keys(WORDS) as Signal[]) {
    for (const w of WORDS[signal]) score[signal] += (WEAK.has(w) ? 0.5 : 1) * (3 * count(title, w) + count(lead, w));
  }
  const order: Signal[] = ['CN', 'HK', 'US', 'other', 'global'];
  const best = order.reduce((a, b) => (score[b] > score[a] ? b : a));
  if (score[best] === 0) return 'CN';
  const foreign = (['US', 'other'] as const).filter((s) => score[s] >= 0.5 * score[best] && score[s] >= 2);
  // A story across several foreign markets (美股 and 欧洲股市 together) is global news.
  if (best !== 'CN' && best !== 'HK' && foreign.length >= 2) return 'global';
  return best;
}
