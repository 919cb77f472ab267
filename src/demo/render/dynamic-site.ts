/**
 * The dynamic site (site-dynamic): a 7×24 telegraph whose list exists only after a browser script has
 * fetched `api/list.json`; a static fetch of the list page sees an empty list. Article pages are static.
 */
import type { PlacedArticle } from '../articles/index.ts';
import type { WebRules } from '../../domain.ts';
import { isoLocal, localStamp } from '../time.ts';
import { escapeHtml as e } from '../xml.ts';
import { authorName, bodyHtml, lead } from './common.ts';

/** Selectors matching the rendered list and the article pages. */
export const DYNAMIC_RULES: WebRules = {
  itemSelector: '#news-list li a.item-title',
  waitForSelector: '#news-list li a.item-title',
  titleSelector: 'h1.detail-title',
  dateSelector: '.detail-meta .time',
  authorSelector: '.detail-meta .author',
  contentSelector: '.detail-content',
  maxItems: 60,
};

const NAME = '财讯电报';

/** Renders the list page shell and its script. */
export function renderDynamicList(): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>7×24小时电报_${NAME}</title>
</head>
<body>
  <header><a class="logo" href="index.html">${NAME}</a> <nav><a href="index.html">电报</a> <a href="#">盯盘</a> <a href="#">话题</a></nav></header>
  <main>
    <h2>7×24小时电报</h2>
    <p id="loading">加载中…</p>
    <ul id="news-list"></ul>
    <noscript>请启用 JavaScript 以查看电报列表。</noscript>
  </main>
  <script>
    // The list is rendered client-side, like most real telegraph pages.
    fetch('api/list.json', { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var ul = document.getElementById('news-list');
        data.items.forEach(function (it) {
          var li = document.createElement('li');
          var time = document.createElement('span');
          time.className = 'item-time';
          time.textContent = it.time;
          var a = document.createElement('a');
          a.className = 'item-title';
          a.href = it.url;
          a.textContent = it.title;
          li.appendChild(time);
          li.appendChild(a);
          ul.appendChild(li);
        });
        document.getElementById('loading').remove();
      });
  </script>
</body>
</html>
`;
}

/** The JSON the list script loads. */
export function renderDynamicJson(items: PlacedArticle[], timezone: string): string {
  return JSON.stringify({
    code: 0,
    items: items.map((a) => ({
      id: a.slug,
      title: a.title,
      url: `a/${a.slug}.html`,
      time: localStamp(a.publishedAt, timezone),
      brief: lead(a, 60),
    })),
  });
}

/** Renders one static article page. */
export function renderDynamicArticle(a: PlacedArticle, timezone: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>${e(a.title)}_${NAME}</title>
</head>
<body>
  <header><a class="logo" href="../index.html">${NAME}</a></header>
  <article class="detail">
    <h1 class="detail-title">${e(a.title)}</h1>
    <div class="detail-meta"><time class="time" datetime="${isoLocal(a.publishedAt, timezone)}">${localStamp(a.publishedAt, timezone)}</time> <span class="author">${e(authorName(a))}</span></div>
    <div class="detail-content">
${bodyHtml(a, '      ')}
    </div>
    <p class="disclaimer">本文为 finrep 演示数据，纯属虚构，不构成投资建议。</p>
  </article>
</body>
</html>
`;
}
