import { formatDuration, withoutServerPaths } from './dashboard-format.ts';
import { stateWord } from '../i18n/index.ts';
import { EventList, ReportLinks, StageTable, statusTone } from './dashboard-parts.tsx';
import type { EventView, StageView } from './dashboard-parts.tsx';
import type { PageContext } from './layout.tsx';
import { Notice } from './layout.tsx';
import { Badge, Csrf, Field, Page, Pager, Panel, Table, Time } from './ui.tsx';

export interface RunLine {
  id: number;
  trigger: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
  date: string | null;
}

/** What the "run now" form was sent with, and what was wrong with it. */
export interface RunForm {
  date: string;
  dryRun: boolean;
  groups: string;
  errors?: { date?: string; groups?: string };
}

export interface RunsProps {
  ctx: PageContext;
  rows: RunLine[];
  total: number;
  page: number;
  pageSize: number;
  form: RunForm;
  error?: string | null;
  /** The run already running that refused a start. */
  running?: number | null;
}

function runDuration(r: { startedAt: Date; finishedAt: Date | null }): string {
  return r.finishedAt ? formatDuration(r.finishedAt.getTime() - r.startedAt.getTime()) : '—';
}

/** `GET /runs`: the "run now" form (admins) and the runs, newest first. */
export function RunsPage({ ctx, rows, total, page, pageSize, form, error, running }: RunsProps) {
  const { t } = ctx;
  return (
    <Page ctx={ctx} title={t('dashboard.runs.title')}>
      {ctx.user?.role === 'admin' && (
        <Panel title={t('dashboard.runs.runNow')} id="run-now">
          {error && (
            <Notice kind="error">
              {error} {running && <a href={`/runs/${running}`}>{t('dashboard.runs.openRunning')}</a>}
            </Notice>
          )}
          <form method="post" action="/runs" className="run-now">
            <Csrf ctx={ctx} />
            <Field
              label={t('dashboard.runs.date')}
              name="date"
              type="date"
              value={form.date}
              error={form.errors?.date}
            />
            <Field label={t('dashboard.runs.groups')} name="groups" value={form.groups} error={form.errors?.groups} />
            <label className="check">
              <input type="checkbox" name="dry_run" value="1" defaultChecked={form.dryRun} />{' '}
              <span>{t('dashboard.runs.dryRun')}</span>
            </label>
            <button type="submit">{t('dashboard.runs.start')}</button>
          </form>
        </Panel>
      )}
      <Panel title={t('dashboard.runs.list')}>
        <Table
          ctx={ctx}
          head={[
            t('dashboard.runs.id'),
            t('dashboard.runs.edition'),
            t('dashboard.runs.trigger'),
            t('dashboard.status'),
            t('dashboard.started'),
            t('dashboard.duration'),
          ]}
          rows={rows.map((r) => [
            <a href={`/runs/${r.id}`}>#{r.id}</a>,
            <span className="num">{r.date ?? '—'}</span>,
            <span className="state-word">{stateWord(t, 'trigger', r.trigger)}</span>,
            <Badge tone={statusTone(r.status)} title={r.error ? withoutServerPaths(r.error) : undefined}>
              {stateWord(t, 'run', r.status)}
            </Badge>,
            <Time ctx={ctx} at={r.startedAt} />,
            <span className="num">{runDuration(r)}</span>,
          ])}
        />
        <Pager ctx={ctx} page={page} pageSize={pageSize} total={total} />
      </Panel>
    </Page>
  );
}

export interface RunProps {
  ctx: PageContext;
  run: RunLine & { worker: string | null; summary: Record<string, unknown> | null };
  stages: StageView[];
  events: EventView[];
  /** An alert run: the alert runs it held off (how many, the last when); null or absent: none. */
  skips?: { count: number; last: Date } | null;
}

/**
 * `GET /runs/:id`: the run's stages and events so far; run-live.js follows `/runs/:id/events` (SSE) and
 * updates them, and without it the page reloads itself while the run is running (`data-reload`).
 */
export function RunPage({ ctx, run, stages, events, skips }: RunProps) {
  const { t } = ctx;
  const live = run.status === 'running';
  const lastId = events.at(-1)?.id ?? 0;
  return (
    <Page ctx={ctx} title={t('dashboard.run', { id: run.id })} scripts={live ? ['run-live.js'] : []}>
      <div
        className="run-live"
        data-run={run.id}
        data-last-event={lastId}
        data-reload={live ? 10 : undefined}
        data-finished-label={t('dashboard.runs.finished', { status: '{status}' })}
      >
        <p className="run-head">
          <Badge tone={statusTone(run.status)}>
            <span data-run-status="">{stateWord(t, 'run', run.status)}</span>
          </Badge>{' '}
          {run.date && <span>{run.date}</span>} ·{' '}
          <span className="state-word">{stateWord(t, 'trigger', run.trigger)}</span> ·{' '}
          <Time ctx={ctx} at={run.startedAt} /> · {runDuration(run)}
          {live && <span className="muted live-note"> {t('dashboard.runs.live')}</span>}
        </p>
        {run.error && (
          <p className="error-text">
            {t('dashboard.runs.error')}: {withoutServerPaths(run.error)}
          </p>
        )}
        {skips && (
          <p className="muted">
            {t('dashboard.runs.heldOff', { n: skips.count })} <Time ctx={ctx} at={skips.last} /> ·{' '}
            <a href="/alerts#skipped">{t('dashboard.runs.heldOffLink')}</a>
          </p>
        )}
        <p className="report-links" data-report-links="" hidden={live || !run.date}>
          {t('dashboard.runs.reportLinks')}: {run.date && <ReportLinks ctx={ctx} date={run.date} />}
        </p>
        <Panel title={t('dashboard.stages')}>
          <StageTable ctx={ctx} stages={stages} date={run.date} />
        </Panel>
        <Panel title={t('dashboard.runs.events')}>
          {events.length === 0 && (
            <p className="muted" data-no-events="">
              {t('dashboard.runs.noEvents')}
            </p>
          )}
          <EventList ctx={ctx} events={events} />
        </Panel>
      </div>
    </Page>
  );
}
