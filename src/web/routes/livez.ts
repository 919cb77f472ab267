import type { WebRoute } from '../deps.ts';

/** `GET /livez`: this process is up and serving (no dependency is checked: that is /healthz's job). */
export const livez: WebRoute = (app) => {
  app.get('/livez', { config: { auth: 'public' }, logLevel: 'warn' }, async () => ({ status: 'ok' }));
};
