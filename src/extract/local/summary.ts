/**
 * Lead-based summary: the first sentences of the article, datelines and bylines removed, cut at a sentence
 * end so it never exceeds the schema's 120 characters.
 */

/** The schema's limit on `summary`. */
export const SUMMARY_MAX = 120;

const NAME = '[\\u4e00-\\u9fa5·]{2,4}';
const PREFIXES: readonly RegExp[] = [
  // 【标题】 or 【财联社】
  /^【[^】]{0,60}】/,
  // 财联社11月10日电， / 新华财经北京11月10日电 / 新华社华盛顿11月9日电 / 格隆汇11月10日丨
  /^[\u4e00-\u9fa5A-Za-z·]{0,12}?(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:\d{1,2}时)?(?:电|讯|消息|丨|｜|\|)[，,：:\s丨｜|]*/,
  // 证券时报e公司讯， / 本报讯
  /^[\u4e00-\u9fa5A-Za-z·]{1,12}讯(?=[，,：:\s（(])[，,：:\s]*/,
  // 每经AI快讯， / 智通财经APP获悉，
  /^(?:(?!从)[\u4e00-\u9fa5A-Za-z·]){2,12}(?:快讯|获悉)[，,：:\s]+/,
  // （记者 张三 李四） / (通讯员 王五)
  /^[（(][^（）()]{0,8}(?:记者|通讯员|编辑|作者)[^（）()]{0,30}[）)]/,
  // ■证券时报记者 张三 / 本报记者 张三 李四 / 文 | 张三
  new RegExp(
    `^[■●◆▲]?\\s*[\\u4e00-\\u9fa5A-Za-z]{0,8}(?:记者|通讯员)\\s+${NAME}(?:[ 、]+${NAME})*\\s*(?:报道)?[\\s，,：:]*`,
  ),
  new RegExp(`^(?:文|作者|编辑)\\s*[|｜/：:]\\s*${NAME}(?:[ 、]+${NAME})*[\\s，,]*`),
];

const META_SENTENCE = /^(?:（完）|\(完\)|责任编辑|编辑|校对|审核|来源|原标题|免责声明|风险提示|声明)[：:（(]?/;

function normalizeSpace(text: string): string {
  return text
    .replace(/[\u200b-\u200d\ufeff]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u3000\u00a0]+/g, ' ')
    .replace(/\n\s*/g, '\n')
    .trim();
}

/** Removes datelines, bracketed headlines and bylines from the start of an article. */
export function stripDateline(text: string): string {
  let out = normalizeSpace(text);
  for (let round = 0; round < 6; round++) {
    const before = out;
    for (const re of PREFIXES) out = out.replace(re, '').trimStart();
    if (out === before) break;
  }
  return out;
}

/** Splits text into sentences, each with its terminal punctuation (and closing quotes) kept. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[^。！？；!?;\n]+(?:[。！？；!?;]+[”’」』）)]*)?/g)) {
    const s = m[0].trim();
    if (s.length > 0) out.push(s);
  }
  return out;
}

const ENDS = /[。！？；!?;.…][”’」』）)]*$/;

function finish(s: string): string {
  return s.replace(/[；;]$/, '。');
}

function truncateLong(sentence: string, max: number): string {
  const comma = Math.max(sentence.lastIndexOf('，', max - 3), sentence.lastIndexOf(',', max - 3));
  let cut = comma >= 10 ? comma : max - 1;
  // Never split a surrogate pair (an emoji or a rare character outside the BMP).
  if (/[\ud800-\udbff]/.test(sentence.charAt(cut - 1))) cut -= 1;
  return sentence.slice(0, cut) + '…';
}

/** The article body without the title repeated as its first line. */
export function bodyWithoutTitle(title: string, text: string): string {
  const body = stripDateline(text);
  const t = normalizeSpace(title);
  if (t.length > 0 && body.startsWith(t)) return stripDateline(body.slice(t.length));
  return body;
}

/**
 * The article's lead in at most 120 characters, ending at a sentence end (or `…` when the first sentence
 * alone is too long); falls back to the title when the text has no usable sentence.
 */
export function summarize(title: string, text: string, max = SUMMARY_MAX): string {
  const body = bodyWithoutTitle(title, text);
  const candidates = sentences(body)
    .filter((s) => !META_SENTENCE.test(s))
    .map((s) => (ENDS.test(s) ? s : s.length >= 15 ? `${s}。` : ''))
    .filter((s) => s.length > 0);
  const first = candidates[0];
  if (first !== undefined) {
    if (first.length > max) return truncateLong(first, max);
    let out = first;
    for (const next of candidates.slice(1)) {
      if (out.length + next.length > max) break;
      out += next;
    }
    return finish(out);
  }
  const t =
    stripDateline(title)
      .replace(/^【[^】]*】/, '')
      .trim() ||
    normalizeSpace(title) ||
    '（无正文）';
  return t.length > max ? truncateLong(t, max) : t;
}
