import { idParams } from '../api-common.ts';
import { recipientsQ } from '../../../db/queries/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { safeNext } from '../../render.ts';

/** Where to go back to after an action: a local page (`back`), with the action's notice in its query. */
export function backTo(back: unknown, fallback: string, notice: Record<string, string>): string {
  const url = new URL(safeNext(back ?? fallback), 'http://x');
  for (const [k, v] of Object.entries(notice)) url.searchParams.set(k, v);
  return `${url.pathname}${url.search}`;
}

/** `POST /recipients/:id/enabled` (`enabled=1|0`): puts a recipient on or off the whitelist. */
export const recipientsEnabled: WebRoute = (app, deps) => {
  app.post<{ Body: { enabled?: string; back?: string } }>(
    '/recipients/:id/enabled',
    { config: { auth: 'admin' } },
    async (req, reply) => {
      const p = idParams.safeParse(req.params);
      const before = p.success ? await recipientsQ.getRecipient(deps.db, p.data.id) : null;
      if (!before) return reply.callNotFound();
      const enabled = req.body?.enabled === '1';
      await recipientsQ.updateRecipient(deps.db, before.id, { enabled });
      await auditWeb(req, deps, enabled ? 'recipient.enable' : 'recipient.disable', before.email, {
        before: { enabled: before.enabled },
        after: { enabled },
      });
      const done = enabled ? 'enabled' : 'disabled';
      return reply.redirect(backTo(req.body?.back, '/recipients', { done, email: before.email }), 303);
    },
  );
};
