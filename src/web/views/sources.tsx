/** The sources list: health per source (last success, failures, last error, next attempt) and recent articles. */
import type { SourceListRow } from '../../db/queries/console-sources.ts';
import type { PageContext } from './layout.tsx';
import { Badge, Field, FilterBar, formatNumber, Pager, Page, Panel, PostButton, Stat, Table, Time } from './ui.tsx';

export interface SourcesFilter {
  kind: string;
  enabled: string;
  health: string;
  q: string;
}

/** When the collect stage tries a source next: disabled never, in backoff at `nextAttemptAt`, else next run. */
export function NextAttempt({ ctx, s, now }: { ctx: PageContext; s: SourceListRow; now: Date }) {
  if (!s.enabled) return <span className="muted">{ctx.t('sources.next.never')}</span>;
  if (s.nextAttemptAt && s.nextAttemptAt > now)
    return (
      <span className="next-attempt">
        <Time ctx={ctx} at={s.nextAttemptAt} /> <Badge tone="warn">{ctx.t('sources.next.backoff')}</Badge>
      </span>
    );
  return <span>{ctx.t('sources.next.due')}</span>;
}

/** The health of a source in one badge. */
export function HealthBadge({
  ctx,
  s,
}: {
  ctx: PageContext;
  s: Pick<SourceListRow, 'consecutiveFailures' | 'lastSuccessAt' | 'lastFetchAt' | 'lastError'>;
}) {
  if (s.consecutiveFailures > 0)
    return <Badge tone="bad">{ctx.t('sources.health.failing', { n: s.consecutiveFailures })}</Badge>;
  if (!s.lastFetchAt) return <Badge tone="muted">{ctx.t('sources.health.never')}</Badge>;
  if (s.lastError)
    return (
      <Badge tone="warn" title={s.lastError}>
        {ctx.t('sources.health.warning')}
      </Badge>
    );
  return <Badge tone="ok">{ctx.t('sources.health.ok')}</Badge>;
}

export function SourcesPage({
  ctx,
  rows,
  total,
  page,
  pageSize,
  filter,
  counts,
  now,
  backoff,
  notice,
}: {
  ctx: PageContext;
  rows: SourceListRow[];
  total: number;
  page: number;
  pageSize: number;
  filter: SourcesFilter;
  counts: { total: number; enabled: number; failing: number; backoff: number };
  now: Date;
  /** The collect stage's backoff: first wait in minutes, cap in hours. */
  backoff: { firstMin: number; capHours: number };
  notice: string | null;
}) {
  const { t } = ctx;
  const admin = ctx.user?.role === 'admin';
  const actions = (
    <>
      <a href="/sources/import">{t('sources.importExport')}</a>
      {admin && (
        <a className="src-button" href="/sources/new">
          {t('sources.new')}
        </a>
      )}
    </>
  );
  return (
    <Page ctx={ctx} title={t('sources.title')} actions={actions} notice={notice}>
      <div className="stats">
        <Stat label={t('sources.count.total')} value={formatNumber(ctx, counts.total)} />
        <Stat label={t('sources.count.enabled')} value={formatNumber(ctx, counts.enabled)} />
        <Stat
          label={t('sources.count.failing')}
          value={formatNumber(ctx, counts.failing)}
          tone={counts.failing > 0 ? 'bad' : 'ok'}
        />
        <Stat
          label={t('sources.count.backoff')}
          value={formatNumber(ctx, counts.backoff)}
          tone={counts.backoff > 0 ? 'warn' : undefined}
        />
      </div>
      <Panel>
        <FilterBar ctx={ctx}>
          <Field label={t('ui.search')} name="q" type="search" value={filter.q} placeholder={t('sources.searchHint')} />
          <Field
            label={t('sources.kind')}
            name="kind"
            type="select"
            value={filter.kind}
            options={[
              ['', t('ui.all')],
              ['rss', 'RSS'],
              ['web', t('sources.kind.web')],
              ['dynamic', t('sources.kind.dynamic')],
            ]}
          />
          <Field
            label={t('sources.state')}
            name="enabled"
            type="select"
            value={filter.enabled}
            options={[
              ['', t('ui.all')],
              ['yes', t('ui.enabled')],
              ['no', t('ui.disabled')],
            ]}
          />
          <Field
            label={t('sources.health')}
            name="health"
            type="select"
            value={filter.health}
            options={[
              ['', t('ui.all')],
              ['failing', t('sources.health.failingNow')],
              ['ok', t('sources.health.ok')],
              ['never', t('sources.health.never')],
            ]}
          />
        </FilterBar>
        <Table
          ctx={ctx}
          empty={t('sources.empty')}
          head={[
            t('sources.name'),
            t('sources.kind'),
            t('sources.weight'),
            t('sources.health'),
            t('sources.lastSuccess'),
            t('sources.lastError'),
            t('sources.nextAttempt'),
            t('sources.recent'),
            t('ui.actions'),
          ]}
          rows={rows.map((s) => [
            <div className="source-name" key="n">
              <a href={`/sources/${s.id}`}>{s.name}</a>
              <span className="src-narrow-health">
                <HealthBadge ctx={ctx} s={s} />
              </span>
              <div className="muted source-url">{s.url}</div>
              {!s.enabled && <Badge tone="muted">{t('ui.disabled')}</Badge>}
            </div>,
            <span key="k">{kindLabel(ctx, s.kind)}</span>,
            <span key="w" className="num">
              {formatNumber(ctx, s.weight, s.weight % 1 === 0 ? 0 : 1)}
            </span>,
            <HealthBadge key="h" ctx={ctx} s={s} />,
            <Time key="ls" ctx={ctx} at={s.lastSuccessAt} />,
            s.lastError ? (
              <span key="e" className="last-error" title={s.lastError}>
                {s.lastError.length > 120 ? `${s.lastError.slice(0, 120)}…` : s.lastError}
              </span>
            ) : (
              <span key="e" className="muted">
                —
              </span>
            ),
            <NextAttempt key="na" ctx={ctx} s={s} now={now} />,
            <span key="r" className="num">
              {formatNumber(ctx, s.recentArticles)}
            </span>,
            <div key="a" className="row-actions">
              <PostButton
                ctx={ctx}
                action={`/sources/${s.id}/${s.enabled ? 'disable' : 'enable'}`}
                label={t(s.enabled ? 'sources.disable' : 'sources.enable')}
                fields={{ back: `/sources${pathQuery(filter, page)}` }}
                kind="secondary"
              />
              <PostButton ctx={ctx} action={`/sources/${s.id}/test`} label={t('sources.test')} kind="secondary" />
            </div>,
          ])}
        />
        <Pager ctx={ctx} page={page} pageSize={pageSize} total={total} query={{ ...filter }} />
        <p className="muted">
          {t('sources.backoffHint', { first: backoff.firstMin, cap: backoff.capHours })} {t('sources.recentHint')}
        </p>
      </Panel>
    </Page>
  );
}

/** The kind in the page's words. */
export function kindLabel(ctx: PageContext, kind: string): string {
  return kind === 'web' ? ctx.t('sources.kind.web') : kind === 'dynamic' ? ctx.t('sources.kind.dynamic') : 'RSS';
}

function pathQuery(f: SourcesFilter, page: number): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  if (page > 1) p.set('page', String(page));
  const s = p.toString();
  return s ? `?${s}` : '';
}
