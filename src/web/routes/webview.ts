import { readFile } from 'node:fs/promises';
import { editionsQ, recipientsQ } from '../../db/queries/index.ts';
import { verifyWebView } from '../../deliver/links.ts';
import type { WebRoute } from '../deps.ts';
import { pageContext, sendPage } from '../render.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const views = () => import('../views/mail-links.tsx');

/**
 * `GET /reports/:date`: an edition's web view. Signed-in users (and API tokens) reach every edition; a mail's
 * 在线查看 link (`?t=…`, signed for one recipient and one edition, expiring) opens that edition without an
 * account. Without either: the sign-in page. The page is the stored standalone report under its own strict
 * CSP (no script, no external resource, no form) and sends no referrer, so the token never leaks to a site
 * the report links to.
 */
export const webview: WebRoute = (app, deps) => {
  app.get<{ Params: { date: string }; Querystring: { t?: string } }>(
    '/reports/:date',
    { config: { auth: 'public' } },
    async (req, reply) => {
      const { date } = req.params;
      const token = typeof req.query.t === 'string' ? req.query.t : null;
      reply.header('cache-control', 'private, no-store').header('referrer-policy', 'no-referrer');
      reply.header('x-robots-tag', 'noindex');
      const refuse = (reason: 'viewInvalid' | 'viewExpired', status: number) => {
        const ctx = pageContext(req, reply);
        const next = `/reports/${date}`;
        return sendPage(reply, async (h) => h((await views()).MailLinkRefusedPage, { ctx, reason, next }), status);
      };

      let recipientId: number | null = null;
      if (!req.principal) {
        if (!token) return reply.redirect(`/login?next=${encodeURIComponent(`/reports/${date}`)}`, 302);
        const v = verifyWebView(token, deps.secret);
        if (v.status === 'expired') return refuse('viewExpired', 410);
        if (v.status !== 'ok' || v.grant.edition !== date) return refuse('viewInvalid', 403);
        recipientId = v.grant.recipientId;
      }
      const edition = DATE.test(date) ? await editionsQ.findEditionByDate(deps.db, date) : null;
      if (!edition?.model) return reply.callNotFound();
      if (recipientId !== null && !(await recipientsQ.wasAddressedEdition(deps.db, edition.id, recipientId)))
        return refuse('viewInvalid', 403);
      if (recipientId !== null) req.log.info({ edition: date, recipient_id: recipientId }, 'web view opened by link');

      const { WEB_VIEW_CSP } = await import('../../report/index.ts');
      reply.header('content-security-policy', WEB_VIEW_CSP);
      return reply.type('text/html; charset=utf-8').send(await webViewHtml(edition.webviewPath, edition.model));
    },
  );
};

/** The web view written with the edition (charts included), or rendered from the stored model. */
async function webViewHtml(htmlPath: string | null, model: Record<string, unknown>): Promise<string> {
  if (htmlPath) {
    try {
      return await readFile(htmlPath, 'utf8');
    } catch {
      // another machine composed it, or the files were cleaned up: the stored model renders the same page
    }
  }
  const [{ renderWebView }, { loadReportModel }] = await Promise.all([
    import('../../report/index.ts'),
    import('../../report/stored-model.ts'),
  ]);
  return renderWebView(loadReportModel(model));
}
