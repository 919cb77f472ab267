/**
 * Main-text extraction: Readability (on linkedom, with a threshold low enough for short Chinese stories),
 * our Chinese boilerplate cleanup around it, and the densest run of <p> as the fallback. Also reads the
 * title, author and publication date the page declares.
 */
import { Readability } from '@mozilla/readability';
import { cleanParagraphs, removeBoilerplateElements, removeCaptions } from './boilerplate.ts';
import { parseDate } from './dates.ts';
import { collapseWhitespace, nodeToParagraphs, parseHtmlDocument } from './html-text.ts';

export interface ExtractedText {
  title: string | null;
  /** Plain text, paragraphs separated by a blank line; '' when nothing looks like an article. */
  articleBody: string;
  author: string | null;
  publishedAt: Date | null;
}

export interface ExtractOptions {
  /** Zone for dates printed without one. @defaultValue 'UTC' */
  timeZone?: string;
  /** Reference for relative dates ("3小时前"). @defaultValue new Date() */
  now?: Date;
  /**
   * Readability's minimum article length. Its default (500) suits alphabetic text but rejects short
   * Chinese news, so pages that are mostly CJK get a lower one. @defaultValue 100 for CJK pages, else 500
   */
  charThreshold?: number;
}

const CJK_CHAR_THRESHOLD = 100;
const DEFAULT_CHAR_THRESHOLD = 500;

/** Readability output shorter than this is replaced by the <p>-cluster fallback when that finds more. */
const MIN_BODY_CHARS = 80;

const PUBLISHED_META = [
  'meta[property="article:published_time"]',
  'meta[property="og:published_time"]',
  'meta[property="og:release_date"]',
  'meta[name="pubdate"]',
  'meta[name="publishdate"]',
  'meta[name="PubDate"]',
  'meta[name="publish_date"]',
  'meta[itemprop="datePublished"]',
  'meta[name="weibo: article:create_at"]',
  'meta[name="date"]',
];
/** A full date (with optional time) somewhere in a line of text. */
export const DATE_IN_TEXT =
  /\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?/;
const AUTHOR_IN_TEXT = /(?:作者|记者|撰文|文)\s*[:：|丨]\s*([^\s，,|丨;；（）()]{2,24})/;

/**
 * Extracts the article of an HTML page. `_url` is the page's address (the CLI contract passes it; links in
 * the body are not kept yet, so nothing needs resolving).
 *
 * @example extractMainText(html, 'https://example.com/a/1.html', { timeZone: 'Asia/Shanghai' }).articleBody
 */
export function extractMainText(html: string, _url: string, opts: ExtractOptions = {}): ExtractedText {
  const timeZone = opts.timeZone ?? 'UTC';
  const now = opts.now ?? new Date();
  const doc = parseHtmlDocument(html);
  const meta = readPageMeta(doc, timeZone, now);
  removeBoilerplateElements(doc);
  removeCaptions(doc);

  let paragraphs: string[] = [];
  let article: ReturnType<Readability<Node>['parse']>;
  try {
    const charThreshold = opts.charThreshold ?? (isMostlyCjk(doc) ? CJK_CHAR_THRESHOLD : DEFAULT_CHAR_THRESHOLD);
    article = new Readability<Node>(doc, { charThreshold, serializer: (n) => n }).parse();
  } catch {
    article = null; // malformed pages: the fallback below still gets a chance
  }
  if (article?.content) paragraphs = cleanParagraphs(nodeToParagraphs(article.content), meta.title);
  if (length(paragraphs) < MIN_BODY_CHARS) {
    const fresh = parseHtmlDocument(html); // Readability rewrote `doc`
    removeBoilerplateElements(fresh);
    removeCaptions(fresh);
    const dense = cleanParagraphs(densestParagraphs(fresh), meta.title);
    if (length(dense) > length(paragraphs)) paragraphs = dense;
  }
  return {
    title: meta.title ?? (collapseWhitespace(article?.title ?? '') || null),
    articleBody: paragraphs.join('\n\n'),
    author: meta.author ?? cleanAuthor(article?.byline),
    publishedAt: meta.publishedAt ?? parseDate(article?.publishedTime, timeZone, now) ?? meta.dateInText,
  };
}

interface PageMeta {
  title: string | null;
  author: string | null;
  publishedAt: Date | null;
  /** A date printed in the line under the headline (weaker than declared metadata). */
  dateInText: Date | null;
}

/** Reads what the page declares about itself, before the extraction mutates the document. */
export function readPageMeta(doc: Document, timeZone: string, now: Date): PageMeta {
  const attr = (sel: string, name = 'content') =>
    collapseWhitespace(doc.querySelector(sel)?.getAttribute(name) ?? '') || null;
  const h1s = Array.from(doc.querySelectorAll('h1'))
    .map((h) => collapseWhitespace(h.textContent ?? ''))
    .filter(Boolean);
  const onlyH1 = h1s.length === 1 ? h1s[0] : undefined;
  const title = attr('meta[property="og:title"]') ?? onlyH1 ?? pageTitle(doc);

  let publishedAt: Date | null = null;
  for (const sel of PUBLISHED_META) {
    publishedAt = parseDate(attr(sel), timeZone, now);
    if (publishedAt) break;
  }
  publishedAt ??= parseDate(attr('time[datetime]', 'datetime') ?? attr('time[pubdate]', 'datetime'), timeZone, now);

  const text = collapseWhitespace(doc.body?.textContent ?? '');
  const afterTitle = title && h1s.length ? text.slice(Math.max(0, text.indexOf(h1s[0] ?? ''))) : text;
  const dateMatch = DATE_IN_TEXT.exec(afterTitle.slice(0, 3000));
  const dateInText = dateMatch ? parseDate(dateMatch[0], timeZone, now) : null;
  const author =
    cleanAuthor(attr('meta[name="author"]') ?? attr('meta[property="article:author"]')) ??
    cleanAuthor(AUTHOR_IN_TEXT.exec(afterTitle.slice(0, 600))?.[1]);
  return { title, author, publishedAt, dateInText };
}

/** `<title>` without the site name suffix ("标题_网站名", "标题 - 网站名"). */
function pageTitle(doc: Document): string | null {
  const t = collapseWhitespace(doc.querySelector('title')?.textContent ?? '');
  if (!t) return null;
  const stripped = t.replace(/\s*(?:[_|｜—–]|\s-\s)\s*[^_|｜—–]{1,30}$/, '');
  return stripped.length >= 4 ? stripped : t;
}

function cleanAuthor(raw: string | null | undefined): string | null {
  const t = collapseWhitespace(raw ?? '').replace(/^(?:作者|记者|撰文|文|by)\s*[:：|丨]?\s*/i, '');
  return t && t.length <= 60 ? t : null;
}

/** True when CJK characters outnumber Latin letters in the page's paragraphs. */
function isMostlyCjk(doc: Document): boolean {
  const text = Array.from(doc.querySelectorAll('p'))
    .map((p) => p.textContent ?? '')
    .join('');
  const cjk = text.match(/[\u3400-\u9fff]/g)?.length ?? 0;
  const latin = text.match(/[a-z]/gi)?.length ?? 0;
  return cjk > latin;
}

function length(paragraphs: string[]): number {
  return paragraphs.reduce((n, p) => n + p.length, 0);
}

/**
 * The <p> children of the element holding the most paragraph text (links excluded): the article body on
 * most portals even when Readability gives up.
 */
export function densestParagraphs(doc: Document): string[] {
  const score = new Map<Element, number>();
  for (const p of Array.from(doc.querySelectorAll('p'))) {
    const parent = p.parentElement;
    if (!parent) continue;
    const text = collapseWhitespace(p.textContent ?? '');
    const links = Array.from(p.querySelectorAll('a')).reduce(
      (n, a) => n + collapseWhitespace(a.textContent ?? '').length,
      0,
    );
    if (text.length - links < 10) continue;
    score.set(parent, (score.get(parent) ?? 0) + text.length - links);
  }
  let best: Element | null = null;
  let bestScore = 0;
  for (const [el, s] of score) {
    if (s > bestScore) [best, bestScore] = [el, s];
  }
  if (!best) return [];
  return Array.from(best.children)
    .filter((c) => c.tagName === 'P')
    .flatMap((p) => nodeToParagraphs(p));
}
