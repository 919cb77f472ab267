import type { WebRoute } from '../../deps.ts';
import { recipientsCreate } from './create.ts';
import { deliveriesList } from './deliveries.ts';
import { deliveriesChannelResend } from './deliveries-channel-resend.ts';
import { deliveriesResolve } from './deliveries-resolve.ts';
import { deliveriesRetry } from './deliveries-retry.ts';
import { recipientsDelete } from './delete.ts';
import { recipientsEdit } from './edit.ts';
import { recipientsEnabled } from './enabled.ts';
import { recipientsExport } from './export.ts';
import { recipientsImportApply } from './import-apply.ts';
import { recipientsImportForm } from './import-form.ts';
import { recipientsImportPreview } from './import-preview.ts';
import { recipientsList } from './list.ts';
import { recipientsNew } from './new.ts';
import { recipientsResubscribe } from './resubscribe.ts';
import { recipientsUpdate } from './update.ts';

/** The console's recipients pages and actions, and the delivery log's: one file per page or action, in order. */
export const recipientsRoutes: WebRoute[] = [
  recipientsList,
  recipientsNew,
  recipientsCreate,
  recipientsEdit,
  recipientsUpdate,
  recipientsEnabled,
  recipientsDelete,
  recipientsResubscribe,
  recipientsExport,
  recipientsImportForm,
  recipientsImportPreview,
  recipientsImportApply,
  deliveriesList,
  deliveriesRetry,
  deliveriesResolve,
  deliveriesChannelResend,
];
