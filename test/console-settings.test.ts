/**
 * 系统设置 and 模型用量 on the real server (127.0.0.1) and database: a bad value refused beside its field and
 * not stored; a good one stored, audited with before and after, and used by the next edition (top N) and by
 * the embedded scheduler without a restart; reset; no secret on the page and none settable; the usage page's
 * numbers equal the sums of the seeded ledger rows; the charts' JSON.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import type { Config } from '../src/config/index.ts';
import { effectiveConfig } from '../src/config/overrides.ts';
import { editionsQ, llmUsageQ, settingsQ } from '../src/db/queries/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { periodStarts } from '../src/extract/budget.ts';
import { startLocalScheduler } from '../src/jobs/beat.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import type { JobQueue } from '../src/jobs/queue.ts';
import { silentLogger } from '../src/log.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { addUser, Client, startTestServer, webConfig } from './helpers/web.ts';

const PASSWORD = 'correct horse battery';
const SECRETS = { PROVIDER_DEEPSEEK_API_KEY: 'sk-deepseek-SECRET-4242', SMTP_PASS: 'smtp-SECRET-pass-9191' };
const HOSTILE = '<img src=x onerror=alert(1)>';

describe(`console settings and usage (${TEST_DB})`, () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let config: Config;
  const admin = () => new Client(base);
  let a: Client;
  let v: Client;

  const rows = async (q: string) =>
    ((await t.db.execute(sql.raw(q))) as unknown as { rows: Record<string, unknown>[] }).rows;
  const audits = (action: string) =>
    rows(`select target, detail from audit_log where action = '${action}' order by id`) as Promise<
      { target: string; detail: Record<string, { value: Record<string, string>; source: string }> }[]
    >;
  const save = async (id: string, form: Record<string, string>) =>
    a.post(`/settings/${id}`, { _csrf: await a.csrf('/settings'), ...form });

  beforeAll(async () => {
    t = await createTestDatabase();
    config = webConfig({
      ...SECRETS,
      FINREP_DATA_DIR: t.dataDir,
      LLM_DAILY_BUDGET: '5',
      SCHEDULE_CATCHUP_HOURS: '0',
      BACKUP_SCHEDULE: 'off',
      RETENTION_SCHEDULE: 'off',
    });
    await addUser(t.db, 'admin@example.com', 'admin', PASSWORD);
    await addUser(t.db, 'viewer@example.com', 'viewer', PASSWORD);
    ({ app, base } = await startTestServer(t.db, config));
    a = admin();
    expect((await a.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    v = new Client(base);
    expect((await v.signIn('viewer@example.com', PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('shows each value with its source, and never a secret', async () => {
    const page = await a.get('/settings');
    expect(page.status).toBe(200);
    for (const name of ['REPORT_TOPN', 'SCHEDULE_CRON', 'LLM_PROVIDERS', 'LLM_DAILY_BUDGET', 'MAIL_RATE_LIMIT_PER_SEC'])
      expect(page.text).toContain(`action="/settings/${name}"`);
    expect(page.text).toContain('action="/settings/watchlist"');
    expect(page.text).toContain('action="/settings/score_weights"');
    expect(page.text).toContain('0 6 * * *');
    for (const secret of Object.values(SECRETS)) expect(page.text).not.toContain(secret);
    expect(page.text).not.toMatch(/name="(PROVIDER_DEEPSEEK_API_KEY|SMTP_PASS|JWT_SECRET_KEY)"/);
    // A secret cannot be set through the page's action.
    const r = await save('SMTP_PASS', { value: 'x' });
    expect(r.status).toBe(404);
    expect(await settingsQ.getSetting(t.db, 'env.SMTP_PASS')).toBeNull();
    // A viewer sees the values, not the forms.
    const seen = await v.get('/settings');
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain('action="/settings/REPORT_TOPN"');
  });

  it.each([
    { name: 'top N of 0', id: 'REPORT_TOPN', form: { value: '0' }, error: 'expected an integer ≥ 1' },
    { name: 'top N not a number', id: 'REPORT_TOPN', form: { value: 'ten' }, error: 'expected an integer' },
    { name: 'a cron that is not one', id: 'SCHEDULE_CRON', form: { value: 'every morning' }, error: 'cron expression' },
    {
      name: 'an unconfigured provider',
      id: 'LLM_PROVIDERS',
      form: { value: 'qwen,openai' },
      error: 'not configured: openai',
    },
    { name: 'a negative budget', id: 'LLM_DAILY_BUDGET', form: { value: '-3' }, error: 'expected a number' },
    { name: 'prices that are not JSON', id: 'LLM_PRICES', form: { value: '{deepseek' }, error: 'expected JSON' },
    {
      name: 'a mail rate of 0',
      id: 'MAIL_RATE_LIMIT_PER_SEC',
      form: { value: '0' },
      error: 'expected a number ≥ 0.01',
    },
    {
      name: 'a weight that is not a number',
      id: 'score_weights',
      form: { importance: 'lots' },
      error: 'importance: expected a number',
    },
  ] as { name: string; id: string; form: Record<string, string>; error: string }[])(
    'refuses $name beside the field, storing nothing',
    async ({ id, form, error }) => {
      const full: Record<string, string> =
        id === 'score_weights'
          ? { importance: '40', coverage: '25', source: '10', recency: '10', watchlist: '20', sentiment: '5', ...form }
          : form;
      const r = await save(id, full);
      expect(r.status).toBe(400);
      const field = /<small class="field-error" role="alert">([^<]*)<\/small>/.exec(r.text);
      expect(field?.[1]).toContain(error.replace(/&/g, '&amp;'));
      expect(field?.[1]).toMatch(/^这个值不被接受：/); // a zh page says what failed; the schema's words follow
      expect(r.text).toContain(Object.values(form)[0]!.replace(/"/g, '&quot;')); // what was typed stays
      expect(await settingsQ.getSettings(t.db, [`env.${id}`, id, 'llm.prices'])).toEqual([]);
    },
  );

  it('refuses an over-long watch-list entry, keeping what was typed', async () => {
    const r = await save('watchlist', { tickers: '600519.SH', companies: 'x'.repeat(101), keywords: '' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/field-error[^>]*>这个值不被接受：companies\.0: /);
    expect(await settingsQ.getSetting(t.db, 'watchlist')).toBeNull();
  });

  it('stores a good value, audits before and after, and the next edition uses it; reset restores the env value', async () => {
    const r = await save('REPORT_TOPN', { value: ' 1 ' });
    expect(r.status).toBe(303);
    expect(r.location).toBe('/settings?saved=REPORT_TOPN#REPORT_TOPN');
    expect(await settingsQ.getSetting(t.db, 'env.REPORT_TOPN')).toEqual({ value: '1' });
    const [audit] = await audits('settings.set');
    expect(audit).toMatchObject({
      target: 'REPORT_TOPN',
      detail: {
        before: { value: { value: '5' }, source: 'env' },
        after: { value: { value: '1' }, source: 'override' },
      },
    });
    expect((await effectiveConfig(t.db, config)).report.topN).toBe(1);
    expect((await a.get('/settings')).text).toMatch(/id="REPORT_TOPN"[\s\S]*?badge info/);

    // An edition (two demo feeds, a dry run) started after the save ranks one story per list.
    const date = '2025-11-10';
    const { to } = editionWindow(date, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    const world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    try {
      const keys = (await seedDemo(t.db, world)).filter((k) => /feed-(macro|markets)$/.test(k));
      const summary = await runEdition(
        {
          db: t.db,
          config,
          log: silentLogger(),
          now: () => new Date(),
          mailer: null,
          secret: 'test-secret-0123456789',
        },
        { date, sourceKeys: keys, dryRun: true, deadline: null },
      );
      expect(summary.collect.new_articles).toBeGreaterThan(10);
      const sections = await rows(
        `select section, count(*)::int as n, count(*) filter (where top)::int as top from report_items
         where edition_id = (select id from editions where date = '${date}') group by section`,
      );
      expect(sections.length).toBeGreaterThan(1);
      expect(sections.reduce((n, s) => n + Number(s.top), 0)).toBe(1);
      for (const s of sections) expect(Number(s.n) - Number(s.top)).toBeLessThanOrEqual(1);
    } finally {
      await world.close();
    }

    const reset = await a.post('/settings/REPORT_TOPN/reset', { _csrf: await a.csrf('/settings') });
    expect(reset.status).toBe(303);
    expect(await settingsQ.getSetting(t.db, 'env.REPORT_TOPN')).toBeNull();
    expect((await effectiveConfig(t.db, config)).report.topN).toBe(5);
    const [undo] = await audits('settings.reset');
    expect(undo).toMatchObject({
      target: 'REPORT_TOPN',
      detail: {
        before: { value: { value: '1' }, source: 'override' },
        after: { value: { value: '5' }, source: 'env' },
      },
    });
  }, 120_000);

  it('stores the watch list and weights in the shape the score stage reads; hostile entries stay text', async () => {
    expect(
      (
        await save('watchlist', {
          tickers: '600519.SH\n000001.SZ',
          companies: `贵州茅台，${HOSTILE}`,
          keywords: '降准',
        })
      ).status,
    ).toBe(303);
    expect(await settingsQ.getSetting(t.db, 'watchlist')).toEqual({
      tickers: ['600519.SH', '000001.SZ'],
      companies: ['贵州茅台', HOSTILE],
      keywords: ['降准'],
    });
    const page = await a.get('/settings');
    expect(page.text).not.toContain(HOSTILE);
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const weights = { importance: '50', coverage: '25', source: '10', recency: '10', watchlist: '40', sentiment: '0' };
    expect((await save('score_weights', weights)).status).toBe(303);
    expect(await settingsQ.getSetting(t.db, 'score_weights')).toEqual({
      importance: 50,
      coverage: 25,
      source: 10,
      recency: 10,
      watchlist: 40,
      sentiment: 0,
    });
  });

  it('applies the provider order, budget, prices and mail rate to the effective configuration', async () => {
    for (const [id, value] of [
      ['LLM_PROVIDERS', 'qwen,deepseek'],
      ['LLM_DAILY_BUDGET', ''],
      ['LLM_MONTHLY_BUDGET', '120.5'],
      ['LLM_PRICES', '{"qwen-max":{"input_hit":0.1,"input_miss":1,"output":4}}'],
      ['MAIL_RATE_LIMIT_PER_SEC', '2.5'],
    ] as const)
      expect((await save(id, { value })).status).toBe(303);
    const eff = await effectiveConfig(t.db, config);
    expect(eff.llm.order).toEqual(['qwen', 'deepseek']);
    expect(eff.llm.providers.map((p) => p.name)).toEqual(['qwen', 'deepseek']);
    expect(eff.llm.dailyBudget).toBeNull(); // empty: no cap, although the environment has 5
    expect(eff.llm.monthlyBudget).toBe(120.5);
    expect(eff.llm.prices['qwen-max']).toEqual({ input_hit: 0.1, input_miss: 1, output: 4 });
    expect(await settingsQ.getSetting(t.db, 'llm.prices')).toEqual({
      'qwen-max': { input_hit: 0.1, input_miss: 1, output: 4 },
    });
    expect(eff.mail.ratePerSec).toBe(2.5);
    // A row written behind the page's back that no longer parses is ignored, and the page says so.
    await settingsQ.setSetting(t.db, 'env.MAIL_RATE_LIMIT_PER_SEC', { value: 'fast' }, 'test');
    expect((await effectiveConfig(t.db, config)).mail.ratePerSec).toBe(1);
    expect((await a.get('/settings')).text).toContain('expected a number');
    for (const id of [
      'LLM_PROVIDERS',
      'LLM_DAILY_BUDGET',
      'LLM_MONTHLY_BUDGET',
      'LLM_PRICES',
      'MAIL_RATE_LIMIT_PER_SEC',
    ])
      expect((await a.post(`/settings/${id}/reset`, { _csrf: await a.csrf('/settings') })).status).toBe(303);
  });

  it('the embedded scheduler follows a schedule saved in the page, without a restart', async () => {
    const added: { queue: string; id: string }[] = [];
    const queue = {
      // The edition's fires only (the operational alerts' timer may fire on its own 5-minute schedule).
      add: async (q: string, jobs: { id: string }[]) =>
        void (q === 'edition' && added.push(...jobs.map((j) => ({ queue: q, id: j.id })))),
      close: async () => {},
    } as unknown as JobQueue;
    const scheduler = await startLocalScheduler({ db: t.db, config, log: silentLogger(), queue, refreshMs: 200 });
    try {
      await new Promise((r) => setTimeout(r, 600));
      expect(added).toEqual([]); // 06:00 daily is not now
      expect((await save('SCHEDULE_CRON', { value: '* * * * * *' })).status).toBe(303); // every second
      const until = Date.now() + 10_000;
      while (added.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(added[0]).toMatchObject({ queue: 'edition', id: expect.stringMatching(/^schedule-\d{4}-\d\d-\d\d-\d+$/) });
    } finally {
      await scheduler.stop();
      await a.post('/settings/SCHEDULE_CRON/reset', { _csrf: await a.csrf('/settings') });
    }
  });

  describe('/admin/usage', () => {
    const D1 = new Date('2026-03-02T02:00:00Z'); // 10:00 in Shanghai on 03-02
    const D2 = new Date('2026-03-03T15:30:00Z'); // 23:30 in Shanghai on 03-03
    const BEFORE = new Date('2026-03-01T15:00:00Z'); // 23:00 on 03-01: outside the range
    const row = (provider: string, at: Date, p: number, c: number, o: number, cost: number, editionId: number | null) =>
      llmUsageQ.recordUsage(t.db, {
        editionId,
        articleId: null,
        provider,
        model: 'm',
        purpose: 'extract',
        promptTokens: p,
        cachedTokens: c,
        completionTokens: o,
        latencyMs: 5,
        outcome: 'ok',
        error: null,
        cost,
        createdAt: at,
      });
    let editionId: number;

    beforeAll(async () => {
      editionId = (await editionsQ.ensureEdition(t.db, '2026-03-02', BEFORE, D1)).id;
      await row('deepseek', D1, 1000, 600, 200, 0.00152, editionId);
      await row('deepseek', D1, 500, 0, 100, 0.0013, editionId);
      await row(HOSTILE, D2, 2000, 400, 300, 0.00734, null);
      await row('deepseek', BEFORE, 9999, 0, 9999, 1, editionId);
      await row('qwen', new Date(), 100, 0, 10, 0.25, null); // today: the daily gauge
    });

    /** The cells of each row of the page's tables, as text. */
    const tableRows = (html: string) =>
      [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
        [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')),
      );

    it('sums the ledger per provider, per day and per edition over the range, excluding rows outside it', async () => {
      const page = await v.get('/admin/usage?from=2026-03-02&to=2026-03-03');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain(HOSTILE);
      const cells = tableRows(page.text);
      // Per day and provider: 03-02 deepseek = both rows, 03-03 the hostile provider's one.
      expect(cells).toContainEqual(['2026-03-02', 'deepseek', '2', '1,500', '600', '40.0%', '300', '0.0028']);
      expect(cells).toContainEqual([
        '2026-03-03',
        '&lt;img src=x onerror=alert(1)&gt;',
        '1',
        '2,000',
        '400',
        '20.0%',
        '300',
        '0.0073',
      ]);
      // Per edition and provider.
      expect(cells).toContainEqual(['2026-03-02', 'deepseek', '2', '1,500', '600', '40.0%', '300', '0.0028']);
      expect(cells).toContainEqual([
        '（不属于任何一期）',
        '&lt;img src=x onerror=alert(1)&gt;',
        '1',
        '2,000',
        '400',
        '20.0%',
        '300',
        '0.0073',
      ]);
      // Totals: 3 calls, 3,500 prompt tokens, ¥0.01016.
      expect(page.text).toMatch(/stat-value">¥0\.0102</);
      expect(page.text).toMatch(/stat-value">3,500</);
      expect(page.text).not.toContain('9,999');
    });

    it('answers the cost-per-day chart: one stacked series per provider, a value per day', async () => {
      const r = await v.get('/admin/usage/cost.json?from=2026-03-01&to=2026-03-03');
      expect(r.status).toBe(200);
      const option = JSON.parse(r.text) as {
        xAxis: { data: string[] };
        series: { name: string; type: string; stack: string; data: number[] }[];
      };
      expect(option.xAxis.data).toEqual(['03-01', '03-02', '03-03']);
      expect(option.series.map((s) => [s.name, s.type, s.stack])).toEqual([
        [HOSTILE, 'bar', 'cost'],
        ['deepseek', 'bar', 'cost'],
      ]);
      expect(option.series[1]!.data).toEqual([1, 0.0028, 0]);
      expect(option.series[0]!.data).toEqual([0, 0, 0.0073]);
      // Without a range: the last 30 days.
      const def = JSON.parse((await v.get('/admin/usage/cost.json')).text) as { xAxis: { data: string[] } };
      expect(def.xAxis.data).toHaveLength(30);
    });

    it('answers the budget gauges: today’s spend against the cap in effect (an override included)', async () => {
      const spent = await llmUsageQ.spentSince(t.db, periodStarts(new Date(), config.timeZone).day);
      expect(spent).toBeGreaterThanOrEqual(0.25);
      type Gauge = { series: { type: string; max: number; data: { value: number }[] }[] };
      const day = JSON.parse((await v.get('/admin/usage/budget/day.json')).text) as Gauge;
      expect(day.series[0]).toMatchObject({ type: 'gauge', max: 5 });
      expect(day.series[0]!.data[0]!.value).toBeCloseTo(spent, 4);
      expect((await save('LLM_DAILY_BUDGET', { value: '2' })).status).toBe(303);
      const after = JSON.parse((await v.get('/admin/usage/budget/day.json')).text) as Gauge;
      expect(after.series[0]!.max).toBe(2);
      const month = await v.get('/admin/usage/budget/month.json');
      expect(month.status).toBe(200);
      expect((await v.get('/admin/usage/budget/year.json')).status).toBe(404);
    });
  });
});
