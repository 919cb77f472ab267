/** The recipients list: filters, one page of recipients with their groups, state and last delivery. */
import type { ReactNode } from 'react';
import type { RecipientListRow } from '../../db/queries/console-recipients.ts';
import type { DeliveryStatus } from '../../db/schema/index.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Field, FilterBar, formatNumber, Page, Pager, Panel, PostButton, queryString, Time } from './ui.tsx';
import type { Tone } from './ui.tsx';

/** The list's filters as given in the query (strings: they go back into the form and the pager). */
export interface RecipientsQuery {
  q?: string;
  group?: string;
  enabled?: string;
  unsubscribed?: string;
}

const TONES: Record<DeliveryStatus, Tone> = {
  sent: 'ok',
  failed: 'bad',
  uncertain: 'warn',
  queued: 'info',
  sending: 'info',
  retrying: 'info',
};

/** A delivery status as a coloured badge. */
export function DeliveryBadge({ ctx, status }: { ctx: PageContext; status: DeliveryStatus }) {
  return <Badge tone={TONES[status]}>{ctx.t(`deliveries.s.${status}`)}</Badge>;
}

/**
 * A table like ui.tsx's `Table` whose rows become cards on a phone (each cell under its column's name), so an
 * operator sees a row's state and actions without scrolling sideways.
 */
export function CardTable({
  ctx,
  head,
  rows,
  empty,
}: {
  ctx: PageContext;
  head: string[];
  rows: ReactNode[][];
  /** What to say when there is no row (what the list is for, how to add one); `ui.empty` by default. */
  empty?: string;
}) {
  if (rows.length === 0) return <p className="muted empty">{empty ?? ctx.t('ui.empty')}</p>;
  return (
    <div className="table-wrap">
      <table className="data rcp-cards">
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j} data-label={head[j]}>
                  {c}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A recipient's groups as small tags. */
export function Groups({ groups }: { groups: string[] }) {
  return (
    <span className="rcp-groups">
      {groups.map((g) => (
        <span key={g} className="tag">
          {g}
        </span>
      ))}
    </span>
  );
}

/** Enabled / disabled and unsubscribed, as badges. */
export function RecipientState({ ctx, r }: { ctx: PageContext; r: { enabled: boolean; unsubscribedAt: Date | null } }) {
  return (
    <span className="rcp-state">
      {r.enabled ? <Badge tone="ok">{ctx.t('ui.enabled')}</Badge> : <Badge tone="muted">{ctx.t('ui.disabled')}</Badge>}
      {r.unsubscribedAt && <Badge tone="warn">{ctx.t('recipients.unsubscribed')}</Badge>}
    </span>
  );
}

export function RecipientsPage({
  ctx,
  rows,
  total,
  page,
  pageSize,
  query,
  groups,
  notice,
}: {
  ctx: PageContext;
  rows: RecipientListRow[];
  total: number;
  page: number;
  pageSize: number;
  query: RecipientsQuery;
  groups: { name: string; count: number }[];
  notice: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const all: [string, string] = ['', t('ui.all')];
  const actions = (
    <>
      {admin && (
        <a className="rcp-btn" href="/recipients/new">
          {t('recipients.new')}
        </a>
      )}
      {admin && (
        <a className="rcp-btn secondary" href="/recipients/import">
          {t('recipients.import')}
        </a>
      )}
      <a className="rcp-btn secondary" href={`/recipients/export.csv?${queryString({ ...query })}`}>
        {t('recipients.export')}
      </a>
    </>
  );
  return (
    <Page ctx={ctx} title={t('recipients.title')} actions={actions} notice={notice}>
      <FilterBar ctx={ctx}>
        <Field label={t('ui.search')} name="q" type="search" value={query.q} placeholder={t('recipients.search')} />
        <Field
          label={t('recipients.group')}
          name="group"
          type="select"
          value={query.group}
          options={[all, ...groups.map((g): [string, string] => [g.name, `${g.name} (${g.count})`])]}
        />
        <Field
          label={t('recipients.enabledFilter')}
          name="enabled"
          type="select"
          value={query.enabled}
          options={[all, ['1', t('ui.enabled')], ['0', t('ui.disabled')]]}
        />
        <Field
          label={t('recipients.subscription')}
          name="unsubscribed"
          type="select"
          value={query.unsubscribed}
          options={[all, ['0', t('recipients.subscribed')], ['1', t('recipients.unsubscribed')]]}
        />
      </FilterBar>
      <Panel>
        <p className="muted">{t('recipients.count', { n: formatNumber(ctx, total) })}</p>
        <CardTable
          ctx={ctx}
          head={[
            t('recipients.email'),
            t('recipients.name'),
            t('recipients.groups'),
            t('recipients.state'),
            t('recipients.unsubscribedAt'),
            t('recipients.lastDelivery'),
            t('ui.actions'),
          ]}
          rows={rows.map((r) => [
            <a key="e" className="rcp-email" href={`/recipients/${r.id}`}>
              {r.email}
            </a>,
            r.name ?? <span className="muted">—</span>,
            <Groups key="g" groups={r.groups} />,
            <RecipientState key="s" ctx={ctx} r={r} />,
            <Time key="u" ctx={ctx} at={r.unsubscribedAt} />,
            r.lastDelivery ? (
              <span key="l" className="rcp-last">
                <a href={`/deliveries?${queryString({ edition: r.lastDelivery.date, recipient: r.email })}`}>
                  {r.lastDelivery.date}
                </a>{' '}
                <DeliveryBadge ctx={ctx} status={r.lastDelivery.status} />
              </span>
            ) : (
              <span key="l" className="muted">
                —
              </span>
            ),
            <span key="a" className="actions">
              <a href={`/recipients/${r.id}`}>{t(admin ? 'ui.edit' : 'recipients.deliveries')}</a>
              <PostButton
                ctx={ctx}
                action={`/recipients/${r.id}/enabled`}
                fields={{ enabled: r.enabled ? '0' : '1', back: `${ctx.path}?${queryString({ ...query, page })}` }}
                label={t(r.enabled ? 'recipients.disable' : 'recipients.enable')}
                kind="link"
              />
            </span>,
          ])}
        />
        <Pager ctx={ctx} page={page} pageSize={pageSize} total={total} query={{ ...query }} />
      </Panel>
    </Page>
  );
}
