import { cachedKeywords } from './keywords-cache.ts';
import type { WebRoute } from '../../deps.ts';
import { wordsQuery } from './words.ts';

/**
 * `GET /words/keywords?days=7|30`: the keywords of the stories of the last `days`, each weighted by the number
 * of stories naming it, heaviest first: `{ days, from, to, words: [{ word, stories }] }`.
 */
export const articlesWordsKeywords: WebRoute = (app, deps) => {
  app.get('/words/keywords', { config: { auth: 'viewer' } }, async (req, reply) => {
    const { days } = wordsQuery.parse(req.query ?? {});
    const { from, to, words } = await cachedKeywords(deps.db, days);
    return reply.header('cache-control', 'no-store').send({ days, from, to, words });
  });
};
