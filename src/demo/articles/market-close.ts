/**
 * The daily A-share close report (A股收评). The wording is one template; the numbers come from a PRNG
 * seeded by the date, so each day reads differently but re-running a day gives the same report.
 */
import type { DemoArticle } from './types.ts';

/** mulberry32: tiny, fast and good enough to make plausible market numbers. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a, to turn the date string into a seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SECTORS = [
  '半导体',
  '人工智能',
  '消费电子',
  '光伏设备',
  '电池',
  '证券',
  '银行',
  '保险',
  '白酒',
  '医药商业',
  '创新药',
  '军工电子',
  '机器人概念',
  '算力租赁',
  '有色金属',
  '煤炭开采',
  '电力',
  '房地产开发',
  '游戏',
  '传媒',
  '汽车整车',
  '化工原料',
  '黄金概念',
  '航运港口',
  '旅游酒店',
  '低空经济',
];

function pick<T>(rand: () => number, list: readonly T[], n: number): T[] {
  const pool = [...list];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0] as T);
  return out;
}

const between = (rand: () => number, lo: number, hi: number): number => lo + (hi - lo) * rand();
const signed = (pct: number): string => `${pct >= 0 ? '涨' : '跌'}${Math.abs(pct).toFixed(2)}%`;

/**
 * Builds the close report of one trading day (YYYY-MM-DD); `hoursAgo` is 0 and is set by whoever places
 * the report in time (it is published at 15:05 local on its day).
 */
export function marketClose(date: string): DemoArticle {
  const rand = prng(hash(`close:${date}`));
  const mood = between(rand, -1, 1); // one market mood drives all three indices, as on a real day
  const sh = mood * 1.6 + between(rand, -0.25, 0.25);
  const sz = sh * between(rand, 1.05, 1.4) + between(rand, -0.2, 0.2);
  const cy = sz * between(rand, 1.1, 1.5) + between(rand, -0.3, 0.3);
  const shClose = between(rand, 3280, 3460) * (1 + sh / 100);
  const szClose = between(rand, 10_300, 11_200) * (1 + sz / 100);
  const cyClose = between(rand, 2120, 2330) * (1 + cy / 100);
  const turnover = between(rand, 0.86, 1.52) + Math.abs(mood) * 0.18;
  const total = 5300 + Math.floor(rand() * 120);
  const upShare = Math.min(0.92, Math.max(0.08, 0.5 + mood * 0.38 + between(rand, -0.06, 0.06)));
  const up = Math.round(total * upShare);
  const flat = 60 + Math.floor(rand() * 90);
  const down = total - up - flat;
  const limitUp = Math.round(25 + upShare * 90 + rand() * 20);
  const limitDown = Math.round(2 + (1 - upShare) * 25 + rand() * 6);
  const north = between(rand, 1050, 1980);
  const [lead1, lead2, lead3, lag1, lag2] = pick(rand, SECTORS, 5) as [string, string, string, string, string];
  const leadPct = between(rand, 2.1, 5.8);
  const lagPct = -between(rand, 1.1, 3.6);
  const [, m, d] = date.split('-').map(Number) as [number, number, number];
  const verb = sh >= 0 ? '收涨' : '收跌';
  const wan = `${turnover.toFixed(2)}万亿元`;
  const day = `${m}月${d}日`;
  return {
    slug: `market-close-${date}`,
    outlet: 'feed-markets',
    title: `A股收评：沪指${verb}${Math.abs(sh).toFixed(2)}%报${shClose.toFixed(2)}点，两市成交额${wan}`,
    body: [
      `${day}，A股三大指数${sh >= 0 ? '午后震荡走高' : '早盘冲高回落'}。截至收盘，上证指数${verb}${Math.abs(sh).toFixed(2)}%，报${shClose.toFixed(2)}点；` +
        `深证成指${signed(sz)}，报${szClose.toFixed(2)}点；创业板指${signed(cy)}，报${cyClose.toFixed(2)}点。`,
      `沪深两市全天成交额${wan}，较上一交易日${rand() > 0.5 ? '放量' : '缩量'}${Math.round(between(rand, 300, 1600))}亿元。` +
        `个股方面，上涨${up}家，下跌${down}家，平盘${flat}家；涨停${limitUp}家，跌停${limitDown}家。`,
      `盘面上，${lead1}、${lead2}、${lead3}板块涨幅居前，其中${lead1}板块收涨${leadPct.toFixed(2)}%，板块内多只个股涨停；` +
        `${lag1}、${lag2}板块表现低迷，${lag1}板块收${signed(lagPct)}。`,
      `资金面上，北向资金全天成交${north.toFixed(2)}亿元，占两市成交额的${(north / (turnover * 100)).toFixed(2)}%。` +
        `主力资金净${rand() > 0.5 - mood * 0.3 ? '流入' : '流出'}${Math.round(between(rand, 40, 420))}亿元。`,
      `展望后市，机构认为，当前市场${mood >= 0 ? '做多情绪有所回暖' : '短期情绪偏谨慎'}，建议关注成交量能变化以及政策面、业绩面的边际改善，` +
        `在${lead1}等景气方向与高股息资产之间做好均衡配置。`,
    ],
    hoursAgo: 0,
    author: '东方证券报记者 陈思远',
    origin: '东方证券报',
    category: 'market',
    sentiment: sh > 0.3 ? 'positive' : sh < -0.3 ? 'negative' : 'neutral',
  };
}
