/**
 * Keywords by TF-IDF (jieba's IDF table) over the title, counted three times, and the body; dictionary
 * entities and finance terms are preferred, numbers, single characters and stop words are dropped.
 */
import { LEXICON } from './dict/index.ts';
import { TERM_CANON } from './dict/lexicon.ts';
import { getJieba, getTfIdf } from './segment.ts';
import type { Token } from './segment.ts';

/** Words that carry no topic in finance news. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  '的',
  '了',
  '和',
  '与',
  '及',
  '或',
  '是',
  '在',
  '将',
  '对',
  '为',
  '等',
  '也',
  '还',
  '并',
  '但',
  '其',
  '该',
  '此',
  '这',
  '那',
  '公司',
  '表示',
  '记者',
  '亿元',
  '万元',
  '元',
  '亿',
  '万',
  '同比',
  '环比',
  '今年',
  '去年',
  '明年',
  '目前',
  '日前',
  '近日',
  '此前',
  '以来',
  '以及',
  '进行',
  '相关',
  '方面',
  '情况',
  '工作',
  '实现',
  '推动',
  '有关',
  '报道',
  '消息',
  '据悉',
  '显示',
  '数据',
  '其中',
  '一个',
  '已经',
  '可以',
  '我们',
  '他们',
  '认为',
  '指出',
  '介绍',
  '称',
  '期间',
  '日电',
  '财联社',
  '新华社',
  '新华财经',
  '中新网',
  '证券时报',
  '上海证券报',
  '中国证券报',
  '第一财经',
  '每经',
  '智通财经',
  '格隆汇',
  '来源',
  '编辑',
  '责任编辑',
  '记者会',
  '发布会',
  '会上',
  '当天',
  '当日',
  '今天',
  '昨天',
  '本周',
  '上周',
  '本月',
  '上月',
  '年内',
  '季度',
  '前三季度',
  '上半年',
  '下半年',
  '全年',
  '左右',
  '约',
  '超过',
  '达到',
  '不断',
  '持续',
  '进一步',
  '加快',
  '加强',
  '提高',
  '继续',
  '明显',
  '显著',
  '大幅',
  '小幅',
  '有所',
  '主要',
  '重要',
  '积极',
  '稳定',
  '发展',
  '问题',
  '时间',
  '部分',
  '整体',
  '行长',
  '主席',
  '董事长',
  '总经理',
  '首席',
  '经济学家',
  '分析师',
  '研究员',
  '人士',
  '专家',
  '负责人',
  '发言人',
  '统计师',
  '机构',
  '企业',
  '市场',
  '投资者',
  '同期',
  '增速',
  '比例',
  '水平',
  '规模',
  '总额',
  '余额',
  '个百分点',
  '百分点',
  '万亿元',
  '股份',
  '公告',
  '发布公告',
  '之日起',
  '总体',
  '集体',
  '合计',
  '归属于',
  '家数',
  '单日',
  '每公斤',
  '每吨',
  '关键',
  '金额',
  '证券',
  '月份',
  '年份',
  '上调',
  '下调',
  'HK',
  'SH',
  'SZ',
  'BJ',
  'ST',
  'US',
  'CEO',
  'CFO',
  'APP',
  '收评',
  '午评',
  '早评',
  '板块',
  '居前',
  '个股',
  '以上',
  'the',
  'and',
  'of',
  'to',
  'in',
  'is',
  'for',
  'on',
  'with',
]);

const NUMERIC = /\d|[％%‰]|^[零〇一二三四五六七八九十百千万亿两几]+$/;

function isCandidate(word: string, tag: string | undefined): boolean {
  if (word.length < 2 || STOP_WORDS.has(word) || STOP_WORDS.has(word.toLowerCase())) return false;
  const inDict = LEXICON.has(word);
  // Plain verbs (宣布, 保持) and the HMM's guesses at unknown words (因信, 购金为) make poor keywords.
  if (!inDict && tag !== undefined && (/^v[dgi]?$/.test(tag) || tag === 'x')) return false;
  if (!inDict && NUMERIC.test(word)) return false;
  if (!/[\u4e00-\u9fa5]/.test(word) && !inDict && !/^[A-Z][A-Za-z]{1,9}$/.test(word)) return false;
  return !/^[\p{P}\p{S}\s]+$/u.test(word);
}

/** How much a dictionary word is preferred over an ordinary one. */
function boost(word: string): number {
  const hits = LEXICON.get(word);
  if (hits === undefined) return 1;
  return hits.some((h) => h.kind !== 'term') ? 1.6 : 1.3;
}

/** The canonical spelling for an alias (茅台 → 贵州茅台, 居民消费价格指数 → CPI); others as written. */
function canonical(word: string): string {
  const term = TERM_CANON[word];
  if (term !== undefined) return term;
  const hits = LEXICON.get(word);
  const named = hits?.find((h) => h.kind !== 'term' && h.context === null);
  return named?.name ?? word;
}

const ALLOWED_POS = ['n', 'nr', 'ns', 'nt', 'nz', 'nrt', 'nrfg', 'ng', 'vn', 'v', 'eng', 'j', 'l', 'i', 'x', 'an'];

/**
 * 5–8 keywords (fewer only when the article is too short to have them), most important first.
 */
export function extractKeywords(title: string, body: string, tokens: readonly Token[], max = 8, min = 5): string[] {
  const tags = new Map<string, string>();
  for (const t of tokens) if (!tags.has(t.word)) tags.set(t.word, t.tag);
  const text = `${title}。${title}。${title}。${body}`;
  const ranked = getTfIdf().extractKeywords(getJieba(), text, 40, ALLOWED_POS);
  const scores = new Map<string, number>();
  for (const { keyword, weight } of ranked) {
    if (!isCandidate(keyword, tags.get(keyword))) continue;
    const key = canonical(keyword);
    scores.set(key, (scores.get(key) ?? 0) + weight * boost(keyword));
  }
  const sorted = [...scores.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = sorted[0]?.[1] ?? 0;
  const out: string[] = [];
  for (const [word, score] of sorted) {
    if (out.length >= max) break;
    if (out.length >= min && score < 0.2 * top) break;
    // Skip a word already covered by a longer keyword (恒生 when 恒生科技指数 is in).
    if (out.some((k) => k.includes(word))) continue;
    out.push(word);
  }
  return out;
}
