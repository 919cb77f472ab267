import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SourceDefinition } from '../../../collect/source-spec.ts';
import type { WebDeps, WebRoute } from '../../deps.ts';
import { pageContext } from '../../render.ts';
import { checkForm, formErrors, formOfBody, formOfRow } from './form.ts';
import type { SourceForm } from './form.ts';
import { loadSource, sendSourcePage, sourceId } from './page.ts';

/** A test holds a request open: at most this long (the source's own budget when shorter). */
export const TEST_MAX_SEC = 45;
/** Tests at once in this process (a dynamic one starts a Chromium). */
const MAX_RUNNING = 2;
let running = 0;

/**
 * `POST /sources/test` (the new-source form) and `POST /sources/:id/test` (the form of a stored source, or
 * the stored definition when no form is posted): fetches now, as `finrep sources test` does, and shows the
 * items found; nothing is stored. The address guard stays on unless the definition allows private addresses.
 */
export const sourcesTest: WebRoute = (app, deps) => {
  app.post('/sources/test', { config: { auth: 'admin' } }, async (req, reply) => test(req, reply, deps, null));
  app.post('/sources/:id/test', { config: { auth: 'admin' } }, async (req, reply) => {
    const id = sourceId(req.params);
    const loaded = id ? await loadSource(deps, id) : null;
    if (!loaded) return reply.callNotFound();
    return test(req, reply, deps, loaded);
  });
};

async function test(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: WebDeps,
  loaded: Awaited<ReturnType<typeof loadSource>>,
) {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const form: SourceForm = body.kind === undefined && loaded ? formOfRow(loaded.row) : formOfBody(body);
  const checked = checkForm(form);
  const t = pageContext(req, reply).t;
  if (!checked.ok) {
    return sendSourcePage(req, reply, loaded, { form, ...formErrors(t, checked.issues) }, 400);
  }
  if (running >= MAX_RUNNING) return sendSourcePage(req, reply, loaded, { form, error: t('sources.testBusy') }, 429);
  running++;
  try {
    const def: SourceDefinition = checked.def;
    const { runPreview } = await import('../../../collect/preview-run.ts');
    const preview = await runPreview(
      def,
      { crawl: deps.config.crawl, timeZone: deps.config.timeZone, log: deps.log },
      { maxBudgetSec: TEST_MAX_SEC },
    );
    return sendSourcePage(req, reply, loaded, { form, preview });
  } finally {
    running--;
  }
}
