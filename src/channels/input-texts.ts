/**
 * What the channel store says when it refuses a field ({@link ChannelInputError}), in English, by code; the
 * console says the same in the page's language (`web/i18n/areas/texts.ts`). Never a URL or a secret in them.
 */
import { textsOf } from '../lib/coded-text.ts';

export const CHANNEL_INPUT_TEXTS = {
  'channel.name.required': 'a name is required',
  'channel.name.invalid': '"{name}": a name is 1–64 letters, digits, "." "_" or "-", starting with a letter or digit',
  'channel.name.exists': 'a channel "{name}" exists already',
  'channel.kind.invalid': 'kind must be one of {kinds}',
  'channel.url.required': 'the webhook URL is required',
  'channel.url.invalid': 'the webhook URL is not a valid URL',
  'channel.url.scheme': 'the webhook URL must be http or https, not {scheme}',
  'channel.url.userinfo': 'the webhook URL must not carry a user or password',
  'channel.url.tooLong': 'the webhook URL is longer than 2048 characters',
  'channel.secret.notSigning': 'a {kind} channel does not sign its messages: leave the secret empty',
  'channel.secret.remove': 'a {kind} channel does not sign its messages: remove the secret',
  'channel.secret.invalid': 'the secret must be one line of at most 512 characters',
  'channel.group.type': 'the group must be text',
  'channel.group.invalid': 'a group is one name of at most 64 characters (no commas)',
  'channel.chatId.notTelegram': 'a chat id is for telegram channels only',
  'channel.chatId.invalid': 'a chat id is a number (-100… for a group) or @channelname',
  'channel.chatId.required': 'a telegram channel needs the chat id',
  'channel.keywords.type': 'keywords must be a list',
  'channel.keywords.notDingtalk': 'keywords are for dingtalk channels only',
  'channel.keywords.tooMany': 'at most 10 keywords of at most 20 characters (DingTalk allows 10)',
  'channel.format.notWebhook': 'a format is for webhook channels only',
  'channel.format.invalid': 'the format is json or slack',
  'channel.maxItems.invalid': 'stories per message must be a whole number from 1 to 50',
  'channel.edition.missing': 'no edition {date}',
} as const;

export type ChannelInputCode = keyof typeof CHANNEL_INPUT_TEXTS;

/** A refusal's sentence: `channelText('channel.name.exists', { name })`. */
export const channelText = textsOf(CHANNEL_INPUT_TEXTS);
