/** The alert runs that did not start because another was live: when, which run held them off, who fired. */
import type { AlertRunSkipRow } from '../../db/queries/alerts.ts';
import { stateWord } from '../i18n/index.ts';
import { statusTone } from './dashboard-parts.tsx';
import type { PageContext } from './layout.tsx';
import { CardTable } from './recipients.tsx';
import { Badge, Time } from './ui.tsx';

/** The newest skipped alert runs (`alert_run_skips`), newest first; a line saying none when there are none. */
export function SkippedRuns({ ctx, rows }: { ctx: PageContext; rows: AlertRunSkipRow[] }) {
  const { t } = ctx;
  return (
    <>
      <p className="muted ch-intro">{t('alerts.skips.intro')}</p>
      {rows.length === 0 ? (
        <p className="muted empty">{t('alerts.skips.none')}</p>
      ) : (
        <CardTable
          ctx={ctx}
          head={[t('alerts.at'), t('alerts.skips.heldBy'), t('alerts.skips.holder'), t('alerts.skips.firedBy')]}
          rows={rows.map((k) => [
            <Time key="t" ctx={ctx} at={k.at} />,
            <span key="r">
              <a href={`/runs/${k.runId}`}>#{k.runId}</a>{' '}
              <Badge tone={statusTone(k.holder.status)}>{stateWord(t, 'run', k.holder.status)}</Badge>
            </span>,
            <span key="h" className="wrap-anywhere">
              {k.holder.worker ?? t('alerts.skips.notPickedUp')}
              <small className="muted">
                {' '}
                {t('alerts.skips.started')} <Time ctx={ctx} at={k.holder.startedAt} />
              </small>
            </span>,
            <span key="f" className="wrap-anywhere">
              {k.worker ?? t('alerts.skips.byCli')}
              {k.jobId && <small className="muted"> {t('alerts.skips.job', { id: k.jobId })}</small>}
            </span>,
          ])}
        />
      )}
    </>
  );
}
