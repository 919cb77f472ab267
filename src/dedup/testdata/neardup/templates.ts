/**
 * Daily template reports (fictional figures from a PRNG seeded by the date): the same wording every day,
 * different numbers. Two days of one template are the hardest negatives of near-duplicate detection.
 */
import { marketClose } from '../../../demo/articles/market-close.ts';
import { prng, hashSeed } from './prng.ts';
import type { BaseArticle } from './types.ts';

const between = (rand: () => number, lo: number, hi: number): number => lo + (hi - lo) * rand();
const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const dayLabel = (date: string) => {
  const [, m, d] = date.split('-').map(Number) as [number, number, number];
  return `${m}月${d}日`;
};
const signedPct = (x: number) => `${x >= 0 ? '涨' : '跌'}${Math.abs(x).toFixed(2)}%`;

/** 央行公开市场操作 (reverse repos), one report per day. */
function reverseRepo(date: string): BaseArticle {
  const rand = prng(hashSeed(`repo:${date}`));
  const amount = Math.round(between(rand, 1200, 5200) / 5) * 5;
  const maturing = Math.round(between(rand, 800, 4800) / 5) * 5;
  const net = amount - maturing;
  const day = dayLabel(date);
  const netText = net >= 0 ? `实现净投放${net}亿元` : `实现净回笼${-net}亿元`;
  return {
    id: `tpl-repo-${date}`,
    story: `tpl-repo-${date}`,
    group: 'template:repo',
    date,
    title: `央行${day}开展${amount}亿元7天期逆回购操作，${netText}`,
    paragraphs: [
      `为保持银行体系流动性合理充裕，中国人民银行${day}以固定利率、数量招标方式开展了${amount}亿元7天期逆回购操作，操作利率为1.40%，与此前持平，投标量和中标量均为${amount}亿元。`,
      `Wind数据显示，当日有${maturing}亿元逆回购到期，因此单日${netText}。从资金价格看，隔夜Shibor报${between(rand, 1.31, 1.52).toFixed(4)}%，7天Shibor报${between(rand, 1.4, 1.62).toFixed(4)}%。`,
      `市场人士表示，${pick(rand, ['税期临近', '月末时点', '政府债券发行缴款', '跨月资金需求'])}对流动性形成一定扰动，央行灵活开展公开市场操作，呵护资金面平稳运行的态度明确。`,
    ],
  };
}

/** 人民币对美元中间价, one report per day. */
function cnyFixing(date: string): BaseArticle {
  const rand = prng(hashSeed(`cny:${date}`));
  const fix = between(rand, 7.06, 7.13);
  const move = Math.round(between(rand, -60, 60)) || 7;
  const prev = fix + move / 10_000;
  const day = dayLabel(date);
  const verb = move > 0 ? '调升' : '调降';
  return {
    id: `tpl-cny-${date}`,
    story: `tpl-cny-${date}`,
    group: 'template:cny',
    date,
    title: `${day}人民币对美元中间价报${fix.toFixed(4)}，${verb}${Math.abs(move)}个基点`,
    paragraphs: [
      `中国外汇交易中心数据显示，${day}人民币对美元汇率中间价报${fix.toFixed(4)}，较上一交易日${verb}${Math.abs(move)}个基点。上一交易日中间价报${prev.toFixed(4)}，在岸人民币16:30收盘报${(fix + between(rand, 0.01, 0.05)).toFixed(4)}。`,
      `同日，人民币对欧元中间价报${between(rand, 8.1, 8.4).toFixed(4)}，对日元中间价报${between(rand, 4.5, 4.8).toFixed(4)}（100日元）。分析人士认为，美元指数${move > 0 ? '回落' : '反弹'}是中间价${verb}的主要原因，人民币汇率在合理均衡水平上保持基本稳定。`,
    ],
  };
}

/** 港股收评, one report per day. */
function hkClose(date: string): BaseArticle {
  const rand = prng(hashSeed(`hk:${date}`));
  const hsi = between(rand, -2.2, 2.2);
  const tech = hsi * between(rand, 1.2, 1.7);
  const level = between(rand, 25_400, 26_900) * (1 + hsi / 100);
  const turnover = between(rand, 1900, 2900);
  const day = dayLabel(date);
  const leaders = [
    '腾讯控股',
    '阿里巴巴',
    '美团',
    '小米集团',
    '京东集团',
    '网易',
    '快手',
    '比亚迪股份',
    '中芯国际',
    '港交所',
  ];
  const a = pick(rand, leaders);
  const b = pick(
    rand,
    leaders.filter((x) => x !== a),
  );
  return {
    id: `tpl-hk-${date}`,
    story: `tpl-hk-${date}`,
    group: 'template:hk',
    date,
    title: `港股收评：恒指${signedPct(hsi)}报${Math.round(level).toLocaleString('en-US')}点，恒生科技指数${signedPct(tech)}`,
    paragraphs: [
      `${day}，港股三大指数${hsi >= 0 ? '集体收涨' : '集体收跌'}。截至收盘，恒生指数${signedPct(hsi)}，报${Math.round(level).toLocaleString('en-US')}点；恒生科技指数${signedPct(tech)}；国企指数${signedPct(hsi * between(rand, 0.9, 1.2))}。大市成交额${turnover.toFixed(1)}亿港元。`,
      `大型科技股${hsi >= 0 ? '普遍走强' : '多数走低'}，${a}${signedPct(tech * between(rand, 0.6, 1.8))}，${b}${signedPct(tech * between(rand, 0.4, 1.5))}。南向资金全天净买入${between(rand, 20, 180).toFixed(2)}亿港元。`,
      `板块方面，${pick(rand, ['黄金股', '内房股', '汽车股', '医药股', '内险股'])}表现活跃，${pick(rand, ['航空股', '煤炭股', '石油股', '电力股', '博彩股'])}走势偏弱。`,
    ],
  };
}

/** 两融余额, one report per trading day. */
function marginBalance(date: string): BaseArticle {
  const rand = prng(hashSeed(`margin:${date}`));
  const total = between(rand, 2.38, 2.52);
  const change = between(rand, -120, 160);
  const fin = total - between(rand, 0.013, 0.019);
  const day = dayLabel(date);
  const top = pick(rand, ['电子', '计算机', '通信', '电力设备', '非银金融', '医药生物']);
  return {
    id: `tpl-margin-${date}`,
    story: `tpl-margin-${date}`,
    group: 'template:margin',
    date,
    title: `两融余额${change >= 0 ? '增加' : '减少'}${Math.abs(change).toFixed(2)}亿元，报${total.toFixed(4)}万亿元`,
    paragraphs: [
      `据交易所数据，截至${day}，沪深北三市融资融券余额为${total.toFixed(4)}万亿元，较上一交易日${change >= 0 ? '增加' : '减少'}${Math.abs(change).toFixed(2)}亿元。其中，融资余额${fin.toFixed(4)}万亿元，融券余额${between(rand, 130, 190).toFixed(2)}亿元。`,
      `行业方面，${top}行业获融资净买入${between(rand, 8, 60).toFixed(2)}亿元，居申万一级行业首位；个股方面，${pick(rand, ['中际旭创', '寒武纪', '胜宏科技', '东方财富', '宁德时代', '新易盛'])}获融资净买入${between(rand, 2, 12).toFixed(2)}亿元。`,
    ],
  };
}

/**
 * One report per template and date: the demo world's A股收评 plus four daily templates.
 *
 * @example templateReports(['2025-11-10', '2025-11-11']).length // 10
 */
export function templateReports(dates: readonly string[]): BaseArticle[] {
  return dates.flatMap((date) => {
    const close = marketClose(date);
    return [
      {
        id: `tpl-close-${date}`,
        story: `tpl-close-${date}`,
        group: 'template:close',
        date,
        title: close.title,
        paragraphs: close.body,
      },
      reverseRepo(date),
      cnyFixing(date),
      hkClose(date),
      marginBalance(date),
    ];
  });
}
