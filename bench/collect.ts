/**
 * Collect throughput: a generated world of 200 sources (150 RSS feeds, 50 static sites with 5 article pages
 * each), every response delayed by an injected latency, each site on its own loopback address (so per-host
 * limits apply per site, as on the Internet), collected by the real `runCollect` into a fresh PGlite
 * database. Compared with the lower bound the concurrency limits set:
 *   RSS: ⌈feeds / CRAWL_CONCURRENCY_RSS⌉ × latency (one request per feed);
 *   web: ⌈sites / CRAWL_CONCURRENCY_WEB⌉ × (1 + ⌈5 / min(WEB_ARTICLE_CONCURRENCY, CRAWL_PER_HOST_CONCURRENCY)⌉) × latency;
 * both kinds run side by side, so the bound is the larger of the two.
 * Options: --latency MS (200), --rss N, --web N, --per-host N (config defaults otherwise).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCollect } from '../src/collect/run.ts';
import { WEB_ARTICLE_CONCURRENCY } from '../src/collect/web.ts';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/client.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import type { SourceSeed } from '../src/db/queries/sources.ts';
import { silentLogger } from '../src/log.ts';
import { updateDocBlock } from './lib/doc-block.ts';
import { machine, round, say } from './lib/results.ts';

const RSS_SITES = 150;
const WEB_SITES = 50;
const FEED_ITEMS = 10;
const ARTICLES_PER_SITE = 5;

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

const PARAGRAPH =
  '国家统计局今日发布数据显示，前三季度国内生产总值同比增长，工业生产保持稳定，消费市场持续恢复，就业形势总体稳定。';

function feedXml(site: number, base: string): string {
  const items = Array.from(
    { length: FEED_ITEMS },
    (_, k) =>
      `<item><title>第${site}号源快讯${k}：央行开展${site * 10 + k}亿元逆回购</title>` +
      `<link>${base}/a/${k}.html</link><guid>${base}/a/${k}.html</guid><pubDate>Mon, 10 Nov 2025 0${k % 10}:00:00 +0800</pubDate>` +
      `<description>${PARAGRAPH}编号${site}-${k}。</description></item>`,
  ).join('\n');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源${site}</title><link>${base}/</link>${items}</channel></rss>`;
}

function listHtml(site: number): string {
  const links = Array.from(
    { length: ARTICLES_PER_SITE },
    (_, k) => `<li><a class="item" href="/a/${k}.html">站点${site}新闻${k}</a></li>`,
  ).join('');
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>站点${site}</title></head><body><ul>${links}</ul></body></html>`;
}

function articleHtml(site: number, k: number): string {
  return (
    `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>站点${site}新闻${k}</title></head><body>` +
    `<h1 class="title">站点${site}新闻${k}：沪指收涨${site}.${k}%</h1><span class="date">2025年11月10日 08:${10 + k}</span>` +
    `<article>${Array.from({ length: 8 }, (_, p) => `<p>${PARAGRAPH}第${site}站第${k}篇第${p}段。</p>`).join('')}</article></body></html>`
  );
}

/**
 * Nanoseconds the main thread has run and has waited in the run queue (Linux `schedstat`; null elsewhere):
 * the wait is what a loaded machine adds to the wall time.
 */
function schedstat(): { runNs: number; waitNs: number } | null {
  const file = '/proc/thread-self/schedstat';
  if (!existsSync(file)) return null;
  const [run, wait] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return { runNs: run!, waitNs: wait! };
}

interface Site {
  server: Server;
  base: string;
  stats: { now: number; peak: number };
}

/** One server per site on its own loopback address; every response waits `latencyMs` first. */
async function startSite(
  index: number,
  kind: 'rss' | 'web',
  latencyMs: number,
  counters: { requests: number },
): Promise<Site> {
  const host = `127.0.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
  const stats = { now: 0, peak: 0 };
  let base = '';
  const server = createServer((req, res) => {
    counters.requests++;
    stats.peak = Math.max(stats.peak, ++stats.now);
    setTimeout(() => {
      stats.now--;
      const art = /^\/a\/(\d+)\.html$/.exec(req.url ?? '');
      if (kind === 'rss' && req.url === '/feed.xml') {
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' }).end(feedXml(index, base));
      } else if (kind === 'web' && req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(listHtml(index));
      } else if (kind === 'web' && art) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(articleHtml(index, Number(art[1])));
      } else {
        res.writeHead(404).end();
      }
    }, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return { server, base, stats };
}

export async function run(args: string[] = []): Promise<object> {
  const config = loadConfig({}, { envFile: null });
  const latencyMs = option(args, 'latency', 200);
  const rss = option(args, 'rss', config.crawl.concurrencyRss);
  const web = option(args, 'web', config.crawl.concurrencyWeb);
  const perHost = option(args, 'per-host', config.crawl.perHostConcurrency);

  const counters = { requests: 0 };
  const sites = await Promise.all(
    Array.from({ length: RSS_SITES + WEB_SITES }, (_, i) =>
      startSite(i, i < RSS_SITES ? 'rss' : 'web', latencyMs, counters),
    ),
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-collect-'));
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    const seeds: SourceSeed[] = sites.map((s, i) =>
      i < RSS_SITES
        ? {
            key: `rss-${i}`,
            name: `源${i}`,
            kind: 'rss',
            url: `${s.base}/feed.xml`,
            rules: null,
            weight: 1,
            timezone: 'Asia/Shanghai',
            allowPrivate: true,
          }
        : {
            key: `web-${i}`,
            name: `站点${i}`,
            kind: 'web',
            url: `${s.base}/`,
            weight: 1,
            timezone: 'Asia/Shanghai',
            allowPrivate: true,
            rules: {
              itemSelector: 'a.item',
              titleSelector: 'h1.title',
              dateSelector: '.date',
              contentSelector: 'article',
            },
          },
    );
    await sourcesQ.upsertSources(database.db, seeds);

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const sched0 = schedstat();
    const summary = await runCollect(
      {
        db: database.db,
        log: silentLogger(),
        now: () => new Date(),
        timeZone: 'Asia/Shanghai',
        userAgent: 'finrep-bench',
        timeoutMs: 30_000,
        concurrency: { rss, web },
        perHostConcurrency: perHost,
      },
      { runId: null },
    );
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sched1 = schedstat();
    const waitS = sched0 && sched1 ? (sched1.waitNs - sched0.waitNs) / 1e9 : null;

    const rounds = {
      rss: Math.ceil(RSS_SITES / rss),
      web: Math.ceil(WEB_SITES / web) * (1 + Math.ceil(ARTICLES_PER_SITE / Math.min(WEB_ARTICLE_CONCURRENCY, perHost))),
    };
    const boundS = (Math.max(rounds.rss, rounds.web) * latencyMs) / 1000;
    const expectedItems = RSS_SITES * FEED_ITEMS + WEB_SITES * ARTICLES_PER_SITE;
    const result = {
      sources: { rss: RSS_SITES, web: WEB_SITES, articles_per_site: ARTICLES_PER_SITE, feed_items: FEED_ITEMS },
      latency_ms: latencyMs,
      concurrency: { rss, web, per_host: perHost, web_articles: WEB_ARTICLE_CONCURRENCY },
      requests: counters.requests,
      items: summary.fetched,
      new_articles: summary.new_articles,
      expected_items: expectedItems,
      failed_sources: summary.failed_sources,
      wall_seconds: round(wallS, 2),
      bound_seconds: round(boundS, 2),
      bound_rss_seconds: round((rounds.rss * latencyMs) / 1000, 2),
      bound_web_seconds: round((rounds.web * latencyMs) / 1000, 2),
      wall_over_bound: boundS > 0 ? round(wallS / boundS, 3) : null,
      items_per_second: round(summary.fetched / wallS, 1),
      // The process's CPU time during the collect (the sites' servers included): what a loaded machine delays.
      cpu_seconds: round((cpu.user + cpu.system) / 1e6, 2),
      // How long the event loop's thread was runnable but waited for a CPU (other processes' load).
      main_thread_cpu_wait_seconds: waitS === null ? null : round(waitS, 2),
      peak_in_flight_per_host: Math.max(...sites.map((s) => s.stats.peak)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    if (summary.failed_sources > 0)
      say(
        `  warning: ${summary.failed_sources} sources failed: ${summary.errors
          .slice(0, 3)
          .map((e) => e.error)
          .join('; ')}`,
      );
    say(
      `collect: ${RSS_SITES} RSS + ${WEB_SITES} web sources, ${latencyMs} ms latency, ${counters.requests} requests, ${summary.fetched} items (${summary.new_articles} new)`,
    );
    say(
      `  wall ${result.wall_seconds} s vs bound ${result.bound_seconds} s (rss ${result.bound_rss_seconds} s, web ${result.bound_web_seconds} s) → ×${result.wall_over_bound}`,
    );
    if (args.length === 0) writeDoc(result);
    say(
      `  ${result.items_per_second} items/s, ${result.cpu_seconds} s CPU, main thread waited ${result.main_thread_cpu_wait_seconds ?? '?'} s for a CPU, peak ${result.peak_in_flight_per_host} in flight per host (limit ${perHost}), peak RSS ${result.peak_rss_mb} MB`,
    );
    return result;
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.all(
      sites.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.server.closeAllConnections();
            s.server.close(() => resolve());
          }),
      ),
    );
  }
}

/** The default run's numbers, into docs/collect.md. */
function writeDoc(r: {
  latency_ms: number;
  requests: number;
  items: number;
  wall_seconds: number;
  bound_seconds: number;
  bound_rss_seconds: number;
  bound_web_seconds: number;
  wall_over_bound: number | null;
  cpu_seconds: number;
  main_thread_cpu_wait_seconds: number | null;
  concurrency: { rss: number; web: number; per_host: number };
}): void {
  const m = machine();
  updateDocBlock(
    path.resolve(import.meta.dirname, '../docs/collect.md'),
    'collect',
    `
\`npm run bench -- collect\` (${m.at.slice(0, 10)}, Node ${m.node}, ${m.cpus}× ${m.cpu}, load average ${m.load_average.join(' / ')}):
${RSS_SITES} feeds of ${FEED_ITEMS} items and ${WEB_SITES} static sites of ${ARTICLES_PER_SITE} article pages, each site on its own loopback
address, every response ${r.latency_ms} ms late; ${r.requests} requests, ${r.items} items stored in a fresh PGlite database by the real
\`runCollect\` (concurrency ${r.concurrency.rss} feeds, ${r.concurrency.web} sites, ${r.concurrency.per_host} per host).

| wall | bound (feeds / sites) | wall ÷ bound | process CPU | main thread waiting for a CPU |
|---|---|---|---|---|
| **${r.wall_seconds} s** | ${r.bound_seconds} s (${r.bound_rss_seconds} s / ${r.bound_web_seconds} s) | **×${r.wall_over_bound}** | ${r.cpu_seconds} s | ${r.main_thread_cpu_wait_seconds ?? 'n/a'} s |

The bound counts only waiting for responses; the rest is the process's own work (parsing, fingerprints,
PGlite), most of it while the feeds are collected, when it delays the sites' lane. On a loaded machine the
event loop also waits for a CPU (last column, from the thread's \`schedstat\`), every wait delaying the
requests in flight.`,
  );
}
