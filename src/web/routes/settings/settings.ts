import type { WebRoute } from '../../deps.ts';
import { renderSettings } from './render-settings.ts';

/**
 * `GET /settings`: the runtime overrides (top N, schedule, provider order, budgets, prices, mail rate, watch
 * list, score weights), each with its effective value, where it comes from, and a form to change or reset it.
 */
export const settingsPage: WebRoute = (app, deps) => {
  app.get('/settings', { config: { auth: 'viewer' } }, (req, reply) => renderSettings(req, reply, deps));
};
