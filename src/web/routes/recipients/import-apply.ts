import { RecipientsCsvError } from '../../../deliver/recipients-csv.ts';
import { importRecipientsCsv } from '../../../deliver/recipients.ts';
import { requireRole } from '../../auth/index.ts';
import { auditWeb } from '../../auth/sign-in.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import { acceptMultipart, textField } from './multipart.ts';
import type { MultipartBody } from './multipart.ts';
import { sayText } from '../../i18n/coded.ts';

/** A file with bad lines: the import is refused as a whole (the transaction rolls back). */
class RejectedFile extends Error {
  constructor(readonly invalid: { line: number; value: string; reason: string }[]) {
    super(`${invalid.length} bad lines`);
  }
}

/**
 * `POST /recipients/import/apply` (multipart: the previewed file, base64): imports it with the CLI's import in
 * one transaction — all of it, or, if a line is bad, nothing. Never re-subscribes or re-enables anyone.
 */
export const recipientsImportApply: WebRoute = (app, deps) => {
  acceptMultipart(app);
  app.post<{ Body: MultipartBody }>(
    '/recipients/import/apply',
    { config: { auth: 'admin' }, onRequest: requireRole('admin', deps) },
    async (req, reply) => {
      const ctx = pageContext(req, reply);
      const file = textField(req.body, 'name');
      const bytes = Buffer.from(textField(req.body, 'csv'), 'base64');
      const view = async () => (await import('../../views/recipients-import.tsx')).ImportPage;
      try {
        const report = await deps.db.transaction(async (tx) => {
          const r = await importRecipientsCsv(tx, bytes);
          if (r.invalid.length > 0) throw new RejectedFile(r.invalid);
          return r;
        });
        const { created, updated, valid, duplicates, unsubscribed, disabled } = report;
        await auditWeb(req, deps, 'recipient.import', file || null, {
          created,
          updated,
          valid,
          duplicates: duplicates.length,
          unsubscribed_kept: unsubscribed.length,
          disabled_kept: disabled.length,
        });
        return reply.redirect(`/recipients?done=imported&created=${created}&updated=${updated}`, 303);
      } catch (err) {
        if (err instanceof RejectedFile)
          return sendPage(reply, async (h) => h(await view(), { ctx, file, invalid: err.invalid }), 400);
        if (!(err instanceof RecipientsCsvError)) throw err;
        const error = ctx.t('recipients.csv.badFile', { reason: sayText(ctx.t, err, err.message) });
        return sendPage(reply, async (h) => h(await view(), { ctx, error }), 400);
      }
    },
  );
};
