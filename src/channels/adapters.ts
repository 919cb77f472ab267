/**
 * The chat platforms by kind: a sender asks `adapterFor(channel.kind)` for the payload, the signature and
 * the limits of its channel.
 */
import { dingtalkAdapter } from './platforms/dingtalk.ts';
import { feishuAdapter } from './platforms/feishu.ts';
import { telegramAdapter } from './platforms/telegram.ts';
import { webhookAdapter } from './platforms/webhook.ts';
import { wecomAdapter } from './platforms/wecom.ts';
import type { ChannelAdapter, ChannelKind } from './types.ts';

/** Every channel kind, in the order the CLI and the console list them. */
export const CHANNEL_KINDS: readonly ChannelKind[] = ['wecom', 'feishu', 'dingtalk', 'telegram', 'webhook'];

/** Whether `kind` names a channel kind. */
export function isChannelKind(kind: string): kind is ChannelKind {
  return (CHANNEL_KINDS as readonly string[]).includes(kind);
}

/** The adapter of a channel kind. */
export function adapterFor(kind: ChannelKind): ChannelAdapter {
  switch (kind) {
    case 'wecom':
      return wecomAdapter;
    case 'feishu':
      return feishuAdapter;
    case 'dingtalk':
      return dingtalkAdapter;
    case 'telegram':
      return telegramAdapter;
    case 'webhook':
      return webhookAdapter;
  }
}
