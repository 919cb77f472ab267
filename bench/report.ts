/**
 * `npm run bench:report`: the compose stage on large editions — the workbook with 5,000 articles (the
 * target: under 2 s), the email with 200 candidate stories (trimmed under 102 KB), the web view, the
 * charts and the ranking of 5,000 stories — printed and written to bench/results/report.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Extraction } from '../src/domain.ts';
import { SYSTEM_FONTS, findCjkFont, renderCharts } from '../src/report/charts.ts';
import { EMAIL_BYTE_BUDGET, buildWorkbook, renderEmailDetailed, renderWebView } from '../src/report/index.ts';
import { largeModel } from '../src/report/testdata/model.ts';
import { rankStories } from '../src/score/index.ts';
import type { ScoreInput } from '../src/score/index.ts';

const ROWS = 5000;
const RUNS = 5;
const WORKBOOK_LIMIT_MS = 2000;

/** Median and max of `runs` timings of `f`, after one warm-up. */
async function time<T>(runs: number, f: () => Promise<T> | T): Promise<{ median_ms: number; max_ms: number; last: T }> {
  let last = await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { median_ms: Math.round(ms[Math.floor(ms.length / 2)]!), max_ms: Math.round(ms[ms.length - 1]!), last };
}

const say = (line: string) => process.stdout.write(`${line}\n`);

const big = largeModel(ROWS);
const workbook = await time(RUNS, () => buildWorkbook(big));
say(
  `workbook   ${ROWS} articles: median ${workbook.median_ms} ms, max ${workbook.max_ms} ms, ${Math.round(workbook.last.length / 1024)} KB`,
);

const candidates = largeModel(200);
const p = { recipientName: '李明', unsubscribeUrl: 'https://finrep.example.com/unsubscribe?t=abc' };
const email = await time(RUNS, () => renderEmailDetailed(candidates, p));
say(
  `email      200 candidates: median ${email.median_ms} ms, ${email.last.bytes} bytes (budget ${EMAIL_BYTE_BUDGET}), ${email.last.omitted} stories trimmed`,
);

const web = await time(RUNS, () => renderWebView(candidates));
say(`web view   200 stories: median ${web.median_ms} ms, ${Math.round(Buffer.byteLength(web.last) / 1024)} KB`);

// The charts with the font finrep ships, and (interleaved, so a busy machine slows both alike) with a system CJK font
// (fonts-noto-cjk's 19 MB collection) when there is one.
const systemFont = findCjkFont(SYSTEM_FONTS);
const chartRuns = { bundled: [] as number[], system: [] as number[] };
let charts = await renderCharts(candidates);
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  charts = await renderCharts(candidates);
  chartRuns.bundled.push(performance.now() - t);
  if (!systemFont) continue;
  t = performance.now();
  await renderCharts(candidates, { fonts: [systemFont] });
  chartRuns.system.push(performance.now() - t);
}
const median = (ms: number[]) =>
  ms.length ? Math.round([...ms].sort((x, y) => x - y)[Math.floor(ms.length / 2)]!) : null;
const chartsMs = { bundled: median(chartRuns.bundled), system: median(chartRuns.system) };
say(
  `charts     ${charts.length} PNGs: median ${chartsMs.bundled} ms, ${charts.map((c) => `${c.id} ${Math.round(c.png.length / 1024)} KB`).join(', ')}` +
    `${systemFont ? `; with ${systemFont.file}: median ${chartsMs.system} ms` : ''}`,
);

const windowTo = new Date('2025-11-09T22:00:00Z');
const stories: ScoreInput[] = big.all.map((e, i) => ({
  articleId: i + 1,
  clusterId: i + 1,
  coverage: e.coverage,
  sourceWeight: 1,
  effectiveAt: e.publishedAt ?? windowTo,
  title: e.title,
  extraction: {
    summary: e.summary,
    category: e.category,
    event_type: e.eventType,
    sentiment: e.sentiment,
    sentiment_score: e.sentimentScore,
    importance: e.importance,
    entities: { companies: e.tickers.map((t) => ({ name: t, ticker: t })), people: [], institutions: [] },
    keywords: e.keywords,
    region: e.region,
  } satisfies Extraction,
}));
const rank = await time(RUNS, () =>
  rankStories(stories, {
    windowFrom: new Date(windowTo.getTime() - 86_400_000),
    windowTo,
    topN: 5,
    topPerSection: 2,
    topPerCompany: 2,
    watch: { tickers: ['600519.SH'], companies: ['宁德时代'], keywords: ['降准'] },
  }),
);
say(`ranking    ${ROWS} stories: median ${rank.median_ms} ms`);

const ok = workbook.max_ms < WORKBOOK_LIMIT_MS && email.last.bytes < 102 * 1024;
const result = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  runs: RUNS,
  workbook: {
    rows: ROWS,
    median_ms: workbook.median_ms,
    max_ms: workbook.max_ms,
    bytes: workbook.last.length,
    limit_ms: WORKBOOK_LIMIT_MS,
  },
  email: {
    candidates: 200,
    median_ms: email.median_ms,
    bytes: email.last.bytes,
    budget: EMAIL_BYTE_BUDGET,
    omitted: email.last.omitted,
  },
  web_view: { stories: 200, median_ms: web.median_ms, bytes: Buffer.byteLength(web.last) },
  charts: {
    font: findCjkFont()?.family ?? null,
    median_ms: chartsMs.bundled,
    png_bytes: Object.fromEntries(charts.map((c) => [c.id, c.png.length])),
    system_font: systemFont?.family ?? null,
    system_font_median_ms: chartsMs.system,
  },
  ranking: { stories: ROWS, median_ms: rank.median_ms },
  ok,
};
const out = path.resolve('bench/results/report.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
say(`${ok ? 'ok' : 'TOO SLOW OR TOO LARGE'} — written to ${path.relative(process.cwd(), out)}`);
if (!ok) process.exitCode = 1;
