import type { WebRoute } from '../../deps.ts';

/** The console's settings pages and actions: one file per page or action, listed here in order. */
export const settingsRoutes: WebRoute[] = [];
