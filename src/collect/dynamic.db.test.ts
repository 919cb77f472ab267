/**
 * A dynamic source whose page never yields (a script spinning for ever) through the whole collect stage, on
 * the real Chromium and a real database: the stage must end, record that source as failed with the reason,
 * and still collect the other dynamic source on a fresh browser. Skipped where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourcesQ } from '../db/queries/index.ts';
import type { SourceSeed } from '../db/queries/sources.ts';
import { articles, sourceFetches, sources } from '../db/schema/index.ts';
import { silentLogger } from '../log.ts';
import { createTestDatabase } from '../../test/helpers/db.ts';
import type { TestDatabase } from '../../test/helpers/db.ts';
import { createBrowserPool } from './browser.ts';
import type { BrowserPool } from './browser.ts';
import { descendants, listProcs } from './proc-tree.ts';
import { runCollect } from './run.ts';
import type { CollectSummary } from './run.ts';
import { send, startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const RENDER_MS = 10_000;
const log = silentLogger();
const SPIN = '<a class=x href=/a>a</a><script>setTimeout(()=>{while(true){}},50)</script>';
const ARTICLE =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>沪指收涨0.8%</title></head>' +
  '<body><h1>沪指收涨0.8%</h1><div class="body"><p>沪指今日收涨0.8%，两市成交额1.2万亿元，较上一交易日放量。</p></div></body></html>';

describe.skipIf(!existsSync(CHROMIUM))('collecting a dynamic source whose page never yields (system Chromium)', () => {
  let t: TestDatabase;
  let srv: TestServer;
  let browser: BrowserPool;
  let summary: CollectSummary;

  beforeAll(async () => {
    srv = await startTestServer({
      '/spin.html': send(SPIN),
      '/good.html': send(
        '<!DOCTYPE html><html><body><ul id="news"><li><a class="x" href="/a/1.html">沪指收涨</a></li></ul></body></html>',
      ),
      '/a/1.html': send(ARTICLE),
    });
    t = await createTestDatabase();
    const seed = (key: string, path: string): SourceSeed => ({
      key,
      name: key,
      kind: 'dynamic',
      url: srv.url(path),
      weight: 1,
      timezone: 'Asia/Shanghai',
      allowPrivate: true,
      rules: { itemSelector: 'a.x', titleSelector: 'h1', contentSelector: '.body' },
    });
    await sourcesQ.upsertSources(t.db, [seed('spinning', '/spin.html'), seed('good', '/good.html')]);
    // 10 s: the good source's render launches a fresh Chromium after the kill, which takes seconds on a loaded
    // CI machine (3 s failed there once).
    browser = createBrowserPool({ executablePath: CHROMIUM, maxPages: 2, navigationTimeoutMs: RENDER_MS, log });
    summary = await runCollect(
      {
        db: t.db,
        log,
        now: () => new Date(),
        timeZone: 'Asia/Shanghai',
        userAgent: 'finrep-test',
        timeoutMs: 20_000,
        // One source at a time: the good one must not share the browser that gets killed.
        concurrency: { rss: 1, web: 1 },
        browser,
      },
      { runId: null },
    );
  }, 180_000); // generous for a loaded machine: without a bounded render this never returns
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await t?.drop();
  });

  it('records the spinning source as failed with a clear last_error and collects the other one', async () => {
    const status = Object.fromEntries(summary.per_source.map((p) => [p.name, p.status]));
    const [goodRow] = await t.db.select().from(sources).where(eq(sources.key, 'good'));
    expect(status, `good source's last error: ${goodRow!.lastError}`).toEqual({ spinning: 'failed', good: 'ok' });
    const [row] = await t.db.select().from(sources).where(eq(sources.key, 'spinning'));
    expect(row!.lastError).toBe(
      `timeout rendering ${srv.url('/spin.html')}: the page stopped answering (a script that never yields?) ` +
        `and was not done after ${RENDER_MS} ms; its browser was killed`,
    );
    expect(row!.consecutiveFailures).toBe(1);
    const fetches = await t.db.select().from(sourceFetches).where(eq(sourceFetches.sourceId, row!.id));
    expect(fetches.map((f) => f.status)).toEqual(['failed']);
    const [good] = await t.db.select().from(sources).where(eq(sources.key, 'good'));
    expect((await t.db.select().from(articles).where(eq(articles.sourceId, good!.id))).map((a) => a.title)).toEqual([
      '沪指收涨0.8%',
    ]);
  });

  it('leaves no spinning renderer behind once the pool is closed', async () => {
    await browser.close();
    const alive = descendants(process.pid, await listProcs()).filter((p) => /chrom/i.test(p.comm) && p.state !== 'Z');
    expect(alive).toEqual([]);
  });
});
