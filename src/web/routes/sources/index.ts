import type { WebRoute } from '../../deps.ts';
import { sourcesCreate } from './create.ts';
import { sourcesDelete } from './delete.ts';
import { sourcesExport } from './export.ts';
import { sourcesImport } from './import.ts';
import { sourcesImportApply } from './import-apply.ts';
import { sourcesImportCheck } from './import-check.ts';
import { sourcesList } from './list.ts';
import { sourcesNew } from './new.ts';
import { sourcesTest } from './test.ts';
import { sourcesToggle } from './toggle.ts';
import { sourcesUpdate } from './update.ts';
import { sourcesView } from './view.ts';

/** The console's sources pages and actions: one file per page or action, listed here in order. */
export const sourcesRoutes: WebRoute[] = [
  sourcesList,
  sourcesNew,
  sourcesCreate,
  sourcesImport,
  sourcesImportCheck,
  sourcesImportApply,
  sourcesExport,
  sourcesTest,
  sourcesView,
  sourcesUpdate,
  sourcesToggle,
  sourcesDelete,
];
