import type { WebRoute } from '../../deps.ts';
import { draftModel } from '../../report-mail.ts';
import { editionOr404 } from './edition.ts';

/**
 * `GET /reports/:date/review/preview`: the draft's email HTML exactly as rendered for recipients (edits
 * applied, no greeting or unsubscribe link). Shown in a `sandbox=""` frame and served under a CSP that allows
 * no script, no form, no frame and nothing from elsewhere, so hostile text in a story cannot act even if it
 * escaped the templates' escaping.
 */
export const reportsReviewPreview: WebRoute = (app, deps) => {
  app.get('/reports/:date/review/preview', { config: { auth: 'viewer' } }, async (req, reply) => {
    const e = await editionOr404(deps, req, reply, { composed: true });
    if (!e) return reply;
    const { renderEmailHtml } = await import('../../../report/index.ts');
    const html = await renderEmailHtml(await draftModel(e), { recipientName: null, unsubscribeUrl: null });
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'private, no-store')
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox",
      )
      .header('x-frame-options', 'SAMEORIGIN')
      .send(html);
  });
};
