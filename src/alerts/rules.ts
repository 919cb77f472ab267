/**
 * Intraday watch-list rules as code: each input parsed and normalised here (tickers upper-cased, lists
 * de-duplicated, quiet hours checked), so the CLI and the console store the same thing and refuse the same
 * mistakes, naming the field.
 */
import type { Db } from '../db/client.ts';
import { alertsQ } from '../db/queries/index.ts';
import type { AlertRuleRow, AlertRuleValues } from '../db/queries/alerts.ts';
import type { AlertSentiment } from '../db/schema/index.ts';
import type { CodedText, TextParam } from '../lib/coded-text.ts';
import { ruleText as say } from './input-texts.ts';

/** A rule as an operator writes it. Absent fields keep their default (add) or their value (update). */
export interface AlertRuleInput {
  name?: string;
  /** `600519`, `600519.SH`, `0700.HK`, `AAPL` (case-insensitive). */
  tickers?: string[];
  companies?: string[];
  /** Matched in the title, summary and extracted keywords, case-insensitive. */
  keywords?: string[];
  /** The extraction's importance, 1 (minor) … 5 (major); 0 = any. @defaultValue 0 */
  minImportance?: number;
  /** null or absent on add: any sentiment. */
  sentiment?: AlertSentiment | null;
  /** Channel names (resolved to ids; an unknown name is refused). */
  channels?: string[];
  /** Recipient groups to mail; `['*']`: every active recipient. */
  mailGroups?: string[];
  /** `22:00-07:00` in `TZ` (may wrap midnight); null or `off`: none. */
  quiet?: string | null;
  /** Alerts per rule and local day; later matches are recorded as suppressed. @defaultValue 20 */
  dailyCap?: number;
  enabled?: boolean;
}

/** A rule as it is listed: the stored row with its channels' names. */
export type AlertRule = AlertRuleRow & { channels: string[] };

/**
 * A refused rule: `field` names what is wrong (`tickers`, `quiet`, …), the message says why in English (the
 * CLI's: `field: reason`); `code` and `params` let the console say the reason in the page's language.
 */
export class AlertRuleInputError extends Error {
  override readonly name = 'AlertRuleInputError';
  readonly code: string | null;
  readonly params: Record<string, TextParam>;
  /** The reason without the field (`reason` of `field: reason`). */
  readonly reason: string;
  constructor(
    readonly field: string,
    message: string | CodedText,
  ) {
    const reason = typeof message === 'string' ? message : message.text;
    super(`${field}: ${reason}`);
    this.reason = reason;
    this.code = typeof message === 'string' ? null : message.code;
    this.params = typeof message === 'string' ? {} : message.params;
  }
}

const SENTIMENTS: readonly AlertSentiment[] = ['positive', 'neutral', 'negative'];
const NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;
const TICKER = /^[A-Z0-9]{1,10}(\.[A-Z]{1,4})?$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MAX_ENTRIES = 200;

/** A ticker's stored form: trimmed, upper-case (`600519.sh` → `600519.SH`). */
export const normaliseTicker = (t: string): string => t.trim().toUpperCase();

function list(field: string, values: unknown, each: (v: string) => string | null): string[] {
  if (!Array.isArray(values)) throw new AlertRuleInputError(field, say('rule.list'));
  const out: string[] = [];
  for (const raw of values) {
    if (typeof raw !== 'string') throw new AlertRuleInputError(field, say('rule.listText'));
    if (!raw.trim()) continue;
    const v = each(raw.trim());
    if (v === null) throw new AlertRuleInputError(field, say('rule.entryInvalid', { value: raw.trim().slice(0, 40) }));
    if (!out.includes(v)) out.push(v);
  }
  if (out.length > MAX_ENTRIES) throw new AlertRuleInputError(field, say('rule.tooMany', { max: MAX_ENTRIES }));
  return out;
}

const text = (max: number) => (v: string) => (v.length <= max && !/[\r\n]/.test(v) ? v : null);

/** `22:00-07:00` → its two ends; `off`, empty or null → none. */
export function parseQuiet(value: string | null | undefined): { quietFrom: string | null; quietTo: string | null } {
  if (value === null || value === undefined || value.trim() === '' || value.trim() === 'off')
    return { quietFrom: null, quietTo: null };
  const [from, to, extra] = value.trim().split('-');
  if (extra !== undefined || !from || !to || !HHMM.test(from.trim()) || !HHMM.test(to.trim()))
    throw new AlertRuleInputError('quiet', say('rule.quietFormat'));
  if (from.trim() === to.trim()) throw new AlertRuleInputError('quiet', say('rule.quietSame'));
  return { quietFrom: from.trim(), quietTo: to.trim() };
}

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new AlertRuleInputError(field, say('rule.integer', { min, max }));
  return v;
}

/** Channel names → ids, every name known. */
async function channelIds(db: Db, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  const rows = await alertsQ.channelsNamed(db, names);
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length > 0)
    throw new AlertRuleInputError('channels', say('rule.noChannel', { names: missing.join(', ') }));
  return names.map((n) => rows.find((r) => r.name === n)!.id);
}

/** The input's fields parsed into stored values (only those present). */
async function parseFields(db: Db, input: AlertRuleInput): Promise<Partial<AlertRuleValues>> {
  const out: Partial<AlertRuleValues> = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || !NAME.test(input.name.trim()))
      throw new AlertRuleInputError('name', say('rule.name'));
    out.name = input.name.trim();
  }
  if (input.tickers !== undefined)
    out.tickers = list('tickers', input.tickers, (t) => (TICKER.test(normaliseTicker(t)) ? normaliseTicker(t) : null));
  if (input.companies !== undefined) out.companies = list('companies', input.companies, text(100));
  if (input.keywords !== undefined) out.keywords = list('keywords', input.keywords, text(100));
  if (input.minImportance !== undefined) out.minImportance = integer('min_importance', input.minImportance, 0, 5);
  if (input.sentiment !== undefined) {
    if (input.sentiment !== null && !SENTIMENTS.includes(input.sentiment))
      throw new AlertRuleInputError('sentiment', say('rule.sentiment'));
    out.sentiment = input.sentiment;
  }
  if (input.channels !== undefined) out.channelIds = await channelIds(db, list('channels', input.channels, text(100)));
  if (input.mailGroups !== undefined) {
    out.mailGroups = list('mail_groups', input.mailGroups, text(64));
    if (out.mailGroups.includes('*')) out.mailGroups = ['*'];
  }
  if (input.quiet !== undefined) Object.assign(out, parseQuiet(input.quiet));
  if (input.dailyCap !== undefined) out.dailyCap = integer('daily_cap', input.dailyCap, 1, 10_000);
  if (input.enabled !== undefined) out.enabled = input.enabled === true;
  return out;
}

/** A rule must push somewhere. */
function checkTargets(rule: Pick<AlertRuleValues, 'channelIds' | 'mailGroups'>): void {
  if ((rule.channelIds ?? []).length === 0 && (rule.mailGroups ?? []).length === 0)
    throw new AlertRuleInputError('channels', say('rule.noTarget'));
}

/**
 * Adds a rule.
 * @example await addRule(db, { name: 'moutai', tickers: ['600519'], mailGroups: ['*'], quiet: '22:00-07:00' })
 */
export async function addRule(db: Db, input: AlertRuleInput): Promise<AlertRule> {
  if (input.name === undefined) throw new AlertRuleInputError('name', say('rule.nameRequired'));
  const values = (await parseFields(db, input)) as AlertRuleValues;
  checkTargets(values);
  const row = await alertsQ.insertRule(db, values);
  if (!row) throw new AlertRuleInputError('name', say('rule.exists', { name: values.name }));
  return withChannelNames(db, row);
}

/** Changes the fields `patch` names; the others stay. */
export async function updateRule(db: Db, name: string, patch: AlertRuleInput): Promise<AlertRule> {
  const current = await alertsQ.getRuleByName(db, name);
  if (!current) throw new AlertRuleInputError('name', say('rule.missing', { name }));
  const values = await parseFields(db, patch);
  checkTargets({ ...current, ...values });
  if (values.name !== undefined && values.name !== current.name && (await alertsQ.getRuleByName(db, values.name)))
    throw new AlertRuleInputError('name', say('rule.exists', { name: values.name }));
  const row = await alertsQ.updateRule(db, current.id, values);
  if (!row) throw new AlertRuleInputError('name', say('rule.missing', { name }));
  return withChannelNames(db, row);
}

/** Removes a rule and its alert log. */
export async function removeRule(db: Db, name: string): Promise<void> {
  if (!(await alertsQ.deleteRule(db, name))) throw new AlertRuleInputError('name', say('rule.missing', { name }));
}

/** Every rule, by name, with its channels' names (a channel removed since is left out). */
export async function listRules(db: Db): Promise<AlertRule[]> {
  const rows = await alertsQ.listRules(db);
  const names = await channelNames(
    db,
    rows.flatMap((r) => r.channelIds),
  );
  return rows.map((r) => ({ ...r, channels: r.channelIds.flatMap((id) => names.get(id) ?? []) }));
}

async function channelNames(db: Db, ids: number[]): Promise<Map<number, string>> {
  const rows = await alertsQ.channelsWithIds(db, ids);
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function withChannelNames(db: Db, row: AlertRuleRow): Promise<AlertRule> {
  const names = await channelNames(db, row.channelIds);
  return { ...row, channels: row.channelIds.flatMap((id) => names.get(id) ?? []) };
}
