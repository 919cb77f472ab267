import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { WindowStory } from '../db/queries/articles.ts';
import { CATEGORIES } from '../domain.ts';
import type { Extraction } from '../domain.ts';
import { rankStories } from '../score/index.ts';
import { buildReportModel, entities, readInlineImages, writeReportFiles } from './build.ts';
import { renderEmailDetailed } from './index.ts';

const FROM = new Date('2025-11-09T22:00:00Z');
const TO = new Date('2025-11-10T22:00:00Z');

function extraction(i: number): Extraction {
  return {
    summary: `第 ${i + 1} 条摘要：国家统计局今日发布数据，显示相关指标同比增长，市场人士认为经济延续修复态势，后续政策仍有发力空间。`,
    category: CATEGORIES[i % CATEGORIES.length]!,
    event_type: '数据发布',
    sentiment: (['positive', 'neutral', 'negative'] as const)[i % 3]!,
    sentiment_score: i % 3 === 0 ? 0.6 : i % 3 === 2 ? -0.5 : 0,
    importance: 1 + (i % 5),
    entities: {
      companies: [
        { name: '贵州茅台', ticker: '600519.SH' },
        { name: '贵州茅台', ticker: '600519.SS' },
        { name: ' 贵州茅台 ', ticker: null },
      ],
      people: [],
      institutions: [],
    },
    keywords: ['数据', '数据', '增长'],
    region: 'CN',
  };
}

/** `n` stories of `n` clusters, as the pipeline hands them to compose. */
function edition(n: number) {
  const stories: WindowStory[] = Array.from({ length: n }, (_, i) => ({
    clusterId: 100 + i,
    size: 1 + (i % 4),
    articleId: 1000 + i,
    title: `第 ${i + 1} 条：统计局发布十月经济数据，多项指标好于预期`,
    url: i === 0 ? 'javascript:alert(1)' : `https://news.example.cn/a/${i}.html`,
    summary: null,
    content: null,
    publishedAt: null,
    effectiveAt: new Date(TO.getTime() - (i % 24) * 3_600_000),
    contentHash: `h${i}`,
    sourceName: `来源${i % 7}`,
    sourceKind: 'rss',
    sourceWeight: 1,
    sources: [`来源${i % 7}`, `来源${(i + 1) % 7}`],
  }));
  const extractions = new Map(stories.map((s, i) => [s.articleId, extraction(i)]));
  const ranking = rankStories(
    stories.map((s) => ({
      articleId: s.articleId,
      clusterId: s.clusterId,
      coverage: s.size,
      sourceWeight: 1,
      effectiveAt: s.effectiveAt,
      extraction: extractions.get(s.articleId)!,
      title: s.title,
    })),
    // Sections as long as they get: every story is a candidate for the email.
    {
      windowFrom: FROM,
      windowTo: TO,
      topN: 5,
      sectionCaps: Object.fromEntries(CATEGORIES.map((c) => [c, 100])),
      watch: { tickers: [], companies: [], keywords: ['第 7 条'] },
    },
  );
  return buildReportModel({
    edition: '2025-11-10',
    timeZone: 'Asia/Shanghai',
    generatedAt: TO,
    window: { from: FROM, to: TO },
    ranking,
    stories,
    articleCount: n,
    allArticles: stories.map((s) => ({
      id: s.articleId,
      clusterId: s.clusterId,
      title: s.title,
      url: s.url,
      publishedAt: null,
      effectiveAt: s.effectiveAt,
      sourceName: s.sourceName,
    })),
    extractions,
    sourceStats: [],
    webViewUrl: 'https://finrep.example.com/reports/2025-11-10',
  });
}

describe('entities', () => {
  it('names each company and ticker once', () => {
    expect(entities(extraction(0))).toEqual({ companies: ['贵州茅台'], tickers: ['600519.SH', '600519.SS'] });
  });
});

describe('buildReportModel', () => {
  it('carries the ranking, the watch-list matches and the category × sentiment counts', () => {
    const model = edition(30);
    expect(model.top).toHaveLength(5);
    expect(model.top.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(model.all).toHaveLength(30);
    const watched = model.all.find((e) => e.title.startsWith('第 7 条'));
    expect(watched?.watchHits).toEqual(['第 7 条']);
    expect(model.categoryMood?.reduce((n, r) => n + r.positive + r.neutral + r.negative, 0)).toBe(30);
    expect(model.top[0]?.companies).toEqual(['贵州茅台']);
    expect(Object.keys(model.top[0]!.factors)).toEqual([
      'importance',
      'coverage',
      'source',
      'recency',
      'watchlist',
      'sentiment',
    ]);
  });
});

describe('writeReportFiles with 200 candidate stories', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trims the email under 102 KB, says so, and keeps everything in the web view and the workbook', async () => {
    const model = edition(200);
    const files = await writeReportFiles(model, dir);
    expect(readdirSync(dir).sort()).toEqual([
      'chart-categories.png',
      'chart-sentiment.png',
      'email.html',
      'inline-images.json',
      'report.html',
      'report.txt',
      '金融情报日报-2025-11-10.xlsx',
    ]);

    const stored = readFileSync(files.emailHtml);
    expect(stored.length).toBe(files.emailBytes);
    expect(stored.length).toBeLessThan(102 * 1024);
    expect(files.emailOmitted).toBeGreaterThan(0);
    expect(stored.toString()).toContain(`另有 ${files.emailOmitted} 条未在邮件中展示`);
    const cidsOf = (html: string) => [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    expect(cidsOf(stored.toString())).toEqual(files.inlineImages.map((i) => i.cid));

    // A recipient's copy (rendered from the returned model) references exactly the inline images.
    const mail = await renderEmailDetailed(files.model, {
      recipientName: '李明',
      unsubscribeUrl: 'https://finrep.example.com/u?t=1',
    });
    expect(mail.bytes).toBeLessThan(102 * 1024);
    expect(cidsOf(mail.html)).toEqual(files.inlineImages.map((i) => i.cid));
    for (const img of files.inlineImages) {
      expect(img.contentType).toBe('image/png');
      expect(img.content.subarray(1, 4).toString()).toBe('PNG');
    }
    // Stored with the edition, so the stored email can be sent again with its images.
    expect(await readInlineImages(dir)).toEqual(files.inlineImages);

    const web = readFileSync(files.webview, 'utf8');
    for (const e of model.top) expect(web).toContain(e.title);
    expect(web.match(/<img src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(web).not.toContain('另有');
    expect(web).not.toContain('javascript:');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(files.xlsx);
    expect(wb.getWorksheet('全部文章')?.rowCount).toBe(201);
  });
});

describe('readInlineImages', () => {
  it('finds none where nothing was composed', async () => {
    expect(await readInlineImages(path.join(tmpdir(), 'finrep-no-such-dir'))).toEqual([]);
  });
});

describe('writeReportFiles without charts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still composes everything when the charts cannot be drawn', async () => {
    const files = await writeReportFiles(edition(12), dir, {
      drawCharts: () => Promise.reject(new Error('no renderer')),
    });
    expect(files.chartError).toBe('no renderer');
    expect(files.inlineImages).toEqual([]);
    expect(files.model.charts).toEqual([]);
    const html = readFileSync(files.emailHtml, 'utf8');
    expect(html).not.toContain('<img');
    expect(html).toContain('市场情绪');
    expect(await readInlineImages(dir)).toEqual([]);
  });
});

describe('writeReportFiles when a file cannot be written', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'finrep-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // bench:chaos disk-full: a full disk left zero-byte `*.tmp` files behind each failed attempt.
  it('fails with the reason and leaves no temporary file behind', async () => {
    // report.txt cannot take its place: a folder holds the name (as ENOSPC stops a write, this stops the rename).
    mkdirSync(path.join(dir, 'report.txt'));
    await expect(
      writeReportFiles(edition(12), dir, { drawCharts: () => Promise.reject(new Error('no renderer')) }),
    ).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|directory/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
