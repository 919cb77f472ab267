/**
 * The article page behind each feed item: a plain news-portal layout, so that a collector that follows
 * feed links (for full text, or for the relative-link feed) finds a realistic page.
 */
import type { PlacedArticle } from '../articles/index.ts';
import { CATEGORY_LABELS } from '../../domain.ts';
import { isoLocal, localStamp } from '../time.ts';
import { escapeHtml } from '../xml.ts';
import { bodyHtml, editorFor, related } from './common.ts';

/** Where a feed outlet's page sits and how it links its neighbours. */
export interface NewsPageOptions {
  outletName: string;
  /** `html` charset label written in the meta tag. */
  charset: 'utf-8' | 'gbk';
  homePath: string;
  pathOf: (article: PlacedArticle) => string;
  timezone: string;
}

/** Renders one feed article's page. */
export function renderNewsPage(article: PlacedArticle, all: PlacedArticle[], o: NewsPageOptions): string {
  const e = escapeHtml;
  const section = CATEGORY_LABELS[article.category];
  const rel = related(article, all)
    .map((r) => `        <li><a href="${e(o.pathOf(r))}">${e(r.title)}</a></li>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="${o.charset}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${e(article.title)}_${e(o.outletName)}</title>
  <meta name="description" content="${e(article.body[0]?.slice(0, 80) ?? '')}">
  <meta property="og:title" content="${e(article.title)}">
  <meta property="article:published_time" content="${isoLocal(article.publishedAt, o.timezone)}">
  ${article.author ? `<meta name="author" content="${e(article.author)}">` : ''}
</head>
<body>
  <header class="header">
    <a class="logo" href="${e(o.homePath)}">${e(o.outletName)}</a>
    <nav><a href="${e(o.homePath)}">首页</a> <a href="#">宏观</a> <a href="#">市场</a> <a href="#">公司</a> <a href="#">国际</a> <a href="#">数据</a></nav>
  </header>
  <div class="crumbs"><a href="${e(o.homePath)}">首页</a> &gt; <span>${e(section)}</span> &gt; 正文</div>
  <article class="post">
    <h1 class="post-title">${e(article.title)}</h1>
    <div class="post-info">
      <span class="time">${localStamp(article.publishedAt, o.timezone)}</span>
      <span class="source">来源：${e(article.origin ?? o.outletName)}</span>
      ${article.author ? `<span class="author">${e(article.author)}</span>` : ''}
    </div>
    <div class="post-body">
${bodyHtml(article, '      ')}
    </div>
    <p class="post-editor">（责任编辑：${e(editorFor(article.slug))}）</p>
  </article>
  <aside class="related">
    <h3>相关新闻</h3>
    <ul>
${rel}
    </ul>
  </aside>
  <footer class="footer">
    <p>${e(o.outletName)} 版权所有 未经书面授权不得转载</p>
    <p>本页内容为 finrep 演示数据，纯属虚构，不构成投资建议。</p>
  </footer>
</body>
</html>
`;
}
