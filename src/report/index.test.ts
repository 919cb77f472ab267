import { describe, expect, it } from 'vitest';
import type { ReportEntry, ReportModel } from '../domain.ts';
import {
  EMAIL_BYTE_BUDGET,
  emailSubject,
  renderEmailDetailed,
  renderEmailHtml,
  renderEmailText,
  renderWebView,
} from './index.ts';
import { outlookWrap } from './email/render.tsx';
import { fixtureModel, largeModel, withCharts } from './testdata/model.ts';

const P = { recipientName: '李明', unsubscribeUrl: 'https://finrep.example.com/unsubscribe?t=abc' };

/** The fixture with hostile third-party text in its first top story and first section story. */
function hostileModel(): ReportModel {
  const model = fixtureModel();
  const evil = (e: ReportEntry): ReportEntry => ({
    ...e,
    title: '<img src=x onerror=alert(1)>',
    url: 'javascript:alert(1)',
    summary: '</p><script>alert("s")</script>',
    source: '"><svg onload=alert(2)>',
    sources: ['"><svg onload=alert(2)>'],
    tickers: ['<b>X</b>'],
  });
  model.top[0] = evil(model.top[0] as ReportEntry);
  const first = model.sections[0];
  if (first) first.items[1] = { ...evil(first.items[1] as ReportEntry), url: ' JaVaScRiPt:alert(3)' };
  model.webViewUrl = 'javascript:alert(4)';
  return model;
}

function expectInert(html: string): void {
  expect(html).not.toContain('<img src=x');
  expect(html).not.toContain('<script');
  expect(html).not.toContain('<svg');
  expect(html).not.toContain('<b>X</b>');
  expect(html).not.toMatch(/href="\s*javascript:/i);
  expect(html.toLowerCase()).not.toContain('javascript:');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
}

describe('renderEmailHtml', () => {
  it('shows the masthead, the top stories and every non-empty section', async () => {
    const model = fixtureModel();
    const html = await renderEmailHtml(model, P);
    expect(html).toContain('金融情报日报');
    expect(html).toContain('2025-11-10（周一）');
    expect(html).toContain('共收录 338 篇 · 21 个事件 · 7 个来源');
    expect(html).toContain('李明，您好！');
    for (const e of model.top) expect(html).toContain(e.title);
    const headings = ['今日要闻', '宏观', '政策', '市场', '公司', '行业', '国际', '其他'];
    const positions = headings.map((h) => html.indexOf(`>${h}<`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html).toContain('4 家媒体报道');
    expect(html).toContain('https://finrep.example.com/reports/2025-11-10');
    expect(html).toContain('href="https://finrep.example.com/unsubscribe?t=abc"');
    expect(html).toContain('本邮件由 finrep 自动生成');
    expect(html).not.toContain('另有');
  });

  it('renders times in the report time zone (Asia/Shanghai), not UTC', async () => {
    const model = fixtureModel();
    const first = model.top[0] as ReportEntry;
    model.top[0] = { ...first, publishedAt: new Date('2025-11-09T23:45:00Z') };
    const html = await renderEmailHtml(model, P);
    expect(html).toContain('11-10 07:45');
    expect(html).not.toContain('11-09 23:45');
  });

  it('puts sections in report order whatever order they arrive in', async () => {
    const model = fixtureModel();
    model.sections.reverse();
    const html = await renderEmailHtml(model, P);
    const text = renderEmailText(model, P);
    const order = ['宏观', '政策', '市场', '公司', '行业', '国际', '其他'];
    const at = (doc: string, fmt: (h: string) => string) => order.map((h) => doc.indexOf(fmt(h)));
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(at(html, (h) => `>${h}<`)).toEqual(sorted(at(html, (h) => `>${h}<`)));
    expect(at(text, (h) => `■ ${h}（`)).toEqual(sorted(at(text, (h) => `■ ${h}（`)));
  });

  it('skips empty sections and works without personalization or web view', async () => {
    const model = fixtureModel();
    model.sections = model.sections.map((s) => (s.category === 'other' ? { ...s, items: [] } : s));
    model.webViewUrl = null;
    const html = await renderEmailHtml(model, { recipientName: null, unsubscribeUrl: null });
    expect(html).not.toContain('>其他<');
    expect(html).not.toContain('在浏览器中查看');
    expect(html).not.toContain('退订');
    expect(html).not.toContain('您好');
  });

  it('escapes hostile titles and drops non-http links', async () => {
    const html = await renderEmailHtml(withCharts(hostileModel()), { ...P, unsubscribeUrl: 'javascript:alert(5)' });
    expectInert(html);
    // The only images are the report's own charts.
    expect(html.match(/<img\b[^>]*>/g)?.map((tag) => /src="([^"]*)"/.exec(tag)?.[1])).toEqual([
      'cid:sentiment.2025-11-10@finrep',
      'cid:categories.2025-11-10@finrep',
    ]);
  });

  it('shows the charts as inline (CID) images with a fixed size and their numbers as alt text', async () => {
    const html = await renderEmailHtml(withCharts(fixtureModel()), P);
    const imgs = html.match(/<img\b[^>]*>/g) ?? [];
    expect(imgs).toHaveLength(2);
    expect(imgs[0]).toContain('src="cid:sentiment.2025-11-10@finrep"');
    expect(imgs[0]).toContain('width="200"');
    expect(imgs[0]).toContain('height="202"');
    expect(imgs[0]).toContain('alt="情绪分布：利好 11 条（52%）"');
    expect(imgs[1]).toContain('src="cid:categories.2025-11-10@finrep"');
    // Fluid below its width, so a phone scales it down instead of overflowing.
    expect(imgs[1]).toMatch(/style="[^"]*width:100%;max-width:340px;height:auto/);
    // The counts are text too, for clients that block images.
    expect(html).toContain('利好 11');
    expect(html).not.toMatch(/<td[^>]*width="52%"/);
  });

  it('can embed the charts as data: URIs for a self-contained preview', async () => {
    const html = await renderEmailHtml(withCharts(fixtureModel()), P, { images: 'data' });
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).not.toContain('cid:');
  });

  it('falls back to a coloured bar of table cells without charts', async () => {
    const html = await renderEmailHtml(fixtureModel(), P);
    expect(html).not.toContain('<img');
    expect(html).toMatch(/<td[^>]*width="52%"/);
  });

  it('marks watch-list stories and keeps score breakdowns out of the email', async () => {
    const model = fixtureModel();
    model.top[0] = { ...model.top[0]!, watchHits: ['贵州茅台'] };
    const html = await renderEmailHtml(model, P);
    expect(html).toMatch(/title="关注：贵州茅台"[^>]*>关注</);
    expect(html).not.toContain('得分 ');
    expect(renderEmailText(model, P)).toContain(`1. ${model.top[0]!.title}\n   【利好】【关注】`);
  });

  it('lets a phone wrap a long row of tickers', async () => {
    const model = fixtureModel();
    model.top[0] = { ...model.top[0]!, tickers: ['600519.SH', '000858.SZ', '000568.SZ', '600809.SH', '002304.SZ'] };
    const html = await renderEmailHtml(model, P);
    expect(html).toMatch(/600519\.SH<\/span> <span[^>]*>000858\.SZ/);
  });

  it('is fluid, 600 px wide at most, with a fixed-width Outlook wrapper', async () => {
    const html = await renderEmailHtml(fixtureModel(), P);
    const card = /<table[^>]*id="finrep-card"[^>]*>/.exec(html)?.[0] ?? '';
    expect(card).toMatch(/[";]width:100%/);
    expect(card).toMatch(/[";]max-width:600px/);
    expect(html).toContain('<!--[if mso]><table role="presentation" width="600"');
    expect(html.indexOf('<!--[if mso]></td></tr></table><![endif]-->')).toBeGreaterThan(
      html.indexOf('本邮件由 finrep'),
    );
    expect(html).toContain("'PingFang SC'".replace(/'/g, '&#x27;'));
  });

  it('stays under Gmail clipping with 200 stories and says how many were left out', async () => {
    const model = withCharts(largeModel(200));
    const { html, bytes, omitted } = await renderEmailDetailed(model, P);
    expect(bytes).toBe(Buffer.byteLength(html));
    expect(bytes).toBeLessThanOrEqual(EMAIL_BYTE_BUDGET);
    expect(bytes).toBeLessThan(102 * 1024);
    expect(omitted).toBeGreaterThan(0);
    expect(html).toContain(`另有 ${omitted} 条未在邮件中展示，完整内容见网页版或附件`);
    for (const e of model.top) expect(html).toContain(e.title);
    const shown = model.sections.flatMap((s) => s.items).filter((e) => html.includes(`>${e.title}<`));
    expect(shown.length).toBe(200 - omitted);
    // What is left out is the lowest ranks: every shown story outranks (or ties) every omitted one.
    const maxShown = Math.max(...shown.map((e) => e.rank));
    const minOmitted = Math.min(
      ...model.sections
        .flatMap((s) => s.items)
        .filter((e) => !shown.includes(e))
        .map((e) => e.rank),
    );
    expect(maxShown).toBeLessThanOrEqual(minOmitted);
  });
});

describe('outlookWrap', () => {
  it('leaves HTML without the card untouched', () => {
    expect(outlookWrap('<html><head></head><body>x</body></html>')).toBe('<html><head></head><body>x</body></html>');
  });
  it('wraps the card and only the card', () => {
    const html =
      '<head></head><table id="a"><tr><td><table id="finrep-card"><tr><td><table></table></td></tr></table></td></tr></table>';
    expect(outlookWrap(html)).toMatch(
      /<td><!--\[if mso\]>.*<table id="finrep-card">.*<\/table><\/td><\/tr><\/table><!--\[if mso\]><\/td><\/tr><\/table><!\[endif\]--><\/td>/,
    );
  });
});

describe('renderEmailText', () => {
  it('has the same structure in plain text', () => {
    const model = fixtureModel();
    const text = renderEmailText(model, P);
    expect(text.startsWith('金融情报日报｜2025-11-10（周一）\n')).toBe(true);
    for (const e of model.all) expect(text).toContain(e.title);
    expect(text).toContain('■ 今日要闻（5 条）');
    expect(text).toContain('■ 宏观（3 条）');
    expect(text).toMatch(/\n1\. 10月CPI同比上涨0\.2%/);
    expect(text).toContain('\n   https://news.example.cn/2025/11/0001.html?utm_source=rss\n');
    expect(text).toContain('11-09 16:00');
    expect(text).toContain('退订：https://finrep.example.com/unsubscribe?t=abc');
  });
  it('prints hostile URLs nowhere', () => {
    const text = renderEmailText(hostileModel(), P);
    expect(text.toLowerCase()).not.toContain('javascript:');
    expect(text).toContain('<img src=x onerror=alert(1)>'); // plain text: shown as typed, never interpreted
  });
});

describe('renderWebView', () => {
  it('is a standalone, locked-down document with every story', async () => {
    const model = largeModel(60);
    const html = await renderWebView(model);
    expect(html.startsWith('<!doctype html><html lang="zh-CN">')).toBe(true);
    expect(html).toContain('<meta charSet="utf-8"/>');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(html).toContain('<meta name="referrer" content="no-referrer"/>');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; style-src &#x27;unsafe-inline&#x27;; img-src data:`,
    );
    for (const e of model.all) expect(html).toContain(e.title);
    expect(html).toContain('本页面由 finrep 自动生成');
    expect(html).not.toContain('另有');
  });
  it('escapes hostile text and drops non-http links', async () => {
    expectInert(await renderWebView(hostileModel()));
  });
  it('embeds the same charts as data: URIs and explains every score', async () => {
    const model = withCharts(fixtureModel());
    model.top[0] = {
      ...model.top[0]!,
      score: 62.5,
      factors: { importance: 30, coverage: 15.5, recency: 7, watchlist: 10, sentiment: 0 },
      watchHits: ['降准'],
    };
    const html = await renderWebView(model);
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).not.toContain('cid:');
    expect(html).toContain('得分 62.5 = 重要性 30 + 媒体覆盖 15.5 + 关注列表 10 + 时效 7（关注：降准）');
  });
});

describe('emailSubject', () => {
  it('names the edition, weekday and top count', () => {
    expect(emailSubject(fixtureModel())).toBe('金融情报日报｜2025-11-10（周一）· 今日要闻 5 条');
  });
  it('is one line even with a hostile title', () => {
    const model = fixtureModel();
    model.title = '日报\r\nBcc: victim@example.com';
    expect(emailSubject(model)).not.toMatch(/[\r\n]/);
  });
});
