/** A story (cluster): its member articles with links out, and the facts extracted from it. */
import type { StoryDetail } from '../../db/queries/console-articles.ts';
import { isMessageKey } from '../i18n/index.ts';
import type { PageContext } from './layout.tsx';
import { categoryName, OutLink, SentimentTag } from './articles.tsx';
import { formatNumber, Page, Panel, Table, Time } from './ui.tsx';

/** A term and its value in the facts list. */
function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** A region code (CN, HK, US, global, other) in the page's words; an unknown one as it is. */
function regionName(ctx: PageContext, region: string | null): string {
  if (!region) return '—';
  const key = `stories.region.${region}`;
  return isMessageKey(key) ? ctx.t(key) : region;
}

export function StoryPage({ ctx, story }: { ctx: PageContext; story: StoryDetail | null }) {
  const { t } = ctx;
  if (!story)
    return (
      <Page ctx={ctx} title={t('stories.notFound')} actions={<a href="/articles">{t('ui.back')}</a>}>
        <p className="muted">{t('stories.notFound')}</p>
      </Page>
    );
  const x = story.facts?.result;
  const list = (items: string[] | undefined) => (items && items.length > 0 ? items.join('、') : '—');
  return (
    <Page ctx={ctx} title={t('stories.title', { id: story.id })} actions={<a href="/articles">{t('ui.back')}</a>}>
      <Panel>
        <h2 className="story-title">{story.title}</h2>
        <p className="muted story-meta">
          {t('stories.sources')} {formatNumber(ctx, story.sources)} · {t('stories.firstSeen')}{' '}
          <Time ctx={ctx} at={story.firstSeenAt} /> · {t('stories.lastSeen')} <Time ctx={ctx} at={story.lastSeenAt} />
        </p>
      </Panel>
      <Panel title={t('stories.facts')}>
        {x ? (
          <dl className="facts">
            <Fact term={t('stories.summary')}>{x.summary}</Fact>
            <Fact term={t('articles.category')}>{categoryName(ctx, x.category)}</Fact>
            <Fact term={t('articles.sentiment')}>
              <SentimentTag ctx={ctx} sentiment={x.sentiment} /> {formatNumber(ctx, x.sentiment_score, 2)}
            </Fact>
            <Fact term={t('stories.eventType')}>{x.event_type}</Fact>
            <Fact term={t('stories.importance')}>{formatNumber(ctx, x.importance)}</Fact>
            <Fact term={t('stories.region')}>{regionName(ctx, x.region)}</Fact>
            <Fact term={t('stories.companies')}>
              {(x.entities?.companies ?? []).length === 0
                ? '—'
                : x.entities.companies.map((c, i) => (
                    <a key={i} className="company" href={`/companies/${encodeURIComponent(c.ticker ?? c.name)}`}>
                      {c.name}
                      {c.ticker ? ` ${c.ticker}` : ''}
                    </a>
                  ))}
            </Fact>
            <Fact term={t('stories.people')}>{list(x.entities?.people)}</Fact>
            <Fact term={t('stories.institutions')}>{list(x.entities?.institutions)}</Fact>
            <Fact term={t('stories.keywords')}>
              {(x.keywords ?? []).map((k, i) => (
                <a key={i} className="keyword" href={`/articles?q=${encodeURIComponent(k)}`}>
                  {k}
                </a>
              ))}
            </Fact>
            <Fact term={t('stories.provider')}>
              {story.facts!.model === story.facts!.provider
                ? story.facts!.provider
                : `${story.facts!.provider} · ${story.facts!.model}`}
            </Fact>
          </dl>
        ) : (
          <p className="muted">{t('stories.noFacts')}</p>
        )}
      </Panel>
      <Panel title={t('stories.members', { n: story.members.length })} id="story-members">
        <Table
          ctx={ctx}
          head={[t('articles.time'), t('articles.source'), t('articles.headline')]}
          rows={story.members.map((m) => [
            <Time key="t" ctx={ctx} at={m.at} />,
            m.sourceName,
            <OutLink key="a" url={m.url}>
              {m.title}
            </OutLink>,
          ])}
        />
      </Panel>
    </Page>
  );
}
