/**
 * A realistic `ReportModel` for the compose stage's tests and screenshots: one edition (Monday
 * 2025-11-10, Asia/Shanghai) with 21 fictional stories across every section. Each call returns a fresh
 * copy, so a test may mutate it freely.
 */
import { CATEGORIES, CATEGORY_LABELS } from '../../domain.ts';
import type { Category, ReportEntry, ReportModel, Sentiment, SourceStat } from '../../domain.ts';

type Seed = [
  category: Category,
  title: string,
  summary: string,
  sources: string[],
  sentiment: Sentiment,
  importance: number,
  hoursAgo: number,
  tickers?: string[],
];

/** The edition's cut-off: 2025-11-10 06:00 in Shanghai. */
const CUTOFF = Date.parse('2025-11-09T22:00:00Z');

const SEEDS: Seed[] = [
  [
    'macro',
    '10月CPI同比上涨0.2%，核心CPI涨幅连续第六个月扩大',
    '国家统计局数据显示，10月全国居民消费价格同比上涨0.2%，扣除食品和能源的核心CPI同比上涨1.2%，服务价格回升带动物价温和修复。',
    ['国家统计局', '新华社', '第一财经', '财联社'],
    'positive',
    5,
    14,
  ],
  [
    'macro',
    '10月新增社融超市场预期，M2同比增长8.2%',
    '央行数据显示，10月社会融资规模增量高于去年同期，政府债券发行仍是主要支撑，企业中长期贷款有所改善。',
    ['中国人民银行', '证券时报', '21世纪经济报道'],
    'positive',
    4,
    9,
  ],
  [
    'macro',
    '10月出口同比增速回落至1.1%，外需放缓迹象显现',
    '海关总署数据显示，以美元计价的出口增速较9月明显回落，对东盟出口保持增长，对美出口降幅扩大。',
    ['海关总署', '经济观察报'],
    'negative',
    4,
    20,
  ],
  [
    'policy',
    '央行：保持流动性合理充裕，灵活把握降准降息节奏',
    '人民银行在三季度货币政策执行报告中表示，将综合运用多种工具，保持社会融资条件相对宽松，推动综合融资成本稳中有降。',
    ['中国人民银行', '上海证券报', '财联社'],
    'positive',
    5,
    11,
  ],
  [
    'policy',
    '证监会修订上市公司现金分红指引，强化对“铁公鸡”的约束',
    '修订稿要求连续多年盈利但未分红的公司说明原因，并将分红情况纳入监管评价，征求意见期30天。',
    ['证监会', '中国证券报'],
    'neutral',
    4,
    7,
  ],
  [
    'policy',
    '财政部提前下达2026年部分新增地方政府专项债额度',
    '财政部表示将提前下达部分额度，重点支持在建项目和城市更新，确保明年一季度形成实物工作量。',
    ['财政部', '新华社'],
    'positive',
    3,
    16,
  ],
  [
    'market',
    'A股三大指数集体收涨，沪指重返4000点上方',
    '周五沪指涨1.12%收于4008点，深证成指涨1.6%，创业板指涨2.05%，两市成交额1.9万亿元，券商与半导体板块领涨。',
    ['证券时报', '财联社', '第一财经', '界面新闻', '华尔街见闻'],
    'positive',
    4,
    19,
    ['000001.SH', '399001.SZ'],
  ],
  [
    'market',
    '人民币对美元中间价调升62个基点，报7.0812',
    '中国外汇交易中心数据显示，人民币中间价连续三个交易日调升，离岸人民币盘中升破7.08关口。',
    ['中国外汇交易中心', '路透中文'],
    'positive',
    3,
    5,
  ],
  [
    'market',
    '十年期国债收益率下行至1.78%，债市情绪回暖',
    '资金面宽松叠加通胀数据温和，银行间主要利率债收益率普遍下行，30年期国债期货主力合约涨0.4%。',
    ['中国证券报', '21世纪经济报道'],
    'neutral',
    3,
    12,
  ],
  [
    'market',
    '恒生科技指数跌2.1%，互联网龙头普遍回调',
    '港股午后跌幅扩大，科技股领跌，南向资金全天净买入港股87亿港元，逆势加仓金融与高股息板块。',
    ['财联社', '华尔街见闻'],
    'negative',
    3,
    18,
    ['HSTECH.HK', '9988.HK'],
  ],
  [
    'company',
    '贵州茅台前三季度营收同比增长6.3%，拟实施中期分红',
    '公司公告显示，前三季度实现营业总收入1309亿元，归母净利润646亿元，同比增长6.2%，拟每10股派发现金红利238.82元。',
    ['上海证券报', '证券时报', '第一财经'],
    'positive',
    4,
    8,
    ['600519.SH'],
  ],
  [
    'company',
    '宁德时代与欧洲车企签署五年电池供货框架协议',
    '根据协议，宁德时代将在2026—2030年为对方欧洲工厂供应磷酸铁锂电池，预计总规模超过100GWh。',
    ['界面新闻', '路透中文'],
    'positive',
    4,
    6,
    ['300750.SZ'],
  ],
  [
    'company',
    '腾讯控股第三季度收入同比增长15%，游戏与广告业务双双提速',
    '腾讯第三季度实现收入1929亿元，国内游戏收入同比增长15%，营销服务收入增长21%，AI相关投入持续加大。',
    ['财联社', '华尔街见闻', '21世纪经济报道'],
    'positive',
    4,
    22,
    ['0700.HK'],
  ],
  [
    'company',
    '某房企公告境内债券展期方案获持有人会议通过',
    '公告称，一笔20亿元公司债本金展期12个月，展期期间按原利率付息，公司表示将加快存量项目去化。',
    ['经济观察报'],
    'negative',
    3,
    13,
  ],
  [
    'industry',
    '10月新能源汽车销量同比增长28%，渗透率突破55%',
    '中汽协数据显示，10月新能源汽车销量162万辆，出口持续走强，插电混动车型增速高于纯电。',
    ['中国汽车工业协会', '第一财经', '界面新闻'],
    'positive',
    4,
    10,
    ['002594.SZ'],
  ],
  [
    'industry',
    '光伏组件价格连续第四周下跌，多家厂商计划减产',
    '行业机构报价显示，TOPCon组件均价跌至每瓦0.68元，部分二三线厂商开工率降至五成以下。',
    ['21世纪经济报道', '财联社'],
    'negative',
    3,
    15,
    ['601012.SH'],
  ],
  [
    'industry',
    '半导体设备国产化率提升，前三季度订单同比增长逾四成',
    '多家设备厂商披露在手订单饱满，刻蚀与薄膜沉积设备国产化率持续提升，先进封装需求成为新增长点。',
    ['证券时报'],
    'positive',
    3,
    17,
    ['002371.SZ', '688012.SH'],
  ],
  [
    'global',
    '美联储多位官员释放偏鹰信号，12月降息预期降温',
    '多位美联储官员表示通胀回落进程仍存不确定性，联邦基金利率期货显示12月降息概率降至约45%。',
    ['路透中文', '华尔街见闻', '财联社'],
    'negative',
    4,
    4,
  ],
  [
    'global',
    '国际油价三连跌，布伦特原油跌破每桶62美元',
    '市场担忧供应过剩，欧佩克+维持增产节奏，美国商业原油库存意外增加，油价承压。',
    ['路透中文', '第一财经'],
    'neutral',
    3,
    3,
  ],
  [
    'global',
    '英伟达财报前夕美股芯片股波动加大',
    '费城半导体指数周五收跌1.8%，市场关注数据中心业务指引，期权隐含波动率升至三个月高位。',
    ['华尔街见闻'],
    'neutral',
    3,
    2,
    ['NVDA', 'AMD'],
  ],
  [
    'other',
    '上海发布国际金融中心建设三年行动方案',
    '方案提出扩大金融高水平对外开放，支持外资机构在沪设立理财、养老金管理等机构，推进跨境金融服务便利化。',
    ['上海证券报'],
    'neutral',
    2,
    21,
  ],
];

const SOURCE_SLUGS: Record<string, string> = { 新华社: 'xinhua', 财联社: 'cls', 证券时报: 'stcn', 第一财经: 'yicai' };

function buildEntry(seed: Seed, index: number): ReportEntry {
  const [category, title, summary, sources, sentiment, importance, hoursAgo, tickers = []] = seed;
  const source = sources[0] ?? '未知来源';
  const slug = SOURCE_SLUGS[source] ?? 'news';
  const sentimentScore = sentiment === 'positive' ? 0.6 : sentiment === 'negative' ? -0.55 : 0.05;
  const coverage = sources.length;
  const score = Math.round((importance * 0.12 + coverage * 0.05 + (24 - hoursAgo) * 0.004) * 1000) / 1000;
  return {
    articleId: 1000 + index,
    title,
    url: `https://${slug}.example.cn/2025/11/${String(index + 1).padStart(4, '0')}.html?utm_source=rss`,
    source,
    sources,
    coverage,
    publishedAt: new Date(CUTOFF - hoursAgo * 3_600_000),
    summary,
    category,
    eventType: category === 'company' ? '业绩公告' : category === 'policy' ? '政策发布' : '数据发布',
    sentiment,
    sentimentScore,
    importance,
    tickers,
    companies: [],
    keywords: title.split(/[，、：]/).slice(0, 3),
    region: category === 'global' ? 'US' : 'CN',
    score,
    factors: { importance: importance * 0.12, coverage: coverage * 0.05, recency: (24 - hoursAgo) * 0.004 },
    rank: 0,
  };
}

const SOURCE_STATS: SourceStat[] = [
  { name: '新华社', kind: 'rss', fetched: 48, newArticles: 31, status: 'ok', error: null },
  { name: '财联社', kind: 'rss', fetched: 120, newArticles: 64, status: 'ok', error: null },
  { name: '证券时报', kind: 'web', fetched: 36, newArticles: 22, status: 'ok', error: null },
  { name: '第一财经', kind: 'rss', fetched: 40, newArticles: 0, status: 'not_modified', error: null },
  { name: '上海证券报', kind: 'web', fetched: 25, newArticles: 14, status: 'ok', error: null },
  {
    name: '华尔街见闻',
    kind: 'dynamic',
    fetched: 0,
    newArticles: 0,
    status: 'failed',
    error: 'timeout after 30000 ms waiting for .article-list',
  },
  { name: '路透中文', kind: 'rss', fetched: 30, newArticles: 18, status: 'ok', error: null },
];

/** Builds a model from entries: ranks sections by score, picks the top 5, counts the mood. */
export function modelFromEntries(entries: ReportEntry[], topN = 5): ReportModel {
  const byScore = [...entries].sort((a, b) => b.score - a.score);
  const top = byScore.slice(0, topN).map((e, i) => ({ ...e, rank: i + 1 }));
  const sections = CATEGORIES.map((category) => ({
    category,
    label: CATEGORY_LABELS[category],
    items: byScore.filter((e) => e.category === category).map((e, i) => ({ ...e, rank: i + 1 })),
  })).filter((s) => s.items.length > 0);
  const count = (s: Sentiment): number => entries.filter((e) => e.sentiment === s).length;
  return {
    edition: '2025-11-10',
    title: '金融情报日报',
    timezone: 'Asia/Shanghai',
    generatedAt: new Date(CUTOFF + 9 * 60_000),
    window: { from: new Date(CUTOFF - 24 * 3_600_000), to: new Date(CUTOFF) },
    counts: { sources: SOURCE_STATS.length, articles: 338, stories: entries.length },
    mood: { positive: count('positive'), neutral: count('neutral'), negative: count('negative') },
    top,
    sections,
    all: sections.flatMap((s) => s.items),
    sourceStats: SOURCE_STATS.map((s) => ({ ...s })),
    webViewUrl: 'https://finrep.example.com/reports/2025-11-10',
  };
}

/** The 21-story fixture edition. */
export function fixtureModel(): ReportModel {
  return modelFromEntries(SEEDS.map(buildEntry));
}

/** A model with `n` stories (the fixture's stories repeated with numbered titles), for size limits. */
export function largeModel(n: number): ReportModel {
  const entries = Array.from({ length: n }, (_, i) => {
    const seed = SEEDS[i % SEEDS.length] as Seed;
    const entry = buildEntry(seed, i);
    return { ...entry, title: `${entry.title}（${i + 1}）`, score: entry.score - Math.floor(i / SEEDS.length) * 0.01 };
  });
  return modelFromEntries(entries);
}

/** The model with two charts as `writeReportFiles` attaches them (tiny placeholder pictures). */
export function withCharts(model: ReportModel): ReportModel {
  const dataUri = 'data:image/png;base64,iVBORw0KGgo=';
  return {
    ...model,
    charts: [
      {
        id: 'sentiment',
        cid: `sentiment.${model.edition}@finrep`,
        filename: 'chart-sentiment.png',
        alt: '情绪分布：利好 11 条（52%）',
        width: 200,
        height: 202,
        dataUri,
      },
      {
        id: 'categories',
        cid: `categories.${model.edition}@finrep`,
        filename: 'chart-categories.png',
        alt: '分类分布：宏观 3 条（利好 2、利空 1）',
        width: 340,
        height: 202,
        dataUri,
      },
    ],
  };
}
