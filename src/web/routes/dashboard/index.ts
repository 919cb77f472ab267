import type { WebRoute } from '../../deps.ts';
import { auditList } from './audit-list.ts';
import { runEvents } from './run-events.ts';
import { runShow } from './run-show.ts';
import { runsList } from './runs-list.ts';
import { runsStart } from './runs-start.ts';

/** The console's dashboard pages and actions: one file per page or action, listed here in order. */
export const dashboardRoutes: WebRoute[] = [runsList, runsStart, runShow, runEvents, auditList];
