import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { sql } from 'drizzle-orm';
import { seedDemo } from '../src/cli/run.ts';
import { createOutboxMailer, createSmtpMailer } from '../src/deliver/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { silentLogger } from '../src/log.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';

const DATE = '2025-11-10';
const log = silentLogger();

async function counts(t: TestDatabase) {
  const one = async (table: string) => {
    const res = (await t.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as {
      rows: { n: number }[];
    };
    return Number(res.rows[0]!.n);
  };
  return {
    articles: await one('articles'),
    items: await one('report_items'),
    deliveries: await one('delivery_log'),
    clusters: await one('story_clusters'),
  };
}

describe(`an edition on the demo world (${TEST_DB})`, () => {
  let t: TestDatabase;
  let world: DemoWorld;
  let config: ReturnType<typeof loadConfig>;
  let keys: string[];

  beforeAll(async () => {
    t = await createTestDatabase();
    config = loadConfig({ FINREP_DATA_DIR: t.dataDir, MAIL_RATE_LIMIT_PER_SEC: '50' }, { envFile: null });
    const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    keys = await seedDemo(t.db, world);
  });
  afterAll(async () => {
    await world?.close();
    await t?.drop();
  });

  const outbox = () => path.join(t.dataDir, 'outbox', DATE);
  const run = () => {
    const mailer = createOutboxMailer(outbox(), { log });
    return runEdition(
      { db: t.db, config, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' },
      { date: DATE, sourceKeys: keys },
    ).finally(() => mailer.close());
  };

  it('produces a report, a workbook and one .eml per recipient', async () => {
    const summary = await run();
    expect(summary.status).toBe('ok');
    expect(summary.collect.sources).toBe(keys.length); // RSS, Atom, GBK, static and the JavaScript-built site
    expect(summary.collect.failed_sources).toBe(0);
    expect(summary.collect.new_articles).toBeGreaterThanOrEqual(150);
    expect(summary.dedup.clusters).toBeLessThan(summary.collect.new_articles); // the multi-source story is one cluster
    expect(summary.deliver).toMatchObject({ recipients: 3, sent: 3, failed: 0, transport: 'outbox' });

    const html = readFileSync(summary.report.html, 'utf8');
    const entries = html.match(/<a [^>]*href="http:\/\/127\.0\.0\.1/g) ?? [];
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(html).toContain('今日要闻');
    expect(summary.report.items).toBeGreaterThanOrEqual(10);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(summary.report.xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['今日要闻', '全部文章', '来源统计', '分类与情绪']);
    const { from, to } = editionWindow(DATE, {
      timeZone: config.timeZone,
      cutoff: config.report.cutoff,
      windowHours: 24,
    });
    const inWindow = (await t.db.execute(
      sql`select count(*)::int as n from articles where effective_at >= ${from.toISOString()} and effective_at < ${to.toISOString()}`,
    )) as unknown as { rows: { n: number }[] };
    expect(wb.getWorksheet('全部文章')!.rowCount - 1).toBe(inWindow.rows[0]!.n);

    const emls = readdirSync(outbox()).filter((f) => f.endsWith('.eml'));
    expect(emls).toHaveLength(3);
    const parsed = await simpleParser(readFileSync(path.join(outbox(), emls[0]!)), { skipImageLinks: true });
    expect(parsed.subject).toContain(DATE);
    expect(parsed.attachments.map((a) => a.filename)).toContain(`金融情报日报-${DATE}.xlsx`);
    const charts = parsed.attachments.filter((a) => a.contentType === 'image/png');
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) expect(parsed.html).toContain(`cid:${c.cid}`);
    const unsubscribe = parsed.headerLines.find((h) => h.key === 'list-unsubscribe');
    expect(unsubscribe?.line.replace(/\r?\n\s+/g, ' ')).toMatch(
      /^List-Unsubscribe: <http:\/\/localhost:8000\/unsubscribe\?t=[\w.-]+>/,
    );
  });

  it('adds no article, report item or mail when the same edition runs again', async () => {
    const before = await counts(t);
    const summary = await run();
    expect(await counts(t)).toEqual(before);
    expect(summary.collect.new_articles).toBe(0);
    expect(summary.deliver).toMatchObject({ sent: 0, skipped: 3 });
    expect(readdirSync(outbox()).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
  });

  it('clusters the story several outlets carried', async () => {
    const { rows } = (await t.db.execute(sql.raw('select max(size)::int as n from story_clusters'))) as unknown as {
      rows: { n: number }[];
    };
    expect(rows[0]!.n).toBeGreaterThanOrEqual(3);
  });

  it('delivers over SMTP to a real server, once per recipient', async () => {
    const smtp = await startTestSmtp();
    const date = '2025-11-11';
    const cfg = loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        MAIL_RATE_LIMIT_PER_SEC: '50',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_FROM: 'report@finrep.test',
      },
      { envFile: null },
    );
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false }, { log });
    try {
      const deps = { db: t.db, config: cfg, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' };
      const first = await runEdition(deps, { date, sourceKeys: keys });
      const second = await runEdition(deps, { date, sourceKeys: keys });
      expect(first.deliver).toMatchObject({ sent: 3, transport: 'smtp' });
      expect(second.deliver).toMatchObject({ sent: 0, skipped: 3 });
      expect(smtp.messages).toHaveLength(3);
      for (const r of world.recipients) expect(smtp.countFor(r.email)).toBe(1);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });
});
