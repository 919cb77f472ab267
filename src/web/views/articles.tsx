/** The articles page: Chinese search with filters, newest first, each row linking out and to its story. */
import type { ArticleHit } from '../../db/queries/console-articles.ts';
import { CATEGORIES } from '../../domain.ts';
import { safeUrl } from '../../report/format.ts';
import type { ArticlesQuery } from '../routes/articles/params.ts';
import { SENTIMENTS } from '../routes/articles/params.ts';
import type { PageContext } from './layout.tsx';
import { Field, FilterBar, formatNumber, Page, Pager, Panel, Table, Time } from './ui.tsx';
import type { MessageKey } from './ui.tsx';

/** A third-party title linking to its page when the URL is http(s), plain text otherwise. */
export function OutLink({ url, children }: { url: string; children: string }) {
  const href = safeUrl(url);
  if (!href) return <span>{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className="out">
      {children}
    </a>
  );
}

/** A sentiment tag in the report's colours (red 利好, green 利空: the Chinese market convention). */
export function SentimentTag({ ctx, sentiment }: { ctx: PageContext; sentiment: string | null }) {
  if (!sentiment || !(SENTIMENTS as readonly string[]).includes(sentiment)) return <span className="muted">—</span>;
  return <span className={`badge senti-${sentiment}`}>{ctx.t(`articles.sentiment.${sentiment}` as MessageKey)}</span>;
}

/** A category's name, or a dash. */
export function categoryName(ctx: PageContext, c: string | null): string {
  return c && (CATEGORIES as readonly string[]).includes(c) ? ctx.t(`articles.category.${c}` as MessageKey) : '—';
}

export function ArticlesPage({
  ctx,
  query,
  rows,
  total,
  capped,
  cap,
  pageSize,
  sources,
}: {
  ctx: PageContext;
  query: ArticlesQuery;
  rows: ArticleHit[];
  total: number;
  capped: boolean;
  cap: number;
  pageSize: number;
  sources: { id: number; name: string }[];
}) {
  const { t } = ctx;
  const all: [string, string] = ['', t('ui.all')];
  return (
    <Page ctx={ctx} title={t('articles.title')}>
      <FilterBar ctx={ctx}>
        <Field label={t('articles.q')} name="q" type="search" value={query.q} placeholder={t('articles.qHint')} />
        <Field label={t('ui.from')} name="from" type="date" value={query.from} />
        <Field label={t('ui.to')} name="to" type="date" value={query.to} />
        <Field
          label={t('articles.source')}
          name="source"
          type="select"
          value={query.source ?? ''}
          options={[all, ...sources.map((s): [string, string] => [String(s.id), s.name])]}
        />
        <Field
          label={t('articles.category')}
          name="category"
          type="select"
          value={query.category ?? ''}
          options={[all, ...CATEGORIES.map((c): [string, string] => [c, categoryName(ctx, c)])]}
        />
        <Field
          label={t('articles.sentiment')}
          name="sentiment"
          type="select"
          value={query.sentiment ?? ''}
          options={[all, ...SENTIMENTS.map((s): [string, string] => [s, t(`articles.sentiment.${s}`)])]}
        />
        <Field
          label={t('articles.company')}
          name="company"
          value={query.company}
          placeholder={t('articles.companyHint')}
        />
      </FilterBar>
      {capped && <p className="muted">{t('articles.manyMatches', { n: formatNumber(ctx, cap) })}</p>}
      <Panel id="article-list">
        <Table
          ctx={ctx}
          empty={t('articles.noMatches')}
          head={[
            t('articles.time'),
            t('articles.headline'),
            t('articles.source'),
            t('articles.category'),
            t('articles.sentiment'),
            t('articles.story'),
          ]}
          rows={rows.map((r) => [
            <Time key="t" ctx={ctx} at={r.at} />,
            <OutLink key="a" url={r.url}>
              {r.title}
            </OutLink>,
            r.sourceName,
            categoryName(ctx, r.category),
            <SentimentTag key="s" ctx={ctx} sentiment={r.sentiment} />,
            r.clusterId === null ? (
              '—'
            ) : (
              <a key="c" href={`/stories/${r.clusterId}`}>
                {(r.storySize ?? 1) === 1 ? t('articles.storyOne') : t('articles.storyOf', { n: r.storySize! })}
              </a>
            ),
          ])}
        />
        <Pager ctx={ctx} page={query.page} pageSize={pageSize} total={Math.min(total, cap)} query={query} />
      </Panel>
      <Panel title={t('articles.companySearch')}>
        <form method="get" action="/companies" className="filters">
          <Field label={t('articles.company')} name="q" type="search" placeholder={t('articles.companyHint')} />
          <div className="filter-buttons">
            <button type="submit">{t('ui.search')}</button>
          </div>
        </form>
      </Panel>
    </Page>
  );
}
