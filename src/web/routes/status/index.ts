import type { WebRoute } from '../../deps.ts';
import { statusChart } from './chart.ts';
import { statusPage } from './page.ts';

/** The console's status pages and actions: one file per page or action, listed here in order. */
export const statusRoutes: WebRoute[] = [statusPage, statusChart];
