import { derivedKey } from '../../../collect/source-spec.ts';
import { sourcesQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext } from '../../render.ts';
import { sourceJson } from '../api-sources.ts';
import { checkForm, formErrors, formOfBody } from './form.ts';
import { sendSourcePage } from './page.ts';

/**
 * `POST /sources/new`: adds a source from the form, checked by the shared validator (the CLI's and the API's);
 * a refused form comes back with each field's error.
 */
export const sourcesCreate: WebRoute = (app, deps) => {
  app.post('/sources/new', { config: { auth: 'admin' } }, async (req, reply) => {
    const form = formOfBody((req.body ?? {}) as Record<string, unknown>);
    const checked = checkForm(form);
    if (!checked.ok) {
      const said = formErrors(pageContext(req, reply).t, checked.issues);
      return sendSourcePage(req, reply, null, { form, ...said }, 400);
    }
    const def = checked.def;
    const key = def.key ?? derivedKey(def.kind, def.url);
    if (await sourcesQ.findSourceByKey(deps.db, key)) {
      const t = pageContext(req, reply).t;
      return sendSourcePage(req, reply, null, { form, errors: { key: t('sources.keyTaken', { key }) } }, 409);
    }
    const row = await sourcesQ.createSource(deps.db, { ...def, key });
    await auditWeb(req, deps, 'source.add', `source:${row.id}`, { after: sourceJson(row) });
    return reply.redirect(`/sources/${row.id}?saved=1`, 303);
  });
};
