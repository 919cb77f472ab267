/**
 * Lexicon sentiment for finance news: polarity words with negation (未出现大幅下跌 is not negative),
 * degree words (大幅 / 小幅) and a few finance-specific readings (下调准备金率 is easing, not a cut).
 */
import type { Sentiment } from '../../domain.ts';
import { isClauseBreak } from './segment.ts';
import type { Token } from './segment.ts';

const POSITIVE: Record<string, number> = {
  上涨: 1,
  涨: 0.8,
  大涨: 1.5,
  暴涨: 1.5,
  飙升: 1.5,
  攀升: 1,
  走高: 1,
  收涨: 1,
  高开: 0.5,
  反弹: 1,
  回升: 1,
  回暖: 1,
  企稳: 0.8,
  止跌: 0.8,
  止跌回升: 1.2,
  增长: 0.7,
  大增: 1.3,
  增加: 0.4,
  提升: 0.6,
  改善: 0.8,
  翻倍: 1.2,
  超预期: 1.5,
  高于预期: 1,
  好于预期: 1.2,
  创新高: 1.5,
  创历史新高: 1.5,
  新高: 1.2,
  突破: 0.6,
  利好: 1.5,
  回购: 1,
  增持: 1,
  分红: 0.8,
  现金分红: 0.8,
  派息: 0.5,
  上调: 0.8,
  扭亏为盈: 1.5,
  扭亏: 1.2,
  盈利: 0.6,
  预增: 1.2,
  涨停: 1.2,
  涨停潮: 1.5,
  强劲: 1,
  稳健: 0.6,
  复苏: 1,
  提振: 1,
  中标: 0.8,
  领涨: 1,
  走强: 1,
  看好: 1,
  乐观: 1,
  宽松: 0.6,
  适度宽松: 0.8,
  降准: 0.8,
  降息: 0.8,
  获批: 0.8,
  赚钱效应: 1,
  净流入: 0.8,
  加仓: 0.8,
  上行: 0.6,
  向好: 0.8,
  稳中向好: 1,
  景气: 0.6,
  火爆: 1,
  热销: 1,
  畅销: 1,
  红盘: 0.8,
  新高点: 1,
  增长率: 0.3,
  增势: 0.8,
  恢复: 0.5,
  活跃: 0.5,
  支持: 0.4,
  扩大: 0.4,
  提高: 0.5,
  提速: 0.8,
  加快: 0.3,
  多增: 0.8,
  顺差: 0.3,
  大增长: 1,
};

const NEGATIVE: Record<string, number> = {
  下跌: 1,
  跌: 0.8,
  大跌: 1.5,
  暴跌: 1.8,
  重挫: 1.5,
  跳水: 1.3,
  走低: 1,
  收跌: 1,
  低开: 0.5,
  回落: 0.8,
  下挫: 1.2,
  下滑: 1,
  下降: 0.8,
  减少: 0.6,
  萎缩: 1,
  亏损: 1.3,
  净亏损: 1.3,
  首亏: 1.5,
  预亏: 1.3,
  预减: 1.2,
  减持: 1,
  处罚: 1.3,
  行政处罚: 1.5,
  罚款: 1.2,
  罚没款: 1.3,
  立案: 1.5,
  立案调查: 1.8,
  违约: 1.5,
  下调: 0.8,
  爆雷: 2,
  暴雷: 2,
  利空: 1.5,
  跌停: 1.3,
  跌停潮: 1.5,
  不及预期: 1.5,
  低于预期: 1.2,
  逊于预期: 1.2,
  创新低: 1.5,
  新低: 1.2,
  承压: 1,
  疲软: 1,
  放缓: 0.8,
  恶化: 1.2,
  风险: 0.3,
  警示函: 1,
  监管函: 0.8,
  问询函: 0.5,
  退市: 1.5,
  破产: 1.8,
  造假: 1.8,
  财务造假: 2,
  违规: 1,
  违法: 1.2,
  诉讼: 0.8,
  冻结: 1,
  裁员: 1,
  停产: 1,
  召回: 1,
  净流出: 0.8,
  减仓: 0.8,
  贬值: 0.6,
  缩水: 1,
  拖累: 0.8,
  走弱: 1,
  领跌: 1,
  下行: 0.6,
  衰退: 1.2,
  通缩: 0.8,
  担忧: 0.8,
  悲观: 1,
  恐慌: 1.2,
  抛售: 1.2,
  制裁: 1,
  收紧: 0.6,
  紧缩: 0.6,
  回调: 0.6,
  失败: 1,
  警告: 0.8,
  绿盘: 0.8,
  加息: 0.5,
  内幕交易: 1.5,
  操纵市场: 1.5,
  信息披露违法: 1.5,
  商誉减值: 1.2,
  暴露: 0.3,
  翻绿: 0.8,
  失守: 1.2,
  少增: 1,
  颓势: 1,
  生变: 1,
  不足: 0.5,
  减弱: 0.8,
  低迷: 1,
  下探: 0.8,
  遇冷: 1,
  滞销: 1,
  缩减: 0.6,
  计提: 0.5,
};

const NEGATORS = new Set([
  '不',
  '未',
  '没有',
  '没',
  '并非',
  '难以',
  '无',
  '非',
  '尚未',
  '并未',
  '未能',
  '不会',
  '不再',
  '从未',
  '无法',
  '毫无',
  '避免',
  '防止',
  '未再',
  '不至于',
]);
const DEGREE: Record<string, number> = {
  大幅: 1.8,
  显著: 1.5,
  明显: 1.4,
  急剧: 1.8,
  持续: 1.2,
  进一步: 1.2,
  全面: 1.2,
  小幅: 0.6,
  略: 0.5,
  略微: 0.5,
  微: 0.5,
  略有: 0.5,
  稍: 0.6,
  温和: 0.7,
  有所: 0.7,
  轻微: 0.5,
};
/** Rates and costs: when one of them moves down it is easing (positive), up is tightening. */
const RATES = /(?:利率|准备金率|^LPR|^MLF|印花税|首付比例|融资成本|税率|费率|交易费用|佣金)$/;
const DOWN_MOVES = new Set(['下调', '下行', '下降', '回落', '降低', '走低']);
const UP_MOVES = new Set(['上调', '上行', '上升', '提高', '走高']);
/** A negative measure followed by one of these got worse (亏损扩大). */
const WIDENING = new Set(['扩大', '增加', '提高', '上升', '走阔']);
/** A negative measure followed by one of these got better (亏损收窄). */
const NARROWING = new Set(['收窄', '缩小', '减少', '减亏', '下降', '回落', '降低']);
const NEGATIVE_MEASURES = new Set([
  '亏损',
  '净亏损',
  '跌幅',
  '降幅',
  '亏损额',
  '逆差',
  '不良率',
  '不良贷款率',
  '失业率',
]);

/** Positive and negative evidence found in one token list. */
export interface Evidence {
  positive: number;
  negative: number;
}

function lookAhead(tokens: readonly Token[], i: number, span: number, test: (w: string) => boolean): boolean {
  for (let k = i + 1; k <= i + span && k < tokens.length; k++) {
    const w = tokens[k]!.word;
    if (isClauseBreak(w)) return false;
    if (test(w)) return true;
  }
  return false;
}

function lookBack(tokens: readonly Token[], i: number, span: number, test: (w: string) => boolean): boolean {
  for (let k = i - 1; k >= i - span && k >= 0; k--) {
    const w = tokens[k]!.word;
    if (isClauseBreak(w)) return false;
    if (test(w)) return true;
  }
  return false;
}

function aboutRates(tokens: readonly Token[], i: number): boolean {
  const isRate = (x: string): boolean => RATES.test(x);
  return lookAhead(tokens, i, 6, isRate) || lookBack(tokens, i, 6, isRate);
}

function polarity(tokens: readonly Token[], i: number): number {
  const w = tokens[i]!.word;
  if (DOWN_MOVES.has(w) && aboutRates(tokens, i)) return 0.8;
  if (UP_MOVES.has(w) && aboutRates(tokens, i)) return -0.8;
  if (NEGATIVE_MEASURES.has(w) && lookAhead(tokens, i, 2, (x) => NARROWING.has(x))) return 0.8;
  if (WIDENING.has(w) && tokens.slice(Math.max(0, i - 2), i).some((t) => NEGATIVE_MEASURES.has(t.word))) return -0.5;
  if (NARROWING.has(w) && tokens.slice(Math.max(0, i - 2), i).some((t) => NEGATIVE_MEASURES.has(t.word))) return 0;
  return POSITIVE[w] ?? -(NEGATIVE[w] ?? 0);
}

/** Scores one token list; `weight` lets the title count more than the body. */
export function evidence(tokens: readonly Token[], weight = 1): Evidence {
  const out: Evidence = { positive: 0, negative: 0 };
  for (let i = 0; i < tokens.length; i++) {
    let p = polarity(tokens, i);
    if (p === 0) continue;
    let negated = false;
    let degree = 1;
    for (let k = i - 1; k >= Math.max(0, i - 3); k--) {
      const w = tokens[k]!.word;
      if (isClauseBreak(w)) break;
      if (NEGATORS.has(w)) negated = true;
      if (i - k <= 2 && DEGREE[w] !== undefined) degree = DEGREE[w];
    }
    p *= degree * weight * (negated ? -0.5 : 1);
    if (p > 0) out.positive += p;
    else out.negative -= p;
  }
  return out;
}

/** Thresholds of `sentiment_score` for the positive and negative labels. */
export const SENTIMENT_THRESHOLD = 0.25;

/**
 * The score in [-1, 1]: tanh of the net evidence, damped by how mixed the evidence is, so an article
 * with as much good as bad news stays near zero.
 */
export function sentimentOf(title: readonly Token[], body: readonly Token[]): { sentiment: Sentiment; score: number } {
  const t = evidence(title, 2);
  const b = evidence(body, 1);
  const pos = t.positive + b.positive;
  const neg = t.negative + b.negative;
  const net = pos - neg;
  const mass = pos + neg;
  const raw = mass === 0 ? 0 : Math.tanh(net / 5) * Math.sqrt(Math.abs(net) / mass);
  const score = Math.round(Math.max(-1, Math.min(1, raw)) * 100) / 100;
  const sentiment: Sentiment =
    score >= SENTIMENT_THRESHOLD ? 'positive' : score <= -SENTIMENT_THRESHOLD ? 'negative' : 'neutral';
  return { sentiment, score: Object.is(score, -0) ? 0 : score };
}
