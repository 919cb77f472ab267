import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { cachedKeywords } from './keywords-cache.ts';
import { periodQuery } from './params.ts';

/** The word cloud's periods, in days. */
export const WORD_PERIODS = [7, 30] as const;
export const wordsQuery = periodQuery(WORD_PERIODS, 7);

/**
 * `GET /words?days=7|30`: the period's keywords as a word cloud drawn in the browser (static/wordcloud.js from
 * `/words/keywords`), and its 60 heaviest as links; a click on a word searches the articles for it.
 */
export const articlesWords: WebRoute = (app, deps) => {
  app.get('/words', { config: { auth: 'viewer' } }, async (req, reply) => {
    const { days } = wordsQuery.parse(req.query ?? {});
    const words = (await cachedKeywords(deps.db, days)).words.slice(0, 60);
    const ctx = pageContext(req, reply);
    return sendPage(reply, async (h) =>
      h((await import('../../views/articles-words.tsx')).WordsPage, { ctx, days, periods: WORD_PERIODS, words }),
    );
  });
};
