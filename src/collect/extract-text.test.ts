import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { corpusDir } from '../../test/helpers/corpora.ts';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cleanParagraphs, isBoilerplateLine } from './boilerplate.ts';
import { decodeBody } from './charset.ts';
import { densestParagraphs, extractMainText } from './extract-text.ts';
import { parseHtmlDocument } from './html-text.ts';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const SH = { timeZone: 'Asia/Shanghai', now: new Date('2025-11-10T02:00:00Z') };

describe('extractMainText on a Chinese news page', () => {
  const result = extractMainText(
    testdata('cn-news-article.html'),
    'https://finance.example.com/a/20251109/cpi.html',
    SH,
  );
  const paragraphs = result.articleBody.split('\n\n');

  it('returns exactly the five body paragraphs', () => {
    expect(paragraphs).toHaveLength(5);
    expect(paragraphs[0]).toMatch(/^国家统计局今日发布数据显示，10月份/);
    expect(paragraphs[4]).toMatch(/区间。$/);
  });

  it.each([
    { name: 'editor line', text: '责任编辑' },
    { name: 'original-title line', text: '原标题' },
    { name: 'source line', text: '来源：' },
    { name: 'disclaimer', text: '声明：' },
    { name: 'share bar', text: '分享到' },
    { name: 'QR code prompt', text: '扫一扫' },
    { name: 'related reading list', text: '相关阅读' },
    { name: 'related headline', text: '9月CPI同比下降0.3%' },
    { name: 'sidebar headline', text: '沪指重回3400点' },
    { name: 'copyright footer', text: '版权所有' },
    { name: 'comment box', text: '文明上网' },
    { name: 'advert', text: '万一免五' },
  ])('drops the $name', ({ text }) => {
    expect(result.articleBody).not.toContain(text);
  });

  it('reads title, author and date from the page metadata', () => {
    expect(result.title).toBe('国家统计局：10月CPI同比上涨0.2% 核心CPI涨幅连续回升');
    expect(result.author).toBe('华夏财经记者 林晓');
    expect(result.publishedAt?.toISOString()).toBe('2025-11-09T01:30:00.000Z');
  });

  it('falls back to the meta line for author and date when the page declares neither', () => {
    const html = testdata('cn-news-article.html')
      .replace(/<meta property="article:published_time"[^>]*>/, '')
      .replace(/<meta name="author"[^>]*>/, '');
    const r = extractMainText(html, 'https://finance.example.com/a/1.html', SH);
    expect(r.publishedAt?.toISOString()).toBe('2025-11-09T01:30:00.000Z');
    expect(r.author).toBe('林晓');
  });
});

describe('extractMainText on short and awkward pages', () => {
  it("keeps a short Chinese flash item that Readability's default threshold would reject", () => {
    const html = `<html><head><title>快讯_某网</title></head><body><div class="nav"><a href="/">首页</a> <a href="/a">要闻</a></div>
      <div class="content"><h1>央行开展3875亿元7天期逆回购操作</h1><p>中国人民银行今日以固定利率、数量招标方式开展了3875亿元7天期逆回购操作，操作利率1.40%，与此前持平。</p>
      <p>因今日有1200亿元逆回购到期，单日实现净投放2675亿元。</p><p>（责任编辑：刘洋）</p></div><div class="footer">版权所有 © 某网</div></body></html>`;
    const r = extractMainText(html, 'https://x.example/1', SH);
    expect(r.articleBody.split('\n\n')).toEqual([
      '中国人民银行今日以固定利率、数量招标方式开展了3875亿元7天期逆回购操作，操作利率1.40%，与此前持平。',
      '因今日有1200亿元逆回购到期，单日实现净投放2675亿元。',
    ]);
    expect(r.title).toBe('央行开展3875亿元7天期逆回购操作');
  });

  it('returns an empty body, not an error, for a page without text', () => {
    expect(extractMainText('<html><body><img src="x.png"></body></html>', 'https://x.example/').articleBody).toBe('');
  });

  it('finds the densest run of <p> for the fallback', () => {
    const doc =
      parseHtmlDocument(`<body><div id="side"><p><a href="/1">链接一链接一链接一链接一</a></p><p><a href="/2">链接二链接二链接二链接二</a></p></div>
      <div id="main"><p>第一段正文内容，足够长的一句话用于测试。</p><span>不是段落</span><p>第二段正文内容，同样足够长的一句话。</p></div></body>`);
    expect(densestParagraphs(doc)).toEqual([
      '第一段正文内容，足够长的一句话用于测试。',
      '第二段正文内容，同样足够长的一句话。',
    ]);
  });
});

describe('boilerplate lines', () => {
  it.each([
    { name: 'editor in parentheses', line: '（责任编辑：王敏）', expected: true },
    { name: 'source line', line: '来源：新华社', expected: true },
    { name: 'meta line with date and source', line: '2025-11-09 09:30 来源：华夏财经网 作者：林晓', expected: true },
    { name: 'bare timestamp', line: '2025年11月09日 09:30', expected: true },
    { name: 'share bar', line: '分享到：微信 微博 QQ空间', expected: true },
    { name: 'copyright', line: 'Copyright © 2009-2025 华夏财经网 版权所有', expected: true },
    { name: 'related heading', line: '相关阅读', expected: true },
    {
      name: 'news lead mentioning an editor',
      line: '新华社北京11月9日电（记者张三）国家统计局今日发布数据，编辑部整理如下要点。',
      expected: false,
    },
    { name: 'long paragraph starting with 来源', line: `来源：${'正文内容'.repeat(40)}`, expected: false },
    { name: 'plain sentence', line: '央行宣布下调存款准备金率0.25个百分点。', expected: false },
  ])('$name → $expected', ({ line, expected }) => {
    expect(isBoilerplateLine(line)).toBe(expected);
  });

  it('cuts everything after a related-reading heading, and drops a repeated title', () => {
    expect(cleanParagraphs(['标题', '正文一', '相关阅读', '别的新闻', '更多新闻'], '标题')).toEqual(['正文一']);
  });
});

// The Zyte article-extraction benchmark (181 real pages, mostly English), scored as its README describes.
const CORPUS = corpusDir('article-extraction');
const hasCorpus = existsSync(CORPUS);
if (!hasCorpus) console.warn(`skipping the extraction benchmark: ${CORPUS} does not exist`);

function shingles(text: string): Map<string, number> {
  const tokens = text.match(/[\p{L}\p{M}\p{N}_]+/gu) ?? [];
  const out = new Map<string, number>();
  if (tokens.length === 0) return out;
  if (tokens.length < 4) return out.set(tokens.join(' '), 1);
  for (let i = 0; i + 4 <= tokens.length; i++) {
    const k = tokens.slice(i, i + 4).join(' ');
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(!hasCorpus)('article-extraction benchmark', () => {
  it('scores F1 ≥ 0.94 (Readability.js alone: 0.947)', { timeout: 180_000 }, () => {
    const truth = JSON.parse(readFileSync(path.join(CORPUS, 'ground-truth.json'), 'utf8')) as Record<
      string,
      { articleBody: string; url: string }
    >;
    let p = 0,
      pn = 0,
      r = 0,
      rn = 0;
    for (const file of readdirSync(path.join(CORPUS, 'html'))) {
      const t = truth[file.replace(/\.html\.gz$/, '')];
      if (!t) continue;
      const html = decodeBody(gunzipSync(readFileSync(path.join(CORPUS, 'html', file))), null);
      const want = shingles(t.articleBody);
      const got = shingles(extractMainText(html, t.url).articleBody);
      let tp = 0,
        fp = 0,
        fn = 0;
      for (const [k, v] of got) {
        tp += Math.min(v, want.get(k) ?? 0);
        fp += Math.max(0, v - (want.get(k) ?? 0));
      }
      for (const [k, v] of want) fn += Math.max(0, v - (got.get(k) ?? 0));
      const perfect = fp === 0 && fn === 0;
      if (tp + fp > 0) {
        p += perfect ? 1 : tp / (tp + fp);
        pn++;
      }
      if (tp + fn > 0) {
        r += perfect ? 1 : tp / (tp + fn);
        rn++;
      }
    }
    const precision = p / pn;
    const recall = r / rn;
    const f1 = (2 * precision * recall) / (precision + recall);
    console.info(`article-extraction: P=${precision.toFixed(3)} R=${recall.toFixed(3)} F1=${f1.toFixed(3)}`);
    expect(f1).toBeGreaterThanOrEqual(0.94);
  });
});

describe('extractMainText on English news layouts', () => {
  const body = [
    'The central bank cut its main policy rate by a quarter of a percentage point on Tuesday, citing slowing growth.',
    'Officials said inflation had eased for a third straight month and that further cuts remained possible next year.',
    'Markets rallied on the news, with the benchmark index closing up 1.2 percent.',
  ];
  const page = (extra: {
    top?: string;
    figure?: string;
    bottom?: string;
  }) => `<html><head><title>Rate cut</title></head><body>
    <article><h1>Central bank cuts rates</h1>${extra.top ?? ''}<p>${body[0]}</p>${extra.figure ?? ''}<p>${body[1]}</p><p>${body[2]}</p>${extra.bottom ?? ''}</article></body></html>`;
  const extract = (html: string) => extractMainText(html, 'https://news.example.com/a', SH).articleBody.split('\n\n');

  it.each([
    {
      name: 'a picture caption and credit',
      extra: {
        figure:
          '<figure><img src="a.jpg"><figcaption>Traders at the exchange on Tuesday. Credit: Reuters</figcaption></figure><p class="photo-credit">© Jane Photographer</p>',
      },
    },
    {
      name: 'a byline and time stamps',
      extra: {
        top: '<p>By Jane Doe - 11/18/19 11:04 PM EST</p><p>Updated Nov 19, 6:55 AM; Posted Nov 19, 6:51 AM</p>',
      },
    },
    {
      name: 'a "You may also like" list',
      extra: {
        bottom:
          '<h3>You may also like...</h3><ul><li><a href="/b">Why bonds are rallying again this week, explained</a></li><li><a href="/c">Five charts that explain the slowdown in factories</a></li></ul>',
      },
    },
    {
      name: 'a "Related Articles" list',
      extra: {
        bottom:
          '<p>Related Articles</p><p><a href="/d">Why bonds are rallying again this week</a></p><p><a href="/e">Factories slow for a third month</a></p>',
      },
    },
    {
      name: 'a footer menu',
      extra: { bottom: '<p>Sign In</p><p>Home</p><p>Subscribe</p><p>Contact Us</p><p>Terms of Use</p>' },
    },
    { name: 'a copyright line', extra: { bottom: '<p>© 2019 Example Publishing Corp. All rights reserved</p>' } },
  ])('drops $name', ({ extra }) => {
    expect(extract(page(extra))).toEqual(body);
  });

  it('keeps a list of figures at the end and a sentence that starts with "By"', () => {
    const results = [
      'Palm Bay d. Rockledge 70-44',
      'Viera d. Melbourne 55-41',
      'Eau Gallie d. Satellite 61-58',
      'Bayside d. Heritage 49-47',
    ];
    const out = extract(
      page({
        top: '<p>By the end of the session, traders had priced in two more cuts before June.</p>',
        bottom: results.map((r) => `<p>${r}</p>`).join(''),
      }),
    );
    expect(out[0]).toMatch(/^By the end of the session/);
    expect(out.slice(-4)).toEqual(results);
  });
});
