/** A company's stories over time under its sentiment trend, and the company search leading there. */
import type { CompanyStory } from '../../db/queries/console-companies.ts';
import type { PageContext } from './layout.tsx';
import { categoryName, SentimentTag } from './articles.tsx';
import { Chart, Field, formatNumber, Page, Panel, Table, Time } from './ui.tsx';

/** The company search box (GET /companies). */
function CompanySearch({ ctx, q }: { ctx: PageContext; q: string }) {
  return (
    <form method="get" action="/companies" className="filters">
      <Field
        label={ctx.t('articles.company')}
        name="q"
        type="search"
        value={q}
        placeholder={ctx.t('articles.companyHint')}
      />
      <div className="filter-buttons">
        <button type="submit">{ctx.t('ui.search')}</button>
      </div>
    </form>
  );
}

export function CompaniesPage({
  ctx,
  q,
  found,
}: {
  ctx: PageContext;
  q: string;
  found: { name: string; ticker: string | null; stories: number }[];
}) {
  const { t } = ctx;
  return (
    <Page ctx={ctx} title={t('articles.companySearch')}>
      <CompanySearch ctx={ctx} q={q} />
      {!q && <p className="muted">{t('companies.hint')}</p>}
      {q && (
        <Panel title={t('articles.companyResults')}>
          <Table
            ctx={ctx}
            empty={t('companies.noMatch', { q })}
            head={[t('articles.company'), t('articles.stories')]}
            rows={found.map((c) => [
              <a key="c" href={`/companies/${encodeURIComponent(c.ticker ?? c.name)}`}>
                {c.name}
                {c.ticker ? ` ${c.ticker}` : ''}
              </a>,
              formatNumber(ctx, c.stories),
            ])}
          />
        </Panel>
      )}
    </Page>
  );
}

export function CompanyPage({
  ctx,
  companyKey,
  company,
  days,
  periods,
  stories,
}: {
  ctx: PageContext;
  companyKey: string;
  /** The company as its newest extraction names it, or null (no story names it). */
  company: { name: string; ticker: string | null } | null;
  days: number;
  periods: readonly number[];
  stories: CompanyStory[];
}) {
  const { t } = ctx;
  const name = company ? `${company.name}${company.ticker ? ` ${company.ticker}` : ''}` : companyKey;
  const base = `/companies/${encodeURIComponent(companyKey)}`;
  return (
    <Page
      ctx={ctx}
      title={t('companies.title', { name })}
      scripts={['charts.js']}
      actions={<a href="/companies">{t('articles.companySearch')}</a>}
    >
      <nav className="period" aria-label={t('companies.days')}>
        {periods.map((n) => (
          <a key={n} href={`${base}?days=${n}`} aria-current={n === days ? 'page' : undefined}>
            {t('companies.daysN', { n })}
          </a>
        ))}
      </nav>
      <Panel title={t('companies.trend', { days })}>
        <Chart src={`${base}/trend?days=${days}`} label={t('companies.trendLabel')} height={300} />
      </Panel>
      <Panel title={t('companies.stories', { n: stories.length })} id="company-stories">
        <Table
          ctx={ctx}
          head={[t('articles.time'), t('articles.story'), t('articles.category'), t('articles.sentiment')]}
          rows={stories.map((s) => [
            <Time key="t" ctx={ctx} at={s.at} />,
            <a key="s" href={`/stories/${s.clusterId}`}>
              {s.title}
            </a>,
            categoryName(ctx, s.category),
            <SentimentTag key="m" ctx={ctx} sentiment={s.sentiment} />,
          ])}
        />
      </Panel>
    </Page>
  );
}
