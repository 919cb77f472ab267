/**
 * The channel form's fields → the store's input (`channels/store.ts` checks them, the CLI's checks), and the
 * store's refusals (`ChannelInputError{field}`) → a message beside the field, in the page's words.
 */
import type { FastifyRequest } from 'fastify';
import type { ChannelListRow } from '../../../db/queries/console-channels.ts';
import { ChannelInputError } from '../../../channels/store.ts';
import type { ChannelInput, ChannelPatch } from '../../../channels/store.ts';
import type { ChannelKind, ChannelOptions } from '../../../db/schema/index.ts';
import { isMessageKey } from '../../i18n/index.ts';
import { sayText } from '../../i18n/coded.ts';
import type { PageContext } from '../../views/layout.tsx';
import type { ChannelFormState, ChannelFormValues } from '../../views/channels-form.tsx';

/** The form as posted (every field optional: a browser leaves out what it hides or leaves unchecked). */
export type ChannelFormBody = Partial<Record<string, string>> | undefined;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Keywords as typed in one field: `早报;快讯` (also `,` `，` `；` `、` or one per line). */
const splitList = (v: string) =>
  v
    .split(/[;,，；、\r\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The form as posted, for showing it again (without the secret: it is never shown back). */
export function formValues(body: ChannelFormBody): ChannelFormValues {
  return {
    name: str(body?.name).trim(),
    kind: str(body?.kind),
    url: str(body?.url).trim(),
    chatId: str(body?.chat_id).trim(),
    keywords: str(body?.keywords),
    format: str(body?.format),
    maxItems: str(body?.max_items).trim(),
    group: str(body?.group).trim(),
    enabled: body?.enabled === '1',
  };
}

/** The form showing a stored channel (its URL blank: "leave blank to keep"). */
export function formOf(c: ChannelListRow): ChannelFormState {
  const o = c.options;
  return {
    values: {
      name: c.name,
      kind: c.kind,
      url: '',
      chatId: o.chatId ?? '',
      keywords: (o.keywords ?? []).join(';'),
      format: o.format ?? '',
      maxItems: o.maxItems === undefined ? '' : String(o.maxItems),
      group: c.group ?? '',
      enabled: c.enabled,
    },
    errors: {},
  };
}

/** The kind's options from the form: only the fields of that kind (the others are hidden, maybe stale). */
function optionsOf(kind: string, v: ChannelFormValues): ChannelOptions {
  const o: ChannelOptions = {};
  if (kind === 'telegram') o.chatId = v.chatId;
  if (kind === 'dingtalk') o.keywords = splitList(v.keywords);
  if (kind === 'webhook') o.format = (v.format || 'json') as ChannelOptions['format'];
  if (v.maxItems) o.maxItems = Number(v.maxItems);
  return o;
}

/** A new channel from the form. */
export function inputOf(v: ChannelFormValues, body: ChannelFormBody): ChannelInput {
  return {
    name: v.name,
    kind: v.kind as ChannelKind,
    url: v.url,
    secret: str(body?.secret) || undefined,
    group: v.group || null,
    options: optionsOf(v.kind, v),
    enabled: v.enabled,
  };
}

/** A change from the form: a blank URL or secret keeps the stored one; the remove box drops the secret. */
export function patchOf(v: ChannelFormValues, body: ChannelFormBody): ChannelPatch {
  const secret = body?.secret_remove === '1' ? null : str(body?.secret) || undefined;
  return {
    name: v.name,
    kind: v.kind as ChannelKind,
    ...(v.url && { url: v.url }),
    ...(secret !== undefined && { secret }),
    group: v.group || null,
    options: optionsOf(v.kind, v),
  };
}

const FIELDS: readonly string[] = [
  'name',
  'kind',
  'url',
  'secret',
  'chatId',
  'keywords',
  'format',
  'maxItems',
  'group',
];

/**
 * The store's refusal as the form's errors: the field's own sentence in the page's language, and the store's
 * exact reason after it, said in the page's language by its code (it names the value that was wrong, never
 * the URL or the secret; a refusal without a known code keeps the store's English).
 */
export function errorsOf(ctx: PageContext, err: ChannelInputError): Pick<ChannelFormState, 'errors' | 'formError'> {
  const key = `channels.err.${err.field}`;
  const reason = sayText(ctx.t, err, err.message);
  if (!FIELDS.includes(err.field) || !isMessageKey(key))
    return { errors: {}, formError: ctx.t('channels.err.other', { error: reason }) };
  const text = ctx.lang === 'en' ? reason : `${ctx.t(key)}（${reason}）`;
  return { errors: { [err.field]: text }, formError: ctx.t('channels.fixFields') };
}

/** The channel store's refusal, or a rethrow of anything else. */
export function inputError(err: unknown): ChannelInputError {
  if (err instanceof ChannelInputError) return err;
  throw err;
}

/** Who acts, for the audit rows the store writes: the signed-in user (`user:<email>`), else the address. */
export const actorOf = (req: FastifyRequest) => ({ actor: req.principal?.actor ?? `ip:${req.ip}` });
