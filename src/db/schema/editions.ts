import {
  bigint,
  bigserial,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { articles } from './articles.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type EditionStatus =
  'pending' | 'running' | 'composed' | 'review' | 'delivering' | 'delivered' | 'partial' | 'failed';

/**
 * An editor's changes to a draft edition (the editorial gate, `REPORT_REVIEW`), by article id: applied to the
 * composed model when the draft is approved (`report/review-edits.ts`); every change is also in `audit_log`.
 */
export interface ReviewEdits {
  /** Stories left out of the report. */
  dropped: number[];
  /** Stories put first in 今日要闻, in this order. */
  pinned: number[];
  /** Summaries an editor rewrote. */
  summaries: Record<string, string>;
  /** A list's stories in the editor's order (`top` or a section's category). */
  order: Record<string, number[]>;
}

/** One report per date: its window, its files and its last summary. */
export const editions = pgTable('editions', {
  id: serial('id').primaryKey(),
  date: date('date', { mode: 'string' }).notNull().unique(),
  status: text('status').$type<EditionStatus>().notNull().default('pending'),
  windowFrom: ts('window_from').notNull(),
  windowTo: ts('window_to').notNull(),
  subject: text('subject'),
  htmlPath: text('html_path'),
  textPath: text('text_path'),
  xlsxPath: text('xlsx_path'),
  webviewPath: text('webview_path'),
  itemCount: integer('item_count').notNull().default(0),
  summary: jsonb('summary').$type<Record<string, unknown>>(),
  /**
   * The composed report model (JSON; without its chart images): any worker, on any machine, renders the
   * recipients' copies, the workbook and the charts from it — the report files are not shared storage.
   */
  model: jsonb('model').$type<Record<string, unknown>>(),
  createdAt: ts('created_at').notNull().defaultNow(),
  composedAt: ts('composed_at'),
  deliveredAt: ts('delivered_at'),
  /** The run whose draft waits for review (status `review`); a later run of the date opens a new review. */
  reviewRunId: integer('review_run_id'),
  /** When an unapproved draft goes out as composed (REPORT_REVIEW_DEADLINE). */
  reviewDeadlineAt: ts('review_deadline_at'),
  approvedAt: ts('approved_at'),
  /** Who approved the draft (an editor's email), or `deadline` when it went out as composed. */
  approvedBy: text('approved_by'),
  reviewEdits: jsonb('review_edits').$type<ReviewEdits>(),
});

/** The ranked stories of an edition with their score breakdown. */
export const reportItems = pgTable(
  'report_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    editionId: integer('edition_id')
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    articleId: bigint('article_id', { mode: 'number' })
      .notNull()
      .references(() => articles.id, { onDelete: 'cascade' }),
    clusterId: bigint('cluster_id', { mode: 'number' }),
    section: text('section').notNull(),
    rank: integer('rank').notNull(),
    top: boolean('top').notNull().default(false),
    score: real('score').notNull(),
    factors: jsonb('factors').$type<Record<string, number>>().notNull(),
  },
  (t) => [uniqueIndex('report_items_edition_article_uq').on(t.editionId, t.articleId)],
);

/** Every pipeline run, and one row per stage of it. */
export const runs = pgTable(
  'runs',
  {
    id: serial('id').primaryKey(),
    editionId: integer('edition_id').references(() => editions.id, { onDelete: 'set null' }),
    trigger: text('trigger').notNull(),
    status: text('status').$type<'running' | 'ok' | 'partial' | 'failed'>().notNull(),
    startedAt: ts('started_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    error: text('error'),
    /** The queue job that runs it (`edition` queue), when it runs as a job. */
    jobId: text('job_id'),
    /** When the deadline guard fires for this run (null: no deadline, e.g. a manual run after it). */
    deadlineAt: ts('deadline_at'),
    /** Process that last worked on it (host:pid), for the admin and for recovery messages. */
    worker: text('worker'),
    /**
     * An alert run is live (blocks the next) while `running` and this is ahead of the database's clock: set
     * when it starts and renewed by its process's heartbeat, so a process that died stops blocking when it
     * runs out. Null for edition runs.
     */
    leaseExpiresAt: ts('lease_expires_at'),
  },
  (t) => [index('runs_started_idx').on(t.startedAt)],
);

export const runStages = pgTable(
  'run_stages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stage: text('stage').notNull(),
    status: text('status').$type<'running' | 'ok' | 'failed'>().notNull(),
    startedAt: ts('started_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
    durationMs: integer('duration_ms'),
    counts: jsonb('counts').$type<Record<string, unknown>>(),
    /** Live progress while running: done of total (sources, stories, recipients). */
    progress: jsonb('progress').$type<{ done: number; total: number; unit: string }>(),
    error: text('error'),
  },
  (t) => [uniqueIndex('run_stages_run_stage_uq').on(t.runId, t.stage)],
);

/** What happened during a run, in order: stage starts and ends, progress, degradations, errors, recoveries. */
export const runEvents = pgTable(
  'run_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    at: ts('at').notNull().defaultNow(),
    stage: text('stage'),
    kind: text('kind')
      .$type<'start' | 'progress' | 'end' | 'error' | 'degraded' | 'recovered' | 'retrying' | 'info'>()
      .notNull(),
    message: text('message').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
  },
  (t) => [index('run_events_run_idx').on(t.runId, t.id)],
);
