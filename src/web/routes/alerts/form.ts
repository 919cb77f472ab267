/**
 * The alert rule form's fields → the rules module's input (`alerts/rules.ts` parses them, as for the CLI), its
 * refusals (`AlertRuleInputError{field}`) → a message beside the field, and what a page of rules needs.
 */
import { AlertRuleInputError } from '../../../alerts/rules.ts';
import type { AlertRuleInput } from '../../../alerts/rules.ts';
import type { AlertRuleRow } from '../../../db/queries/console-alerts.ts';
import type { AlertSentiment } from '../../../db/schema/index.ts';
import { isMessageKey } from '../../i18n/index.ts';
import { sayText } from '../../i18n/coded.ts';
import type { ChannelChoice } from '../../views/alerts.tsx';
import type { AlertFormState, AlertFormValues } from '../../views/alerts-form.tsx';
import type { PageContext } from '../../views/layout.tsx';

/** The form as posted: `channels` is one value per ticked box (a string for one, an array for more). */
export type AlertFormBody = Partial<Record<string, string | string[]>> | undefined;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A list as typed in one field: `600519.SH;0700.HK` (also `,` `，` `；` `、` or one per line). */
export const splitList = (v: string) =>
  v
    .split(/[;,，；、\r\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The form as posted, for showing it again. */
export function formValues(body: AlertFormBody): AlertFormValues {
  const boxes = body?.channels;
  return {
    name: str(body?.name).trim(),
    tickers: str(body?.tickers),
    companies: str(body?.companies),
    keywords: str(body?.keywords),
    minImportance: str(body?.min_importance) || '0',
    sentiment: str(body?.sentiment),
    channels: Array.isArray(boxes) ? boxes.map(String) : boxes ? [boxes] : [],
    mailGroups: str(body?.mail_groups),
    quiet: str(body?.quiet).trim(),
    dailyCap: str(body?.daily_cap).trim(),
    enabled: body?.enabled === '1',
  };
}

/** The empty form: any story, pushed at most 20 times a day, enabled. */
export const EMPTY: AlertFormValues = {
  name: '',
  tickers: '',
  companies: '',
  keywords: '',
  minImportance: '0',
  sentiment: '',
  channels: [],
  mailGroups: '',
  quiet: '',
  dailyCap: '20',
  enabled: true,
};

/** The form showing a stored rule. */
export function formOf(r: AlertRuleRow, channels: ChannelChoice[]): AlertFormState {
  return {
    values: {
      name: r.name,
      tickers: r.tickers.join(';'),
      companies: r.companies.join(';'),
      keywords: r.keywords.join(';'),
      minImportance: String(r.minImportance),
      sentiment: r.sentiment ?? '',
      channels: r.channelIds.flatMap((id) => channels.find((c) => c.id === id)?.name ?? []),
      mailGroups: r.mailGroups.join(';'),
      quiet: r.quietFrom ? `${r.quietFrom}-${r.quietTo}` : '',
      dailyCap: String(r.dailyCap),
      enabled: r.enabled,
    },
    errors: {},
  };
}

/** A whole number as typed, or NaN (the rules module names the field when it is not one). */
const int = (v: string) => (/^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN);

/** The rule as the rules module takes it (every field: the form shows them all). */
export function inputOf(v: AlertFormValues): AlertRuleInput {
  return {
    name: v.name,
    tickers: splitList(v.tickers),
    companies: splitList(v.companies),
    keywords: splitList(v.keywords),
    minImportance: int(v.minImportance),
    sentiment: (v.sentiment || null) as AlertSentiment | null,
    channels: v.channels,
    mailGroups: splitList(v.mailGroups),
    quiet: v.quiet || null,
    dailyCap: v.dailyCap ? int(v.dailyCap) : 20,
    enabled: v.enabled,
  };
}

/**
 * The rules module's refusal as the form's errors, or a rethrow of anything else: the field's sentence in the
 * page's language and the reason after it, said by its code (a reason without a known code in English).
 */
export function errorsOf(ctx: PageContext, err: unknown): Pick<AlertFormState, 'errors' | 'formError'> {
  if (!(err instanceof AlertRuleInputError)) throw err;
  const key = `alerts.err.${err.field}`;
  const detail = sayText(ctx.t, err, err.reason);
  if (!isMessageKey(key)) return { errors: {}, formError: `${err.field}: ${detail}` };
  const text = ctx.lang === 'en' ? detail : `${ctx.t(key)}（${detail}）`;
  return { errors: { [err.field]: text }, formError: ctx.t('alerts.fixFields') };
}

/** The rule's fields for the audit log (what it matches, where it pushes). */
export const auditOf = (r: {
  tickers: string[];
  companies: string[];
  keywords: string[];
  minImportance: number;
  sentiment: string | null;
  channelIds: number[];
  mailGroups: string[];
  quietFrom: string | null;
  quietTo: string | null;
  dailyCap: number;
  enabled: boolean;
}) => ({
  tickers: r.tickers,
  companies: r.companies,
  keywords: r.keywords,
  min_importance: r.minImportance,
  sentiment: r.sentiment,
  channel_ids: r.channelIds,
  mail_groups: r.mailGroups,
  quiet: r.quietFrom ? `${r.quietFrom}-${r.quietTo}` : null,
  daily_cap: r.dailyCap,
  enabled: r.enabled,
});
