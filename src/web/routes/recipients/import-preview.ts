import { existingEmails } from '../../../db/queries/console-recipients.ts';
import { parseRecipientsCsv, RecipientsCsvError } from '../../../deliver/recipients-csv.ts';
import { importRecipientsCsv } from '../../../deliver/recipients.ts';
import { requireRole } from '../../auth/index.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { ImportPageProps } from '../../views/recipients-import.tsx';
import { acceptMultipart } from './multipart.ts';
import type { MultipartBody } from './multipart.ts';
import { sayText } from '../../i18n/coded.ts';

/**
 * `POST /recipients/import` (multipart, `file`): checks a recipients CSV with the CLI's parser and shows what an
 * import would do — or every bad line with its number, and that nothing will be imported. Changes nothing.
 */
export const recipientsImportPreview: WebRoute = (app, deps) => {
  acceptMultipart(app);
  app.post<{ Body: MultipartBody }>(
    '/recipients/import',
    { config: { auth: 'admin' }, onRequest: requireRole('admin', deps) },
    async (req, reply) => {
      const ctx = pageContext(req, reply);
      const show = (props: Omit<ImportPageProps, 'ctx'>, status = 200) =>
        sendPage(
          reply,
          async (h) => h((await import('../../views/recipients-import.tsx')).ImportPage, { ctx, ...props }),
          status,
        );
      const file = req.body?.file;
      if (typeof file !== 'object' || file.bytes.length === 0)
        return show({ error: ctx.t('recipients.csv.noFile') }, 400);
      try {
        const parsed = parseRecipientsCsv(file.bytes);
        if (parsed.invalid.length > 0) return show({ file: file.name, invalid: parsed.invalid }, 400);
        const report = await importRecipientsCsv(deps.db, file.bytes, { dryRun: true });
        const emails = parsed.recipients.map((r) => r.email);
        const existing = await existingEmails(deps.db, emails);
        const preview = {
          file: file.name,
          encoding: report.encoding,
          creates: emails.filter((e) => !existing.has(e)),
          updates: emails.filter((e) => existing.has(e)),
          duplicates: report.duplicates,
          unsubscribed: report.unsubscribed,
          disabled: report.disabled,
          csv: file.bytes.toString('base64'),
        };
        return show({ preview });
      } catch (err) {
        if (!(err instanceof RecipientsCsvError)) throw err;
        return show({ error: ctx.t('recipients.csv.badFile', { reason: sayText(ctx.t, err, err.message) }) }, 400);
      }
    },
  );
};
