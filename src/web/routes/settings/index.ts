import type { WebRoute } from '../../deps.ts';
import { settingsPage } from './settings.ts';
import { settingsReset } from './settings-reset.ts';
import { settingsSave } from './settings-save.ts';
import { usagePage } from './usage.ts';
import { usageBudgetChart } from './usage-budget-chart.ts';
import { usageCostChart } from './usage-cost-chart.ts';

/** The console's settings pages and actions: one file per page or action, listed here in order. */
export const settingsRoutes: WebRoute[] = [
  settingsPage,
  settingsSave,
  settingsReset,
  usagePage,
  usageCostChart,
  usageBudgetChart,
];
