import { z } from 'zod';
import { deliveriesQ, editionsQ } from '../../db/queries/index.ts';
import type { WebRoute } from '../deps.ts';
import { apiScope, ERROR_REPLY, jsonSchema, notFound, parseOr400 } from './api-common.ts';

const dateParams = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected YYYY-MM-DD' }) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(60) });
const OBJ = { type: 'object', additionalProperties: true };

/** `/api/v1/reports` (editions, newest first), `/api/v1/reports/:date` (one, with its stories), `/api/v1/deliveries`. */
export const apiReports: WebRoute = (app, deps) => {
  apiScope(app);

  app.get(
    '/api/v1/reports',
    {
      schema: {
        tags: ['reports'],
        summary: 'editions, newest first',
        querystring: jsonSchema(listQuery),
        response: { 200: { type: 'array', items: OBJ } },
      },
    },
    async (req, reply) => {
      const q = parseOr400(reply, listQuery, req.query);
      if (!q) return reply;
      return (await editionsQ.listEditions(deps.db, q.limit)).map((e) => ({
        date: e.date,
        status: e.status,
        subject: e.subject,
        items: e.itemCount,
        window: { from: e.windowFrom, to: e.windowTo },
        composed_at: e.composedAt,
        delivered_at: e.deliveredAt,
        web_view: `/reports/${e.date}`,
      }));
    },
  );

  app.get(
    '/api/v1/reports/:date',
    {
      schema: {
        tags: ['reports'],
        summary: 'one edition: summary, stories with their score breakdown, delivery counts',
        params: jsonSchema(dateParams),
        response: { 200: OBJ, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, dateParams, req.params);
      if (!p) return reply;
      const e = await editionsQ.findEditionByDate(deps.db, p.date);
      if (!e) return notFound(reply, `edition ${p.date}`);
      const model = e.model as { top?: unknown[]; sections?: unknown[]; mood?: unknown; counts?: unknown } | null;
      return {
        date: e.date,
        status: e.status,
        subject: e.subject,
        items: e.itemCount,
        window: { from: e.windowFrom, to: e.windowTo },
        composed_at: e.composedAt,
        delivered_at: e.deliveredAt,
        summary: e.summary,
        counts: model?.counts ?? null,
        mood: model?.mood ?? null,
        top: model?.top ?? [],
        sections: model?.sections ?? [],
        deliveries: await deliveriesQ.deliveryCounts(deps.db, e.id),
        web_view: `/reports/${e.date}`,
      };
    },
  );

  const deliveriesQuery = z.object({
    edition: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected YYYY-MM-DD' }),
  });
  app.get(
    '/api/v1/deliveries',
    {
      schema: {
        tags: ['deliveries'],
        summary: "an edition's delivery log, one row per recipient",
        querystring: jsonSchema(deliveriesQuery),
        response: { 200: { type: 'array', items: OBJ }, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const q = parseOr400(reply, deliveriesQuery, req.query);
      if (!q) return reply;
      const e = await editionsQ.findEditionByDate(deps.db, q.edition);
      if (!e) return notFound(reply, `edition ${q.edition}`);
      return (await deliveriesQ.listDeliveries(deps.db, e.id)).map((d) => ({
        id: d.id,
        recipient_id: d.recipientId,
        email: d.email,
        status: d.status,
        attempts: d.attempts,
        transport: d.transport,
        message_id: d.messageId,
        reply_code: d.replyCode,
        last_reply: d.lastReply,
        error: d.error,
        queued_at: d.queuedAt,
        sent_at: d.sentAt,
        next_attempt_at: d.nextAttemptAt,
        resends: d.resends,
      }));
    },
  );
};
