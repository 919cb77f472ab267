/** The word cloud of the period's keywords: drawn by static/wordcloud.js, with the heaviest words as links. */
import type { PageContext } from './layout.tsx';
import { formatNumber, Page, Panel } from './ui.tsx';

export function WordsPage({
  ctx,
  days,
  periods,
  words,
}: {
  ctx: PageContext;
  days: number;
  periods: readonly number[];
  words: { word: string; stories: number }[];
}) {
  const { t } = ctx;
  return (
    <Page ctx={ctx} title={t('words.title')} scripts={['wordcloud2.js', 'wordcloud.js']}>
      <nav className="period" aria-label={t('words.period')}>
        {periods.map((n) => (
          <a key={n} href={`/words?days=${n}`} aria-current={n === days ? 'page' : undefined}>
            {t('words.days', { n })}
          </a>
        ))}
      </nav>
      <Panel>
        {words.length === 0 ? (
          <p className="muted empty">{t('words.empty')}</p>
        ) : (
          <div
            className="wordcloud"
            role="img"
            aria-label={t('words.label')}
            data-words={`/words/keywords?days=${days}`}
            data-href="/articles?q="
          />
        )}
      </Panel>
      <Panel title={t('words.list')}>
        <ul className="word-list">
          {words.map((w) => (
            <li key={w.word}>
              <a href={`/articles?q=${encodeURIComponent(w.word)}`}>{w.word}</a>{' '}
              <span className="muted">{formatNumber(ctx, w.stories)}</span>
            </li>
          ))}
        </ul>
      </Panel>
    </Page>
  );
}
