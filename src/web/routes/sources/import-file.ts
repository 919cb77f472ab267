/** What the import check and the import apply share: the posted file, read by the CLI's file reader and validator. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fieldsCarried, parseSourcesFile, SourcesFileError } from '../../../collect/source-files.ts';
import type { SourcesFormat } from '../../../collect/source-files.ts';
import { derivedKey } from '../../../collect/source-spec.ts';
import type { SourceDefinition } from '../../../collect/source-spec.ts';
import { sourcesQ } from '../../../db/queries/index.ts';
import type { Db } from '../../../db/client.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PlannedSource } from '../../views/sources-import.tsx';

/** A pasted or uploaded sources file may be larger than an ordinary form (1,000 sources in YAML: ~200 KB). */
export const IMPORT_BODY_LIMIT = 4 * 1024 * 1024;

/** The posted file's format and text. */
export function postedFile(req: FastifyRequest): { format: SourcesFormat; text: string } {
  const b = (req.body ?? {}) as { format?: unknown; text?: unknown };
  const format = b.format === 'json' || b.format === 'opml' ? b.format : 'yaml';
  return { format, text: typeof b.text === 'string' ? b.text : '' };
}

const FILE = { yaml: 'sources.yaml', json: 'sources.json', opml: 'sources.opml' } as const;

/**
 * The file's definitions, or the import page with every problem (line, entry, field) sent with 400 —
 * nothing is written then.
 */
export async function definitionsOr400(
  req: FastifyRequest,
  reply: FastifyReply,
  f: { format: SourcesFormat; text: string },
): Promise<SourceDefinition[] | null> {
  const ctx = pageContext(req, reply);
  const file = FILE[f.format];
  try {
    if (!f.text.trim())
      throw new SourcesFileError(file, [{ path: [], message: ctx.t('sources.importEmpty'), line: null, column: null }]);
    return parseSourcesFile(f.text, f.format, file);
  } catch (e) {
    if (!(e instanceof SourcesFileError)) throw e;
    await sendPage(
      reply,
      async (h) =>
        h((await import('../../views/sources-import.tsx')).SourcesImportPage, {
          ctx,
          format: f.format,
          text: f.text,
          issues: e.issues,
          file,
        }),
      400,
    );
    return null;
  }
}

/**
 * Saves the definitions (matched by key, else kind and URL) — or, with `dryRun`, says what saving would do.
 * An existing source keeps what a file of `format` does not carry (an OPML file: all but title and URL).
 */
export async function saveDefinitions(
  db: Db,
  defs: SourceDefinition[],
  format: SourcesFormat,
  dryRun: boolean,
): Promise<PlannedSource[]> {
  const saved = await sourcesQ.saveSourceDefinitions(
    db,
    defs.map((d) => ({ ...d, fallbackKey: derivedKey(d.kind, d.url) })),
    { dryRun, carries: fieldsCarried(format) },
  );
  return saved.map((s, i) => ({
    key: s.key,
    name: defs[i]!.name,
    kind: defs[i]!.kind,
    url: defs[i]!.url,
    outcome: s.outcome,
    changed: s.changed,
    kept: s.kept,
  }));
}
