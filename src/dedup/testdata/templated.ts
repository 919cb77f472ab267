/**
 * Templated market reports, generated from a seed: ~1,000-character Chinese reports written from a few
 * sentence templates — the same phrasing, different companies, prices and dates — the way data desks and
 * content farms publish hundreds a day. None is a repost of another unless asked for (`repostShare`): every
 * report shares its fixed sentences (anchors) and much of its wording (SimHash bands) with every other of its
 * template, which is what made the dedup candidates of each newcomer grow with the pile.
 */
import { hashSeed, prng } from './neardup/prng.ts';

/** One generated report; `story` is the ground truth (a repost carries its original's). */
export interface TemplatedDoc {
  id: string;
  story: string;
  title: string;
  text: string;
  publishedAt: Date;
}

export interface TemplatedOptions {
  /** @defaultValue 20260301 */
  seed?: number;
  /** Time between two consecutive reports. @defaultValue 15 s (20,000 reports over ~83 h: the whole set within one dedup window) */
  intervalMs?: number;
  /** Share of the documents that are reposts of an earlier report (outlet lead, tail line). @defaultValue 0 */
  repostShare?: number;
  /** @defaultValue 2026-03-02T00:00:00Z */
  start?: Date;
}

const SURNAMES = [
  '华',
  '中',
  '东',
  '新',
  '国',
  '海',
  '金',
  '恒',
  '长',
  '天',
  '永',
  '瑞',
  '宏',
  '鼎',
  '安',
  '泰',
  '凯',
  '博',
  '正',
  '信',
];
const MIDDLES = [
  '兴',
  '达',
  '通',
  '源',
  '盛',
  '远',
  '科',
  '润',
  '丰',
  '锐',
  '联',
  '创',
  '德',
  '美',
  '光',
  '晨',
  '宇',
  '和',
  '嘉',
  '星',
];
const TRADES = [
  '电子',
  '科技',
  '医药',
  '能源',
  '材料',
  '汽车',
  '食品',
  '化工',
  '电气',
  '股份',
  '智能',
  '环保',
  '传媒',
  '机械',
  '银行',
  '证券',
];
const SECTORS = [
  '半导体',
  '光伏设备',
  '白酒',
  '锂电池',
  '创新药',
  '汽车零部件',
  '消费电子',
  '煤炭',
  '券商',
  '软件开发',
  '储能',
  '军工电子',
];
const REASONS = [
  '业绩预告超出市场预期',
  '获得大额订单',
  '公布股份回购方案',
  '控股股东增持',
  '新产品通过认证',
  '中标重大项目',
  '发布定增预案',
  '签署战略合作协议',
];
const OUTLETS = ['财联社', '证券时报e公司', '每经AI快讯', '智通财经', '格隆汇'];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const between = (rand: () => number, lo: number, hi: number): number => lo + (hi - lo) * rand();

function company(rand: () => number): { name: string; code: string } {
  const name = `${pick(rand, SURNAMES)}${pick(rand, MIDDLES)}${pick(rand, TRADES)}`;
  const code = `${pick(rand, ['600', '601', '603', '000', '002', '300', '688'])}${String(Math.floor(rand() * 1000)).padStart(3, '0')}`;
  return { name, code };
}

/** The four report templates: each a title and paragraphs, fixed sentences between variable ones. */
const TEMPLATES: ((rand: () => number, day: string) => { title: string; paragraphs: string[] })[] = [
  (rand, day) => {
    const c = company(rand);
    const pct = between(rand, 3, 10).toFixed(2);
    const price = between(rand, 4, 180).toFixed(2);
    const turnover = between(rand, 1.2, 48).toFixed(2);
    return {
      title: `${c.name}（${c.code}）${day}涨${pct}%，报收${price}元`,
      paragraphs: [
        `${day}，${c.name}（${c.code}）股价盘中走强，截至收盘涨${pct}%，报收${price}元，成交额${turnover}亿元，换手率${between(rand, 1, 25).toFixed(2)}%。`,
        '从盘面上看，该股早盘小幅高开后震荡走高，午后买盘力量明显增强，股价一度触及日内高点，量能较前一交易日有所放大。',
        `消息面上，公司近日${pick(rand, REASONS)}，市场关注度明显提升。所属${pick(rand, SECTORS)}板块当日整体涨${between(rand, 0.2, 4).toFixed(2)}%，板块内个股多数收涨。`,
        `资金流向方面，主力资金当日净流入${between(rand, 0.1, 9).toFixed(2)}亿元，其中超大单净买入${between(rand, 0.05, 5).toFixed(2)}亿元。近五个交易日该股累计涨${between(rand, 4, 30).toFixed(2)}%。`,
        '分析人士指出，短期内股价波动可能较大，投资者应关注公司基本面变化以及行业景气度走势，注意控制仓位并防范市场风险。',
        `估值方面，按最新收盘价计算，公司动态市盈率为${between(rand, 8, 90).toFixed(2)}倍，总市值${between(rand, 30, 2500).toFixed(2)}亿元，机构给予的一致目标价为${between(rand, 5, 200).toFixed(2)}元。`,
      ],
    };
  },
  (rand, day) => {
    const c = company(rand);
    const pct = between(rand, 3, 10).toFixed(2);
    const price = between(rand, 4, 180).toFixed(2);
    return {
      title: `${c.name}（${c.code}）${day}跌${pct}%，收于${price}元`,
      paragraphs: [
        `${day}，${c.name}（${c.code}）股价走弱，截至收盘跌${pct}%，收于${price}元，成交额${between(rand, 1.2, 48).toFixed(2)}亿元，振幅${between(rand, 3, 15).toFixed(2)}%。`,
        '该股开盘后持续承压，盘中多次尝试反弹均未能成功，尾盘卖盘进一步增加，全天呈现单边下行走势，成交量较前期明显放大。',
        `从资金面看，主力资金当日净流出${between(rand, 0.1, 9).toFixed(2)}亿元，北向资金持股比例降至${between(rand, 0.5, 9).toFixed(2)}%。所属${pick(rand, SECTORS)}板块跌${between(rand, 0.2, 4).toFixed(2)}%。`,
        '市场人士认为，近期板块内部分化加剧，资金在高位个股之间切换较为频繁，短线情绪仍有待修复，后续走势需要观察成交量能否企稳。',
        `公司最新披露的财报显示，报告期内实现营业收入${between(rand, 3, 900).toFixed(2)}亿元，同比${pick(rand, ['增长', '下降'])}${between(rand, 1, 60).toFixed(2)}%；归母净利润${between(rand, 0.2, 90).toFixed(2)}亿元。`,
        '风险提示：以上内容仅为市场信息整理，不构成任何投资建议，投资者据此操作风险自担。',
      ],
    };
  },
  (rand, day) => {
    const sector = pick(rand, SECTORS);
    const a = company(rand);
    const b = company(rand);
    const pct = between(rand, 1, 6).toFixed(2);
    return {
      title: `${day}${sector}板块涨${pct}%，${a.name}、${b.name}领涨`,
      paragraphs: [
        `${day}，${sector}板块整体走强，板块指数收涨${pct}%，成交额${between(rand, 60, 900).toFixed(1)}亿元，板块内${Math.floor(between(rand, 20, 90))}只个股上涨。`,
        `个股方面，${a.name}（${a.code}）涨${between(rand, 5, 20).toFixed(2)}%，${b.name}（${b.code}）涨${between(rand, 4, 10).toFixed(2)}%，${company(rand).name}涨${between(rand, 2, 8).toFixed(2)}%。`,
        '机构人士表示，行业景气度持续回升，叠加政策面支持力度加大，板块估值修复行情有望延续，但需警惕短期涨幅过大带来的回调风险。',
        `资金方面，板块当日获主力资金净流入${between(rand, 1, 60).toFixed(2)}亿元，近五日累计净流入${between(rand, 2, 120).toFixed(2)}亿元，融资余额增加${between(rand, 0.5, 30).toFixed(2)}亿元。`,
        '从历史表现来看，该板块在业绩披露期前后往往表现活跃，市场资金对相关公司的业绩兑现程度较为敏感，建议投资者关注后续数据。',
        `截至收盘，板块平均市盈率为${between(rand, 12, 80).toFixed(2)}倍，处于近三年${Math.floor(between(rand, 10, 90))}%分位。`,
      ],
    };
  },
  (rand, day) => {
    const c = company(rand);
    const shares = between(rand, 100, 9000).toFixed(2);
    const price = between(rand, 4, 180).toFixed(2);
    return {
      title: `${c.name}（${c.code}）${day}大宗交易成交${shares}万股，成交价${price}元`,
      paragraphs: [
        `${day}，${c.name}（${c.code}）发生一笔大宗交易，成交${shares}万股，成交金额${between(rand, 0.1, 30).toFixed(2)}亿元，成交价${price}元，较当日收盘价${pick(rand, ['折价', '溢价'])}${between(rand, 0.1, 12).toFixed(2)}%。`,
        '数据显示，本次大宗交易的买方营业部为机构专用席位，卖方营业部为某证券公司营业部，交易完成后公司股权结构未发生重大变化。',
        `当日该股收盘${pick(rand, ['涨', '跌'])}${between(rand, 0.1, 6).toFixed(2)}%，报${(Number(price) * between(rand, 0.9, 1.1)).toFixed(2)}元，近一个月内共发生${Math.floor(between(rand, 2, 15))}笔大宗交易，累计成交${between(rand, 200, 9000).toFixed(2)}万股。`,
        '业内人士指出，大宗交易折溢价率在一定程度上反映了机构投资者对公司未来股价的预期，但单笔交易并不能完全代表市场整体态度。',
        `截至最新，公司融资余额为${between(rand, 0.5, 60).toFixed(2)}亿元，较前一交易日${pick(rand, ['增加', '减少'])}${between(rand, 100, 9000).toFixed(2)}万元。`,
      ],
    };
  },
];

/** The market backdrop every report ends with: the day's index levels, then the desk's standing lines. */
function backdrop(rand: () => number, day: string): string[] {
  const sh = between(rand, -1.8, 1.8);
  return [
    `大盘方面，${day}上证指数${sh >= 0 ? '涨' : '跌'}${Math.abs(sh).toFixed(2)}%，报${between(rand, 3050, 3450).toFixed(2)}点；深证成指${sh >= 0 ? '涨' : '跌'}${Math.abs(sh * between(rand, 0.8, 1.5)).toFixed(2)}%，报${between(rand, 9600, 11200).toFixed(2)}点；创业板指报${between(rand, 1850, 2300).toFixed(2)}点。沪深两市全天成交额${between(rand, 7200, 13800).toFixed(0)}亿元，较上一交易日${pick(rand, ['放量', '缩量'])}${between(rand, 120, 1900).toFixed(0)}亿元。`,
    `全市场${Math.floor(between(rand, 1200, 4200))}只个股上涨，${Math.floor(between(rand, 900, 4000))}只个股下跌，涨停${Math.floor(between(rand, 20, 120))}家，跌停${Math.floor(between(rand, 2, 40))}家。北向资金全天净${pick(rand, ['买入', '卖出'])}${between(rand, 5, 150).toFixed(2)}亿元。`,
    `行业板块方面，${pick(rand, SECTORS)}、${pick(rand, SECTORS)}板块涨幅居前，分别上涨${between(rand, 1, 6).toFixed(2)}%和${between(rand, 1, 5).toFixed(2)}%；${pick(rand, SECTORS)}、${pick(rand, SECTORS)}板块跌幅居前，分别下跌${between(rand, 0.5, 4).toFixed(2)}%和${between(rand, 0.3, 3).toFixed(2)}%。`,
    `资金面上，央行当日开展${Math.round(between(rand, 200, 5000) / 5) * 5}亿元7天期逆回购操作，隔夜Shibor报${between(rand, 1.3, 1.9).toFixed(4)}%，10年期国债收益率报${between(rand, 1.6, 2.4).toFixed(4)}%，人民币对美元中间价报${between(rand, 7.0, 7.3).toFixed(4)}。`,
    `外围市场方面，恒生指数收${pick(rand, ['涨', '跌'])}${between(rand, 0.1, 2.5).toFixed(2)}%，报${between(rand, 24000, 27500).toFixed(2)}点，恒生科技指数${pick(rand, ['涨', '跌'])}${between(rand, 0.1, 3.5).toFixed(2)}%；隔夜美股三大指数涨跌互现，纳斯达克指数报${between(rand, 15800, 18900).toFixed(2)}点，现货黄金报${between(rand, 2300, 2800).toFixed(2)}美元/盎司，布伦特原油报${between(rand, 68, 92).toFixed(2)}美元/桶。`,
    '从中长期看，上市公司盈利预期改善、居民资产配置向权益类资产转移以及中长期资金持续入市，仍是支撑市场稳步运行的重要因素，投资者宜保持理性，避免追涨杀跌。',
    '展望后市，多数机构认为当前市场整体估值处于历史中枢偏下位置，政策面与资金面对市场形成一定支撑，但外部环境仍存在不确定性，结构性行情或将延续。',
    '本文由数据自动生成，相关数据来自公开信息整理，内容仅供参考，如有疑问请以上市公司公告及交易所披露信息为准。',
  ];
}

function dayLabel(at: Date): string {
  const local = new Date(at.getTime() + 8 * 3_600_000);
  return `${local.getUTCMonth() + 1}月${local.getUTCDate()}日`;
}

/**
 * `count` templated reports, one every `intervalMs`, oldest first (same seed, same set).
 *
 * @example templatedReports(20_000).map((d) => JSON.stringify({ id: d.id, title: d.title, text: d.text, published: d.publishedAt }))
 */
export function templatedReports(count: number, opts: TemplatedOptions = {}): TemplatedDoc[] {
  const rand = prng(opts.seed ?? 20260301);
  const start = (opts.start ?? new Date('2026-03-02T00:00:00Z')).getTime();
  const interval = opts.intervalMs ?? 15_000;
  const out: TemplatedDoc[] = [];
  for (let i = 0; i < count; i++) {
    const publishedAt = new Date(start + i * interval);
    const id = `tr-${i}`;
    if (i > 10 && rand() < (opts.repostShare ?? 0)) {
      // A repost of a report of the last hour or so: an outlet's lead before it, a source line after it.
      const original = out[Math.max(0, i - 1 - Math.floor(rand() * 240))]!;
      const outlet = pick(rand, OUTLETS);
      out.push({
        id,
        story: original.story,
        title: original.title,
        publishedAt,
        text: `${outlet}${dayLabel(publishedAt)}电，${original.text}\n（来源：${outlet}）`,
      });
      continue;
    }
    const own = prng(hashSeed(`${opts.seed ?? 20260301}:${i}`));
    const day = dayLabel(publishedAt);
    const t = TEMPLATES[Math.floor(rand() * TEMPLATES.length)]!(own, day);
    out.push({ id, story: id, title: t.title, text: [...t.paragraphs, ...backdrop(own, day)].join('\n'), publishedAt });
  }
  return out;
}
