/**
 * The policy site (site-policy): a static list page and article pages laid out like a regulator-news
 * portal, with the usual noise around the text (nav, breadcrumbs, share bar, related list, footer).
 */
import type { PlacedArticle } from '../articles/index.ts';
import type { WebRules } from '../../domain.ts';
import { isoLocal, localParts, localStamp } from '../time.ts';
import { escapeHtml as e } from '../xml.ts';
import { authorName, bodyHtml, editorFor, related } from './common.ts';

/** Selectors matching the pages below. */
export const POLICY_RULES: WebRules = {
  itemSelector: 'ul.news-list li a',
  titleSelector: 'h1.article-title',
  dateSelector: '.article-meta time',
  authorSelector: '.article-meta .author-name',
  contentSelector: '.article-content',
  maxItems: 60,
};

const NAME = '金融政策观察网';

function chrome(title: string, inner: string, home: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${e(title)}</title>
  <style>body{font-family:"Microsoft YaHei",sans-serif;max-width:1000px;margin:0 auto}.article-content p{text-indent:2em;line-height:1.8}</style>
</head>
<body>
  <div class="topbar"><span class="date-today">欢迎访问${NAME}</span> <a href="#">手机版</a> <a href="#">English</a></div>
  <header class="site-header">
    <a class="logo" href="${home}index.html">${NAME}</a>
    <nav class="main-nav">
      <a href="${home}index.html">首页</a><a href="#">货币政策</a><a href="#">金融监管</a><a href="#">资本市场</a><a href="#">外汇管理</a><a href="#">政策解读</a>
    </nav>
    <form class="search" action="#"><input type="text" name="q" placeholder="搜索"><button>搜索</button></form>
  </header>
${inner}
  <footer class="site-footer">
    <p><a href="#">关于我们</a> | <a href="#">联系方式</a> | <a href="#">网站地图</a> | <a href="#">免责声明</a></p>
    <p>Copyright © ${NAME} 版权所有 未经授权禁止转载、摘编、复制或建立镜像</p>
    <p>京ICP备00000000号-1\u3000本站内容为 finrep 演示数据，纯属虚构</p>
  </footer>
</body>
</html>
`;
}

/** Renders the list page: every article, newest first, plus a sidebar whose links the rules must skip. */
export function renderPolicyList(items: PlacedArticle[], timezone: string): string {
  const list = items
    .map((a) => {
      const p = localParts(a.publishedAt, timezone);
      const day = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
      return `        <li><a href="a/${a.slug}.html" title="${e(a.title)}">${e(a.title)}</a><span class="date">${day}</span></li>`;
    })
    .join('\n');
  const hot = items
    .slice(0, 5)
    .map((a) => `        <li><a href="a/${a.slug}.html">${e(a.title)}</a></li>`)
    .join('\n');
  return chrome(
    `政策要闻_${NAME}`,
    `  <div class="breadcrumb"><a href="index.html">首页</a> &gt; 政策要闻</div>
  <main class="list-wrap">
    <section class="list-main">
      <h2 class="column-title">政策要闻</h2>
      <ul class="news-list">
${list}
      </ul>
      <div class="pager"><span class="current">1</span></div>
    </section>
    <aside class="sidebar">
      <h3>热点排行</h3>
      <ol class="hot-list">
${hot}
      </ol>
    </aside>
  </main>`,
    '',
  );
}

/** Renders one article page. */
export function renderPolicyArticle(a: PlacedArticle, all: PlacedArticle[], timezone: string): string {
  const rel = related(a, all)
    .map((r) => `        <li><a href="${r.slug}.html">${e(r.title)}</a></li>`)
    .join('\n');
  return chrome(
    `${a.title}_${NAME}`,
    `  <div class="breadcrumb"><a href="../index.html">首页</a> &gt; <a href="../index.html">政策要闻</a> &gt; 正文</div>
  <main class="article-wrap">
    <h1 class="article-title">${e(a.title)}</h1>
    <div class="article-meta">
      <time datetime="${isoLocal(a.publishedAt, timezone)}">${localStamp(a.publishedAt, timezone)}</time>
      <span class="source">来源：${e(a.origin ?? NAME)}</span>
      <span class="author">作者：<span class="author-name">${e(authorName(a))}</span></span>
    </div>
    <div class="share-bar">分享到：<a href="#" class="share-wx">微信</a> <a href="#" class="share-wb">微博</a> <a href="#" class="share-qz">QQ空间</a> <a href="#" class="font-size">字号：大 中 小</a></div>
    <div class="article-content">
${bodyHtml(a, '      ')}
    </div>
    <p class="editor">责任编辑：${editorFor(a.slug)}</p>
    <div class="share-bar bottom">【<a href="#">打印本页</a>】【<a href="#">关闭窗口</a>】</div>
    <section class="related">
      <h3>相关阅读</h3>
      <ul class="related-list">
${rel}
      </ul>
    </section>
  </main>`,
    '../',
  );
}
