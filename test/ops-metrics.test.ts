import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import type { Config } from '../src/config/index.ts';
import { editionsQ } from '../src/db/queries/index.ts';
import { createSmtpMailer } from '../src/deliver/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import type { RunSummary } from '../src/pipeline/summary.ts';
import { createLogger } from '../src/log.ts';
import { isInternalAddress, refuseMetrics } from '../src/ops/metrics-access.ts';
import { clusterFamilies } from '../src/ops/metrics-cluster.ts';
import { startMetricsServer } from '../src/ops/metrics-server.ts';
import { watchBreakers } from '../src/ops/metrics.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { zonedToUtc } from '../src/lib/time.ts';
import { buildServer } from '../src/web/server.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';
import { startTestSmtp } from './helpers/smtp.ts';
import type { TestSmtp } from './helpers/smtp.ts';
import { redisUrlFor } from './helpers/workers.ts';

const DATE = '2025-11-10';
const SECRETS = {
  SMTP_PASS: 'smtp-pass-Zq8vN2xK',
  PROVIDER_DEEPSEEK_API_KEY: 'sk-deepseek-Lp4tR9wY7u',
  JWT_SECRET_KEY: 'jwt-secret-Hc6mB3nD0fG5jS1a',
  METRICS_TOKEN: 'metrics-token-Xe7kW2qP9rT4',
};

/** One Prometheus sample line: name, labels, value. */
interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (!raw || raw.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (!m) throw new Error(`not an exposition line: ${raw}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    lines.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return lines;
}

/** The sum of a family's samples whose labels include `where`. */
function total(lines: Line[], name: string, where: Record<string, string> = {}): number {
  return lines
    .filter((l) => l.name === name && Object.entries(where).every(([k, v]) => l.labels[k] === v))
    .reduce((n, l) => n + l.value, 0);
}

async function one(t: TestDatabase, query: string): Promise<Record<string, string | number>> {
  const res = (await t.db.execute(sql.raw(query))) as unknown as { rows: Record<string, string | number>[] };
  return res.rows[0]!;
}

describe(`metrics after a demo edition (${TEST_DB})`, () => {
  let t: TestDatabase;
  let world: DemoWorld;
  let smtp: TestSmtp;
  let llm: FakeLlmServer;
  let config: Config;
  let app: FastifyInstance;
  let base: string;
  let summary: RunSummary;
  let scrape: Line[];
  const logChunks: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startTestSmtp({ users: { finrep: SECRETS.SMTP_PASS }, authRequired: true });
    llm = await startFakeLlm({ style: 'deepseek', apiKey: SECRETS.PROVIDER_DEEPSEEK_API_KEY });
    config = loadConfig(
      {
        ...SECRETS,
        FINREP_DATA_DIR: t.dataDir,
        LOG_LEVEL: 'debug',
        MAIL_RATE_LIMIT_PER_SEC: '50',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_USER: 'finrep',
        LLM_PROVIDERS: 'deepseek',
        PROVIDER_DEEPSEEK_BASE_URL: llm.url,
        LLM_DAILY_BUDGET: '100',
        // The web server reads the (empty) queues of a private Redis database.
        REDIS_URL: redisUrlFor(13),
      },
      { envFile: null },
    );
    // Every log line of the edition and of the web server, as the processes would write them.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logChunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger({ level: 'debug', destination: sink });
    const { to } = editionWindow(DATE, { timeZone: config.timeZone, cutoff: config.report.cutoff, windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: config.timeZone });
    // The feeds and static pages: the Chromium-rendered source adds minutes on a busy machine and no metric.
    const seeded = await seedDemo(t.db, world);
    const dynamic = await t.db.execute(sql.raw("select key from sources where kind = 'dynamic'"));
    const skip = new Set((dynamic as unknown as { rows: { key: string }[] }).rows.map((r) => r.key));
    const keys = seeded.filter((k) => !skip.has(k));
    expect(keys.length).toBeGreaterThan(3);
    const smtpConfig = { host: '127.0.0.1', port: smtp.port, secure: false, user: 'finrep', pass: SECRETS.SMTP_PASS };
    const mailer = createSmtpMailer(smtpConfig, { log });
    try {
      summary = await runEdition(
        { db: t.db, config, log, now: () => new Date(), mailer, secret: SECRETS.JWT_SECRET_KEY },
        { date: DATE, sourceKeys: keys },
      );
    } finally {
      await mailer.close();
    }
    app = await buildServer({ config, db: t.db, log, secret: SECRETS.JWT_SECRET_KEY });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await fetch(`${base}/livez`);
    await fetch(`${base}/no/such/page?email=someone@example.com`);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRETS.METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    scrape = parseExposition(await res.text());
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await world?.close();
    await smtp?.close();
    await llm?.close();
    await t?.drop();
  });

  it('ran an edition that did real work (the premise of the checks below)', () => {
    expect(summary.status).toBe('ok');
    expect(summary.collect.new_articles).toBeGreaterThan(50);
    expect(summary.extract.by_provider['deepseek']).toBeGreaterThan(0);
    expect(summary.deliver).toMatchObject({ recipients: 3, sent: 3, failed: 0, transport: 'smtp' });
  });

  it('counts stages, jobs, fetches and dedup as the edition did them', () => {
    for (const stage of ['collect', 'dedup', 'extract', 'score', 'compose', 'deliver'])
      expect(total(scrape, 'finrep_stage_duration_seconds_count', { stage, status: 'success' }), stage).toBe(1);
    expect(total(scrape, 'finrep_stage_duration_seconds_sum', { stage: 'collect' })).toBeGreaterThan(0);
    expect(total(scrape, 'finrep_fetches_total')).toBe(summary.collect.sources);
    expect(total(scrape, 'finrep_fetches_total', { outcome: 'failed' })).toBe(0);
    expect(total(scrape, 'finrep_fetches_total', { kind: 'rss', outcome: 'ok' })).toBeGreaterThan(0);
    expect(total(scrape, 'finrep_fetches_total', { kind: 'web', outcome: 'ok' })).toBeGreaterThan(0);
    expect(total(scrape, 'finrep_collected_items_total', { result: 'new' })).toBe(summary.collect.new_articles);
    const unique = total(scrape, 'finrep_dedup_articles_total', { result: 'unique' });
    const near = total(scrape, 'finrep_dedup_articles_total', { result: 'near_duplicate' });
    expect(unique).toBeGreaterThanOrEqual(summary.dedup.clusters); // stories begun outside the window count too
    expect(near).toBeGreaterThan(0); // the demo's multi-source story
    expect(unique + near).toBe(summary.collect.new_articles);
    expect(total(scrape, 'finrep_job_duration_seconds_count', { queue: 'extract', status: 'success' })).toBeGreaterThan(
      0,
    );
    expect(total(scrape, 'finrep_job_duration_seconds_count', { queue: 'deliver', status: 'success' })).toBe(1);
    expect(total(scrape, 'finrep_jobs_active')).toBe(0);
  });

  it('counts LLM calls, tokens and cost exactly as the ledger holds them', async () => {
    const ledger = await one(
      t,
      `select count(*)::int as calls, coalesce(sum(cost), 0)::text as cost, sum(prompt_tokens)::int as prompt,
       sum(cached_tokens)::int as cached, sum(completion_tokens)::int as completion from llm_usage`,
    );
    expect(Number(ledger.calls)).toBeGreaterThan(0);
    expect(total(scrape, 'finrep_llm_calls_total')).toBe(Number(ledger.calls));
    expect(total(scrape, 'finrep_llm_calls_total', { provider: 'deepseek', outcome: 'ok' })).toBe(Number(ledger.calls));
    expect(total(scrape, 'finrep_llm_cost_cny_total', { provider: 'deepseek' })).toBeCloseTo(Number(ledger.cost), 5);
    expect(Number(ledger.cost)).toBeGreaterThan(0);
    expect(total(scrape, 'finrep_llm_tokens_total', { kind: 'prompt' })).toBe(Number(ledger.prompt));
    expect(total(scrape, 'finrep_llm_tokens_total', { kind: 'cached' })).toBe(Number(ledger.cached));
    expect(total(scrape, 'finrep_llm_tokens_total', { kind: 'completion' })).toBe(Number(ledger.completion));
    expect(total(scrape, 'finrep_llm_call_duration_seconds_count')).toBe(Number(ledger.calls));
    // Spent today against LLM_DAILY_BUDGET=100 (the ledger rows are dated now).
    const ratio = total(scrape, 'finrep_llm_budget_used_ratio', { period: 'day' });
    expect(ratio).toBeCloseTo(Number(ledger.cost) / 100, 6);
    expect(total(scrape, 'finrep_llm_spent_cny', { period: 'month' })).toBeCloseTo(Number(ledger.cost), 5);
  });

  it('counts the mails as sent to every recipient, and the edition against its schedule', async () => {
    expect(total(scrape, 'finrep_mails_total', { outcome: 'sent' })).toBe(3);
    expect(smtp.messages.length).toBe(3);
    expect(total(scrape, 'finrep_mails_total', { outcome: 'failed' })).toBe(0);
    const edition = (await editionsQ.findEditionByDate(t.db, DATE))!;
    const cutoff = zonedToUtc(2025, 11, 10, 6, 0, config.timeZone);
    expect(total(scrape, 'finrep_edition_delivery_lag_seconds')).toBeCloseTo(
      (edition.deliveredAt!.getTime() - cutoff.getTime()) / 1000,
      3,
    );
    expect(total(scrape, 'finrep_edition_last_delivered_timestamp_seconds')).toBeCloseTo(
      edition.deliveredAt!.getTime() / 1000,
      3,
    );
    expect(scrape.some((l) => l.name === 'finrep_edition_overdue')).toBe(true);
  });

  it('reads the queues from Redis, the disk and the process', () => {
    expect(total(scrape, 'finrep_collector_up', { collector: 'database' })).toBe(1);
    expect(total(scrape, 'finrep_collector_up', { collector: 'queue' })).toBe(1);
    for (const queue of ['edition', 'collect-rss', 'extract', 'deliver'])
      expect(
        scrape.some((l) => l.name === 'finrep_queue_jobs' && l.labels.queue === queue && l.labels.state === 'waiting'),
      ).toBe(true);
    expect(scrape.some((l) => l.name === 'finrep_queue_oldest_waiting_seconds')).toBe(true);
    const free = total(scrape, 'finrep_disk_free_bytes');
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(total(scrape, 'finrep_disk_size_bytes'));
    expect(total(scrape, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);
    expect(scrape.some((l) => l.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('times web requests by route pattern, never by URL', () => {
    const http = scrape.filter((l) => l.name === 'finrep_http_request_duration_seconds_count');
    expect(total(http, 'finrep_http_request_duration_seconds_count', { route: '/livez', status: '200' })).toBe(1);
    expect(total(http, 'finrep_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    const labels = scrape.flatMap((l) => Object.values(l.labels));
    expect(labels.filter((v) => v.includes('@') || v.includes('?') || v.includes('/no/such'))).toEqual([]);
  });

  it('answers only with the token when METRICS_TOKEN is set', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-token-wrong-guess' } });
    expect(wrong.status).toBe(401);
  });

  it('without METRICS_TOKEN answers direct internal callers only, not through a proxy', async () => {
    const open = loadConfig({ FINREP_DATA_DIR: t.dataDir, LOG_LEVEL: 'silent' }, { envFile: null });
    const server = await buildServer({
      config: open,
      db: t.db,
      log: createLogger({ level: 'silent' }),
      secret: 'x'.repeat(16),
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`;
    try {
      const direct = await fetch(url);
      expect(direct.status).toBe(200);
      expect(await direct.text()).toContain('finrep_fetches_total');
      expect((await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(403);
      expect((await fetch(url, { headers: { forwarded: 'for=10.0.0.2' } })).status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it('writes no configured secret into any log line', () => {
    const text = logChunks.join('');
    expect(text.length).toBeGreaterThan(3000);
    // The keys that tie a line to its edition, run, source and request are there.
    for (const k of ['"run_id":', '"edition":', '"source_id":', '"reqId":']) expect(text, k).toContain(k);
    for (const [name, value] of Object.entries(SECRETS)) expect(text.includes(value), name).toBe(false);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('decides an edition overdue past its deadline and not delivered', async () => {
    const at = (iso: string) => () => new Date(iso);
    const read = async (now: () => Date) => {
      const c = clusterFamilies({ db: t.db, config, log: createLogger({ level: 'silent' }), now });
      try {
        const get = async (name: string) => (await c.families.find((f) => f.name === name)!.get()).values;
        return {
          overdue: await get('finrep_edition_overdue'),
          deadline: await get('finrep_edition_deadline_timestamp_seconds'),
        };
      } finally {
        await c.close();
      }
    };
    // 06:30 on the edition's day (Shanghai = UTC+8): delivered, so not overdue.
    const sameDay = await read(at('2025-11-09T22:30:00Z'));
    expect(sameDay.overdue[0]!.value).toBe(0);
    expect(sameDay.deadline[0]!.value).toBe(Date.parse('2025-11-09T22:15:00Z') / 1000);
    // The next day at 06:10: scheduled, not delivered, but the deadline (06:15) has not passed.
    expect((await read(at('2025-11-10T22:10:00Z'))).overdue[0]!.value).toBe(0);
    // 06:20: past the deadline with no edition.
    expect((await read(at('2025-11-10T22:20:00Z'))).overdue[0]!.value).toBe(1);
  });
  it('reads the embedded in-process queue in place of BullMQ: jobs by state and the oldest waiting age', async () => {
    const { InProcessQueue } = await import('../src/jobs/in-process.ts');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const noop = async () => ({});
    const queue = new InProcessQueue(
      { 'collect-rss': async () => held, dedup: noop, extract: noop, deliver: noop, edition: noop },
      { 'collect-rss': { concurrency: 1 } },
    );
    await queue.add('collect-rss', [
      { id: 'a', data: {} },
      { id: 'b', data: {} },
      { id: 'c', data: {} },
    ]);
    const later = Date.now() + 5_000;
    const c = clusterFamilies({
      db: t.db,
      config,
      log: createLogger({ level: 'silent' }),
      queueCounts: () => queue.counts(later),
    });
    try {
      const get = async (name: string) => (await c.families.find((f) => f.name === name)!.get()).values;
      const jobs = await get('finrep_queue_jobs');
      const of = (state: string) =>
        jobs.find((v) => v.labels.queue === 'collect-rss' && v.labels.state === state)?.value;
      expect([of('active'), of('waiting'), of('failed')]).toEqual([1, 2, 0]);
      const oldest = (await get('finrep_queue_oldest_waiting_seconds')).find((v) => v.labels.queue === 'collect-rss');
      expect(oldest!.value).toBeGreaterThanOrEqual(4.9);
      expect((await get('finrep_collector_up')).find((v) => v.labels.collector === 'queue')!.value).toBe(1);
    } finally {
      release();
      await c.close();
      await queue.close();
    }
  });
});

describe('metrics pieces', () => {
  it.each([
    { name: 'loopback', address: '127.0.0.1', internal: true },
    { name: 'mapped private', address: '::ffff:10.1.2.3', internal: true },
    { name: 'docker bridge', address: '172.18.0.5', internal: true },
    { name: 'lan', address: '192.168.1.20', internal: true },
    { name: 'ipv6 loopback', address: '::1', internal: true },
    { name: 'ipv6 ula', address: 'fd12:3456::1', internal: true },
    { name: 'public v4', address: '203.0.113.9', internal: false },
    { name: 'public mapped', address: '::ffff:8.8.8.8', internal: false },
    { name: 'public v6', address: '2001:db8::1', internal: false },
    { name: 'unknown', address: undefined, internal: false },
  ])('$name is internal: $internal', ({ address, internal }) => {
    expect(isInternalAddress(address)).toBe(internal);
  });

  it('a token, when set, is the only way in (even from loopback)', () => {
    const caller = { peer: '127.0.0.1', authorization: undefined, forwarded: false };
    expect(refuseMetrics(caller, 'a-long-metrics-token')?.status).toBe(401);
    expect(
      refuseMetrics({ ...caller, authorization: 'Bearer a-long-metrics-token' }, 'a-long-metrics-token'),
    ).toBeNull();
    expect(
      refuseMetrics({ ...caller, authorization: 'bearer a-long-metrics-tokeN' }, 'a-long-metrics-token'),
    ).not.toBeNull();
    expect(refuseMetrics(caller, null)).toBeNull();
    expect(refuseMetrics({ ...caller, peer: '198.51.100.1' }, null)?.status).toBe(403);
  });

  it("shows the breakers' states, and a worker's METRICS_PORT listener serves them", async () => {
    const breaker = { state: 'open' as 'closed' | 'open' | 'half_open' };
    const unwatch = watchBreakers([{ provider: { name: 'qwen' }, breaker }]);
    const server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      token: null,
      dataDir: '.',
      log: createLogger({ level: 'silent' }),
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const lines = parseExposition(await (await fetch(`${url}/metrics`)).text());
      expect(total(lines, 'finrep_llm_breaker_state', { provider: 'qwen', state: 'open' })).toBe(1);
      expect(total(lines, 'finrep_llm_breaker_state', { provider: 'qwen', state: 'closed' })).toBe(0);
      // A worker reports its own families only: the installation's come from the web server.
      expect(lines.some((l) => l.name.startsWith('finrep_queue_'))).toBe(false);
      expect((await fetch(`${url}/other`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(403);
      unwatch();
      const after = parseExposition(await (await fetch(`${url}/metrics`)).text());
      expect(after.some((l) => l.name === 'finrep_llm_breaker_state' && l.labels.provider === 'qwen')).toBe(false);
    } finally {
      await server.close();
    }
  });
});
