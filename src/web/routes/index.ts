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

/**
 * Every route file of the server, registered in this order. A new page or action is one file exporting a
 * `WebRoute`, added here; its access is declared in its route config (see auth/index.ts).
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
];
