import type { WebRoute } from '../../deps.ts';

/** The console's status pages and actions: one file per page or action, listed here in order. */
export const statusRoutes: WebRoute[] = [];
