/**
 * The score and compose stages inside a real edition on the demo world: ranking settings read from the
 * `settings` table, every factor and the total stored per report item, and the composed files.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { pino } from 'pino';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { settingsQ } from '../src/db/queries/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { DEFAULT_CAPS, loadRankingSettings } from '../src/pipeline/settings.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { DEFAULT_WEIGHTS, FACTORS } from '../src/score/index.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DATE = '2025-11-10';

interface ItemRow {
  title: string;
  section: string;
  rank: number;
  top: boolean;
  score: number;
  factors: Record<string, number>;
  category: string;
}

describe(`ranking settings (${TEST_DB})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('uses the defaults when nothing is set', async () => {
    const s = await loadRankingSettings(t.db);
    expect(s).toEqual({
      watch: { tickers: [], companies: [], keywords: [] },
      weights: { ...DEFAULT_WEIGHTS },
      caps: { sectionCaps: {}, ...DEFAULT_CAPS },
      problems: [],
    });
  });

  it('reads overrides, keeps the good values of a bad setting and names the bad ones', async () => {
    await settingsQ.setSetting(
      t.db,
      'watchlist',
      { tickers: ['600519.SH', 42], companies: ['贵州茅台'], keywords: '降准' },
      'test',
    );
    await settingsQ.setSetting(t.db, 'score_weights', { coverage: 50, importance: 'lots', novelty: 3 }, 'test');
    await settingsQ.setSetting(
      t.db,
      'report_caps',
      { sections: { market: 8, other: 0, crypto: 2, macro: -1 }, topPerSection: 1 },
      'test',
    );
    const s = await loadRankingSettings(t.db);
    expect(s.watch).toEqual({ tickers: [], companies: ['贵州茅台'], keywords: [] });
    expect(s.weights).toEqual({ ...DEFAULT_WEIGHTS, coverage: 50 });
    expect(s.caps).toEqual({
      sectionCaps: { market: 8, other: 0 },
      topPerSection: 1,
      topPerCompany: DEFAULT_CAPS.topPerCompany,
    });
    // jsonb keeps its own key order, so compare as a set.
    expect(s.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'report_caps.sections.crypto',
      'report_caps.sections.macro',
      'score_weights.importance',
      'score_weights.novelty',
      'watchlist.keywords',
      'watchlist.tickers',
    ]);
  });
});

describe(`score and compose in a demo edition (${TEST_DB})`, () => {
  let t: TestDatabase;
  let world: DemoWorld;
  let items: ItemRow[];
  let summary: Awaited<ReturnType<typeof runEdition>>;
  const warnings: Record<string, unknown>[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir }, { envFile: null });
    const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    const keys = await seedDemo(t.db, world);
    // Bitcoin is a minor story of the demo world; the watch list and a heavy weight bring it to the top.
    await settingsQ.setSetting(t.db, 'watchlist', { tickers: [], companies: [], keywords: ['比特币'] }, 'test');
    await settingsQ.setSetting(t.db, 'score_weights', { watchlist: 400, sentiment: 'x' }, 'test');
    await settingsQ.setSetting(t.db, 'report_caps', { sections: { global: 2, other: 0 }, topPerSection: 1 }, 'test');
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => warnings.push(JSON.parse(line) as Record<string, unknown>) },
    );
    summary = await runEdition(
      { db: t.db, config, log, now: () => new Date(), mailer: null, secret: 'test-secret-0123456789' },
      { date: DATE, dryRun: true, sourceKeys: keys },
    );
    const res = (await t.db.execute(
      sql.raw(`
      select a.title, r.section, r.rank, r.top, r.score, r.factors, e.category
      from report_items r join articles a on a.id = r.article_id
      left join lateral (select (result->>'category') as category from extractions x where x.article_id = r.article_id limit 1) e on true
      order by r.top desc, r.section, r.rank`),
    )) as unknown as { rows: ItemRow[] };
    items = res.rows;
  }, 120_000);
  afterAll(async () => {
    await world?.close();
    await t?.drop();
  });

  it('stores every factor and their total per report item', () => {
    expect(items.length).toBe(summary.report.items);
    for (const i of items) {
      expect(Object.keys(i.factors).sort()).toEqual([...FACTORS].sort());
      expect(i.score).toBeCloseTo(
        Object.values(i.factors).reduce((a, b) => a + b, 0),
        1,
      );
    }
  });

  it('ranks by the weights and the watch list from settings, and logs what it ignored', () => {
    const top = items.filter((i) => i.top);
    expect(top[0]?.title).toContain('比特币');
    expect(top[0]?.factors.watchlist).toBe(200); // one match: half of 400
    expect(items.filter((i) => !i.top && i.title.includes('比特币'))).toEqual([]); // one slot only
    expect(warnings.find((w) => w.msg === 'ranking settings ignored')?.problems).toEqual([
      expect.stringMatching(/^score_weights\.sentiment:/),
    ]);
    // The bad weight fell back to its default, so sentiment still counts.
    expect(Math.max(...items.map((i) => i.factors.sentiment ?? 0))).toBeGreaterThan(0);
  });

  it('applies the caps: one story per section in 今日要闻, short and hidden sections', () => {
    const top = items.filter((i) => i.top);
    expect(top).toHaveLength(5);
    expect(new Set(top.map((i) => i.category)).size).toBe(5);
    expect(items.filter((i) => i.section === 'global').length).toBeLessThanOrEqual(2);
    expect(items.filter((i) => i.section === 'other')).toEqual([]);
  });

  it('composes the email under the clipping limit with its charts, the web view and the workbook', async () => {
    const email = readFileSync(summary.report.email_html, 'utf8');
    expect(Buffer.byteLength(email)).toBeLessThan(102 * 1024);
    expect(email).toMatch(/<img [^>]*src="cid:categories\.2025-11-10@finrep"/);
    expect(email).toContain('今日要闻');
    const web = readFileSync(summary.report.html, 'utf8');
    expect(web).toMatch(/<img src="data:image\/png;base64,/);
    expect(web).toContain('得分 ');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(summary.report.xlsx);
    const top = wb.getWorksheet('今日要闻')!;
    const title = top.getRow(2).getCell(2).value as ExcelJS.CellHyperlinkValue;
    expect(title.text).toContain('比特币');
    expect(title.hyperlink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(top.getRow(2).getCell(11).value).toBe('比特币');
  });
});
