/**
 * One story carried by four outlets with the usual editing: different headlines, a paragraph moved, a
 * sentence dropped or added, an editor's note. SimHash dedup should fold them into one cluster.
 */
import type { DemoArticle } from './types.ts';

const LEAD =
  '中国人民银行今日宣布，为巩固经济回升向好基础，保持流动性充裕，决定自下周一起下调金融机构存款准备金率0.25个百分点（不含已执行5%存款准备金率的金融机构）。本次下调后，金融机构加权平均存款准备金率约为6.0%。';
const AMOUNT = '据测算，此次降准将向市场提供长期流动性约5000亿元。';
const OFFICIAL =
  '中国人民银行有关负责人表示，此次降准是支持实体经济、稳定市场预期的重要举措，释放的资金将有效增加金融机构长期稳定资金来源，降低金融机构资金成本每年约50亿元，通过金融机构传导可促进降低社会综合融资成本。';
const STANCE =
  '该负责人强调，中国人民银行将坚持支持性的货币政策立场，实施好适度宽松的货币政策，综合运用多种货币政策工具，保持流动性合理充裕，引导信贷合理增长，为经济高质量发展营造良好的货币金融环境。';
const SCOPE =
  '该负责人介绍，此次降准是全面降准，除已执行5%存款准备金率的部分县域法人金融机构外，对其他金融机构普遍下调存款准备金率。金融机构获得的资金将主要用于支持扩大内需、科技创新和中小微企业，进一步加大对实体经济的支持力度。';
const LIQUIDITY =
  '从资金面看，近期政府债券发行规模较大，年末信贷投放和缴税需求集中，银行体系流动性阶段性承压。此次降准与公开市场操作、中期借贷便利等工具相互配合，将有效满足金融机构的流动性需求。';
const FX =
  '关于人民币汇率，该负责人表示，当前我国国际收支基本平衡，外汇市场供求总体均衡，跨境资金流动保持稳定，人民币汇率有条件在合理均衡水平上保持基本稳定。中国人民银行将综合施策、稳定预期，坚决防范汇率超调风险。';
const MARKET =
  '市场人士普遍认为，此次降准时点略超市场预期，叠加年末政府债券集中发行和信贷投放需求，有助于平抑资金面波动。';
const ANALYST =
  '中衡证券首席经济学家杨启明表示，降准释放的是长期低成本资金，对股市、债市均构成利好，预计后续政策利率仍有10个基点左右的下调空间。';

const shared = { category: 'policy', sentiment: 'positive', story: 'rrr-cut' } as const;

/** The four versions of the RRR-cut story (with the dedup stage's SimHash they sit 2–4 bits apart). */
export const rrrCutArticles: DemoArticle[] = [
  {
    ...shared,
    slug: 'rrr-cut-macro',
    outlet: 'feed-macro',
    title: '央行宣布降准0.25个百分点，释放长期流动性约5000亿元',
    body: [LEAD, `${AMOUNT}${OFFICIAL}`, SCOPE, LIQUIDITY, FX, STANCE, `${MARKET}${ANALYST}`],
    hoursAgo: 10.4,
    author: '华夏财经记者 蒋一帆',
    origin: '华夏财经',
  },
  {
    ...shared,
    slug: 'rrr-cut-gbk',
    outlet: 'feed-gbk',
    title: '人民银行：下调金融机构存款准备金率0.25个百分点，释放约5000亿元',
    // Reordered (scope before the amount), and the closing sentence on the exchange rate dropped.
    body: [
      LEAD.replace('今日宣布', '宣布'),
      SCOPE,
      `${AMOUNT}${OFFICIAL}`,
      LIQUIDITY,
      FX.replace('中国人民银行将综合施策、稳定预期，坚决防范汇率超调风险。', ''),
      STANCE,
      `${MARKET}${ANALYST}`,
    ],
    hoursAgo: 9.9,
    author: '记者 魏然',
    origin: '金融街资讯',
  },
  {
    ...shared,
    slug: 'rrr-cut-policy',
    outlet: 'site-policy',
    title: '央行：下周一起下调存款准备金率0.25个百分点',
    body: [
      LEAD,
      `${AMOUNT}${OFFICIAL}`,
      SCOPE,
      LIQUIDITY,
      FX,
      STANCE,
      `${MARKET}${ANALYST}`,
      '从历史数据看，此前几轮降准公告后的首个交易日，银行、券商和地产板块多有相对收益。',
    ],
    hoursAgo: 10.1,
    author: '金融政策观察网记者 沈嘉',
    origin: '中国人民银行网站',
  },
  {
    ...shared,
    slug: 'rrr-cut-relative',
    outlet: 'feed-relative',
    title: '央行降准0.25个百分点 释放约5000亿元长期资金',
    editorNote: '以下为央行有关负责人答记者问要点及市场解读。',
    body: [
      LEAD,
      `${AMOUNT}${OFFICIAL}`,
      SCOPE,
      LIQUIDITY,
      FX,
      STANCE,
      `${MARKET.replace('普遍认为', '认为')}${ANALYST}`,
    ],
    hoursAgo: 9.5,
    author: '中经快报记者 韩露',
    origin: '中经快报',
  },
];
