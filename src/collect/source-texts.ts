/**
 * What the source validator (`source-spec.ts`) and the sources-file reader (`source-files.ts`) say when they
 * refuse a field or a file, in English, by code; the console says the same in the page's language
 * (`web/i18n/areas/texts.ts`). A refusal follows the field's name (`url: must be an absolute http(s) URL`).
 * `{why}` and `{error}` quote a parser's own words (cheerio, YAML, JSON, XML): third-party English.
 */
import { textsOf } from '../lib/coded-text.ts';

export const SOURCE_TEXTS = {
  'source.required': 'is required',
  'source.text': 'must be text',
  'source.empty': 'must not be empty',
  'source.tooLong': 'must be at most {max} characters',
  'source.number': 'must be a number',
  'source.integer': 'must be a whole number',
  'source.min': 'must be at least {min}',
  'source.max': 'must be at most {max}',
  'source.boolean': 'must be true or false',
  'source.object': 'must be an object',
  'source.list': 'must be a list',
  'source.list.tooFew': 'must list at least {min}',
  'source.list.tooMany': 'must list at most {max}',
  'source.field.unknown': 'unknown field',
  'source.definition': 'a source definition must be an object',
  'source.kind.invalid': 'must be one of {kinds}',
  'source.url.type': 'must be a URL (text)',
  'source.url.invalid': 'must be an absolute http(s) URL',
  'source.selector.type': 'must be a CSS selector (text)',
  'source.selector.invalid': 'not a CSS selector cheerio can read ({why})',
  'source.key.invalid': 'letters, digits and . _ : - only (at most 80), starting with a letter or digit',
  'source.weight.range': 'must be between 0 and 10',
  'source.timezone.invalid': 'is not an IANA time zone (e.g. Asia/Shanghai)',
  'source.header.name': 'is not an HTTP header name',
  'source.header.line': 'must be one line',
  'source.rules.required': 'are required for {kind} sources (at least itemSelector)',
  'source.rules.type': 'must be an object of rules',
  'source.invalid': '{error}',
  'sources.file.json': 'not valid JSON: {error}',
  'sources.file.yaml': 'not valid YAML: {error}',
  'sources.file.xml': 'not valid XML: {error}',
  'sources.file.list': 'expected a list of sources, or an object with a `sources` list',
  'sources.file.topLevel': 'unknown top-level field(s) {fields}',
  'sources.file.keyTwice': '"{key}" is also the key of entry {entry}',
  'sources.file.notOpml': 'not an OPML file (no <opml> element)',
  'sources.file.noXmlUrl': 'type="{type}" but no xmlUrl',
} as const;

export type SourceTextCode = keyof typeof SOURCE_TEXTS;

/** A refusal's sentence: `sourceText('source.min', { min: 1 })`. */
export const sourceText = textsOf(SOURCE_TEXTS);

/** Whether `s` is one of the codes (the validator's schema names its refusals by code). */
export function isSourceTextCode(s: string): s is SourceTextCode {
  return Object.hasOwn(SOURCE_TEXTS, s);
}
