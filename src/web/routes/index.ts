import type { WebRoute } from '../deps.ts';
import { account } from './account.ts';
import { apiDocs } from './api-docs.ts';
import { apiRecipients } from './api-recipients.ts';
import { apiReports } from './api-reports.ts';
import { apiRuns } from './api-runs.ts';
import { apiSources } from './api-sources.ts';
import { account2fa } from './account-2fa.ts';
import { accountPassword } from './account-password.ts';
import { home } from './home.ts';
import { healthz } from './healthz.ts';
import { livez } from './livez.ts';
import { login } from './login.ts';
import { login2fa } from './login-2fa.ts';
import { logout } from './logout.ts';
import { metricsRoute } from './metrics.ts';
import { openapi } from './openapi.ts';
import { unsubscribe } from './unsubscribe.ts';
import { webview } from './webview.ts';
import { dashboardRoutes } from './dashboard/index.ts';
import { sourcesRoutes } from './sources/index.ts';
import { articlesRoutes } from './articles/index.ts';
import { reportsRoutes } from './reports/index.ts';
import { recipientsRoutes } from './recipients/index.ts';
import { settingsRoutes } from './settings/index.ts';
import { statusRoutes } from './status/index.ts';
import { channelsRoutes } from './channels/index.ts';
import { alertsRoutes } from './alerts/index.ts';

/**
 * Every route file of the server, registered in this order. A new page or action is one file exporting a
 * `WebRoute`, added here or to its console area's `index.ts`; its access is declared in its route config (see
 * auth/index.ts).
 */
export const ROUTES: WebRoute[] = [
  livez,
  metricsRoute,
  healthz,
  login,
  login2fa,
  logout,
  home,
  account,
  accountPassword,
  account2fa,
  openapi,
  apiDocs,
  unsubscribe,
  webview,
  apiSources,
  apiRecipients,
  apiReports,
  apiRuns,
  // The console, one folder per area (each page or action one file).
  ...dashboardRoutes,
  ...sourcesRoutes,
  ...articlesRoutes,
  ...reportsRoutes,
  ...recipientsRoutes,
  ...settingsRoutes,
  ...statusRoutes,
  ...channelsRoutes,
  ...alertsRoutes,
];
