/**
 * What a repost adds to an article and what says nothing about the story: an outlet's lead
 * ("【财联社】", "证券时报e公司讯，", "本报讯（记者 王晓）"), its source, editor, disclaimer and "follow us"
 * lines at the end, a headline flag ("重磅！", "快讯｜"). Stripped before any feature is computed, so a
 * repost and its original hash alike. Works on normalised text (NFKC: "，" is "," and "（" is "(").
 */

/** NFKC (full-width digits, letters and punctuation → ASCII), lower case, whitespace collapsed within lines. */
export function normalizeText(s: string): string {
  // NFKC already turned the ideographic space (U+3000) and NBSP into plain spaces. Each replace runs only
  // when it has something to do: most texts need the second (paragraph breaks), few the first.
  let t = s.normalize('NFKC').toLowerCase();
  if (ODD_SPACE.test(t)) t = t.replace(/[^\S\n]+/g, ' ');
  if (LOOSE_BREAK.test(t)) t = t.replace(/ ?\n\s*/g, '\n');
  return t.trim();
}
/** Whitespace other than single spaces and line breaks. */
const ODD_SPACE = /[^\S\n ]| {2}/;
/** A line break with whitespace around it, or several in a row. */
const LOOSE_BREAK = / \n|\n\s/;

const HAN = '\\p{Script=Han}';
const DAY = '(?:\\d{1,2}月\\d{1,2}日|\\d{1,2}日)';
/** An outlet's lead before the first sentence; applied repeatedly ("【新华财经】新华财经北京2月10日电 …"). */
const LEADS = [
  // 【编者按】a short note an editor put on a wire copy
  new RegExp(`^【编者按】[^\\n]{0,100}\\n`, 'u'),
  // 【财联社】 【新华财经】
  new RegExp(`^【[^】\\n]{1,16}】`, 'u'),
  // 财联社2月10日电, 新华财经北京2月10日电 , 证券时报e公司讯, 新浪财经讯 , 金十数据2月10日讯,
  new RegExp(`^[${HAN}a-z·]{2,16}${DAY}?(?:电|讯)(?:[,:]| |\\n)`, 'u'),
  // 本报讯(记者 王晓); a reporter line of its own; 21世纪经济报道记者王敏 北京报道
  new RegExp(`^(?:本报讯|本刊讯)?\\((?:记者|通讯员|编辑)[^)\\n]{0,24}\\)\\s*`, 'u'),
  new RegExp(`^[^\\n。]{0,30}记者[^\\n。]{0,20}\\n`, 'u'),
  new RegExp(`^[^\\n,。]{0,24}记者[^\\n,。]{0,16}报道 `, 'u'),
  // 智通财经app获悉 (not 记者从央行获悉), 每经ai快讯, 据上海证券报报道, 格隆汇2月10日丨
  new RegExp(`^(?![^,\\n]*[从向自])[${HAN}a-z]{2,12}(?:获悉|快讯)[,:]`, 'u'),
  new RegExp(`^据[^,\\n。]{2,16}(?:报道|消息)[,:]`, 'u'),
  new RegExp(`^[${HAN}a-z]{2,10}${DAY}?\\s*[丨|]`, 'u'),
];

/** Labels that open a source / editor / disclaimer line. */
const TAIL_LABELS = [
  '来源',
  '文章来源',
  '本文来源',
  '稿源',
  '责任编辑',
  '责编',
  '编辑',
  '校对',
  '审核',
  '作者',
  '记者',
  '声明',
  '免责声明',
  '特别声明',
  '版权声明',
  '风险提示',
  '原标题',
  '本文转载',
  '转载自',
  '本文转自',
];
const TAIL_LINE = new RegExp(
  `^(?:\\(?\\s*(?:${TAIL_LABELS.join('|')})\\s*:|\\((?:${TAIL_LABELS.join('|')})[^)\\n]{0,30}\\)$)`,
  'u',
);
const TAIL_PHRASE =
  /仅供参考|不构成(?:任何)?投资建议|风险自担|投资需谨慎|版权所有|copyright|all rights reserved|未经授权|转载请注明|关注[^\n]{0,12}公众号|更多精彩|ai辅助生成|信息存储服务|原标题/;
/** A parenthesised source or editor note closing the last paragraph: "…增长。(来源:证券时报)". */
const TAIL_INLINE = /\((?:来源|文章来源|责任编辑|编辑|记者|作者)[^)\n]{0,30}\)$/u;
const MAX_TAIL_LINE = 160;

const TITLE_FLAG = new RegExp(
  `^(?:【[^】]{1,12}】|(?:重磅|刚刚|突发|最新|独家|快讯|关注|速递|盘前必读|早知道|收评|午评)\\s*[!|丨:]+\\s*)`,
  'u',
);

function stripLead(text: string): string {
  let out = text;
  for (let round = 0; round < 4; round++) {
    const before = out;
    for (const re of LEADS) out = out.replace(re, '').trimStart();
    if (out === before) break;
  }
  return out;
}

function stripTail(text: string): string {
  let end = text.length;
  for (;;) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    if (start === 0) break; // never the first line
    const last = text.slice(start, end);
    if (last.length <= MAX_TAIL_LINE && (TAIL_LINE.test(last) || TAIL_PHRASE.test(last))) end = start - 1;
    else break;
  }
  return text.slice(0, end).replace(TAIL_INLINE, '').trimEnd();
}

/**
 * Normalised title and text without reposting boilerplate. Never strips everything: a text made only of
 * boilerplate is kept as it is.
 *
 * @example storyText('【财联社】快讯｜央行降准', '财联社2月10日电，央行宣布降准。\n\n责任编辑：王敏')
 *   // { title: '央行降准', text: '央行宣布降准。' }
 */
export function storyText(title: string, text: string): { title: string; text: string } {
  const t = normalizeText(title);
  let strippedTitle = t;
  for (let round = 0; round < 3; round++) strippedTitle = strippedTitle.replace(TITLE_FLAG, '').trimStart();
  const body = normalizeText(text);
  const strippedBody = stripTail(stripLead(body));
  return { title: strippedTitle || t, text: strippedBody.trim() ? strippedBody : body };
}
