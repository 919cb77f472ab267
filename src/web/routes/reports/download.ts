import { XLSX_CONTENT_TYPE } from '../../../deliver/message.ts';
import type { WebRoute } from '../../deps.ts';
import { editionEml, editionXlsx } from '../../report-mail.ts';
import { editionOr404 } from './edition.ts';

/** `filename*=` for a Chinese file name (RFC 6266), with an ASCII fallback. */
const disposition = (ascii: string, name: string) =>
  `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/**
 * `GET /reports/:date/xlsx` (the edition's workbook) and `GET /reports/:date/eml` (its email as an RFC 822
 * message, the generic copy addressed to whoever downloads it: open it in any mail client).
 */
export const reportsDownload: WebRoute = (app, deps) => {
  app.get('/reports/:date/xlsx', { config: { auth: 'viewer' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    return reply
      .type(XLSX_CONTENT_TYPE)
      .header('cache-control', 'private, no-store')
      .header('content-disposition', disposition(`finrep-${e.date}.xlsx`, `金融情报日报-${e.date}.xlsx`))
      .send(await editionXlsx(e));
  });

  app.get('/reports/:date/eml', { config: { auth: 'viewer' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const p = req.principal;
    const to = p?.kind === 'session' && p.user.email ? p.user.email : 'recipient@example.invalid';
    return reply
      .type('message/rfc822')
      .header('cache-control', 'private, no-store')
      .header('content-disposition', disposition(`finrep-${e.date}.eml`, `金融情报日报-${e.date}.eml`))
      .send(await editionEml(deps, e, to));
  });
};
