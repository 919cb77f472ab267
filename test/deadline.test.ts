/**
 * The deadline guard on the demo world: with DeepSeek far too slow, the edition goes out at its deadline
 * with the remaining stories extracted locally, and says so; with a fast DeepSeek and no deadline, nothing
 * degrades. `configuredDeadline` (EDITION_DEADLINE) applies only to a run that starts before it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/cli/run.ts';
import { loadConfig } from '../src/config/index.ts';
import { editionsQ, runsQ } from '../src/db/queries/index.ts';
import { createOutboxMailer } from '../src/deliver/index.ts';
import type { DemoWorld } from '../src/demo/index.ts';
import { startDemoWorld } from '../src/demo/index.ts';
import { startFakeLlm } from '../src/extract/fake-server.ts';
import type { FakeLlmServer } from '../src/extract/fake-server.ts';
import { silentLogger } from '../src/log.ts';
import { runEdition } from '../src/jobs/embedded.ts';
import { configuredDeadline } from '../src/pipeline/edition.ts';
import { editionWindow } from '../src/pipeline/window.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const DATE = '2025-11-10';
const KEY = 'sk-deadline-test-0123456789';
/**
 * Far longer than the run may take: an answer never arrives before the deadline. (60 s was once too short on
 * a CI machine at load 21, where the whole run took 63 s; the test's own timeout is 240 s.)
 */
const SLOW_MS = 200_000;
const log = silentLogger();

describe('configuredDeadline: EDITION_DEADLINE on the edition date, for a run that starts before it', () => {
  const config = loadConfig({ EDITION_DEADLINE: '06:15' }, { envFile: null });
  // 06:15 in Shanghai on 2025-11-10 is 22:15 UTC on the 9th.
  it.each([
    { name: 'a scheduled run at 06:00', now: '2025-11-09T22:00:00Z', expected: '2025-11-09T22:15:00.000Z' },
    { name: 'a run a millisecond before it', now: '2025-11-09T22:14:59.999Z', expected: '2025-11-09T22:15:00.000Z' },
    { name: 'a run the evening before', now: '2025-11-09T12:00:00Z', expected: '2025-11-09T22:15:00.000Z' },
    { name: 'a run at the deadline', now: '2025-11-09T22:15:00Z', expected: null },
    { name: 'a manual run later that day', now: '2025-11-10T02:00:00Z', expected: null },
    { name: 'a manual run of an old edition', now: '2026-01-01T00:00:00Z', expected: null },
  ])('$name', ({ now, expected }) => {
    expect(configuredDeadline(config, DATE, new Date(now))?.toISOString() ?? null).toBe(expected);
  });

  it('reads the deadline in the configured zone', () => {
    const utc = loadConfig({ EDITION_DEADLINE: '06:15', TZ: 'UTC' }, { envFile: null });
    expect(configuredDeadline(utc, DATE, new Date('2025-11-10T00:00:00Z'))?.toISOString()).toBe(
      '2025-11-10T06:15:00.000Z',
    );
  });
});

describe(`the deadline guard on the demo world (${TEST_DB})`, () => {
  let world: DemoWorld | undefined;
  let fake: FakeLlmServer | undefined;
  const dbs: TestDatabase[] = [];

  beforeAll(async () => {
    const { to } = editionWindow(DATE, { timeZone: 'Asia/Shanghai', cutoff: '06:00', windowHours: 24 });
    world = await startDemoWorld({ anchor: to, timezone: 'Asia/Shanghai' });
    fake = await startFakeLlm({ style: 'deepseek', apiKey: KEY });
  });
  afterAll(async () => {
    await world?.close();
    await fake?.close();
    for (const t of dbs) await t.drop();
  });

  /** A fresh database seeded with the demo world, and an edition runner on it with DeepSeek at the fake server. */
  async function setup() {
    const t = await createTestDatabase();
    dbs.push(t);
    const keys = await seedDemo(t.db, world!);
    const config = loadConfig(
      {
        FINREP_DATA_DIR: t.dataDir,
        MAIL_RATE_LIMIT_PER_SEC: '50',
        LLM_PROVIDERS: 'deepseek',
        PROVIDER_DEEPSEEK_API_KEY: KEY,
        PROVIDER_DEEPSEEK_BASE_URL: fake!.url,
        LLM_TIMEOUT_SEC: '300',
        LLM_MAX_RETRIES: '0',
      },
      { envFile: null },
    );
    const outbox = path.join(t.dataDir, 'outbox', DATE);
    return { t, keys, config, outbox };
  }

  it('sends the report at the deadline, the stories the LLM had not done extracted locally', async () => {
    const { t, keys, config, outbox } = await setup();
    fake!.configure({ latencyMs: SLOW_MS });
    const requestsBefore = fake!.requests.length;
    // The clock jumps past the deadline once collection and dedup are done (whatever the machine's load):
    // every story is then waiting for, or in, a DeepSeek call that takes a minute.
    let skewMs = 0;
    const deadline = new Date(Date.now() + 3_600_000);
    const progress = (line: string) => {
      if (line.startsWith('✔ dedup')) skewMs = 3_601_000;
    };
    const mailer = createOutboxMailer(outbox, { log });
    const started = Date.now();
    const summary = await runEdition(
      {
        db: t.db,
        config,
        log,
        now: () => new Date(Date.now() + skewMs),
        mailer,
        secret: 'test-secret-0123456789',
        progress,
      },
      { date: DATE, sourceKeys: keys, deadline },
    ).finally(() => mailer.close());
    const elapsed = Date.now() - started;

    expect(skewMs).toBeGreaterThan(0);
    // Done before any DeepSeek answer could have come back.
    expect(fake!.requests.length).toBeGreaterThan(requestsBefore);
    expect(elapsed).toBeLessThan(SLOW_MS);
    expect(summary.deadline).toBe(deadline.toISOString());
    expect(summary.status).toBe('partial');
    expect(summary.collect.failed_sources).toBe(0); // collection was done before the deadline
    const stories = summary.dedup.clusters;
    expect(stories).toBeGreaterThan(50);
    expect(summary.extract.by_provider).toEqual({ local: stories });
    const label = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      hour: '2-digit',
      minute: '2-digit',
    }).format(deadline);
    expect(summary.degraded).toEqual([`deadline ${label}: ${stories} stories extracted by the local extractor`]);
    expect(summary.extract.degraded).toContain(
      `deadline ${label}: ${stories} stories extracted by the local extractor`,
    );
    expect(summary.extract.cost).toBe(0);

    // The report is composed and delivered all the same.
    expect(summary.report.items).toBeGreaterThanOrEqual(10);
    expect(summary.deliver).toMatchObject({ recipients: 3, sent: 3, failed: 0, transport: 'outbox', error: null });
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
    const edition = await editionsQ.findEditionByDate(t.db, DATE);
    expect(edition).toMatchObject({ status: 'delivered', itemCount: summary.report.items });

    // The run's record tells the story: a 'degraded' event for the deadline and one for the local extraction.
    const run = await runsQ.getRun(t.db, summary.run_id!);
    expect(run).toMatchObject({ status: 'partial' });
    const events = await runsQ.listRunEvents(t.db, summary.run_id!);
    const degraded = events.filter((e) => e.kind === 'degraded').map((e) => e.message);
    expect(degraded).toEqual([
      `deadline ${label} reached during extract`,
      `deadline ${label}: ${stories} stories extracted by the local extractor`,
    ]);
  }, 240_000);

  it('degrades nothing with a fast DeepSeek and no deadline', async () => {
    const { t, keys, config, outbox } = await setup();
    fake!.configure({ latencyMs: 0 });
    const mailer = createOutboxMailer(outbox, { log });
    // No deadline given: EDITION_DEADLINE on 2025-11-10 is long past, so none applies.
    const summary = await runEdition(
      { db: t.db, config, log, now: () => new Date(), mailer, secret: 'test-secret-0123456789' },
      { date: DATE, sourceKeys: keys },
    ).finally(() => mailer.close());
    expect(summary.deadline).toBeNull();
    expect(summary.status).toBe('ok');
    expect(summary.degraded).toEqual([]);
    expect(summary.extract.degraded).toEqual([]);
    expect(summary.extract.by_provider).toEqual({ deepseek: summary.dedup.clusters });
    expect(summary.deliver).toMatchObject({ recipients: 3, sent: 3, failed: 0 });
    const events = await runsQ.listRunEvents(t.db, summary.run_id!);
    expect(events.filter((e) => e.kind === 'degraded')).toEqual([]);
  }, 240_000);
});
