import type { WebRoute } from '../../deps.ts';

/** The console's sources pages and actions: one file per page or action, listed here in order. */
export const sourcesRoutes: WebRoute[] = [];
