import { z } from 'zod';
import { recipientsQ } from '../../db/queries/index.ts';
import type { RecipientRow } from '../../db/queries/recipients.ts';
import { checkAddress } from '../../deliver/recipients-csv.ts';
import { auditWeb } from '../auth/sign-in.ts';
import type { WebRoute } from '../deps.ts';
import { apiScope, ERROR_REPLY, idParams, jsonSchema, notFound, parseOr400 } from './api-common.ts';

const recipientJson = (r: RecipientRow) => ({
  id: r.id,
  email: r.email,
  name: r.name,
  groups: r.groups,
  enabled: r.enabled,
  unsubscribed: r.unsubscribedAt !== null,
  unsubscribed_at: r.unsubscribedAt,
  created_at: r.createdAt,
});

/** The address check of `finrep recipients import`, as a zod field. */
const email = z.string().transform((v, ctx) => {
  const r = checkAddress(v);
  if ('email' in r) return r.email;
  ctx.addIssue({ code: 'custom', message: r.reason });
  return z.NEVER;
});
const groups = z.array(z.string().trim().min(1).max(100)).max(50);
const name = z.string().trim().max(200).nullable();
/** A new recipient, as the API and the console's form take it (one validator for both). */
export const createBody = z.strictObject({ email, name: name.optional(), groups: groups.optional() });
/** A change of a recipient, as the API and the console's form take it. */
export const patchBody = z.strictObject({
  name: name.optional(),
  groups: groups.optional(),
  enabled: z.boolean().optional(),
});
const listQuery = z.object({ group: z.string().optional() });

const RECIPIENT = { type: 'object', additionalProperties: true };
const tags = ['recipients'];

/** `/api/v1/recipients`: list, add (merged like an import: never re-subscribes), change name/groups/enabled. */
export const apiRecipients: WebRoute = (app, deps) => {
  apiScope(app);

  app.get(
    '/api/v1/recipients',
    {
      schema: {
        tags,
        summary: 'recipients, optionally of groups (comma-separated)',
        querystring: jsonSchema(listQuery),
        response: { 200: { type: 'array', items: RECIPIENT } },
      },
    },
    async (req, reply) => {
      const q = parseOr400(reply, listQuery, req.query);
      if (!q) return reply;
      const list =
        q.group
          ?.split(/[,，]/)
          .map((g) => g.trim())
          .filter(Boolean) ?? [];
      return (await recipientsQ.listRecipients(deps.db, { groups: list })).map(recipientJson);
    },
  );

  app.post(
    '/api/v1/recipients',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'add a recipient, or merge into the existing one (groups united)',
        body: jsonSchema(createBody),
        response: { 200: RECIPIENT, 400: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const b = parseOr400(reply, createBody, req.body);
      if (!b) return reply;
      await recipientsQ.upsertRecipients(deps.db, [{ email: b.email, name: b.name ?? null, groups: b.groups ?? [] }]);
      const row = (await recipientsQ.findRecipientByEmail(deps.db, b.email))!;
      await auditWeb(req, deps, 'recipient.add', row.email, { after: recipientJson(row) });
      return recipientJson(row);
    },
  );

  app.patch(
    '/api/v1/recipients/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'change name, groups or enabled',
        params: jsonSchema(idParams),
        body: jsonSchema(patchBody),
        response: { 200: RECIPIENT, 400: ERROR_REPLY, 404: ERROR_REPLY },
      },
    },
    async (req, reply) => {
      const p = parseOr400(reply, idParams, req.params);
      const b = p && parseOr400(reply, patchBody, req.body);
      if (!p || !b) return reply;
      const before = await recipientsQ.getRecipient(deps.db, p.id);
      if (!before) return notFound(reply, `recipient ${p.id}`);
      const row = (await recipientsQ.updateRecipient(deps.db, p.id, b))!;
      await auditWeb(req, deps, 'recipient.edit', row.email, {
        before: recipientJson(before),
        after: recipientJson(row),
      });
      return recipientJson(row);
    },
  );
};
