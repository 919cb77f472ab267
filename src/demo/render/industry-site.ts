/**
 * The industry site (site-industry): a GBK portal with a two-page list and article pages full of
 * boilerplate (sidebar, ads, comment box). Its rules have no content selector on purpose: main-text
 * extraction has to find the body.
 */
import type { PlacedArticle } from '../articles/index.ts';
import type { WebRules } from '../../domain.ts';
import { localStamp } from '../time.ts';
import { escapeHtml as e } from '../xml.ts';
import { authorName, lead, paragraphs, related } from './common.ts';

/** Selectors matching the pages below (no contentSelector). */
export const INDUSTRY_RULES: WebRules = {
  itemSelector: 'div.list-box ul li h3 a',
  titleSelector: 'h1.main-title',
  dateSelector: '.info-bar .pub-time',
  authorSelector: '.info-bar .writer',
  nextPageSelector: 'a.next',
  maxPages: 2,
  maxItems: 60,
};

const NAME = '产经要闻网';

function chrome(title: string, inner: string, home: string): string {
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>${e(title)}</title>
<meta name="keywords" content="产业,行业,经济,新能源,半导体,消费">
</head>
<body>
<div id="top-nav"><a href="${home}index.html">${NAME}首页</a> | <a href="#">登录</a> | <a href="#">注册</a> | <a href="#">客户端下载</a></div>
<div id="header"><div class="logo"><a href="${home}index.html">${NAME}</a></div>
<ul class="channel"><li><a href="#">新能源</a></li><li><a href="#">汽车</a></li><li><a href="#">科技</a></li><li><a href="#">消费</a></li><li><a href="#">地产</a></li><li><a href="#">能源化工</a></li></ul></div>
<div class="ad-banner"><a href="#">【广告】开户即享万一免五 点击了解详情</a></div>
${inner}
<div id="footer"><p><a href="#">关于我们</a> - <a href="#">广告服务</a> - <a href="#">联系我们</a> - <a href="#">招聘信息</a> - <a href="#">网站律师</a></p>
<p>${NAME} 版权所有 Copyright &copy; 2009-2025 All Rights Reserved</p><p>（本站内容为 finrep 演示数据，纯属虚构）</p></div>
</body>
</html>
`;
}

/** Splits the articles into the two list pages. */
export function industryPages(items: PlacedArticle[]): PlacedArticle[][] {
  const half = Math.ceil(items.length / 2);
  return [items.slice(0, half), items.slice(half)];
}

/** Renders list page `page` (1 or 2) with its pagination bar. */
export function renderIndustryList(items: PlacedArticle[], page: number, pages: number, timezone: string): string {
  const list = items
    .map(
      (a) => `<li>
<h3><a href="a/${a.slug}.html" target="_blank">${e(a.title)}</a></h3>
<p class="summary">${e(lead(a, 60))}</p>
<span class="time">${localStamp(a.publishedAt, timezone)}</span>
</li>`,
    )
    .join('\n');
  const name = (n: number): string => (n === 1 ? 'index.html' : `index_${n}.html`);
  const nums = Array.from({ length: pages }, (_, i) => i + 1)
    .map((n) => (n === page ? `<span class="current">${n}</span>` : `<a href="${name(n)}">${n}</a>`))
    .join(' ');
  const prev = page > 1 ? `<a class="prev" href="${name(page - 1)}">上一页</a> ` : '';
  const next = page < pages ? ` <a class="next" href="${name(page + 1)}">下一页</a>` : '';
  return chrome(
    `产业动态_${NAME}`,
    `<div class="position">当前位置：<a href="index.html">首页</a> &gt; 产业动态</div>
<div class="main">
<div class="list-box">
<ul>
${list}
</ul>
</div>
<div class="page-bar">${prev}${nums}${next}</div>
</div>
<div class="side"><h4>热门专题</h4><ul class="topic"><li><a href="#">新能源汽车下乡</a></li><li><a href="#">算力基础设施</a></li><li><a href="#">消费品以旧换新</a></li></ul></div>`,
    '',
  );
}

/** Renders one article page, text in `#artibody` among plenty of non-article blocks. */
export function renderIndustryArticle(a: PlacedArticle, all: PlacedArticle[], timezone: string): string {
  const rel = related(a, all, 5)
    .map((r) => `<li><a href="${r.slug}.html">${e(r.title)}</a></li>`)
    .join('\n');
  const body = paragraphs(a)
    .map((p) => `<p>\u3000\u3000${e(p)}</p>`)
    .join('\n');
  return chrome(
    `${a.title}_${NAME}`,
    `<div class="position">当前位置：<a href="../index.html">首页</a> &gt; <a href="../index.html">产业动态</a> &gt; 正文</div>
<div class="main">
<div class="article">
<h1 class="main-title">${e(a.title)}</h1>
<div class="info-bar"><span class="pub-time">${localStamp(a.publishedAt, timezone)}</span>\u3000<span class="media">${e(a.origin ?? NAME)}</span>\u3000<span class="writer">${e(authorName(a))}</span>\u3000<a href="#comment" class="comment-count">我要评论</a></div>
<div class="art-tools"><a href="#">大</a> <a href="#">中</a> <a href="#">小</a> <a href="#">打印</a> <a href="#">收藏</a></div>
<div id="artibody" class="art-text">
${body}
</div>
<p class="statement">声明：本文仅代表作者观点，不构成投资建议。</p>
<div class="ad-inline"><a href="#">【广告】行业研报免费领，扫码关注公众号</a></div>
<div class="related"><h4>相关阅读</h4><ul>
${rel}
</ul></div>
<div id="comment" class="comment-box"><h4>网友评论</h4><textarea>文明上网，理性发言</textarea><button>发表评论</button><p class="tips">已有0条评论</p></div>
</div>
</div>
<div class="side"><h4>24小时排行</h4><ol><li><a href="#">多地出台新一轮促消费政策</a></li><li><a href="#">光伏产业链价格周报</a></li><li><a href="#">储能招标量环比大增</a></li></ol></div>`,
    '../',
  );
}
