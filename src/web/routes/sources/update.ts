import { derivedKey } from '../../../collect/source-spec.ts';
import { sourcesQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext } from '../../render.ts';
import { sourceJson } from '../api-sources.ts';
import { checkForm, formErrors, formOfBody } from './form.ts';
import { loadSource, sendSourcePage, sourceId } from './page.ts';

/**
 * `POST /sources/:id`: saves the form over the source (the shared validator; a blank key keeps the stored one).
 * A new URL or kind forgets the validators and any backoff, as `finrep sources edit` does.
 */
export const sourcesUpdate: WebRoute = (app, deps) => {
  app.post('/sources/:id', { config: { auth: 'admin' } }, async (req, reply) => {
    const id = sourceId(req.params);
    const loaded = id ? await loadSource(deps, id) : null;
    if (!loaded) return reply.callNotFound();
    const before = loaded.row;
    const form = formOfBody((req.body ?? {}) as Record<string, unknown>);
    const checked = checkForm(form);
    if (!checked.ok) {
      const said = formErrors(pageContext(req, reply).t, checked.issues);
      return sendSourcePage(req, reply, loaded, { form, ...said }, 400);
    }
    const def = checked.def;
    const key = def.key ?? before.key ?? derivedKey(def.kind, def.url);
    if (key !== before.key && (await sourcesQ.findSourceByKey(deps.db, key))) {
      const t = pageContext(req, reply).t;
      return sendSourcePage(req, reply, loaded, { form, errors: { key: t('sources.keyTaken', { key }) } }, 409);
    }
    const row = (await sourcesQ.updateSource(deps.db, before.id, { ...def, key }))!;
    await auditWeb(req, deps, 'source.edit', `source:${row.id}`, {
      before: sourceJson(before),
      after: sourceJson(row),
    });
    return reply.redirect(`/sources/${row.id}?saved=1`, 303);
  });
};
