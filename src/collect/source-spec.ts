/**
 * The one validator of source definitions — the shape an operator writes (CLI flags, a YAML/JSON/OPML file,
 * an API body, later the admin's form) before it becomes a `sources` row. Everything that creates or edits a
 * source parses through {@link parseSourceDefinition}, so a selector that cheerio cannot read, a `file:` URL
 * or a typo in a rule name is refused in the same words everywhere.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { SourceKind, WebRules } from '../domain.ts';

export const SOURCE_KINDS = ['rss', 'web', 'dynamic'] as const satisfies readonly SourceKind[];

const KEY = /^[a-z0-9][a-z0-9._:-]{0,79}$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
let probe: ((selector: string) => unknown) | undefined;

/** cheerio's selector engine, loaded with the first selector checked (importing cheerio costs ~0.3 s of CPU). */
function selectorProbe(): (selector: string) => unknown {
  probe ??= (createRequire(import.meta.url)('cheerio/slim') as typeof import('cheerio/slim')).load('<p></p>');
  return probe;
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

/** Why cheerio refuses a selector, or null when it reads it. */
function selectorError(v: string): string | null {
  try {
    selectorProbe()(v);
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'invalid';
  }
}

const httpUrl = z
  .string({
    error: (iss) =>
      iss.code !== 'invalid_type' ? undefined : iss.input === undefined ? 'is required' : 'must be a URL (text)',
  })
  .trim()
  .refine(isHttpUrl, { error: 'must be an absolute http(s) URL' });

const selector = z
  .string({
    error: (iss) =>
      iss.code !== 'invalid_type'
        ? undefined
        : iss.input === undefined
          ? 'is required'
          : 'must be a CSS selector (text)',
  })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(500)
  .superRefine((v, ctx) => {
    const why = selectorError(v);
    if (why) ctx.addIssue({ code: 'custom', message: `not a CSS selector cheerio can read (${why})` });
  });

const int = (min: number, max: number) =>
  z
    .number({ error: (iss) => (iss.code === 'invalid_type' ? 'must be a number' : undefined) })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** Limits every kind may set. */
const limits = {
  /** Article pages per run (web, dynamic) or items kept per fetch (feeds). */
  maxItems: int(1, 5000).optional(),
  /** Seconds the whole source may take. */
  budgetSec: int(1, 3600).optional(),
};

const feedRules = z.strictObject(limits);

const rulesError = (kind: string) => ({
  error: (iss: { input: unknown }) =>
    iss.input === undefined || iss.input === null
      ? `are required for ${kind} sources (at least itemSelector)`
      : 'must be an object of rules',
});

const webRuleFields = {
  listUrls: z.array(httpUrl).min(1).max(20).optional(),
  itemSelector: selector,
  titleSelector: selector.optional(),
  dateSelector: selector.optional(),
  authorSelector: selector.optional(),
  contentSelector: selector.optional(),
  maxPages: int(1, 50).optional(),
  nextPageSelector: selector.optional(),
  ...limits,
};

const common = {
  /** Stable identifier (imports match on it); derived from the URL when absent. */
  key: z
    .string()
    .trim()
    .regex(KEY, { error: 'letters, digits and . _ : - only (at most 80), starting with a letter or digit' })
    .optional(),
  name: z
    .string({
      error: (iss) =>
        iss.code !== 'invalid_type' ? undefined : iss.input === undefined ? 'is required' : 'must be text',
    })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200),
  url: httpUrl,
  enabled: z.boolean().default(true),
  /** Ranking weight. */
  weight: z
    .number({ error: (iss) => (iss.code === 'invalid_type' ? 'must be a number' : undefined) })
    .min(0, { error: 'must be between 0 and 10' })
    .max(10, { error: 'must be between 0 and 10' })
    .default(1),
  /** IANA zone for dates printed without one; null → config `TZ`. */
  timezone: z
    .string()
    .trim()
    .refine(isTimeZone, { error: 'is not an IANA time zone (e.g. Asia/Shanghai)' })
    .nullable()
    .default(null),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: 'is not an HTTP header name' }),
      z
        .string()
        .max(2000)
        .regex(/^[^\r\n]*$/, { error: 'must be one line' }),
    )
    .default({}),
  /** Allow private and loopback addresses (local test servers); refused by default (SSRF guard). */
  allowPrivate: z.boolean().default(false),
};

/** A source definition: what an operator writes, before it is stored. */
export const sourceDefinitionSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('rss'), ...common, rules: feedRules.nullable().default(null) }),
    z.strictObject({ kind: z.literal('web'), ...common, rules: z.strictObject(webRuleFields, rulesError('web')) }),
    z.strictObject({
      kind: z.literal('dynamic'),
      ...common,
      rules: z.strictObject({ ...webRuleFields, waitForSelector: selector.optional() }, rulesError('dynamic')),
    }),
  ],
  {
    error: (iss) =>
      typeof iss.input === 'object' && iss.input !== null && !Array.isArray(iss.input)
        ? `must be one of ${SOURCE_KINDS.join(', ')}`
        : 'a source definition must be an object',
  },
);

/** A valid definition, defaults applied. */
export interface SourceDefinition {
  key?: string;
  name: string;
  kind: SourceKind;
  url: string;
  enabled: boolean;
  weight: number;
  timezone: string | null;
  headers: Record<string, string>;
  allowPrivate: boolean;
  rules: WebRules | null;
}

/** One thing wrong with a definition: where (`rules.itemSelector`, or `sources[2].url` in a file) and why. */
export interface SourceIssue {
  path: (string | number)[];
  message: string;
}

/** Refused source definitions; `issues` says where and why, `message` lists them one per line. */
export class SourceSpecError extends Error {
  override name = 'SourceSpecError';
  constructor(
    readonly issues: SourceIssue[],
    message = issues.map(formatIssue).join('\n'),
  ) {
    super(message);
  }
}

/** `rules.itemSelector: must not be empty`, or `sources[2].url: …`. */
export function formatIssue(i: SourceIssue): string {
  return `${formatPath(i.path) || '(definition)'}: ${i.message}`;
}

/** `sources[2].rules.itemSelector` from `['sources', 2, 'rules', 'itemSelector']`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function toIssues(err: z.ZodError): SourceIssue[] {
  return err.issues.flatMap((i) => {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...path, k], message: 'unknown field' }));
    if (i.code === 'invalid_key') return { path, message: 'is not an HTTP header name' };
    // zod's default for a missing field reads "expected string, received undefined"
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return { path, message: 'is required' };
    return { path, message: i.message.replace(/^Invalid input: /, '') };
  });
}

/**
 * Validates one definition; returns it with defaults applied or throws a {@link SourceSpecError} naming
 * every field that is wrong.
 *
 * @example
 * parseSourceDefinition({ kind: 'web', name: '政策观察', url: 'https://example.com/news/',
 *   rules: { itemSelector: 'ul.news a' } }); // { …, weight: 1, enabled: true, timezone: null, … }
 */
export function parseSourceDefinition(input: unknown): SourceDefinition {
  const r = sourceDefinitionSchema.safeParse(input);
  if (!r.success) throw new SourceSpecError(toIssues(r.error));
  const def = r.data as SourceDefinition;
  return def.key === undefined ? (({ key: _k, ...rest }) => rest)(def) : def;
}

/** Like {@link parseSourceDefinition}, returning the issues instead of throwing. */
export function checkSourceDefinition(
  input: unknown,
): { ok: true; value: SourceDefinition } | { ok: false; issues: SourceIssue[] } {
  try {
    return { ok: true, value: parseSourceDefinition(input) };
  } catch (e) {
    if (e instanceof SourceSpecError) return { ok: false, issues: e.issues };
    throw e;
  }
}

/**
 * The key a definition without one gets: host and a hash of the URL, so that importing the same feed list
 * twice finds the same sources. @example derivedKey('rss', 'https://www.example.com/feed.xml') // 'rss:www.example.com:1b2c3d4e'
 */
export function derivedKey(kind: SourceKind, url: string): string {
  const host = new URL(url).hostname.toLowerCase().slice(0, 50);
  return `${kind}:${host}:${createHash('sha256').update(url).digest('hex').slice(0, 8)}`;
}

/** The definition as a plain object for export: defaults left out, key kept, fields in a reading order. */
export function definitionForExport(
  def: Omit<SourceDefinition, 'key'> & { key?: string | null },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (def.key) out.key = def.key;
  out.name = def.name;
  out.kind = def.kind;
  out.url = def.url;
  if (!def.enabled) out.enabled = false;
  if (def.weight !== 1) out.weight = def.weight;
  if (def.timezone) out.timezone = def.timezone;
  if (Object.keys(def.headers).length > 0) out.headers = def.headers;
  if (def.allowPrivate) out.allowPrivate = true;
  if (def.rules && Object.keys(def.rules).length > 0) {
    // stored as jsonb (keys sorted by length): written back in the order one reads them
    const rules = def.rules as unknown as Record<string, unknown>;
    const order = Object.keys(webRuleFields).concat('waitForSelector');
    out.rules = Object.fromEntries(
      Object.keys(rules)
        .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
        .map((k) => [k, rules[k]]),
    );
  }
  return out;
}
