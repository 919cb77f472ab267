/**
 * Sources as code: the files `finrep sources import|export` read and write — YAML or JSON (every field,
 * selector rules included) and OPML (feeds only, the format feed readers exchange). Parsing checks every
 * definition with the shared validator and names each problem by line, column and field.
 */
import { XMLValidator } from 'fast-xml-parser';
import { Parser } from 'htmlparser2';
import { isMap, isSeq, LineCounter, parseDocument, stringify } from 'yaml';
import type { Document } from 'yaml';
import type { TextParam } from '../lib/coded-text.ts';
import { checkSourceDefinition, definitionForExport, formatPath, sourceIssue } from './source-spec.ts';
import type { SourceDefinition, SourceIssue } from './source-spec.ts';
import type { SourceTextCode } from './source-texts.ts';

export type SourcesFormat = 'yaml' | 'json' | 'opml';

/**
 * The fields of a source a file of `format` holds: YAML and JSON every one; OPML a feed's title, kind and URL
 * only — an import keeps an existing source's other fields (its rules, weight, headers …) as they are.
 */
export function fieldsCarried(format: SourcesFormat): readonly (keyof SourceDefinition)[] | undefined {
  return format === 'opml' ? ['name', 'kind', 'url'] : undefined;
}

/** One problem in a sources file: where (line and column when known, and the field) and why. */
export interface SourcesFileIssue extends SourceIssue {
  line: number | null;
  column: number | null;
}

/** A sources file that cannot be imported; nothing of it was applied. `message` has one line per problem. */
export class SourcesFileError extends Error {
  override name = 'SourcesFileError';
  constructor(
    readonly file: string,
    readonly issues: SourcesFileIssue[],
  ) {
    super(issues.map((i) => formatFileIssue(file, i)).join('\n'));
  }
}

/** `sources.yaml:12:7: sources[2].rules.itemSelector: must not be empty`. */
export function formatFileIssue(file: string, i: SourcesFileIssue): string {
  const where = i.line ? `${file}:${i.line}${i.column ? `:${i.column}` : ''}` : file;
  const path = formatPath(i.path);
  return `${where}: ${path ? `${path}: ` : ''}${i.message}`;
}

/** The format a file name implies (`.opml`/`.xml` → opml, `.json` → json, otherwise yaml). */
export function formatOfFile(name: string): SourcesFormat {
  if (/\.(opml|xml)$/i.test(name)) return 'opml';
  if (/\.json$/i.test(name)) return 'json';
  return 'yaml';
}

/**
 * Reads a sources file. YAML and JSON hold `{ version: 1, sources: [...] }` (or just the list); OPML's
 * outlines with an `xmlUrl` become `rss` sources named by their title. Throws {@link SourcesFileError}
 * listing every problem; a file with one bad definition imports nothing.
 *
 * @example
 * const defs = parseSourcesFile(readFileSync('sources.yaml', 'utf8'), 'yaml', 'sources.yaml');
 */
export function parseSourcesFile(text: string, format: SourcesFormat, file = 'input'): SourceDefinition[] {
  return format === 'opml' ? parseOpml(text, file) : parseStructured(text, format, file);
}

/** A problem with the file at `line`:`column`, said by code. */
function fileIssue(
  c: SourceTextCode,
  params: Record<string, TextParam>,
  line: number | null = null,
  column: number | null = null,
  path: (string | number)[] = [],
): SourcesFileIssue {
  return { ...sourceIssue(path, c, params), line, column };
}

function parseStructured(text: string, format: 'yaml' | 'json', file: string): SourceDefinition[] {
  const body = text.replace(/^\uFEFF/, '');
  if (format === 'json') {
    try {
      JSON.parse(body);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /at position (\d+)/.exec(msg);
      const at = lineCol(body, pos ? Number(pos[1]) : jsonErrorOffset(body));
      const why = msg.replace(/ in JSON at position \d+.*$/, '').replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, '');
      throw new SourcesFileError(file, [fileIssue('sources.file.json', { error: why }, at.line, at.column)]);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(body, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SourcesFileError(
      file,
      doc.errors.map((e) =>
        fileIssue(
          format === 'json' ? 'sources.file.json' : 'sources.file.yaml',
          { error: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') },
          e.linePos?.[0].line,
          e.linePos?.[0].col,
        ),
      ),
    );
  }
  const root = doc.contents;
  const prefix: (string | number)[] = isSeq(root) ? [] : ['sources'];
  const list: unknown = isSeq(root)
    ? doc.toJS()
    : isMap(root)
      ? (doc.toJS() as Record<string, unknown>).sources
      : undefined;
  if (!Array.isArray(list)) {
    throw new SourcesFileError(file, [fileIssue('sources.file.list', {}, 1, 1)]);
  }
  if (isMap(root)) {
    const extra = Object.keys(doc.toJS() as object).filter((k) => k !== 'sources' && k !== 'version');
    if (extra.length > 0)
      throw new SourcesFileError(file, [
        {
          ...sourceIssue([], 'sources.file.topLevel', { fields: extra.join(', ') }),
          ...locate(doc, lines, [extra[0]!]),
        },
      ]);
  }
  const issues: SourcesFileIssue[] = [];
  const defs: SourceDefinition[] = [];
  list.forEach((item, i) => {
    const r = checkSourceDefinition(item);
    if (r.ok) defs.push(r.value);
    else
      for (const x of r.issues)
        issues.push({ ...x, path: [...prefix, i, ...x.path], ...locate(doc, lines, [...prefix, i, ...x.path]) });
  });
  issues.push(...duplicateKeys(list, prefix, (p) => locate(doc, lines, p)));
  if (issues.length > 0) throw new SourcesFileError(file, issues);
  return defs;
}

/** Line and column of the deepest node along `path` that exists (a missing field points at its parent). */
function locate(
  doc: Document,
  lines: LineCounter,
  path: (string | number)[],
): { line: number | null; column: number | null } {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as {
      range?: [number, number, number];
    } | null;
    if (node?.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: null, column: null };
}

function duplicateKeys(
  raw: unknown[],
  prefix: (string | number)[],
  where: (path: (string | number)[]) => { line: number | null; column: number | null },
): SourcesFileIssue[] {
  const seen = new Map<string, number>();
  const out: SourcesFileIssue[] = [];
  raw.forEach((d, i) => {
    const key = (d as { key?: unknown } | null)?.key;
    if (typeof key !== 'string') return;
    const first = seen.get(key.trim());
    if (first === undefined) seen.set(key.trim(), i);
    else
      out.push({
        ...sourceIssue([...prefix, i, 'key'], 'sources.file.keyTwice', { key, entry: first, n: first + 1 }),
        ...where([...prefix, i, 'key']),
      });
  });
  return out;
}

/**
 * Where JSON text goes wrong: the longest prefix that is still an unfinished but valid start (V8's messages
 * on Node 20 do not always carry a position).
 */
function jsonErrorOffset(text: string): number {
  const unfinished = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const m = (e as Error).message;
      const pos = /at position (\d+)/.exec(m);
      return /end of JSON input/.test(m) || (pos !== null && Number(pos[1]) >= n);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (unfinished(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** OPML 1/2: every outline with an `xmlUrl`, at any depth (folders are flattened). */
function parseOpml(text: string, file: string): SourceDefinition[] {
  const body = text.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new SourcesFileError(file, [
      fileIssue('sources.file.xml', { error: valid.err.msg }, valid.err.line, valid.err.col),
    ]);
  }
  const outlines: { attrs: Record<string, string>; offset: number }[] = [];
  let sawOpml = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name.toLowerCase() === 'opml') sawOpml = true;
        if (name.toLowerCase() === 'outline') outlines.push({ attrs, offset: parser.startIndex });
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(body);
  if (!sawOpml) throw new SourcesFileError(file, [fileIssue('sources.file.notOpml', {}, 1, 1)]);
  const issues: SourcesFileIssue[] = [];
  const defs: SourceDefinition[] = [];
  outlines.forEach(({ attrs, offset }, i) => {
    const attr = (n: string) => Object.entries(attrs).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1];
    const xmlUrl = attr('xmlUrl')?.trim();
    const type = attr('type')?.toLowerCase();
    const at = lineCol(body, offset);
    if (!xmlUrl) {
      if (type === 'rss' || type === 'atom')
        issues.push(fileIssue('sources.file.noXmlUrl', { type }, at.line, at.column, ['outline', i]));
      return;
    }
    const name = (attr('title') || attr('text') || xmlUrl).trim();
    const r = checkSourceDefinition({ kind: 'rss', name, url: xmlUrl });
    if (r.ok) defs.push(r.value);
    else
      for (const x of r.issues)
        issues.push({
          ...x,
          path: ['outline', i, x.path[0] === 'url' ? 'xmlUrl' : (x.path[0] ?? '')],
          line: at.line,
          column: at.column,
        });
  });
  if (issues.length > 0) throw new SourcesFileError(file, issues);
  return defs;
}

/** A stored source as a definition with its key (null for a source created without one). */
export type KeyedDefinition = Omit<SourceDefinition, 'key'> & { key: string | null };

/**
 * Writes sources as a file `finrep sources import` reads back to the same sources. OPML holds feeds only:
 * `skipped` lists the others.
 */
export function formatSourcesFile(defs: KeyedDefinition[], format: SourcesFormat): { text: string; skipped: string[] } {
  if (format === 'opml') {
    const feeds = defs.filter((d) => d.kind === 'rss');
    const lines = feeds.map(
      (d) =>
        `    <outline type="rss" text="${xmlAttr(d.name)}" title="${xmlAttr(d.name)}" xmlUrl="${xmlAttr(d.url)}"/>`,
    );
    const text = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<opml version="2.0">',
      '  <head><title>finrep sources</title></head>',
      '  <body>',
      ...lines,
      '  </body>',
      '</opml>',
      '',
    ].join('\n');
    return { text, skipped: defs.filter((d) => d.kind !== 'rss').map((d) => d.key ?? d.name) };
  }
  const doc = { version: 1, sources: defs.map(definitionForExport) };
  if (format === 'json') return { text: `${JSON.stringify(doc, null, 2)}\n`, skipped: [] };
  const head = '# finrep sources — apply with `finrep sources import FILE` (entries match existing sources by key)\n';
  return { text: head + stringify(doc, { lineWidth: 0 }), skipped: [] };
}

const xmlAttr = (s: string) =>
  s.replace(
    /[&<>"'\r\n\t]/g,
    (c) =>
      ({
        '&': '&amp;',
        '<': '&lt;',
        '>': '&gt;',
        '"': '&quot;',
        "'": '&apos;',
        '\r': '&#13;',
        '\n': '&#10;',
        '\t': '&#9;',
      })[c]!,
  );
