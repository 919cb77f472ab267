import { settingsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { isSettingId, keyOf, loadSettings, parseSetting } from './fields.ts';
import { renderSettings } from './render-settings.ts';

/**
 * `POST /settings/:id`: saves one override after its schema accepted it (else the page again, the error
 * beside the field, nothing stored); audited with the value before and after. The next edition, job or
 * scheduler tick reads it.
 */
export const settingsSave: WebRoute = (app, deps) => {
  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/settings/:id',
    { config: { auth: 'admin' } },
    async (req, reply) => {
      const { id } = req.params;
      if (!isSettingId(id)) return reply.code(404).send({ error: 'not_found', message: 'no such setting' });
      const parsed = parseSetting(deps.config, id, req.body ?? {});
      if (!parsed.ok) return renderSettings(req, reply, deps, { id, error: parsed.error, form: parsed.form });
      const before = (await loadSettings(deps.db, deps.config)).states.find((s) => s.id === id)!;
      const actor = req.principal?.actor ?? 'web';
      await settingsQ.setSetting(deps.db, keyOf(id), parsed.stored, actor);
      const after = (await loadSettings(deps.db, deps.config)).states.find((s) => s.id === id)!;
      await auditWeb(req, deps, 'settings.set', id, {
        before: { value: before.form, source: before.overridden ? 'override' : 'env' },
        after: { value: after.form, source: 'override' },
      });
      return reply.redirect(`/settings?saved=${encodeURIComponent(id)}#${id}`, 303);
    },
  );
};
