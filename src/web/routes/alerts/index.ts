import type { WebRoute } from '../../deps.ts';
import { alertsCreate } from './create.ts';
import { alertsDelete } from './delete.ts';
import { alertsEdit } from './edit.ts';
import { alertsEnabled } from './enabled.ts';
import { alertsList } from './list.ts';
import { alertsNew } from './new.ts';
import { alertsUpdate } from './update.ts';

/** The console's intraday alert rules pages and actions: one file per page or action, in order. */
export const alertsRoutes: WebRoute[] = [
  alertsList,
  alertsNew,
  alertsCreate,
  alertsEdit,
  alertsUpdate,
  alertsEnabled,
  alertsDelete,
];
