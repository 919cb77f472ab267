/** What the console's reports pages read: editions with their delivery counts and LLM cost, paged. */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** One line of the editions list. */
export interface EditionLine {
  id: number;
  date: string;
  status: string;
  subject: string | null;
  items: number;
  sent: number;
  failed: number;
  uncertain: number;
  pending: number;
  cost: number;
  composedAt: Date | null;
  deliveredAt: Date | null;
  reviewDeadlineAt: Date | null;
  approvedBy: string | null;
}

const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

async function rows<T>(db: Db, q: ReturnType<typeof sql>): Promise<T[]> {
  return ((await db.execute(q)) as unknown as { rows: T[] }).rows;
}

/**
 * The editions, newest first, one page of them, and how many there are in all; each line's counts and cost
 * from the kept tallies (`delivery_counts`, `llm_usage_rollup`), not the delivery log's and ledger's rows.
 */
export async function listEditionLines(
  db: Db,
  o: { limit: number; offset: number },
): Promise<{ total: number; lines: EditionLine[] }> {
  const [count] = await rows<{ n: number }>(db, sql`select count(*)::int as n from editions`);
  const list = await rows<Record<string, unknown>>(
    db,
    sql`
    select e.id, e.date::text as date, e.status, e.subject, e.item_count as items,
           e.composed_at, e.delivered_at, e.review_deadline_at, e.approved_by,
           coalesce(d.sent, 0)::int as sent, coalesce(d.failed, 0)::int as failed,
           coalesce(d.uncertain, 0)::int as uncertain, coalesce(d.pending, 0)::int as pending,
           coalesce(u.cost, 0)::float8 as cost
    from (select * from editions order by date desc limit ${o.limit} offset ${o.offset}) e
    left join lateral (
      select sum(n) filter (where status = 'sent') as sent, sum(n) filter (where status = 'failed') as failed,
             sum(n) filter (where status = 'uncertain') as uncertain,
             sum(n) filter (where status in ('queued', 'retrying', 'sending')) as pending
      from delivery_counts where edition_id = e.id) d on true
    left join lateral (select sum(cost) as cost from llm_usage_rollup where edition_id = e.id) u on true
    order by e.date desc`,
  );
  return {
    total: count?.n ?? 0,
    lines: list.map((r) => ({
      id: Number(r.id),
      date: String(r.date),
      status: String(r.status),
      subject: (r.subject as string | null) ?? null,
      items: Number(r.items),
      sent: Number(r.sent),
      failed: Number(r.failed),
      uncertain: Number(r.uncertain),
      pending: Number(r.pending),
      cost: Number(r.cost),
      composedAt: toDate(r.composed_at),
      deliveredAt: toDate(r.delivered_at),
      reviewDeadlineAt: toDate(r.review_deadline_at),
      approvedBy: (r.approved_by as string | null) ?? null,
    })),
  };
}

/** The LLM cost of one edition (CNY), from the ledger's quarter-hour sums. */
export async function editionCost(db: Db, editionId: number): Promise<number> {
  const [r] = await rows<{ cost: number }>(
    db,
    sql`select coalesce(sum(cost), 0)::float8 as cost from llm_usage_rollup where edition_id = ${editionId}`,
  );
  return Number(r?.cost ?? 0);
}

/** The recipient groups in use, for the resend form (each distinct list of groups unpacked once). */
export async function recipientGroups(db: Db): Promise<string[]> {
  const list = await rows<{ g: string }>(
    db,
    sql`select distinct g from (select distinct groups from recipients) r, jsonb_array_elements_text(r.groups) g order by 1`,
  );
  return list.map((r) => r.g);
}

/**
 * An edition's delivery rows that need a look (not sent), failed first: address, status, attempts, last reply.
 * One index range per status (`delivery_log_edition_status_idx`), never the edition's sent rows.
 */
export async function editionDeliveries(db: Db, editionId: number, limit = 50) {
  const part = (rank: number, statuses: string[]) =>
    sql`(select ${sql.raw(String(rank))} as rank, id, email, status, attempts, resends, coalesce(last_reply, error) as reply, sent_at
        from delivery_log where edition_id = ${editionId} and status in (${sql.join(
          statuses.map((x) => sql`${x}`),
          sql`, `,
        )}) order by id limit ${limit})`;
  const list = await rows<Record<string, unknown>>(
    db,
    sql`select email, status, attempts, resends, reply, sent_at from (
        ${part(0, ['failed'])} union all ${part(1, ['uncertain'])}
        union all ${part(2, ['queued', 'sending', 'retrying'])}) x
        order by rank, id limit ${limit}`,
  );
  return list.map((r) => ({
    email: String(r.email),
    status: String(r.status),
    attempts: Number(r.attempts),
    resends: Number(r.resends),
    reply: (r.reply as string | null) ?? null,
    sentAt: toDate(r.sent_at),
  }));
}
