/**
 * One huge feed: ~14 MB (under the 15 MB body cap) of 100,000 near-identical dated items, collected by the
 * real `runCollect` into a fresh PGlite database, with the default cap (`CRAWL_FEED_MAX_ITEMS`, the newest
 * kept) and without one (every item kept, as before the cap). Reports the collect stage's wall time, the
 * articles stored (each one later a dedup candidate and an LLM extraction) and the process's RSS before
 * collecting (the database open, the feed built) and at its peak.
 * Options: --items N (100,000), --uncapped (also run without a cap: slow, it stores every item).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_FEED_MAX_ITEMS } from '../src/collect/context.ts';
import { runCollect } from '../src/collect/run.ts';
import { openDatabase } from '../src/db/client.ts';
import { sourcesQ } from '../src/db/queries/index.ts';
import { silentLogger } from '../src/log.ts';
import { round, say } from './lib/results.ts';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** `n` items of one template, a minute apart, oldest first (keeping the first N would keep the oldest). */
function hugeFeed(n: number): Buffer {
  const t0 = Date.UTC(2025, 10, 1);
  const items = Array.from(
    { length: n },
    (_, i) =>
      `<item><title>Index up 0.${i % 100}% #${i}</title>` +
      `<link>http://f.example/${i}</link><pubDate>${new Date(t0 + i * 60_000).toUTCString()}</pubDate></item>`,
  );
  const head =
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>huge</title><link>http://f.example/</link>';
  return Buffer.from(`${head}\n${items.join('\n')}\n</channel></rss>`);
}

async function collectOnce(url: string, maxFeedItems: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-bench-feedcap-'));
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    await sourcesQ.upsertSources(database.db, [
      { key: 'huge', name: 'huge', kind: 'rss', url, rules: null, weight: 1, timezone: 'UTC', allowPrivate: true },
    ]);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const t0 = performance.now();
    const summary = await runCollect(
      {
        db: database.db,
        log: silentLogger(),
        now: () => new Date(),
        timeZone: 'UTC',
        userAgent: 'finrep-bench',
        timeoutMs: 120_000,
        concurrency: { rss: 1, web: 1 },
        sourceBudgetSec: 3600,
        maxFeedItems,
      },
      { runId: null },
    );
    const wallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const [row] = await sourcesQ.listSources(database.db);
    return {
      max_feed_items: maxFeedItems,
      collect_s: round(wallS, 2),
      stored: summary.new_articles,
      rss_before_mb: Math.round(rss0 / 2 ** 20),
      peak_rss_mb: Math.round(peak / 2 ** 20),
      warning: row?.lastError ?? null,
    };
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<object> {
  const n = option(args, 'items', 100_000);
  const body = hugeFeed(n);
  const server = createServer(
    (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(body),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  try {
    say(`feed-cap: one feed of ${n.toLocaleString('en-US')} items, ${(body.length / 1e6).toFixed(1)} MB`);
    const runs = [await collectOnce(url, DEFAULT_FEED_MAX_ITEMS)];
    if (args.includes('--uncapped')) runs.push(await collectOnce(url, n));
    for (const r of runs) {
      say(
        `  cap ${r.max_feed_items}: collect ${r.collect_s} s, ${r.stored} articles stored, RSS ${r.rss_before_mb} MB before, peak ${r.peak_rss_mb} MB` +
          (r.warning ? `; health: ${r.warning}` : ''),
      );
    }
    return { items: n, bytes: body.length, runs };
  } finally {
    server.close();
  }
}
