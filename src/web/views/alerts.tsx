/**
 * The intraday alert rules (what each matches, where it pushes, its firings today), the recent firings and
 * the alert runs skipped while another was live.
 */
import type { AlertRunSkipRow } from '../../db/queries/alerts.ts';
import type { AlertFiringRow, AlertRuleRow } from '../../db/queries/console-alerts.ts';
import type { OpsAlertRow } from '../../db/queries/ops-alerts.ts';
import type { ChannelKind } from '../../db/schema/index.ts';
import { isMessageKey } from '../i18n/index.ts';
import type { PageContext } from './layout.tsx';
import { SkippedRuns } from './alerts-skips.tsx';
import { CardTable } from './recipients.tsx';
import { Badge, Page, Panel, PostButton, Time } from './ui.tsx';
import type { Tone } from './ui.tsx';

/** A channel as a rule's targets name it. */
export type ChannelChoice = { id: number; name: string; kind: ChannelKind };

const TONES: Record<string, Tone> = {
  sent: 'ok',
  failed: 'bad',
  uncertain: 'warn',
  suppressed: 'muted',
  queued: 'info',
  sending: 'info',
};

/** An alert's (or one target's) status as a badge; a status added later still shows as its word. */
export function AlertBadge({ ctx, status }: { ctx: PageContext; status: string }) {
  const key = `alerts.s.${status}`;
  return <Badge tone={TONES[status] ?? 'info'}>{isMessageKey(key) ? ctx.t(key) : status}</Badge>;
}

/** What a rule matches on, as tags: tickers, companies, keywords, importance, sentiment. */
export function RuleMatch({ ctx, r }: { ctx: PageContext; r: AlertRuleRow }) {
  const { t } = ctx;
  const words = [...r.tickers, ...r.companies, ...r.keywords];
  return (
    <span className="al-match">
      {words.length === 0 && <span className="muted">{t('alerts.any')}</span>}
      {words.map((w) => (
        <span key={w} className="tag">
          {w}
        </span>
      ))}
      {r.minImportance > 0 && <small className="muted">{t('alerts.importanceAtLeast', { n: r.minImportance })}</small>}
      {r.sentiment && <small className="muted">{t(`alerts.sentiment.${r.sentiment}`)}</small>}
    </span>
  );
}

/** Where a rule pushes: its channels' names and its mail groups. */
export function RuleTargets({ ctx, r, channels }: { ctx: PageContext; r: AlertRuleRow; channels: ChannelChoice[] }) {
  const { t } = ctx;
  const names = r.channelIds.flatMap((id) => channels.find((c) => c.id === id)?.name ?? []);
  const mail = r.mailGroups.includes('*') ? t('alerts.allRecipients') : r.mailGroups.join('、');
  return (
    <span className="al-targets">
      {names.map((n) => (
        <span key={n} className="tag">
          {n}
        </span>
      ))}
      {r.mailGroups.length > 0 && <small>{t('alerts.mail', { groups: mail })}</small>}
    </span>
  );
}

/** The firings table (alert_log): time, rule, story, status, reason and each target's outcome. */
export function Firings({ ctx, rows }: { ctx: PageContext; rows: AlertFiringRow[] }) {
  const { t } = ctx;
  if (rows.length === 0) return <p className="muted empty">{t('alerts.noFirings')}</p>;
  return (
    <CardTable
      ctx={ctx}
      head={[
        t('alerts.at'),
        t('alerts.rule'),
        t('alerts.story'),
        t('alerts.status'),
        t('alerts.reason'),
        t('alerts.outcomes'),
      ]}
      rows={rows.map((f) => [
        <Time key="t" ctx={ctx} at={f.createdAt} />,
        <a key="r" href={`/alerts/${f.ruleId}`}>
          {f.ruleName}
        </a>,
        <a key="s" className="al-story" href={`/stories/${f.storyId}`}>
          {f.storyTitle}
        </a>,
        <AlertBadge key="b" ctx={ctx} status={f.status} />,
        <span key="why" className="wrap-anywhere">
          {f.reason ?? ''}
        </span>,
        <ul key="o" className="al-outcomes">
          {f.targets.map((o) => (
            <li key={o.target}>
              <span className="al-target">{o.target}</span> <AlertBadge ctx={ctx} status={o.status} />
              {o.error && <small className="muted wrap-anywhere"> {o.error}</small>}
            </li>
          ))}
        </ul>,
      ])}
    />
  );
}

/** What the operational alerts section shows: the recent incidents and where they are pushed. */
export interface OpsAlertsView {
  rows: OpsAlertRow[];
  /** OPS_ALERT_CHANNELS (as it applies now) and OPS_ALERT_MAIL; both empty: the check is off. */
  channels: string[];
  mail: string[];
}

/** The operational incidents (ops_alert_log): kind, subject, opened, resolved, and each push's outcome. */
export function OpsAlerts({ ctx, view }: { ctx: PageContext; view: OpsAlertsView }) {
  const { t } = ctx;
  const targets = [...view.channels, ...view.mail];
  return (
    <>
      <p className="muted ch-intro">{t('opsAlerts.intro')}</p>
      <p className="muted">
        {targets.length === 0 ? t('opsAlerts.off') : t('opsAlerts.targets', { targets: targets.join('、') })}
      </p>
      {view.rows.length === 0 ? (
        <p className="muted empty">{t('opsAlerts.none')}</p>
      ) : (
        <CardTable
          ctx={ctx}
          head={[
            t('opsAlerts.kind'),
            t('opsAlerts.subject'),
            t('opsAlerts.opened'),
            t('opsAlerts.resolved'),
            t('opsAlerts.delivery'),
          ]}
          rows={view.rows.map((r) => {
            const kindKey = `opsAlerts.kind.${r.kind}`;
            const sevKey = `opsAlerts.sev.${r.severity}`;
            return [
              <span key="k">
                {isMessageKey(kindKey) ? t(kindKey) : r.kind}{' '}
                <Badge tone={r.severity === 'critical' ? 'bad' : 'warn'}>
                  {isMessageKey(sevKey) ? t(sevKey) : r.severity}
                </Badge>
              </span>,
              <span key="s" className="wrap-anywhere" title={r.message}>
                {r.subject}
              </span>,
              <Time key="o" ctx={ctx} at={r.openedAt} />,
              r.resolvedAt ? (
                <span key="r">
                  <Time ctx={ctx} at={r.resolvedAt} />{' '}
                  {r.resolveStatus && <AlertBadge ctx={ctx} status={r.resolveStatus} />}
                </span>
              ) : (
                <Badge key="r" tone="warn">
                  {t('opsAlerts.open')}
                </Badge>
              ),
              <span key="d">
                <AlertBadge ctx={ctx} status={r.status} />
                <ul className="al-outcomes">
                  {r.targets.map((o) => (
                    <li key={o.target}>
                      <span className="al-target">{o.target}</span> <AlertBadge ctx={ctx} status={o.status} />
                      {o.error && <small className="muted wrap-anywhere"> {o.error}</small>}
                    </li>
                  ))}
                </ul>
              </span>,
            ];
          })}
        />
      )}
    </>
  );
}

export function AlertsPage({
  ctx,
  rules,
  channels,
  firings,
  ops,
  skips,
  notice,
}: {
  ctx: PageContext;
  rules: AlertRuleRow[];
  channels: ChannelChoice[];
  firings: AlertFiringRow[];
  /** The operational alerts section; absent: not shown. */
  ops?: OpsAlertsView;
  /** The newest alert runs skipped while another was live; absent: not shown. */
  skips?: AlertRunSkipRow[];
  notice: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const actions = admin ? (
    <a className="rcp-btn" href="/alerts/new">
      {t('alerts.new')}
    </a>
  ) : undefined;
  return (
    <Page ctx={ctx} title={t('alerts.title')} notice={notice} actions={actions}>
      <p className="muted ch-intro">{t('alerts.intro')}</p>
      <Panel title={t('alerts.rules')}>
        <CardTable
          ctx={ctx}
          empty={t('alerts.noRules')}
          head={[
            t('alerts.name'),
            t('alerts.match'),
            t('alerts.targets'),
            t('alerts.quiet'),
            t('alerts.today'),
            t('alerts.lastFired'),
            t('channels.state'),
            t('ui.actions'),
          ]}
          rows={rules.map((r) => [
            <a key="n" href={`/alerts/${r.id}`}>
              {r.name}
            </a>,
            <RuleMatch key="m" ctx={ctx} r={r} />,
            <RuleTargets key="g" ctx={ctx} r={r} channels={channels} />,
            r.quietFrom ? `${r.quietFrom}–${r.quietTo}` : <span className="muted">—</span>,
            `${r.today} / ${r.dailyCap}`,
            <Time key="l" ctx={ctx} at={r.lastFiredAt} />,
            <Badge key="s" tone={r.enabled ? 'ok' : 'muted'}>
              {t(r.enabled ? 'channels.on' : 'channels.off')}
            </Badge>,
            <PostButton
              key="a"
              ctx={ctx}
              action={`/alerts/${r.id}/enabled`}
              fields={{ enabled: r.enabled ? '0' : '1' }}
              label={t(r.enabled ? 'alerts.disable' : 'alerts.enable')}
              kind="link"
            />,
          ])}
        />
      </Panel>
      <Panel title={t('alerts.firings')} id="firings">
        <Firings ctx={ctx} rows={firings} />
      </Panel>
      {skips && (
        <Panel title={t('alerts.skips.title')} id="skipped">
          <SkippedRuns ctx={ctx} rows={skips} />
        </Panel>
      )}
      {ops && (
        <Panel title={t('opsAlerts.title')} id="ops">
          <OpsAlerts ctx={ctx} view={ops} />
        </Panel>
      )}
    </Page>
  );
}
