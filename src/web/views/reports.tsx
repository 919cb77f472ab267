/** The reports area: the editions list and an edition's page (stories, files, deliveries, resend). */
import type { EditionLine } from '../../db/queries/console-reports.ts';
import { CATEGORIES } from '../../domain.ts';
import type { ReportEntry } from '../../domain.ts';
import type { DeliveryStatus } from '../../db/schema/index.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DeliveryBadge } from './recipients.tsx';
import type { PageContext } from './layout.tsx';
import { Badge, Csrf, Field, formatNumber, Pager, Panel, Page, Stat, Table, Time } from './ui.tsx';
import type { Tone } from './ui.tsx';

const TONES: Record<string, Tone> = {
  delivered: 'ok',
  composed: 'info',
  review: 'warn',
  running: 'info',
  delivering: 'info',
  partial: 'warn',
  failed: 'bad',
  pending: 'muted',
};

/** An edition's status as a coloured badge in the page's language. */
export function EditionStatus({ ctx, status }: { ctx: PageContext; status: string }) {
  const key = `reports.status.${status}` as MessageKey;
  return <Badge tone={TONES[status] ?? 'muted'}>{TONES[status] ? ctx.t(key) : status}</Badge>;
}

/** `/reports`: every edition, newest first, paged. */
export function ReportsListPage({
  ctx,
  lines,
  page,
  pageSize,
  total,
}: {
  ctx: PageContext;
  lines: EditionLine[];
  page: number;
  pageSize: number;
  total: number;
}) {
  const { t } = ctx;
  const rows = lines.map((e) => [
    <a key="d" href={`/reports/${e.date}/detail`}>
      {e.date}
    </a>,
    <EditionStatus key="s" ctx={ctx} status={e.status} />,
    formatNumber(ctx, e.items),
    formatNumber(ctx, e.sent),
    e.failed > 0 ? <Badge tone="bad">{formatNumber(ctx, e.failed)}</Badge> : '0',
    e.uncertain > 0 ? <Badge tone="warn">{formatNumber(ctx, e.uncertain)}</Badge> : '0',
    `¥${formatNumber(ctx, e.cost, 2)}`,
    <Time key="c" ctx={ctx} at={e.composedAt} />,
    <Time key="t" ctx={ctx} at={e.deliveredAt} />,
    <span key="a" className="actions">
      <a href={`/reports/${e.date}/detail`}>{t('reports.open')}</a>
      {e.status === 'review' && <a href={`/reports/${e.date}/review`}>{t('reports.review')}</a>}
    </span>,
  ]);
  return (
    <Page ctx={ctx} title={t('reports.title')}>
      <Panel>
        <div className="rp-list">
          <Table
            ctx={ctx}
            head={[
              t('reports.date'),
              t('reports.status'),
              t('reports.stories'),
              t('reports.sent'),
              t('reports.failed'),
              t('reports.uncertain'),
              t('reports.cost'),
              t('reports.composedAt'),
              t('reports.deliveredAt'),
              t('ui.actions'),
            ]}
            rows={rows}
            empty={t('reports.empty')}
          />
        </div>
        <Pager ctx={ctx} page={page} pageSize={pageSize} total={total} />
      </Panel>
    </Page>
  );
}

/** A third-party link, only when it is http(s); otherwise its text. */
export function StoryLink({ e }: { e: Pick<ReportEntry, 'url' | 'title'> }) {
  const ok = /^https?:\/\//i.test(e.url);
  return ok ? (
    <a href={e.url} rel="noopener noreferrer" target="_blank">
      {e.title}
    </a>
  ) : (
    <span>{e.title}</span>
  );
}

export interface EditionView {
  date: string;
  status: string;
  subject: string | null;
  items: number;
  windowFrom: Date;
  windowTo: Date;
  composedAt: Date | null;
  deliveredAt: Date | null;
  reviewDeadlineAt: Date | null;
  approvedBy: string | null;
  composed: boolean;
}

/** An edition's page: what it is, its files, its stories, its deliveries and the resend forms. */
export function ReportDetailPage({
  ctx,
  edition: e,
  lists,
  counts,
  cost,
  deliveries,
  groups,
  notice,
  error,
}: {
  ctx: PageContext;
  edition: EditionView;
  lists: { key: string; label: string; items: ReportEntry[] }[];
  counts: Record<string, number>;
  cost: number;
  deliveries: { email: string; status: string; attempts: number; reply: string | null; sentAt: Date | null }[];
  groups: string[];
  notice?: string | null;
  error?: string | null;
}) {
  const { t } = ctx;
  const actions = e.composed && (
    <>
      <a className="rp-button secondary" href={`/reports/${e.date}`} target="_blank" rel="noopener">
        {t('reports.webView')}
      </a>
      <a className="rp-button secondary" href={`/reports/${e.date}/xlsx`}>
        {t('reports.xlsx')}
      </a>
      <a className="rp-button secondary" href={`/reports/${e.date}/eml`}>
        {t('reports.eml')}
      </a>
      {e.status === 'review' && (
        <a className="rp-button" href={`/reports/${e.date}/review`}>
          {t('reports.review')}
        </a>
      )}
    </>
  );
  return (
    <Page ctx={ctx} title={t('reports.edition', { date: e.date })} actions={actions} notice={notice} error={error}>
      <ReviewLine ctx={ctx} e={e} />
      {!e.composed && <p className="muted">{t('reports.notComposed')}</p>}
      <div className="stats">
        <Stat label={t('reports.status')} value={<EditionStatus ctx={ctx} status={e.status} />} />
        <Stat label={t('reports.stories')} value={formatNumber(ctx, e.items)} />
        <Stat label={t('reports.sent')} value={formatNumber(ctx, counts.sent ?? 0)} tone="ok" />
        <Stat
          label={t('reports.failed')}
          value={formatNumber(ctx, counts.failed ?? 0)}
          tone={counts.failed ? 'bad' : undefined}
        />
        <Stat
          label={t('reports.uncertain')}
          value={formatNumber(ctx, counts.uncertain ?? 0)}
          tone={counts.uncertain ? 'warn' : undefined}
        />
        <Stat label={t('reports.cost')} value={`¥${formatNumber(ctx, cost, 2)}`} />
      </div>
      <Panel title={t('reports.summary')}>
        <dl className="rp-facts">
          <dt>{t('reports.subject')}</dt>
          <dd className="wrap-anywhere">{e.subject ?? '—'}</dd>
          <dt>{t('reports.window')}</dt>
          <dd>
            <Time ctx={ctx} at={e.windowFrom} /> – <Time ctx={ctx} at={e.windowTo} />
          </dd>
          <dt>{t('reports.composedAt')}</dt>
          <dd>
            <Time ctx={ctx} at={e.composedAt} />
          </dd>
          <dt>{t('reports.deliveredAt')}</dt>
          <dd>
            <Time ctx={ctx} at={e.deliveredAt} />
          </dd>
        </dl>
      </Panel>
      <StoriesPanels ctx={ctx} lists={lists} />
      {e.status !== 'review' && <ResendPanel ctx={ctx} date={e.date} groups={groups} />}
      <Panel title={t('reports.deliveries')}>
        <p className="muted">
          {t('reports.deliveriesLine', { sent: counts.sent ?? 0, other: deliveries.length })}{' '}
          <a href={`/deliveries?edition=${e.date}`}>{t('reports.allDeliveries')}</a>
        </p>
        {deliveries.length > 0 && (
          <div className="rp-list">
            <Table
              ctx={ctx}
              head={[t('reports.recipient'), t('reports.status'), t('reports.attempts'), t('reports.reply')]}
              rows={deliveries.map((d) => [
                <span key="e" className="wrap-anywhere">
                  {d.email}
                </span>,
                <DeliveryBadge key="s" ctx={ctx} status={d.status as DeliveryStatus} />,
                d.attempts,
                <span key="r" className="muted">
                  {d.reply ?? ''}
                </span>,
              ])}
            />
          </div>
        )}
      </Panel>
    </Page>
  );
}

/** 今日要闻 with their summaries, then every section's stories in one compact table. */
function StoriesPanels({
  ctx,
  lists,
}: {
  ctx: PageContext;
  lists: { key: string; label: string; items: ReportEntry[] }[];
}) {
  const { t } = ctx;
  const [top, ...sections] = lists;
  if (!top) return null;
  return (
    <>
      <Panel title={t('reports.topStories')}>
        <ol className="rp-items">
          {top.items.map((s) => (
            <li key={s.articleId} className="rp-item">
              <div className="rp-title">
                <StoryLink e={s} /> <span className="muted">· {s.source}</span>
              </div>
              <p className="rp-summary wrap-anywhere">{s.summary}</p>
            </li>
          ))}
        </ol>
      </Panel>
      <Panel title={t('reports.sections')}>
        <Table
          ctx={ctx}
          head={[t('reports.section'), '#', t('reports.headline'), t('reports.source'), t('reports.score')]}
          rows={sections.flatMap((l) =>
            l.items.map((s) => [
              sectionName(ctx, l.key, l.label),
              s.rank,
              <span key="h" className="rp-headline">
                <StoryLink e={s} />
              </span>,
              s.source,
              formatNumber(ctx, s.score, 2),
            ]),
          )}
        />
      </Panel>
    </>
  );
}

/** A section's name in the page's language: its category's word, else the label the report gave it. */
export function sectionName(ctx: PageContext, key: string, label: string): string {
  return (CATEGORIES as readonly string[]).includes(key) ? ctx.t(`articles.category.${key}` as MessageKey) : label;
}

/** Where the editorial gate stands for this edition, when it had one. */
function ReviewLine({ ctx, e }: { ctx: PageContext; e: EditionView }) {
  if (e.status === 'review' && !e.approvedBy)
    return (
      <p className="notice info">
        {ctx.t('reports.reviewWaits', { deadline: formatDeadline(ctx, e.reviewDeadlineAt) })}
      </p>
    );
  if (e.approvedBy === 'deadline') return <p className="muted">{ctx.t('reports.approvedDeadline')}</p>;
  if (e.approvedBy) return <p className="muted">{ctx.t('reports.approvedBy', { by: e.approvedBy })}</p>;
  return null;
}

export function formatDeadline(ctx: PageContext, at: Date | null): string {
  if (!at) return '—';
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: ctx.timeZone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

/** Resend: to one address, to a group, or every failed row (admins only). */
function ResendPanel({ ctx, date, groups }: { ctx: PageContext; date: string; groups: string[] }) {
  const { t } = ctx;
  if (ctx.user?.role !== 'admin') return null;
  const action = `/reports/${date}/resend`;
  return (
    <Panel title={t('reports.resend')} id="resend">
      <p className="muted">{t('reports.resendHelp')}</p>
      <div className="rp-resend-forms">
        <form method="post" action={action} className="rp-resend">
          <Csrf ctx={ctx} />
          <input type="hidden" name="mode" value="one" />
          <Field label={t('reports.resendOne')} name="email" type="email" required placeholder="name@example.com" />
          <label className="rp-check">
            <input type="checkbox" name="force" value="1" /> {t('reports.force')}
          </label>
          <button type="submit">{t('reports.resend')}</button>
        </form>
        <form method="post" action={action} className="rp-resend">
          <Csrf ctx={ctx} />
          <input type="hidden" name="mode" value="group" />
          <Field
            label={t('reports.resendGroup')}
            name="group"
            type="select"
            options={groups.map((g) => [g, g] as [string, string])}
          />
          <label className="rp-check">
            <input type="checkbox" name="force" value="1" /> {t('reports.force')}
          </label>
          <button type="submit" disabled={groups.length === 0}>
            {t('reports.resend')}
          </button>
        </form>
        <form method="post" action={action} className="rp-resend" data-confirm={t('ui.confirm')}>
          <Csrf ctx={ctx} />
          <input type="hidden" name="mode" value="failed" />
          <button type="submit" className="secondary">
            {t('reports.resendFailed')}
          </button>
        </form>
      </div>
    </Panel>
  );
}
