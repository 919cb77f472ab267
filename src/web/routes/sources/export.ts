import { formatSourcesFile } from '../../../collect/source-files.ts';
import { definitionOfRow } from '../../../collect/source-row.ts';
import { sourcesQ } from '../../../db/queries/index.ts';
import type { WebRoute } from '../../deps.ts';

const TYPES = { yaml: 'application/yaml', json: 'application/json', opml: 'text/x-opml' } as const;

/**
 * `GET /sources/export?format=yaml|json|opml`: every source as the file `finrep sources import` (and the import
 * page) reads back to the same sources; OPML holds the feeds only (`x-finrep-skipped` counts the others).
 * Admins only: request headers (which may carry credentials) are part of a definition.
 */
export const sourcesExport: WebRoute = (app, deps) => {
  app.get('/sources/export', { config: { auth: 'admin' } }, async (req, reply) => {
    const asked = (req.query as { format?: string } | undefined)?.format;
    const format = asked === 'json' || asked === 'opml' ? asked : 'yaml';
    const rows = await sourcesQ.listSources(deps.db);
    const { text, skipped } = formatSourcesFile(rows.map(definitionOfRow), format);
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type(`${TYPES[format]}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="finrep-sources-${day}.${format}"`)
      .header('cache-control', 'no-store')
      .header('x-finrep-skipped', String(skipped.length))
      .send(text);
  });
};
