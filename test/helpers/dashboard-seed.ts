/**
 * A realistic, hostile-titled history for the dashboard pages: three editions (today's on time, yesterday's
 * late, one failed), deliveries by outcome, the LLM ledger, today's run with stages and events whose texts
 * are HTML, failing sources with HTML in their names and errors, and audit entries.
 */
import type { Db } from '../../src/db/client.ts';
import {
  auditLog,
  deliveryLog,
  editions,
  llmUsage,
  recipients,
  runEvents,
  runStages,
  runs,
  sources,
} from '../../src/db/schema/index.ts';
import { dateInZone } from '../../src/lib/time.ts';
import { deliverBy } from '../../src/web/views/dashboard-format.ts';

export const HOSTILE = '<script>alert("x")</script>';
export const HOSTILE_IMG = '<img src=x onerror=alert(1)>';

export interface Seeded {
  today: string;
  yesterday: string;
  todayRun: number;
  editionId: number;
  failingSource: number;
}

function dayBefore(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

export async function seedDashboard(db: Db, cfg: { timeZone: string; deadline: string }): Promise<Seeded> {
  const today = dateInZone(new Date(), cfg.timeZone);
  const yesterday = dayBefore(today, 1);
  const old = dayBefore(today, 2);
  const due = (d: string) => deliverBy(d, cfg.deadline, cfg.timeZone).getTime();
  const win = { windowFrom: new Date(Date.now() - 86_400_000), windowTo: new Date() };
  const [e0, e1] = await db
    .insert(editions)
    .values([
      { date: today, status: 'delivered', itemCount: 12, deliveredAt: new Date(due(today) - 600_000), ...win },
      { date: yesterday, status: 'delivered', itemCount: 9, deliveredAt: new Date(due(yesterday) + 1_800_000), ...win },
      { date: old, status: 'failed', itemCount: 0, ...win },
    ])
    .returning({ id: editions.id });
  const src = await db
    .insert(sources)
    .values([
      {
        name: `${HOSTILE_IMG}财联社电报`,
        kind: 'rss',
        url: 'https://example.com/a.xml',
        consecutiveFailures: 4,
        enabled: false,
        lastError: `HTTP 503 ${HOSTILE}`,
      },
      {
        name: '新浪财经',
        kind: 'web',
        url: 'https://example.com/b/',
        consecutiveFailures: 1,
        lastError: 'timeout',
        enabled: false,
      },
      { name: '东方财富', kind: 'rss', url: 'https://example.com/c.xml', enabled: false },
    ])
    .returning({ id: sources.id });
  const rec = await db
    .insert(recipients)
    .values(['a', 'b', 'c', 'd'].map((x) => ({ email: `${x}@example.com`, name: x })))
    .returning({ id: recipients.id });
  const statuses = ['sent', 'sent', 'failed', 'uncertain'] as const;
  await db.insert(deliveryLog).values(
    rec.map((r, i) => ({
      editionId: e0!.id,
      recipientId: r.id,
      email: `${'abcd'[i]}@example.com`,
      status: statuses[i]!,
    })),
  );
  await db
    .insert(deliveryLog)
    .values({ editionId: e1!.id, recipientId: rec[0]!.id, email: 'a@example.com', status: 'sent' });
  const usage = { provider: 'deepseek', model: 'deepseek-chat', outcome: 'ok' };
  await db.insert(llmUsage).values([
    { ...usage, editionId: e0!.id, cost: '0.25' },
    { ...usage, editionId: e0!.id, cost: '0.17' },
    { ...usage, editionId: e1!.id, cost: '1.5' },
  ]);
  const started = new Date(due(today) - 1_200_000);
  const [run] = await db
    .insert(runs)
    .values({
      editionId: e0!.id,
      trigger: 'schedule',
      status: 'partial',
      startedAt: started,
      finishedAt: new Date(started.getTime() + 300_000),
      summary: { collect: { new_articles: 57 } },
    })
    .returning({ id: runs.id });
  const runId = run!.id;
  await db.insert(runStages).values([
    {
      runId,
      stage: 'collect',
      status: 'ok',
      startedAt: started,
      durationMs: 61_000,
      counts: { line: `8 sources, 57 new ${HOSTILE}` },
    },
    { runId, stage: 'extract', status: 'failed', startedAt: started, durationMs: 4200, error: `LLM said ${HOSTILE}` },
  ]);
  await db.insert(runEvents).values([
    { runId, stage: 'collect', kind: 'start', message: 'collect started' },
    { runId, stage: 'extract', kind: 'error', message: `provider failed ${HOSTILE}` },
    { runId, stage: 'extract', kind: 'degraded', message: 'deadline 06:15 reached during extract' },
  ]);
  await db.insert(auditLog).values([
    {
      actor: 'user:admin@example.com',
      action: 'source.update',
      target: 'source:1',
      detail: { before: { weight: 1 }, after: { weight: 2 } },
    },
    { actor: `user:${HOSTILE_IMG}`, action: 'recipient.add', target: HOSTILE, detail: { email: HOSTILE } },
    {
      actor: 'cli:ops',
      action: 'user.add',
      target: 'viewer@example.com',
      detail: { role: 'viewer' },
      at: new Date('2020-01-02T03:00:00Z'),
    },
  ]);
  return { today, yesterday, todayRun: runId, editionId: e0!.id, failingSource: src[0]!.id };
}
