import { getStory } from '../../../db/queries/console-articles.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';

/** `GET /stories/:id`: a story (cluster), its member articles with links out, and its extracted facts. */
export const articlesStory: WebRoute = (app, deps) => {
  app.get('/stories/:id', { config: { auth: 'viewer' } }, async (req, reply) => {
    const raw = (req.params as { id: string }).id;
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : null;
    const story = id === null ? null : await getStory(deps.db, id);
    const ctx = pageContext(req, reply);
    return sendPage(
      reply,
      async (h) => h((await import('../../views/articles-story.tsx')).StoryPage, { ctx, story }),
      story ? 200 : 404,
    );
  });
};
