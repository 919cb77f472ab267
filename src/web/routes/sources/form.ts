/**
 * The source form of the console, to and from the shared validator (`collect/source-spec.ts`, the one the CLI
 * and the API use): form fields become the input the validator reads, and its issues come back per field.
 */
import type { SourceRow } from '../../../db/queries/sources.ts';
import { checkSourceDefinition } from '../../../collect/source-spec.ts';
import type { SourceDefinition, SourceIssue } from '../../../collect/source-spec.ts';
import { sayText } from '../../i18n/coded.ts';
import type { MessageKey } from '../../i18n/index.ts';

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** Rule fields of web and dynamic sources, in the form's order. */
export const SELECTOR_RULES = [
  'itemSelector',
  'titleSelector',
  'dateSelector',
  'authorSelector',
  'contentSelector',
  'nextPageSelector',
] as const;
const INT_RULES = ['maxPages', 'maxItems', 'budgetSec'] as const;

/** The form as text fields, as posted or as shown. */
export interface SourceForm {
  kind: string;
  name: string;
  url: string;
  key: string;
  weight: string;
  timezone: string;
  enabled: boolean;
  allowPrivate: boolean;
  /** `Name: value` per line. */
  headers: string;
  /** One URL per line. */
  listUrls: string;
  waitForSelector: string;
  rules: Record<(typeof SELECTOR_RULES)[number] | (typeof INT_RULES)[number], string>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** An empty form for a new source. */
export function blankForm(kind = 'rss'): SourceForm {
  return formOfBody({ kind, enabled: 'on', weight: '1' });
}

/** The form of a stored source. */
export function formOfRow(
  row: Pick<
    SourceRow,
    'kind' | 'name' | 'url' | 'key' | 'weight' | 'timezone' | 'enabled' | 'allowPrivate' | 'headers' | 'rules'
  >,
): SourceForm {
  const r = (row.rules ?? {}) as unknown as Record<string, unknown>;
  return formOfBody({
    ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? v.join('\n') : v])),
    kind: row.kind,
    name: row.name,
    url: row.url,
    key: row.key ?? '',
    weight: String(Math.round(row.weight * 1000) / 1000),
    timezone: row.timezone ?? '',
    enabled: row.enabled ? 'on' : '',
    allowPrivate: row.allowPrivate ? 'on' : '',
    headers: Object.entries(row.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  });
}

/** The form as posted (checkboxes are `on` when ticked). */
export function formOfBody(b: Record<string, unknown>): SourceForm {
  return {
    kind: text(b.kind) || 'rss',
    name: text(b.name),
    url: text(b.url),
    key: text(b.key),
    weight: text(b.weight),
    timezone: text(b.timezone),
    enabled: text(b.enabled) === 'on' || b.enabled === true,
    allowPrivate: text(b.allowPrivate) === 'on' || b.allowPrivate === true,
    headers: text(b.headers),
    listUrls: text(b.listUrls),
    waitForSelector: text(b.waitForSelector),
    rules: Object.fromEntries([...SELECTOR_RULES, ...INT_RULES].map((k) => [k, text(b[k])])) as SourceForm['rules'],
  };
}

/** `12` → 12; text that is not a number stays text, so that the validator names it. */
const num = (v: string): unknown => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/**
 * What the validator reads: blank fields left out (defaults apply), the rules a kind has (a feed takes
 * only `maxItems` and `budgetSec`), headers from their lines (a line without `:` is a name the validator refuses).
 */
export function definitionInput(f: SourceForm): Record<string, unknown> {
  const def: Record<string, unknown> = { kind: f.kind, name: f.name, url: f.url };
  if (f.key.trim()) def.key = f.key.trim();
  if (f.weight.trim()) def.weight = num(f.weight.trim());
  def.timezone = f.timezone.trim() || null;
  def.enabled = f.enabled;
  def.allowPrivate = f.allowPrivate;
  const headers: Record<string, string> = {};
  for (const line of f.headers.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    if (i < 0) headers[line.trim()] = '';
    else headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  def.headers = headers;
  const rules: Record<string, unknown> = {};
  for (const k of INT_RULES) if (f.rules[k].trim()) rules[k] = num(f.rules[k].trim());
  if (f.kind !== 'rss') {
    delete rules.maxPages;
    if (f.rules.maxPages.trim()) rules.maxPages = num(f.rules.maxPages.trim());
    for (const k of SELECTOR_RULES) if (f.rules[k].trim()) rules[k] = f.rules[k];
    const lists = f.listUrls
      .split(/\r?\n/)
      .map((u) => u.trim())
      .filter(Boolean);
    if (lists.length > 0) rules.listUrls = lists;
    if (f.kind === 'dynamic' && f.waitForSelector.trim()) rules.waitForSelector = f.waitForSelector;
    def.rules = rules;
  } else {
    delete rules.maxPages;
    def.rules = Object.keys(rules).length > 0 ? rules : null;
  }
  return def;
}

/** The form field an issue belongs to (`rules.itemSelector` → `itemSelector`), or null for the whole form. */
export function fieldOfIssue(path: readonly (string | number)[]): string | null {
  const [first, second] = path;
  if (first === 'rules') return typeof second === 'string' ? second : 'itemSelector';
  if (typeof first === 'string') return first;
  return null;
}

/** Which header or which list URL an issue is about: `X Token: `, `#2: `. */
function where(path: readonly (string | number)[]): string {
  if (path[0] === 'headers' && path[1] !== undefined) return `${path[1]}: `;
  if (path[0] === 'rules' && typeof path[2] === 'number') return `#${path[2] + 1}: `;
  return '';
}

/**
 * The refused form's errors in the page's language: the first issue of each field under it, and the issues of
 * no field (or the page's "fix the fields" line) above the form.
 */
export function formErrors(t: Translate, issues: SourceIssue[]): { errors: Record<string, string>; formError: string } {
  const errors: Record<string, string> = {};
  const other: string[] = [];
  for (const i of issues) {
    const f = fieldOfIssue(i.path);
    const said = sayText(t, i, i.message);
    if (f === null) other.push(said);
    else if (!(f in errors)) errors[f] = `${where(i.path)}${said}`;
  }
  return { errors, formError: other.join('; ') || t('sources.fixFields') };
}

/** The form through the shared validator: the definition, or its issues. */
export function checkForm(f: SourceForm): { ok: true; def: SourceDefinition } | { ok: false; issues: SourceIssue[] } {
  const r = checkSourceDefinition(definitionInput(f));
  return r.ok ? { ok: true, def: r.value } : r;
}
