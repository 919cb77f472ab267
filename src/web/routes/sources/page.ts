/** What the pages of one source share: loading it with its health, and rendering its page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countRecentArticles, recentFetches } from '../../../db/queries/console-sources.ts';
import { sourcesQ } from '../../../db/queries/index.ts';
import type { WebDeps } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { SourcePageProps } from '../../views/sources-form.tsx';
import { blankForm, formOfRow } from './form.ts';

/** `:id` of a source's routes. */
export const sourceId = (params: unknown): number | null => {
  const id = Number((params as { id?: string }).id);
  return Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? id : null;
};

/** A stored source with its recent and stored article counts and fetch history, or null. */
export async function loadSource(deps: WebDeps, id: number) {
  const row = await sourcesQ.getSource(deps.db, id);
  if (!row) return null;
  const since = new Date(Date.now() - 7 * 86_400_000);
  const [recentArticles, storedArticles, fetches] = await Promise.all([
    countRecentArticles(deps.db, id, since),
    sourcesQ.countSourceArticles(deps.db, id),
    recentFetches(deps.db, id, 10),
  ]);
  return { row, source: { ...row, recentArticles, storedArticles }, fetches };
}

/** Renders a source's page (or the new-source form when `loaded` is null); the form defaults to the stored one. */
export function sendSourcePage(
  req: FastifyRequest,
  reply: FastifyReply,
  loaded: Awaited<ReturnType<typeof loadSource>>,
  props: Partial<Omit<SourcePageProps, 'ctx'>>,
  status = 200,
) {
  const ctx = pageContext(req, reply);
  return sendPage(
    reply,
    async (h) =>
      h((await import('../../views/sources-form.tsx')).SourcePage, {
        ctx,
        source: loaded?.source ?? null,
        fetches: loaded?.fetches ?? [],
        now: new Date(),
        ...props,
        form: props.form ?? (loaded ? formOfRow(loaded.row) : blankForm()),
      }),
    status,
  );
}
