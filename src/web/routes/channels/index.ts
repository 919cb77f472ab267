import type { WebRoute } from '../../deps.ts';
import { channelsCreate } from './create.ts';
import { channelsDelete } from './delete.ts';
import { channelsEdit } from './edit.ts';
import { channelsEnabled } from './enabled.ts';
import { channelsList } from './list.ts';
import { channelsNew } from './new.ts';
import { channelsTest } from './test.ts';
import { channelsUpdate } from './update.ts';

/** The console's chat channels pages and actions: one file per page or action, in order. */
export const channelsRoutes: WebRoute[] = [
  channelsList,
  channelsNew,
  channelsCreate,
  channelsEdit,
  channelsUpdate,
  channelsEnabled,
  channelsDelete,
  channelsTest,
];
