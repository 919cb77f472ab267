/** Small pieces shared by the demo world's feed and page renderers. */
import type { PlacedArticle } from '../articles/index.ts';
import { escapeHtml } from '../xml.ts';

/** The paragraphs an outlet prints: an editor's note, when there is one, leads the article. */
export function paragraphs(article: PlacedArticle): string[] {
  return article.editorNote ? [`【编者按】${article.editorNote}`, ...article.body] : article.body;
}

/** The article body as HTML paragraphs. */
export function bodyHtml(article: PlacedArticle, indent = ''): string {
  return paragraphs(article)
    .map((p) => `${indent}<p>${escapeHtml(p)}</p>`)
    .join('\n');
}

/** A short lead for feed descriptions and list pages: the first paragraph, cut at a sentence if long. */
export function lead(article: PlacedArticle, max = 90): string {
  const first = article.body[0] ?? '';
  if (first.length <= max) return first;
  const cut = first.slice(0, max);
  const stop = cut.lastIndexOf('。');
  return stop > max / 2 ? cut.slice(0, stop + 1) : `${cut}…`;
}

/** The author with the usual Chinese prefix stripped off, for bylines that add their own. */
export function authorName(article: PlacedArticle): string {
  return (article.author ?? '本站编辑').replace(/^.*记者\s*/, '');
}

/** A stable pseudo-editor per article so that pages carry a 责任编辑 line like real ones. */
export function editorFor(slug: string): string {
  const editors = ['刘畅', '周婧', '孙立', '何晓', '吴楠', '郑爽', '唐宁'];
  let h = 0;
  for (const c of slug) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return editors[h % editors.length] ?? '刘畅';
}

/** A few other articles of the same outlet, for the related-reading boxes. */
export function related(article: PlacedArticle, all: PlacedArticle[], n = 4): PlacedArticle[] {
  return all.filter((a) => a.outlet === article.outlet && a.slug !== article.slug).slice(0, n);
}
