import { pageRecipients } from '../../../db/queries/console-recipients.ts';
import { formatRecipientsCsv } from '../../../deliver/recipients-csv.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { filterOf, listQuery } from './list.ts';

/**
 * `GET /recipients/export.csv`: the recipients of the list's filters as the CSV the import reads (the CLI's
 * `recipients export` format: UTF-8 with BOM, `;` between groups, cells that would be formulas guarded).
 */
export const recipientsExport: WebRoute = (app, deps) => {
  app.get('/recipients/export.csv', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = listQuery.parse(req.query ?? {});
    const filter = filterOf(q);
    const { rows } = await pageRecipients(deps.db, filter, 1, 1_000_000);
    await auditWeb(req, deps, 'recipient.export', null, { rows: rows.length, filter });
    const date = new Date().toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="recipients-${date}.csv"`)
      .header('cache-control', 'no-store')
      .send(formatRecipientsCsv(rows));
  });
};
