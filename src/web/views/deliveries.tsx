/** The delivery log: filters, an edition's counts, and rows with their retry / resolve actions. */
import type { ChannelDeliveryRow } from '../../db/queries/console-channels.ts';
import type { DeliveryListRow } from '../../db/queries/console-deliveries.ts';
import type { DeliveryStatus } from '../../db/schema/index.ts';
import { KindTag } from './channels.tsx';
import type { PageContext } from './layout.tsx';
import { CardTable, DeliveryBadge } from './recipients.tsx';
import { Field, FilterBar, formatNumber, Page, Pager, Panel, PostButton, Stat, Time } from './ui.tsx';

/** The log's filters as given in the query. */
export interface DeliveriesQuery {
  edition?: string;
  status?: string;
  recipient?: string;
  group?: string;
}

export interface DeliveriesPageProps {
  ctx: PageContext;
  rows: DeliveryListRow[];
  /** The edition's channel pushes (channel_log), shown beside the mail rows. */
  channelRows: ChannelDeliveryRow[];
  total: number;
  /** More rows match than `total` (the count stopped there). */
  capped: boolean;
  page: number;
  pageSize: number;
  query: DeliveriesQuery;
  /** The edition shown (the latest when none was asked for), null for all. */
  edition: string | null;
  counts: Record<DeliveryStatus, number> | null;
  dates: string[];
  groups: string[];
  notice: string | null;
}

/** The row's actions: a failed row is retried; an uncertain one is marked delivered or sent again. */
function RowActions({ ctx, r, back }: { ctx: PageContext; r: DeliveryListRow; back: string }) {
  const { t } = ctx;
  const fields = { edition: r.date, email: r.email, back };
  if (r.status === 'failed')
    return (
      <PostButton
        ctx={ctx}
        action="/deliveries/retry"
        fields={fields}
        label={t('deliveries.retry')}
        kind="link"
        confirm={t('deliveries.retryConfirm', { email: r.email })}
      />
    );
  if (r.status !== 'uncertain') return null;
  return (
    <span className="actions">
      <PostButton
        ctx={ctx}
        action="/deliveries/resolve"
        fields={{ ...fields, outcome: 'delivered' }}
        label={t('deliveries.markSent')}
        kind="link"
        confirm={t('deliveries.markSentConfirm', { email: r.email })}
      />
      <PostButton
        ctx={ctx}
        action="/deliveries/resolve"
        fields={{ ...fields, outcome: 'resend' }}
        label={t('deliveries.resend')}
        kind="link"
        confirm={t('deliveries.resendConfirm', { email: r.email })}
      />
    </span>
  );
}

/** What the mail filters do to the channel rows: a group picks the channels that follow it, a recipient none. */
function ChannelFilterNote({ ctx, query }: { ctx: PageContext; query: DeliveriesQuery }) {
  const { t } = ctx;
  const notes = [
    query.group && t('deliveries.chByGroup', { group: query.group }),
    query.recipient && t('deliveries.chNotByRecipient'),
  ].filter(Boolean);
  return notes.length > 0 ? <p className="muted ch-filter-note">{notes.join(' ')}</p> : null;
}

/** The edition's channel pushes: channel, status, parts sent, attempts, the platform's last reply; resend. */
function ChannelRows({ ctx, rows, back }: { ctx: PageContext; rows: ChannelDeliveryRow[]; back: string }) {
  const { t } = ctx;
  return (
    <CardTable
      ctx={ctx}
      head={[
        t('deliveries.edition'),
        t('deliveries.channel'),
        t('deliveries.status'),
        t('deliveries.parts'),
        t('deliveries.attempts'),
        t('deliveries.reply'),
        t('deliveries.at'),
        t('ui.actions'),
      ]}
      rows={rows.map((r) => [
        <a key="d" className="rcp-date" href={`/deliveries?edition=${r.date}#channels`}>
          {r.date}
        </a>,
        <span key="c" className="rcp-who">
          <a className="ch-name" href={`/channels/${r.channelId}`}>
            {r.channelName}
          </a>
          <span>
            <KindTag ctx={ctx} kind={r.kind} />
            {r.group !== null && <small className="muted"> {t('deliveries.chGroup', { group: r.group })}</small>}
          </span>
        </span>,
        <span key="s" className="rcp-state">
          <DeliveryBadge ctx={ctx} status={r.status} />
          {r.resends > 0 && <small className="muted">{t('deliveries.resends', { n: r.resends })}</small>}
        </span>,
        `${r.partsSent} / ${r.parts || '—'}`,
        String(r.attempts),
        <span key="e" className="rcp-reply wrap-anywhere">
          {r.error ?? r.lastReply ?? ''}
          {r.error && r.lastReply && <small className="muted">{r.lastReply}</small>}
          {r.replyCode !== null && <small className="muted">HTTP {r.replyCode}</small>}
        </span>,
        <Time key="t" ctx={ctx} at={r.sentAt ?? r.updatedAt} />,
        r.status === 'failed' || r.status === 'uncertain' ? (
          <PostButton
            key="a"
            ctx={ctx}
            action="/deliveries/channel-resend"
            fields={{ id: r.id, back }}
            label={t(r.status === 'failed' ? 'deliveries.retry' : 'deliveries.resend')}
            kind="link"
            confirm={t('deliveries.chResendConfirm', { name: r.channelName })}
          />
        ) : null,
      ])}
    />
  );
}

function Filters({ ctx, query, dates, groups }: Pick<DeliveriesPageProps, 'ctx' | 'query' | 'dates' | 'groups'>) {
  const { t } = ctx;
  const all: [string, string] = ['', t('ui.all')];
  return (
    <FilterBar ctx={ctx}>
      <Field
        label={t('deliveries.edition')}
        name="edition"
        type="select"
        value={query.edition}
        options={[
          ['', t('deliveries.latest')],
          ['all', t('deliveries.allEditions')],
          ...dates.map((d): [string, string] => [d, d]),
        ]}
      />
      <Field
        label={t('deliveries.status')}
        name="status"
        type="select"
        value={query.status}
        options={[
          all,
          ...(['sent', 'failed', 'uncertain', 'pending'] as const).map((s): [string, string] => [
            s,
            t(`deliveries.s.${s}`),
          ]),
        ]}
      />
      <Field label={t('deliveries.recipient')} name="recipient" type="search" value={query.recipient} />
      <Field
        label={t('deliveries.group')}
        name="group"
        type="select"
        value={query.group}
        options={[all, ...groups.map((g): [string, string] => [g, g])]}
      />
    </FilterBar>
  );
}

function Counts({
  ctx,
  edition,
  counts,
}: {
  ctx: PageContext;
  edition: string;
  counts: Record<DeliveryStatus, number>;
}) {
  const { t } = ctx;
  const pending = counts.queued + counts.sending + counts.retrying;
  return (
    <div className="stats">
      <Stat label={t('deliveries.s.sent')} value={formatNumber(ctx, counts.sent)} tone="ok" hint={edition} />
      <Stat
        label={t('deliveries.s.failed')}
        value={formatNumber(ctx, counts.failed)}
        tone={counts.failed ? 'bad' : undefined}
      />
      <Stat
        label={t('deliveries.s.uncertain')}
        value={formatNumber(ctx, counts.uncertain)}
        tone={counts.uncertain ? 'warn' : undefined}
      />
      <Stat label={t('deliveries.s.pending')} value={formatNumber(ctx, pending)} />
    </div>
  );
}

export function DeliveriesPage(p: DeliveriesPageProps) {
  const { ctx, rows, edition, counts, query } = p;
  const { t } = ctx;
  const back = `${ctx.path}?${new URLSearchParams(Object.entries(query).filter(([, v]) => v) as [string, string][]).toString()}`;
  const retryAll =
    edition && counts && counts.failed > 0 ? (
      <PostButton
        ctx={ctx}
        action="/deliveries/retry"
        fields={{ edition, back }}
        label={t('deliveries.retryAll', { n: counts.failed })}
        confirm={t('deliveries.retryAllConfirm', { n: counts.failed, date: edition })}
      />
    ) : undefined;
  return (
    <Page ctx={ctx} title={t('deliveries.title')} notice={p.notice} actions={retryAll}>
      <Filters ctx={ctx} query={query} dates={p.dates} groups={p.groups} />
      {edition && counts && <Counts ctx={ctx} edition={edition} counts={counts} />}
      {counts && counts.uncertain > 0 && <p className="muted rcp-help">{t('deliveries.uncertainHelp')}</p>}
      {p.channelRows.length > 0 && (
        <Panel title={t('deliveries.channels')} id="channels">
          <ChannelFilterNote ctx={ctx} query={query} />
          <ChannelRows ctx={ctx} rows={p.channelRows} back={back} />
        </Panel>
      )}
      <Panel title={p.channelRows.length > 0 ? t('deliveries.mail') : undefined}>
        <CardTable
          ctx={ctx}
          head={[
            t('deliveries.edition'),
            t('deliveries.recipient'),
            t('deliveries.status'),
            t('deliveries.attempts'),
            t('deliveries.reply'),
            t('deliveries.at'),
            t('ui.actions'),
          ]}
          rows={rows.map((r) => [
            <a key="d" className="rcp-date" href={`/deliveries?edition=${r.date}`}>
              {r.date}
            </a>,
            <span key="r" className="rcp-who">
              <span className="rcp-email">{r.email}</span>
              {r.name && <small className="muted">{r.name}</small>}
            </span>,
            <span key="s" className="rcp-state">
              <DeliveryBadge ctx={ctx} status={r.status} />
              {r.resends > 0 && <small className="muted">{t('deliveries.resends', { n: r.resends })}</small>}
            </span>,
            String(r.attempts),
            <span key="e" className="rcp-reply wrap-anywhere">
              {r.lastReply ?? r.error ?? ''}
              {r.messageId && <small className="muted">{r.messageId}</small>}
            </span>,
            <Time key="t" ctx={ctx} at={r.sentAt ?? r.updatedAt} />,
            <RowActions key="a" ctx={ctx} r={r} back={back} />,
          ])}
        />
        <Pager ctx={ctx} page={p.page} pageSize={p.pageSize} total={p.total} capped={p.capped} query={{ ...query }} />
      </Panel>
    </Page>
  );
}
