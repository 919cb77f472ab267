/**
 * Boilerplate of news pages that generic extractors keep — Chinese ones especially: source and editor lines,
 * disclaimers, share bars, copyright notices, "related reading" lists, bylines, picture captions, menu
 * runs. Applied to the DOM before extraction and to the paragraphs after it.
 */
import { collapseWhitespace, htmlToText } from './html-text.ts';

/** Labels that start a boilerplate line when followed by a colon ("责任编辑：王敏"). */
const LABELS = [
  '来源',
  '稿源',
  '本文来源',
  '文章来源',
  '责任编辑',
  '责编',
  '编辑',
  '审核',
  '审校',
  '校对',
  '监制',
  '声明',
  '免责声明',
  '版权声明',
  '原标题',
  '作者',
  '图片来源',
  '特别声明',
  '风险提示',
  '关键词',
  '标签',
];
const LABEL_LINE = new RegExp(`^[（(【\\[]?\\s*(?:${LABELS.join('|')})\\s*[：:]`);
/** Phrases that mark a short line as chrome wherever they appear in it. */
const PHRASES =
  /分享到|分享至|扫一扫|扫描二维码|二维码|版权所有|免责声明|打印本页|关闭窗口|字号[：:]?\s*大|转载请注明|未经授权|Copyright\s*©|All Rights Reserved|我要评论|发表评论/i;
/** Headings after which a page lists other articles, not this one. */
const SECTION_END = new RegExp(
  `^[【[]?(相关阅读|相关新闻|相关文章|相关报道|推荐阅读|延伸阅读|热门推荐|猜你喜欢|热点排行|热门文章|24小时排行|网友评论|更多精彩|往期回顾|${[
    'related(?: (?:articles|stories|news|coverage|content|posts|reading))?',
    'you (?:may|might) also like',
    'recommended(?: for you| stories| articles)?',
    'more (?:from|on) [^.!?]{1,40}',
    'most (?:popular|read|viewed)',
    'trending(?: now)?',
    'read (?:more|next)',
    'what to read next',
    'also read',
  ].join('|')})[】\\]]?[：:.…]*$`,
  'i',
);

/** A date at the start of a line: the meta line under a headline ("2025-11-10 08:30 来源：新华社"). */
const DATE_START = /^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}/;
const META_WORDS = /来源|作者|编辑|记者|浏览|阅读|字号|评论/;

const MAX_LABEL_LINE = 100;
const MAX_CHILDREN = 12;
const MAX_PHRASE_LINE = 80;

/** English bylines and time stamps ("By Jane Doe - 11/18/19", "Updated Nov 19, 6:55 AM") and © lines. */
const BYLINE = /^(?:by|By|BY)\s+(?:[A-Z][\w.'’-]*\s?){1,4}(?:$|[-|,–—•]|\s+and\s|\s+\d)/;
const STAMP = /^(?:updated|published|posted|last updated)\b[^.!?]{0,60}\d/i;
const COPYRIGHT = /^©|©\s*\d{4}/;
const MAX_META_LINE = 100;

/** True when a paragraph is page chrome rather than article text. */
export function isBoilerplateLine(line: string): boolean {
  return isBoilerplateText(collapseWhitespace(line));
}

/** `isBoilerplateLine` of a line already collapsed. */
function isBoilerplateText(t: string): boolean {
  if (!t) return true;
  if (t.length <= MAX_META_LINE && (BYLINE.test(t) || STAMP.test(t) || COPYRIGHT.test(t))) return true;
  if (t.length <= MAX_LABEL_LINE && LABEL_LINE.test(t)) return true;
  if (t.length <= MAX_PHRASE_LINE && PHRASES.test(t)) return true;
  if (DATE_START.test(t) && (t.length <= 25 || (t.length <= MAX_PHRASE_LINE && META_WORDS.test(t)))) return true;
  return SECTION_END.test(t);
}

/** True when a line opens a "related articles" style section. */
export function isSectionEnd(line: string): boolean {
  return SECTION_END.test(collapseWhitespace(line));
}

/**
 * Drops boilerplate paragraphs and everything after a "相关阅读"-style heading (when it comes after some
 * text: a list of other stories is never the body). `title` lines repeated at the top are dropped too.
 */
export function cleanParagraphs(paragraphs: string[], title?: string | null): string[] {
  const out: string[] = [];
  const normTitle = title ? collapseWhitespace(title) : null;
  for (const p of paragraphs) {
    const t = collapseWhitespace(p);
    if (SECTION_END.test(t) && out.length > 0) break;
    if (isBoilerplateText(t)) continue;
    if (out.length === 0 && normTitle && t === normTitle) continue;
    out.push(p);
  }
  return trimMenuRuns(out);
}

/** A line that reads like a menu entry: short, no digit, no sentence punctuation. */
function isMenuLike(p: string): boolean {
  const t = collapseWhitespace(p);
  return t.length <= 30 && !/[\d.!?。！？:：;；"”」]/.test(t);
}
const MENU_RUN = 4;

/**
 * Drops a run of four or more menu-like lines at the start or at the end (navigation bars, footers).
 * Lists that carry figures (results, prices, rankings) stay.
 */
function trimMenuRuns(paragraphs: string[]): string[] {
  let end = paragraphs.length;
  while (end > 0 && isMenuLike(paragraphs[end - 1]!)) end--;
  if (paragraphs.length - end < MENU_RUN) end = paragraphs.length;
  let start = 0;
  while (start < end && isMenuLike(paragraphs[start]!)) start++;
  if (start < MENU_RUN) start = 0;
  return start === 0 && end === paragraphs.length ? paragraphs : paragraphs.slice(start, end);
}

/**
 * Removes picture captions and credits (`<figcaption>`, `class="…caption…"`, `class="…credit…"`): never
 * article text, yet Readability keeps them. A container holding more than two paragraphs is left alone.
 */
export function removeCaptions(doc: Document): void {
  for (const el of Array.from(
    doc.querySelectorAll('figcaption, [class*="caption" i], [class*="credit" i], [itemprop="caption"]'),
  )) {
    if (
      !el.isConnected ||
      el.querySelectorAll('p').length > 2 ||
      collapseWhitespace(el.textContent ?? '').length > 1000
    )
      continue;
    el.remove();
  }
}

/** HTML (or plain text) → cleaned plain text, paragraphs joined by a blank line; null when nothing is left. */
export function toPlainText(html: string | null | undefined, title?: string | null): string | null {
  const text = htmlToText(html);
  return text ? cleanParagraphs(text.split('\n\n'), title).join('\n\n') || null : null;
}

/** Short elements whose whole text is chrome; removing them first keeps them out of Readability's scoring. */
export function removeBoilerplateElements(doc: Document): void {
  const candidates = doc.querySelectorAll('p, div, span, section, aside, li, h2, h3, h4, h5, td, font');
  for (const el of Array.from(candidates)) {
    // Containers with many children are never a single boilerplate line; skipping them keeps this linear.
    if (el.childElementCount > MAX_CHILDREN || !el.isConnected) continue;
    const text = collapseWhitespace(el.textContent ?? '');
    if (!text || text.length > MAX_PHRASE_LINE) continue;
    if (isSectionEnd(text)) {
      removeLinkListsAfter(el);
      el.remove();
    } else if (isBoilerplateLine(text) && !el.querySelector('p, div')) {
      el.remove();
    }
  }
}

/** Removes the link lists following a "相关阅读" heading inside the same parent. */
function removeLinkListsAfter(heading: Element): void {
  let next = heading.nextElementSibling;
  while (next) {
    const after = next.nextElementSibling;
    const text = collapseWhitespace(next.textContent ?? '');
    const linkText = Array.from(next.querySelectorAll('a')).reduce(
      (n, a) => n + collapseWhitespace(a.textContent ?? '').length,
      0,
    );
    if (!text || linkText / text.length > 0.5) next.remove();
    else break;
    next = after;
  }
  const parent = heading.parentElement;
  // The heading's own wrapper (<section class="related"><h3>相关阅读</h3><ul>…</ul></section>) goes too.
  if (parent && parent.children.length === 1 && parent.tagName !== 'BODY') parent.remove();
}
