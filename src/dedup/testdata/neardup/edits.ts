/**
 * The ways Chinese portals repost an article: an outlet lead (【财联社】, 证券时报e公司讯，), source, editor
 * and disclaimer lines at the end, an edited headline, paragraphs in another order, a trimmed ending, a few
 * words swapped for synonyms — and combinations of these. Plus the "next period" twin: the same text with
 * every figure changed, which is a different story.
 */

/** A repost transformation. */
export type EditKind = 'prefix' | 'suffix' | 'headline' | 'swap' | 'trim' | 'lead' | 'synonym' | 'combined';

export const EDIT_KINDS: readonly EditKind[] = [
  'prefix',
  'suffix',
  'headline',
  'swap',
  'trim',
  'lead',
  'synonym',
  'combined',
];

export interface Doc {
  title: string;
  paragraphs: string[];
}

type Rand = () => number;
const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const chance = (rand: Rand, p: number) => rand() < p;

const OUTLETS = [
  '证券时报',
  '上海证券报',
  '中国证券报',
  '证券日报',
  '财联社',
  '第一财经',
  '每日经济新闻',
  '21世纪经济报道',
  '界面新闻',
  '华夏时报',
  '经济观察网',
  '新京报',
];
const EDITORS = ['王敏', '刘洋', '张璇', '李华', '陈晨', '赵静', '周宇', '孙悦', '吴昊', '郑欣'];

/** Leads an outlet puts before the first sentence; `{d}` is the day ("2月10日"). */
const LEADS = [
  '【财联社】',
  '财联社{d}电，',
  '【新华财经】',
  '证券时报e公司讯，',
  '智通财经APP获悉，',
  '格隆汇{d}丨',
  '每经AI快讯，',
  '据上海证券报报道，',
  '中新经纬{d}电 ',
  '新浪财经讯 ',
  '本报讯（记者 {e}）',
  '金十数据{d}讯，',
  '观点网讯：',
  '【华夏时报】',
  '界面新闻记者 | {e}\n\n',
  '第一财经{d}讯，',
  '21世纪经济报道记者{e} 北京报道 ',
];
/** Lines outlets append. */
const TAILS = [
  '（来源：{o}）',
  '（文章来源：{o}）',
  '责任编辑：{e}',
  '（责任编辑：{e}）',
  '（编辑 {e}）',
  '校对：{e}',
  '来源：{o} 作者：{e}',
  '免责声明：本文内容与数据仅供参考，不构成投资建议，使用前请核实。据此操作，风险自担。',
  '风险提示：股市有风险，投资需谨慎。本文观点仅供参考，不构成任何投资建议。',
  '声明：本文由入驻金融界平台的作者撰写，除金融界官方账号外，观点仅代表作者本人，不代表金融界立场。',
  '本文转载自{o}，原标题为《{t}》。',
  '更多精彩内容，请关注财经头条微信公众号。',
  '（本文由AI辅助生成，内容仅供参考）',
  '特别声明：以上内容为自媒体平台用户上传并发布，本平台仅提供信息存储服务。',
];
const HEADLINE_PREFIXES = [
  '重磅！',
  '刚刚！',
  '突发！',
  '快讯｜',
  '【独家】',
  '盘前必读｜',
  '最新！',
  '关注｜',
  '速递：',
  '【财联社】',
];

/** Word → replacement, as editors rewrite a sentence without changing what it says. */
const SYNONYMS: [string, string][] = [
  ['表示', '称'],
  ['指出', '表示'],
  ['宣布', '公布'],
  ['发布', '披露'],
  ['数据显示', '数据表明'],
  ['显示', '表明'],
  ['同比增长', '较上年同期增长'],
  ['同比下降', '较上年同期下降'],
  ['此前', '之前'],
  ['目前', '当前'],
  ['今年以来', '年初以来'],
  ['近日', '日前'],
  ['今日', '今天'],
  ['预计', '预期'],
  ['继续', '持续'],
  ['进一步', '更进一步'],
  ['其中', '当中'],
  ['截至', '截止到'],
  ['认为', '分析称'],
  ['有望', '料将'],
  ['大幅', '显著'],
  ['明显', '显著'],
  ['提升', '提高'],
  ['下降', '下滑'],
  ['增长', '增加'],
  ['实现', '录得'],
  ['业内人士', '行业人士'],
  ['分析人士', '市场人士'],
  ['投资者', '投资人'],
  ['获悉', '了解到'],
  ['仍', '依然'],
  ['已经', '已'],
  ['进行', '开展'],
  ['加快', '加速'],
  ['推动', '推进'],
  ['保持', '维持'],
  ['稳定', '平稳'],
  ['公司', '该公司'],
  ['主要', '主要是'],
  ['超过', '逾'],
  ['约', '大约'],
  ['上涨', '走高'],
  ['下跌', '走低'],
  ['市场', '市场上'],
  ['企业', '公司'],
  ['方面', '层面'],
  ['情况', '状况'],
  ['需求', '需要'],
  ['影响', '冲击'],
];

function fill(template: string, rand: Rand, ctx: { day: string; title: string }): string {
  return template
    .replace('{d}', ctx.day)
    .replace('{o}', pick(rand, OUTLETS))
    .replace('{e}', pick(rand, EDITORS))
    .replace('{t}', ctx.title);
}

/** Sentences of a paragraph, each with its closing punctuation. */
export function sentences(paragraph: string): string[] {
  return paragraph.match(/[^。！？；]+[。！？；]?/g)?.filter((s) => s.trim()) ?? [paragraph];
}

function prefix(doc: Doc, rand: Rand, ctx: { day: string; title: string }): Doc {
  const [first = '', ...rest] = doc.paragraphs;
  const lead = fill(pick(rand, LEADS), rand, ctx);
  const title = chance(rand, 0.3) ? `【${pick(rand, OUTLETS)}】${doc.title}` : doc.title;
  return { title, paragraphs: [`${lead}${first}`.split('\n\n'), rest].flat() };
}

function suffix(doc: Doc, rand: Rand, ctx: { day: string; title: string }): Doc {
  const n = 1 + Math.floor(rand() * 2);
  const tails = Array.from({ length: n }, () => fill(pick(rand, TAILS), rand, ctx));
  return { ...doc, paragraphs: [...doc.paragraphs, ...tails] };
}

function headline(doc: Doc, rand: Rand): Doc {
  const clauses = doc.title.split(/[，,：:；;\s]+/).filter(Boolean);
  const firstSentence = sentences(doc.paragraphs[0] ?? '')[0] ?? doc.title;
  const options: (() => string)[] = [
    () => `${pick(rand, HEADLINE_PREFIXES)}${doc.title}`,
    () => doc.title.replace(/[，,]/g, ' ').replace(/：/g, '：'),
    () => clauses.reduce((a, b) => (b.length > a.length ? b : a), ''),
    () => (clauses.length >= 2 ? [...clauses.slice(1), clauses[0]].join('，') : `${doc.title}！`),
    () => firstSentence.replace(/[。！？；]$/, '').slice(0, 32),
    () => synonymsIn(doc.title, rand, 2),
    () => doc.title.replace(/^[^：:]{2,12}[：:]/, ''),
  ];
  const title = pick(rand, options)() || doc.title;
  return { ...doc, title: title === doc.title ? `${pick(rand, HEADLINE_PREFIXES)}${doc.title}` : title };
}

function swap(doc: Doc, rand: Rand): Doc {
  const ps = [...doc.paragraphs];
  if (ps.length >= 2) {
    const i = Math.floor(rand() * ps.length);
    let j = Math.floor(rand() * (ps.length - 1));
    if (j >= i) j++;
    [ps[i], ps[j]] = [ps[j]!, ps[i]!];
    return { ...doc, paragraphs: ps };
  }
  const s = sentences(ps[0] ?? '');
  if (s.length >= 2) [s[0], s[s.length - 1]] = [s[s.length - 1]!, s[0]!];
  return { ...doc, paragraphs: [s.join('')] };
}

/** Drops the ending: the last paragraph, or the last 20–45 % of the sentences. */
function trim(doc: Doc, rand: Rand): Doc {
  if (doc.paragraphs.length >= 3 && chance(rand, 0.5)) return { ...doc, paragraphs: doc.paragraphs.slice(0, -1) };
  const all = doc.paragraphs.flatMap((p, pi) => sentences(p).map((s) => ({ s, pi })));
  const keep = Math.max(1, Math.round(all.length * (0.55 + rand() * 0.25)));
  const kept = all.slice(0, keep);
  const paragraphs: string[] = [];
  for (const { s, pi } of kept) {
    if (paragraphs.length <= pi - (kept[0]?.pi ?? 0)) paragraphs.push('');
    paragraphs[paragraphs.length - 1] += s;
  }
  return { ...doc, paragraphs };
}

/** A flash or feed summary: the headline and the first paragraph only (at least two sentences). */
function lead(doc: Doc): Doc {
  const first = doc.paragraphs[0] ?? '';
  const body =
    sentences(first).length >= 2 || doc.paragraphs.length < 2 ? first : `${first}${sentences(doc.paragraphs[1]!)[0]}`;
  return { ...doc, paragraphs: [body] };
}

function synonymsIn(text: string, rand: Rand, count: number): string {
  let out = text;
  const present = SYNONYMS.filter(([w]) => out.includes(w));
  for (let k = 0; k < count && present.length > 0; k++) {
    const [w, r] = present.splice(Math.floor(rand() * present.length), 1)[0]!;
    const hits = [...out.matchAll(new RegExp(w, 'g'))];
    const hit = hits[Math.floor(rand() * hits.length)];
    if (hit?.index !== undefined) out = out.slice(0, hit.index) + r + out.slice(hit.index + w.length);
  }
  return out;
}

/** 3–8 words replaced by synonyms across the text. */
function synonym(doc: Doc, rand: Rand): Doc {
  const text = synonymsIn(doc.paragraphs.join('\n\n'), rand, 3 + Math.floor(rand() * 6));
  return { ...doc, paragraphs: text.split('\n\n') };
}

/**
 * Applies one kind of repost edit. `combined` applies three to five of the others (never both trim and lead).
 *
 * @example applyEdit('prefix', doc, prng(1), { day: '2月10日', title: doc.title })
 */
export function applyEdit(kind: EditKind, doc: Doc, rand: Rand, ctx: { day: string; title: string }): Doc {
  switch (kind) {
    case 'prefix':
      return prefix(doc, rand, ctx);
    case 'suffix':
      return suffix(doc, rand, ctx);
    case 'headline':
      return headline(doc, rand);
    case 'swap':
      return swap(doc, rand);
    case 'trim':
      return trim(doc, rand);
    case 'lead':
      return lead(doc);
    case 'synonym':
      return synonym(doc, rand);
    case 'combined': {
      const pool: EditKind[] = ['prefix', 'suffix', 'headline', 'swap', 'synonym', chance(rand, 0.5) ? 'trim' : 'swap'];
      const n = 3 + Math.floor(rand() * 3);
      const chosen: EditKind[] = [];
      while (chosen.length < n && pool.length) chosen.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]!);
      // Order as an editor works: cut and rearrange the body, reword, then add the outlet's lead and tail.
      const order: EditKind[] = ['trim', 'swap', 'synonym', 'headline', 'prefix', 'suffix'];
      return order.filter((k) => chosen.includes(k)).reduce((d, k) => applyEdit(k, d, rand, ctx), doc);
    }
  }
}

/** Every figure replaced by another of the same shape: "the same report for another period", a different story. */
export function otherPeriod(doc: Doc, rand: Rand): Doc {
  // Tickers (600519, 0700.HK) and years stay: the next period's report names the same company and year.
  const change = (s: string) =>
    s.replace(/\d+(?:\.\d+)?(?![\d.]*\.(?:SH|SZ|HK))/g, (num) => {
      if (/^(?:\d{6}|0\d{4}|20\d\d)$/.test(num)) return num;
      for (let attempt = 0; attempt < 10; attempt++) {
        const next = num.replace(/\d/g, (d, i: number) =>
          i === 0 && num.length > 1 && !num.startsWith('0.')
            ? String(1 + Math.floor(rand() * 9))
            : chance(rand, 0.7)
              ? String(Math.floor(rand() * 10))
              : d,
        );
        if (next !== num) return next;
      }
      return num === '9' ? '8' : String(Number(num) + 1);
    });
  return { title: change(doc.title), paragraphs: doc.paragraphs.map(change) };
}
