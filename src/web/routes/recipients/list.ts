import { z } from 'zod';
import { listGroups, pageRecipients } from '../../../db/queries/console-recipients.ts';
import type { WebRoute } from '../../deps.ts';
import { pageContext, sendPage } from '../../render.ts';
import type { PageContext } from '../../views/layout.tsx';

const PAGE_SIZE = 50;
const flag = z.enum(['0', '1', '']).optional().catch(undefined);
/** The list's query: filters (kept as typed for the form and the pager), the page, and a notice to show. */
export const listQuery = z.object({
  q: z.string().trim().max(200).optional().catch(undefined),
  group: z.string().max(100).optional().catch(undefined),
  enabled: flag,
  unsubscribed: flag,
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  done: z.enum(['created', 'deleted', 'enabled', 'disabled', 'imported', 'resubscribed']).optional().catch(undefined),
  email: z.string().max(320).optional().catch(undefined),
  created: z.coerce.number().int().optional().catch(undefined),
  updated: z.coerce.number().int().optional().catch(undefined),
});
type ListQuery = z.infer<typeof listQuery>;

const bool = (v: string | undefined) => (v === '1' ? true : v === '0' ? false : undefined);

/** The query's filters for the query layer. */
export const filterOf = (q: ListQuery) => ({
  group: q.group || undefined,
  q: q.q || undefined,
  enabled: bool(q.enabled),
  unsubscribed: bool(q.unsubscribed),
});

/** The confirmation of the action that led here (`?done=deleted&email=…`). */
function noticeOf(ctx: PageContext, q: ListQuery): string | null {
  const email = q.email ?? '';
  switch (q.done) {
    case 'created':
      return ctx.t('recipients.created', { email });
    case 'deleted':
      return ctx.t('recipients.deleted', { email });
    case 'enabled':
      return ctx.t('recipients.enabledNotice', { email });
    case 'disabled':
      return ctx.t('recipients.disabledNotice', { email });
    case 'resubscribed':
      return ctx.t('recipients.resubscribed', { email });
    case 'imported':
      return ctx.t('recipients.imported', { created: q.created ?? 0, updated: q.updated ?? 0 });
    default:
      return null;
  }
}

/** `GET /recipients`: the whitelist, filtered (group, enabled, unsubscribed, address or name) and paged. */
export const recipientsList: WebRoute = (app, deps) => {
  app.get('/recipients', { config: { auth: 'viewer' } }, async (req, reply) => {
    const q = listQuery.parse(req.query ?? {});
    const [{ rows, total }, groups] = await Promise.all([
      pageRecipients(deps.db, filterOf(q), q.page, PAGE_SIZE),
      listGroups(deps.db),
    ]);
    const ctx = pageContext(req, reply);
    const query = { q: q.q, group: q.group, enabled: q.enabled, unsubscribed: q.unsubscribed };
    const props = { ctx, rows, total, page: q.page, pageSize: PAGE_SIZE, query, groups, notice: noticeOf(ctx, q) };
    return sendPage(reply, async (h) => h((await import('../../views/recipients.tsx')).RecipientsPage, props));
  });
};
