import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import {
  articles,
  deliveryLog,
  editions,
  recipients,
  reportItems,
  sources,
  storyClusters,
} from '../src/db/schema/index.ts';
import { silentLogger } from '../src/log.ts';
import { startOpsSchedule } from '../src/ops/backup-schedule.ts';
import { purgeOldData } from '../src/ops/retention.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
const log = silentLogger();

/** Titles of the articles left, sorted. */
async function titlesLeft(t: TestDatabase): Promise<string[]> {
  const rows = await t.db.select({ title: articles.title }).from(articles);
  return rows.map((r) => r.title).sort();
}

describe(`housekeeping purges old rows and keeps what is still needed (${TEST_DB})`, () => {
  let t: TestDatabase;
  let n = 0;

  /** An article first seen `age` days ago, in `clusterId`'s story when given. */
  async function article(title: string, age: number, sourceId: number, clusterId: number | null = null) {
    n += 1;
    const at = daysAgo(age);
    const [row] = await t.db
      .insert(articles)
      .values({
        sourceId,
        url: `https://example.com/${n}`,
        canonicalUrl: `https://example.com/${n}`,
        urlHash: `hash-${n}`,
        title,
        firstSeenAt: at,
        effectiveAt: at,
        contentHash: `c-${n}`,
        simhash: BigInt(n),
        band0: n,
        band1: n,
        band2: n,
        band3: n,
        clusterId,
      })
      .returning({ id: articles.id });
    return row!.id;
  }

  async function story(title: string, lastSeenAge: number) {
    const [row] = await t.db
      .insert(storyClusters)
      .values({ title, firstSeenAt: daysAgo(lastSeenAge + 1), lastSeenAt: daysAgo(lastSeenAge) })
      .returning({ id: storyClusters.id });
    return row!.id;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    const [src] = await t.db
      .insert(sources)
      .values({ name: 's', kind: 'rss', url: 'https://example.com/feed' })
      .returning({ id: sources.id });
    const s = src!.id;
    const [ed] = await t.db
      .insert(editions)
      .values({ date: '2025-09-01', status: 'delivered', windowFrom: daysAgo(274), windowTo: daysAgo(273) })
      .returning({ id: editions.id });
    const [live] = await t.db
      .insert(editions)
      .values({ date: '2025-10-01', status: 'delivering', windowFrom: daysAgo(244), windowTo: daysAgo(243) })
      .returning({ id: editions.id });

    // Articles: the old ones go unless a report, a live story or a reported story needs them.
    await article('old alone', 200, s);
    const reported = await article('old in a report', 300, s);
    await t.db
      .insert(reportItems)
      .values({ editionId: ed!.id, articleId: reported, section: 'macro', rank: 1, score: 1, factors: {} });
    const liveStory = await story('live story', 10);
    await article('old in a live story', 200, s, liveStory);
    await article('new in the live story', 10, s, liveStory);
    const reportedStory = await story('old reported story', 250);
    const member = await article('old member of a reported story', 250, s, reportedStory);
    const rep = await article('old reported representative', 250, s, reportedStory);
    await t.db
      .update(storyClusters)
      .set({ representativeId: rep })
      .where(sql`id = ${reportedStory}`);
    await t.db
      .insert(reportItems)
      .values({ editionId: ed!.id, articleId: member, section: 'macro', rank: 2, score: 1, factors: {} });
    const deadStory = await story('dead story', 190);
    await article('old in a dead story', 190, s, deadStory);
    await article('new alone', 5, s);
    // Enough old, unneeded articles for several batches.
    for (let i = 0; i < 7; i++) await article(`old filler ${i}`, 181 + i, s);

    // Deliveries: old finished rows of finished editions go; pending, uncertain and live editions' rows stay.
    const people = await t.db
      .insert(recipients)
      .values(['a', 'b', 'c', 'd', 'e', 'f'].map((x) => ({ email: `${x}@example.com` })))
      .returning({ id: recipients.id, email: recipients.email });
    const row = (i: number, editionId: number, status: 'sent' | 'failed' | 'queued' | 'uncertain', age: number) => ({
      editionId,
      recipientId: people[i]!.id,
      email: people[i]!.email,
      status,
      updatedAt: daysAgo(age),
    });
    await t.db
      .insert(deliveryLog)
      .values([
        row(0, ed!.id, 'sent', 100),
        row(1, ed!.id, 'failed', 95),
        row(2, ed!.id, 'sent', 30),
        row(3, ed!.id, 'queued', 100),
        row(4, ed!.id, 'uncertain', 100),
        row(0, live!.id, 'sent', 120),
      ]);
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('purges in batches and keeps what a report, a story or a pending delivery needs', async () => {
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir }, { envFile: null });
    const summary = await purgeOldData({ db: t.db, config, log, now: () => NOW }, { batch: 3 });
    expect(summary).toEqual({ deliveries: 2, articles: 9, stories: 1 });
    expect(await titlesLeft(t)).toEqual(
      [
        'new alone',
        'new in the live story',
        'old in a live story',
        'old in a report',
        'old member of a reported story',
        'old reported representative',
      ].sort(),
    );
    const left = await t.db.select({ email: deliveryLog.email, status: deliveryLog.status }).from(deliveryLog);
    expect(left.map((r) => `${r.email} ${r.status}`).sort()).toEqual([
      'a@example.com sent', // of the edition still delivering
      'c@example.com sent', // 30 days old
      'd@example.com queued',
      'e@example.com uncertain',
    ]);
    const stories = await t.db.select({ title: storyClusters.title }).from(storyClusters);
    expect(stories.map((s) => s.title).sort()).toEqual(['live story', 'old reported story']);
  });

  it('runs on RETENTION_SCHEDULE, each fire once where the claim allows it', async () => {
    await article('old, purged by the schedule', 400, (await t.db.select({ id: sources.id }).from(sources))[0]!.id);
    const config = loadConfig(
      { FINREP_DATA_DIR: t.dataDir, BACKUP_SCHEDULE: 'off', RETENTION_SCHEDULE: '* * * * * *' },
      { envFile: null },
    );
    const claims: string[] = [];
    const schedule = startOpsSchedule({
      db: t.db,
      config,
      log,
      now: () => new Date(),
      claim: async (job, at) => {
        claims.push(`${job} ${at.getMilliseconds()}`);
        return claims.length === 1; // another beat took the later fires
      },
    });
    try {
      expect(schedule.next.backup).toBeUndefined();
      for (let i = 0; i < 200 && claims.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await schedule.stop();
    }
    expect(claims.slice(0, 2)).toEqual(['retention 0', 'retention 0']);
    expect(await titlesLeft(t)).not.toContain('old, purged by the schedule');
  });

  it('purges nothing more on a second pass', async () => {
    const config = loadConfig({ FINREP_DATA_DIR: t.dataDir }, { envFile: null });
    expect(await purgeOldData({ db: t.db, config, log, now: () => NOW })).toEqual({
      deliveries: 0,
      articles: 0,
      stories: 0,
    });
  });
});
