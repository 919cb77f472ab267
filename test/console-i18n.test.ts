/**
 * The console's words of state in the page's language: every page that shows a run's, a stage's, an
 * edition's, a delivery's or a fetch's state — words the database holds as English enums (`running`,
 * `collect`, `uncertain`, `not_modified` …) — shows them translated on a Chinese page and as they are on an
 * English one. Seeded history plus a real dry run on the embedded queue, so the stage names are the pipeline's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryLog, editions, recipients, runStages, runs, sourceFetches, sources } from '../src/db/schema/index.ts';
import { startEmbedded } from '../src/jobs/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { inProcessEditionStarter } from '../src/web/edition-starter.ts';
import { buildServer } from '../src/web/server.ts';
import { seedDashboard } from './helpers/dashboard-seed.ts';
import type { Seeded } from './helpers/dashboard-seed.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, SECRET, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery staple 9';

/** The enum words a page may hold, as the database stores them. */
const ENUM_WORDS = [
  'pending',
  'running',
  'composed',
  'review',
  'delivering',
  'delivered',
  'partial',
  'failed',
  'ok',
  'queued',
  'sending',
  'sent',
  'retrying',
  'uncertain',
  'not_modified',
  'skipped',
  'collect',
  'dedup',
  'extract',
  'score',
  'compose',
  'deliver',
  'schedule',
  'catch-up',
  'web',
  'api',
  'cli',
];

/** The texts of the elements that show a state (badges, stage names, the run's head line). */
function stateTexts(html: string): string[] {
  const out: string[] = [];
  const re = /<(span|td|strong|option)[^>]*class="[^"]*\b(badge|stage-name|state-word)\b[^"]*"[^>]*>([\s\S]*?)<\/\1>/g;
  for (const m of html.matchAll(re)) out.push(m[3]!.replace(/<[^>]+>/g, '').trim());
  return out;
}

describe(`console words of state in zh and en (${TEST_DB})`, () => {
  let database: TestDatabase;
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  let app: FastifyInstance;
  let zh: Client;
  let en: Client;
  let seeded: Seeded;
  let dryRunId = 0;
  let sourceId = 0;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'finrep-console-i18n-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = webConfig({ FINREP_DATA_DIR: dataDir, SCHEDULE_CATCHUP_HOURS: '0' });
    const log = silentLogger();
    embedded = await startEmbedded({ db: database.db, config, log, secret: SECRET, openMailer: async () => null });
    const startEdition = inProcessEditionStarter({ db: database.db, config, queue: embedded.queue });
    app = await buildServer({
      config,
      db: database.db,
      log,
      secret: SECRET,
      startEdition,
      jobQueue: embedded.queue,
      queueCounts: () => embedded.queue.counts(),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    seeded = await seedDashboard(database.db, { timeZone: config.timeZone, deadline: config.report.deadline });
    sourceId = seeded.failingSource;
    const db = database.db;
    await db.insert(sourceFetches).values(
      (['ok', 'not_modified', 'failed', 'skipped'] as const).map((status) => ({
        sourceId,
        status,
        startedAt: new Date(),
        durationMs: 120,
      })),
    );
    const [e] = await db
      .insert(editions)
      .values({ date: '2026-03-02', status: 'partial', windowFrom: new Date(), windowTo: new Date(), itemCount: 1 })
      .returning({ id: editions.id });
    const [r] = await db.insert(recipients).values({ email: 'z@example.com' }).returning({ id: recipients.id });
    await db
      .insert(deliveryLog)
      .values([{ editionId: e!.id, recipientId: r!.id, email: 'z@example.com', status: 'uncertain' }]);
    const [run] = await db
      .insert(runs)
      .values({ editionId: e!.id, trigger: 'catch-up', status: 'running' })
      .returning({ id: runs.id });
    await db.insert(runStages).values([
      { runId: run!.id, stage: 'dedup', status: 'ok' },
      { runId: run!.id, stage: 'score', status: 'ok' },
      { runId: run!.id, stage: 'deliver', status: 'running' },
    ]);
    await addUser(db, 'admin@example.com', 'admin', PASSWORD);
    zh = new Client(base, { 'accept-language': 'zh-CN' });
    en = new Client(base, { 'accept-language': 'en' });
    expect((await zh.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    expect((await en.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    // A real dry run: the pipeline's own stage names and outcomes.
    const token = await en.csrf('/runs');
    const started = await en.post('/runs', { _csrf: token, date: '2026-03-01', dry_run: '1' });
    expect(started.status).toBe(303);
    dryRunId = Number(/\/runs\/(\d+)/.exec(started.location ?? '')?.[1]);
    for (;;) {
      const [row] = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, dryRunId));
      if (row?.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 200));
    }
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await embedded?.stop(5000);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every state word shown on `page` in each language, and the page's text. */
  async function states(client: Client, page: string): Promise<{ words: string[]; html: string }> {
    const r = await client.get(page);
    expect(r.status, page).toBe(200);
    return { words: stateTexts(r.text), html: r.text };
  }

  // The pages that show a state, and words each must show translated (zh) and as stored (en).
  const cases = () => [
    { name: 'dashboard', page: '/', zh: ['已送达', '部分成功', '采集', '抽取', '失败'], en: ['partial', 'collect'] },
    { name: 'runs', page: '/runs', zh: ['运行中', '成功', '补跑', '定时', '控制台'], en: ['catch-up', 'schedule'] },
    { name: 'a seeded run', page: `/runs/${seeded.todayRun}`, zh: ['部分成功', '定时', '采集'], en: ['collect'] },
    { name: 'a real dry run', page: `/runs/${dryRunId}`, zh: ['去重', '评分', '生成', '控制台'], en: ['compose'] },
    { name: 'reports', page: '/reports', zh: ['部分送达', '已送达'], en: ['delivered'] },
    { name: 'an edition', page: '/reports/2026-03-02/detail', zh: ['不确定'], en: ['uncertain'] },
    { name: "today's edition", page: `/reports/${seeded.today}/detail`, zh: ['失败', '不确定'], en: ['failed'] },
    { name: 'deliveries', page: '/deliveries', zh: ['不确定', '已发送'], en: ['uncertain', 'sent'] },
    { name: 'a source', page: `/sources/${sourceId}`, zh: ['未更新', '跳过', '成功'], en: ['not modified', 'skipped'] },
    { name: 'recipients', page: '/recipients', zh: ['已发送', '不确定'], en: ['sent'] },
    { name: 'status: the queues', page: '/admin/status', zh: ['采集（RSS）', '投递'], en: [] },
  ];

  it('shows every word of state translated on the Chinese pages', async () => {
    for (const c of cases()) {
      const { words } = await states(zh, c.page);
      const english = words.filter((w) => ENUM_WORDS.includes(w) || /^[a-z][a-z_ -]+$/.test(w));
      expect(english, `${c.name}: ${c.page}`).toEqual([]);
      for (const w of c.zh) expect(words, `${c.name}: ${w}`).toContain(w);
    }
  });

  it("says a source's single fetch in the singular", async () => {
    const [one] = await database.db
      .insert(sources)
      .values({ name: '一次采集', kind: 'rss', url: 'https://example.com/once.xml', enabled: false })
      .returning({ id: sources.id });
    await database.db
      .insert(sourceFetches)
      .values({ sourceId: one!.id, status: 'ok', startedAt: new Date(), durationMs: 80 });
    expect((await en.get(`/sources/${one!.id}`)).text).toContain('<summary>The last fetch</summary>');
    expect((await zh.get(`/sources/${one!.id}`)).text).toContain('<summary>最近 1 次采集</summary>');
  });

  it('keeps them in English on the English pages', async () => {
    for (const c of cases()) {
      const { words } = await states(en, c.page);
      for (const w of c.en) expect(words, `${c.name}: ${w}`).toContain(w);
      expect(words.join(' '), c.name).not.toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('streams the stage names, statuses and the end in the page language', async () => {
    for (const [client, collect, ok] of [
      [zh, '采集', '成功'],
      [en, 'collect', 'ok'],
    ] as const) {
      const res = await fetch(`${client.base}/runs/${dryRunId}/events`, {
        headers: { ...client.headers, cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      const text = await res.text(); // the run has finished: the stream ends by itself
      const stages = /event: stages\ndata: (.*)\n/.exec(text)?.[1];
      const list = JSON.parse(stages ?? '[]') as { stage: string; stageLabel: string; statusLabel: string }[];
      expect(list.find((s) => s.stage === 'collect')).toMatchObject({ stageLabel: collect, statusLabel: ok });
      const end = JSON.parse(/event: end\ndata: (.*)\n/.exec(text)?.[1] ?? '{}') as { status: string; label: string };
      expect(end).toMatchObject({ status: 'ok', label: ok });
      expect(text).toContain(`"stageLabel":"${collect}"`);
    }
  });

  it("never shows the server's paths: the compose stage links to the edition instead", async () => {
    // The stored line names the report file on the server (the CLI prints it there) …
    const [compose] = await database.db
      .select({ counts: runStages.counts })
      .from(runStages)
      .where(and(eq(runStages.runId, dryRunId), eq(runStages.stage, 'compose')));
    expect(String(compose?.counts?.line)).toContain(dataDir);
    // … which no page, stream or API answer shows; nor a run's error naming a file there.
    const error = `ENOENT: no such file or directory, open '${path.join(dataDir, 'reports', 'x', 'report.html')}'`;
    await database.db.update(runs).set({ error }).where(eq(runs.id, seeded.todayRun));
    for (const p of ['/', '/runs', `/runs/${seeded.todayRun}`, `/api/v1/runs/${seeded.todayRun}`]) {
      const r = await zh.get(p);
      expect(r.text, p).not.toContain(dataDir);
      expect(r.text, p).toContain('…/report.html');
    }
    const date = '2026-03-01';
    for (const client of [zh, en]) {
      const { html } = await states(client, `/runs/${dryRunId}`);
      expect(html).not.toContain(dataDir);
      const row = /<tr data-stage="compose">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? '';
      for (const href of [`/reports/${date}`, `/reports/${date}/xlsx`, `/reports/${date}/eml`])
        expect(row).toContain(`href="${href}"`);
      const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      for (const p of [`/runs/${dryRunId}/events`, `/api/v1/runs/${dryRunId}`, `/api/v1/runs/${dryRunId}/events`]) {
        const res = await fetch(`${client.base}${p}`, { headers: { ...client.headers, cookie } });
        expect(res.status, p).toBe(200);
        const body = await res.text();
        expect(body, p).not.toContain(dataDir);
        expect(body, p).toMatch(/compose/);
      }
    }
  });
});
