import type { WebRoute } from '../../deps.ts';

/** The console's dashboard pages and actions: one file per page or action, listed here in order. */
export const dashboardRoutes: WebRoute[] = [];
