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
import type { TextParam } from '../lib/coded-text.ts';
import { isSourceTextCode, sourceText } from './source-texts.ts';
import type { SourceTextCode } from './source-texts.ts';

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

// The schema names each refusal by its code (`source-texts.ts`); toIssues() makes the sentence, with the
// values (a limit, cheerio's reason) the zod issue carries. A refusal without a code is said by its zod kind.
const code = (c: SourceTextCode) => c;

const httpUrl = z
  .string({
    error: (iss) =>
      iss.code !== 'invalid_type'
        ? undefined
        : iss.input === undefined
          ? code('source.required')
          : code('source.url.type'),
  })
  .trim()
  .refine(isHttpUrl, { error: code('source.url.invalid') });

const selector = z
  .string({
    error: (iss) =>
      iss.code !== 'invalid_type'
        ? undefined
        : iss.input === undefined
          ? code('source.required')
          : code('source.selector.type'),
  })
  .trim()
  .min(1, { error: code('source.empty') })
  .max(500)
  .superRefine((v, ctx) => {
    const why = selectorError(v);
    if (why) ctx.addIssue({ code: 'custom', message: code('source.selector.invalid'), params: { why } });
  });

const int = (min: number, max: number) =>
  z
    .number({ error: (iss) => (iss.code === 'invalid_type' ? code('source.number') : undefined) })
    .int({ error: code('source.integer') })
    .min(min, { error: code('source.min') })
    .max(max, { error: code('source.max') });

/** Limits every kind may set. */
const limits = {
  /** Article pages per run (web, dynamic) or items kept per fetch (feeds). */
  maxItems: int(1, 5000).optional(),
  /** Seconds the whole source may take. */
  budgetSec: int(1, 3600).optional(),
};

const feedRules = z.strictObject(limits);

const rulesError = {
  error: (iss: { input: unknown }) =>
    iss.input === undefined || iss.input === null ? code('source.rules.required') : code('source.rules.type'),
};

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
    .regex(KEY, { error: code('source.key.invalid') })
    .optional(),
  name: z
    .string({
      error: (iss) =>
        iss.code !== 'invalid_type'
          ? undefined
          : iss.input === undefined
            ? code('source.required')
            : code('source.text'),
    })
    .trim()
    .min(1, { error: code('source.empty') })
    .max(200),
  url: httpUrl,
  enabled: z.boolean().default(true),
  /** Ranking weight. */
  weight: z
    .number({ error: (iss) => (iss.code === 'invalid_type' ? code('source.number') : undefined) })
    .min(0, { error: code('source.weight.range') })
    .max(10, { error: code('source.weight.range') })
    .default(1),
  /** IANA zone for dates printed without one; null → config `TZ`. */
  timezone: z
    .string()
    .trim()
    .refine(isTimeZone, { error: code('source.timezone.invalid') })
    .nullable()
    .default(null),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: code('source.header.name') }),
      z
        .string()
        .max(2000)
        .regex(/^[^\r\n]*$/, { error: code('source.header.line') }),
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
    z.strictObject({ kind: z.literal('web'), ...common, rules: z.strictObject(webRuleFields, rulesError) }),
    z.strictObject({
      kind: z.literal('dynamic'),
      ...common,
      rules: z.strictObject({ ...webRuleFields, waitForSelector: selector.optional() }, rulesError),
    }),
  ],
  {
    error: (iss) =>
      typeof iss.input === 'object' && iss.input !== null && !Array.isArray(iss.input)
        ? code('source.kind.invalid')
        : code('source.definition'),
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

/**
 * One thing wrong with a definition: where (`rules.itemSelector`, or `sources[2].url` in a file) and why —
 * in English (`message`) and by `code` and `params` (`source-texts.ts`), which the console says in its language.
 */
export interface SourceIssue {
  path: (string | number)[];
  message: string;
  code?: string;
  params?: Record<string, TextParam>;
}

/** An issue at `path`, said by code. */
export function sourceIssue(
  path: (string | number)[],
  c: SourceTextCode,
  params: Record<string, TextParam> = {},
): SourceIssue {
  const t = sourceText(c, params);
  return { path, message: t.text, code: t.code, params: t.params };
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

/** The value at `path` in `input` (undefined when a step is missing). */
function at(input: unknown, path: readonly (string | number)[]): unknown {
  let v = input;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** The code of a zod issue the schema did not name: by its kind (a missing field, a limit, a type). */
function codeOfZod(i: z.core.$ZodIssue, input: unknown, path: (string | number)[]): SourceTextCode {
  const origin = (i as { origin?: string }).origin;
  switch (i.code) {
    case 'invalid_type': {
      if (at(input, path) === undefined) return 'source.required';
      const expected: Record<string, SourceTextCode> = {
        string: 'source.text',
        number: 'source.number',
        boolean: 'source.boolean',
        array: 'source.list',
        object: 'source.object',
        record: 'source.object',
      };
      return expected[i.expected] ?? 'source.invalid';
    }
    case 'too_small':
      return origin === 'array' ? 'source.list.tooFew' : origin === 'string' ? 'source.empty' : 'source.min';
    case 'too_big':
      return origin === 'array' ? 'source.list.tooMany' : origin === 'string' ? 'source.tooLong' : 'source.max';
    default:
      return 'source.invalid';
  }
}

function toIssues(err: z.ZodError, input: unknown): SourceIssue[] {
  const kind = at(input, ['kind']);
  return err.issues.flatMap((i) => {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => sourceIssue([...path, k], 'source.field.unknown'));
    if (i.code === 'invalid_key') return sourceIssue(path, 'source.header.name');
    const c = isSourceTextCode(i.message) ? i.message : codeOfZod(i, input, path);
    const params: Record<string, TextParam> = {};
    const limit = i as { minimum?: unknown; maximum?: unknown; params?: { why?: unknown } };
    if (limit.minimum !== undefined) params.min = Number(limit.minimum);
    if (limit.maximum !== undefined) params.max = Number(limit.maximum);
    if (c === 'source.selector.invalid') params.why = String(limit.params?.why ?? '');
    if (c === 'source.rules.required') params.kind = String(kind);
    if (c === 'source.kind.invalid') params.kinds = SOURCE_KINDS.join(', ');
    if (c === 'source.invalid') params.error = i.message.replace(/^Invalid input: /, '');
    return sourceIssue(path, c, params);
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
  if (!r.success) throw new SourceSpecError(toIssues(r.error, input));
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
