/** The demo world's front door: a page listing its outlets, handy when poking at it in a browser. */
import type { PlacedArticle } from '../articles/index.ts';
import { SOURCE_KEYS } from '../articles/types.ts';
import { OUTLETS } from '../outlets.ts';
import { escapeHtml as e } from '../xml.ts';

/** Renders `/`. */
export function renderHome(articles: PlacedArticle[]): string {
  const rows = SOURCE_KEYS.map((key) => {
    const o = OUTLETS[key];
    const n = articles.filter((a) => a.outlet === key).length;
    return `    <li><a href="${o.entry}">${e(o.name)}</a> <code>${key}</code> — ${n} 篇（${o.charset}）</li>`;
  }).join('\n');
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>finrep 演示世界</title></head>
<body>
  <h1>finrep 演示世界</h1>
  <p>以下信息源由 finrep 在本机提供，内容纯属虚构，仅用于演示。</p>
  <ul>
${rows}
  </ul>
</body>
</html>
`;
}
