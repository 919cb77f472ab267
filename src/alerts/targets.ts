/**
 * The pusher's channels from the channel store: a channel by id, its sealed URL and secret opened with the
 * signing secret, and its platform's adapter. A disabled or removed channel is none.
 */
import { adapterFor } from '../channels/adapters.ts';
import { openTarget } from '../channels/store.ts';
import type { Db } from '../db/client.ts';
import { getChannelRowById } from '../db/queries/channels.ts';
import type { AlertChannel } from './push.ts';

/** `openChannel` for {@link AlertPushDeps}, over the stored channels. */
export function storedChannels(db: Db, secret: string): (channelId: number) => Promise<AlertChannel | null> {
  return async (channelId) => {
    const row = await getChannelRowById(db, channelId);
    if (!row || !row.enabled) return null;
    return { target: openTarget(row, secret), adapter: adapterFor(row.kind) };
  };
}
