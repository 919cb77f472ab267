import type { EditionLine } from '../../db/queries/console-runs.ts';
import { DELIVERY_GRACE_MIN, deliverBy, withoutServerPaths } from './dashboard-format.ts';
import { EventList, money, StageTable, statusTone } from './dashboard-parts.tsx';
import type { EventView, StageView } from './dashboard-parts.tsx';
import type { PageContext } from './layout.tsx';
import { stateWord } from '../i18n/index.ts';
import { EditionStatus } from './reports.tsx';
import { Badge, formatNumber, formatTime, Page, Panel, Stat, Table, Time } from './ui.tsx';

/** Today's run as the dashboard shows it. */
export interface TodayRun {
  id: number;
  status: string;
  startedAt: Date;
  summary: Record<string, unknown> | null;
  error: string | null;
}

export interface FailingSource {
  id: number;
  name: string;
  kind: string;
  failures: number;
  lastError: string | null;
  lastSuccessAt: Date | null;
}

export interface DashboardProps {
  ctx: PageContext;
  today: string;
  /** EDITION_DEADLINE (`HH:MM`): mail is due {@link DELIVERY_GRACE_MIN} minutes after it. */
  deadline: string;
  edition: EditionLine | null;
  run: TodayRun | null;
  stages: StageView[];
  problems: EventView[];
  editions: EditionLine[];
  failing: { rows: FailingSource[]; total: number };
}

/** `GET /`: today's edition, the last 30 editions against the delivery deadline, sources failing now. */
export function DashboardPage(p: DashboardProps) {
  const { ctx } = p;
  const { t } = ctx;
  return (
    <Page ctx={ctx} title={t('dashboard.title')}>
      <Today {...p} />
      <div className="grid dashboard-grid">
        <Panel title={t('dashboard.errors')}>
          {p.problems.length === 0 ? (
            <p className="muted">{t('dashboard.noErrors')}</p>
          ) : (
            <EventList ctx={ctx} events={p.problems} />
          )}
        </Panel>
        <Failing {...p} />
      </div>
      <Editions {...p} />
    </Page>
  );
}

function collected(summary: Record<string, unknown> | null): number | null {
  const c = summary?.collect as { new_articles?: number } | undefined;
  return typeof c?.new_articles === 'number' ? c.new_articles : null;
}

function Today({ ctx, today, edition, run, stages }: DashboardProps) {
  const { t } = ctx;
  const title = t('dashboard.today', { date: today });
  if (!edition || !run)
    return (
      <Panel title={title}>
        <p className="muted">{t('dashboard.noEdition', { date: today })}</p>
        <p>
          <a href="/runs">{t('dashboard.runs.runNow')}</a>
        </p>
      </Panel>
    );
  const n = (v: number | null) => formatNumber(ctx, v);
  return (
    <Panel title={title}>
      <p className="today-head">
        <EditionStatus ctx={ctx} status={edition.status} />{' '}
        <a href={`/runs/${run.id}`}>{t('dashboard.run', { id: run.id })}</a>{' '}
        <Badge tone={statusTone(run.status)}>{stateWord(t, 'run', run.status)}</Badge>{' '}
        <span className="muted">
          <Time ctx={ctx} at={run.startedAt} />
        </span>
      </p>
      {run.error && <p className="error-text">{withoutServerPaths(run.error)}</p>}
      <div className="stats">
        <Stat label={t('dashboard.collected')} value={n(collected(run.summary))} />
        <Stat label={t('dashboard.stories')} value={n(edition.stories)} />
        <Stat label={t('dashboard.sent')} value={n(edition.sent)} tone={edition.sent > 0 ? 'ok' : undefined} />
        <Stat label={t('dashboard.failed')} value={n(edition.failed)} tone={edition.failed > 0 ? 'bad' : undefined} />
        <Stat
          label={t('dashboard.uncertain')}
          value={n(edition.uncertain)}
          tone={edition.uncertain > 0 ? 'warn' : undefined}
        />
        <Stat label={t('dashboard.cost')} value={money(ctx, edition.cost)} />
      </div>
      <StageTable ctx={ctx} stages={stages} date={edition.date} />
    </Panel>
  );
}

function Failing({ ctx, failing }: DashboardProps) {
  const { t } = ctx;
  return (
    <Panel title={`${t('dashboard.failingSources')} (${failing.total})`}>
      {failing.total > failing.rows.length && (
        <p className="muted">{t('dashboard.failingMore', { total: failing.total, shown: failing.rows.length })}</p>
      )}
      <Table
        ctx={ctx}
        empty={t('dashboard.noFailing')}
        head={[t('dashboard.source'), t('dashboard.failures'), t('dashboard.lastError'), t('dashboard.lastSuccess')]}
        rows={failing.rows.map((s) => [
          <a href={`/sources/${s.id}`}>{s.name}</a>,
          <Badge tone={s.failures >= 3 ? 'bad' : 'warn'}>{s.failures}</Badge>,
          <span className="error-text clip">{s.lastError ?? ''}</span>,
          <Time ctx={ctx} at={s.lastSuccessAt} />,
        ])}
      />
    </Panel>
  );
}

function Editions({ ctx, deadline, editions }: DashboardProps) {
  const { t } = ctx;
  const delivered = (e: EditionLine) => {
    const due = deliverBy(e.date, deadline, ctx.timeZone);
    if (!e.deliveredAt) return <span className="muted">—</span>;
    const late = e.deliveredAt.getTime() > due.getTime();
    return (
      <span className={late ? 'late' : undefined}>
        <Time ctx={ctx} at={e.deliveredAt} />{' '}
        {late ? (
          <Badge tone="bad">{t('dashboard.late', { time: formatTime(ctx, due).slice(11) })}</Badge>
        ) : (
          <Badge tone="ok">{t('dashboard.onTime')}</Badge>
        )}
      </span>
    );
  };
  const due = deliverBy('2000-01-01', deadline, ctx.timeZone);
  return (
    <Panel title={t('dashboard.editions')}>
      <p className="muted">
        {t('dashboard.deadlineHint', { time: formatTime(ctx, due).slice(11), grace: DELIVERY_GRACE_MIN })}
      </p>
      <Table
        ctx={ctx}
        head={[
          t('dashboard.date'),
          t('dashboard.status'),
          t('dashboard.stories'),
          t('dashboard.sent'),
          t('dashboard.failed'),
          t('dashboard.uncertain'),
          t('dashboard.cost'),
          t('dashboard.deliveredAt'),
        ]}
        rows={editions.map((e) => [
          <a href={`/reports/${e.date}`}>{e.date}</a>,
          <EditionStatus ctx={ctx} status={e.status} />,
          formatNumber(ctx, e.stories),
          formatNumber(ctx, e.sent),
          e.failed > 0 ? <Badge tone="bad">{e.failed}</Badge> : '0',
          e.uncertain > 0 ? <Badge tone="warn">{e.uncertain}</Badge> : '0',
          money(ctx, e.cost),
          delivered(e),
        ])}
      />
    </Panel>
  );
}
