import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebDeps } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { loadSettings } from './fields.ts';
import type { FormValues, SettingId } from './fields.ts';

/** The settings page, with a refused form's error and typed values when a save failed (400). */
export async function renderSettings(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: WebDeps,
  refused?: { id: SettingId; error: string; form: FormValues },
): Promise<FastifyReply> {
  const ctx = pageContext(req, reply);
  const { states, effective } = await loadSettings(deps.db, deps.config);
  const q = req.query as Record<string, unknown>;
  const saved = typeof q.saved === 'string' ? q.saved : typeof q.reset === 'string' ? q.reset : null;
  const props = {
    ctx,
    states,
    refused: refused ?? null,
    notice: saved ? ctx.t(q.saved ? 'settings.savedOne' : 'settings.resetOne', { id: saved.slice(0, 40) }) : null,
    providers: deps.config.llm.order,
    effectiveOrder: effective.llm.order,
  };
  return sendPage(
    reply,
    async (h) => h((await import('../../views/settings.tsx')).SettingsPage, props),
    refused ? 400 : 200,
  );
}
