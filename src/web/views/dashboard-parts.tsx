/**
 * Pieces the dashboard and the run pages share: a run's stage table and its event list (both rendered here
 * first and then kept up to date by static/run-live.js, which relies on the `data-` attributes), status
 * badges, durations, and the delivery deadline of an edition.
 */
import { eventMark, formatDuration, progressText, stageResult, withoutServerPaths } from './dashboard-format.ts';
import type { StageView } from './dashboard-format.ts';
import { stateWord } from '../i18n/index.ts';
import { sayText } from '../i18n/coded.ts';
import { Badge, formatNumber, Time } from './ui.tsx';
import type { Tone } from './ui.tsx';
import type { PageContext } from './layout.tsx';

export type { StageView };

/** An event as `run_events` holds it. */
export interface EventView {
  id: number;
  at: Date;
  stage: string | null;
  kind: string;
  /** The English, as the CLI printed it. */
  message: string;
  /** The event's `data`: with `code` and `params`, the page says the message in its language. */
  data?: unknown;
}

/** The colour of a run's, stage's or edition's status. */
export function statusTone(status: string): Tone {
  if (status === 'ok' || status === 'delivered' || status === 'sent') return 'ok';
  if (status === 'running' || status === 'delivering' || status === 'composed') return 'info';
  if (status === 'partial' || status === 'degraded' || status === 'uncertain') return 'warn';
  if (status === 'failed' || status === 'error') return 'bad';
  return 'muted';
}

/**
 * Where a composed edition can be read: its web view, workbook and mail (never the files' paths on the
 * server, which the compose stage's line names for the CLI). run-live.js builds the same from the stream.
 */
export function ReportLinks({ ctx, date }: { ctx: PageContext; date: string }) {
  const { t } = ctx;
  const links = [
    [`/reports/${date}`, t('state.links.webview')],
    [`/reports/${date}/xlsx`, t('state.links.xlsx')],
    [`/reports/${date}/eml`, t('state.links.eml')],
    [`/reports/${date}/detail`, t('state.links.detail')],
  ] as const;
  return (
    <span className="report-files">
      {links.map(([href, label], i) => (
        <span key={href}>
          {i > 0 && ' · '}
          <a href={href}>{label}</a>
        </span>
      ))}
    </span>
  );
}

/**
 * A run's stages: start, duration, status, result (the compose stage's with the edition's links when `date`
 * is known); run-live.js rewrites the rows from the stream.
 */
export function StageTable({ ctx, stages, date }: { ctx: PageContext; stages: StageView[]; date?: string | null }) {
  const { t } = ctx;
  return (
    <div className="table-wrap">
      <table className="data stages" data-stages="">
        <thead>
          <tr>
            <th>{t('dashboard.stage')}</th>
            <th>{t('dashboard.status')}</th>
            <th>{t('dashboard.started')}</th>
            <th className="num">{t('dashboard.duration')}</th>
            <th>{t('dashboard.counts')}</th>
          </tr>
        </thead>
        <tbody>
          {stages.map((s) => (
            <tr key={s.stage} data-stage={s.stage}>
              <td className="stage-name">{stateWord(t, 'stage', s.stage)}</td>
              <td className="stage-status">
                <Badge tone={statusTone(s.status)}>{stateWord(t, 'run', s.status)}</Badge>{' '}
                <span className="progress">{progressText(s)}</span>
              </td>
              <td className="stage-start">
                <Time ctx={ctx} at={s.startedAt} seconds />
              </td>
              <td className="num stage-duration">{formatDuration(s.durationMs)}</td>
              <td className={s.error ? 'stage-result error-text' : 'stage-result'}>
                {stageResult(s, ctx.t)}
                {s.stage === 'compose' && s.status === 'ok' && date && (
                  <>
                    {' '}
                    <ReportLinks ctx={ctx} date={date} />
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A run's events in order, as the CLI prints them; run-live.js appends the new ones. */
export function EventList({ ctx, events }: { ctx: PageContext; events: EventView[] }) {
  return (
    <ol className="run-events" data-events="">
      {events.map((e) => (
        <li key={e.id} className={`ev-${e.kind}`} data-id={e.id}>
          <Time ctx={ctx} at={e.at} seconds /> <span className="mark">{eventMark(e.kind)}</span>{' '}
          {e.stage && <strong>{stateWord(ctx.t, 'stage', e.stage)}: </strong>}
          <span className="msg">{withoutServerPaths(sayText(ctx.t, e.data, e.message))}</span>
        </li>
      ))}
    </ol>
  );
}

/** `¥0.42` as the page's language writes it. */
export function money(ctx: PageContext, n: number): string {
  return `¥${formatNumber(ctx, n, 2)}`;
}
