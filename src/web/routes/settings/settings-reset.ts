import { settingsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { isSettingId, keyOf, loadSettings } from './fields.ts';

/** `POST /settings/:id/reset`: removes one override, so the environment's value applies again; audited. */
export const settingsReset: WebRoute = (app, deps) => {
  app.post<{ Params: { id: string } }>('/settings/:id/reset', { config: { auth: 'admin' } }, async (req, reply) => {
    const { id } = req.params;
    if (!isSettingId(id)) return reply.code(404).send({ error: 'not_found', message: 'no such setting' });
    const before = (await loadSettings(deps.db, deps.config)).states.find((s) => s.id === id)!;
    if (await settingsQ.deleteSetting(deps.db, keyOf(id)))
      await auditWeb(req, deps, 'settings.reset', id, {
        before: { value: before.form, source: 'override' },
        after: { value: before.base, source: 'env' },
      });
    return reply.redirect(`/settings?reset=${encodeURIComponent(id)}#${id}`, 303);
  });
};
